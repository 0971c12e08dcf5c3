"""minigrad.sweep.results and .figures: what a person reads, from the trials of a study."""

import csv
import json

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from minigrad.sweep.config import build_config
from minigrad.sweep.figures import (
    MIN_TRIALS_FOR_IMPORTANCE,
    accuracy_figure,
    history_figure,
    importance_figure,
    save_figures,
)
from minigrad.sweep.results import format_table, trial_rows, write_best_config, write_csv
from minigrad.train import TrainConfig

CONFIG = build_config(
    fixed={"dataset": "digits", "epochs": 4},
    space={"lr": {"low": 1e-4, "high": 1e-1, "log": True}, "hidden": [[64], [128, 64]]},
    settings={"final_val_size": 0},
)
DISTRIBUTIONS = {
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
    "hidden": CategoricalDistribution(["[64]", "[128, 64]"]),
}


def add(study, state, lr, hidden="[64]", value=None, epochs=4, **attrs):
    study.add_trial(
        create_trial(
            state=state,
            value=value,
            params={"lr": lr, "hidden": hidden},
            distributions=DISTRIBUTIONS,
            intermediate_values={1: value} if state == TrialState.PRUNED else None,
            user_attrs={"epochs": epochs, "train_seconds": 1.5 * epochs} | attrs,
        )
    )


@pytest.fixture
def study():
    s = optuna.create_study(direction="maximize")
    add(s, TrialState.COMPLETE, 3e-3, value=0.91)
    add(s, TrialState.PRUNED, 2e-4, value=0.40, epochs=1, reason="pruned after epoch 1")
    add(s, TrialState.COMPLETE, 1e-2, "[128, 64]", value=0.95)
    add(s, TrialState.FAIL, 0.09, reason="diverged: loss nan at epoch 2")
    add(s, TrialState.FAIL, 5e-4, epochs=2)  # its worker was killed
    s.add_trial(
        create_trial(
            state=TrialState.COMPLETE,
            value=0.93,
            params={"lr": 5e-4, "hidden": "[64]"},
            distributions=DISTRIBUTIONS,
            system_attrs={"failed_trial": 4, "retry_history": [4]},
        )
    )
    return s


def test_rows_sort_complete_by_accuracy_then_pruned_then_failed(study):
    rows = trial_rows(study, CONFIG.space)
    assert [r["trial"] for r in rows] == [2, 5, 0, 1, 3, 4]
    assert rows[0]["hidden"] == (128, 64) and rows[0]["lr"] == pytest.approx(1e-2)


def test_rows_say_why_a_trial_ended_early(study):
    notes = {r["trial"]: r["note"] for r in trial_rows(study, CONFIG.space)}
    assert notes[1] == "pruned after epoch 1"
    assert notes[3] == "diverged: loss nan at epoch 2"
    assert notes[4] == "its worker stopped (no heartbeat); retried as trial 5"


def test_table_shows_accuracy_as_percent_and_widths(study):
    table = format_table(trial_rows(study, CONFIG.space), CONFIG.space.names, limit=3)
    lines = table.splitlines()
    assert lines[0].split() == [
        "trial",
        "state",
        "val",
        "acc",
        "lr",
        "hidden",
        "epochs",
        "seconds",
        "note",
    ]
    assert lines[1].split()[:6] == ["2", "complete", "95.00%", "0.01", "128-64", "4"]
    assert lines[-1] == "... 3 more in the CSV"


def test_csv_holds_every_trial_best_first(study, tmp_path):
    write_csv(trial_rows(study, CONFIG.space), CONFIG.space.names, tmp_path / "t.csv")
    with open(tmp_path / "t.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["trial"] for r in rows] == ["2", "5", "0", "1", "3", "4"]
    assert rows[0]["hidden"] == "128-64" and float(rows[0]["val_accuracy"]) == 0.95


def test_best_config_is_the_best_trial_over_the_fixed_settings(study, tmp_path):
    best = write_best_config(study, CONFIG, tmp_path / "best.json")
    loaded = TrainConfig.from_dict(json.loads((tmp_path / "best.json").read_text()))
    assert loaded == TrainConfig.from_dict(best)
    assert (loaded.lr, loaded.hidden, loaded.epochs, loaded.val_size) == (1e-2, (128, 64), 4, 0)


def test_no_best_config_before_a_trial_completes(tmp_path):
    s = optuna.create_study(direction="maximize")
    add(s, TrialState.FAIL, 0.09)
    assert write_best_config(s, CONFIG, tmp_path / "best.json") is None
    assert not (tmp_path / "best.json").exists()


def test_accuracy_figure_uses_log_axis_for_log_parameters(study):
    fig = accuracy_figure(trial_rows(study, CONFIG.space), CONFIG.space)
    lr_axis, hidden_axis = fig.axes
    assert lr_axis.get_xscale() == "log" and lr_axis.get_xlabel() == "lr (log scale)"
    assert hidden_axis.get_xscale() == "linear"
    assert [t.get_text() for t in hidden_axis.get_xticklabels()] == ["64", "128-64"]
    complete = lr_axis.collections[1].get_offsets()
    assert sorted(complete[:, 1]) == pytest.approx([91.0, 93.0, 95.0])


def test_history_figure_draws_the_best_so_far(study):
    fig = history_figure(trial_rows(study, CONFIG.space))
    (line,) = fig.axes[0].lines
    assert list(line.get_ydata()) == pytest.approx([91.0, 95.0, 95.0, 95.0])


def test_importances_need_enough_complete_trials(study):
    fig, why = importance_figure(study)
    assert fig is None and f"at least {MIN_TRIALS_FOR_IMPORTANCE} complete trials" in why
    for i in range(MIN_TRIALS_FOR_IMPORTANCE):
        add(study, TrialState.COMPLETE, 10 ** (-4 + 3 * i / 8), value=0.5 + 0.05 * i)
    fig, why = importance_figure(study)
    assert why is None
    assert sorted(t.get_text() for t in fig.axes[0].get_yticklabels()) == ["hidden", "lr"]


def test_save_figures_writes_pngs_and_explains_what_is_missing(study, tmp_path):
    paths, notes = save_figures(study, trial_rows(study, CONFIG.space), CONFIG.space, tmp_path)
    assert [p.name for p in paths] == ["accuracy_vs_params.png", "best_history.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
    assert "parameter importances need" in notes[0]
