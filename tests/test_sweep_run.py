"""minigrad.sweep.run: real sweeps on the spiral data with the default SQLite storage."""

import io
import json
import time
import types

import optuna
import pytest
from optuna.trial import TrialState

from minigrad.cli import main
from minigrad.sweep import build_config, run_sweep
from minigrad.sweep import run as sweep_run
from minigrad.sweep import worker as sweep_worker
from minigrad.sweep.run import resolve_data
from minigrad.sweep.storage import SweepError
from minigrad.train import TrainConfig, fit

FIXED = {"dataset": "spiral", "epochs": 12}
SPACE = {"lr": {"low": 1e-5, "high": 1.0, "log": True}, "hidden": [[16], [100]]}


def load(folder):
    url = f"sqlite:///{folder / 'study.db'}"
    return optuna.load_study(study_name="sweep", storage=url)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """One eight-trial sweep, random search with a fixed seed, median pruning."""
    folder = tmp_path_factory.mktemp("sweep")
    settings = {"trials": 8, "workers": 1, "sampler_seed": 3}
    config = build_config(fixed=FIXED, space=SPACE, settings=settings)
    result = run_sweep(config, folder, log=lambda line: None)
    return config, folder, result


def test_sweep_finds_a_configuration_at_least_as_good_as_the_default(swept, tmp_path):
    config, folder, result = swept
    default = resolve_data(config, log=lambda line: None).trial_config({})
    baseline = fit(default, tmp_path, log=lambda line: None, stream=io.StringIO())
    default_acc = baseline.metrics["history"][-1]["val_accuracy"]
    assert result.study.best_value >= default_acc
    lrs = {r["lr"] for r in result.rows}
    assert len(lrs) == 8 and min(lrs) < 1e-3 < 1e-2 < max(lrs)  # a real search, log-spread


def test_database_records_every_trial_as_the_table_shows(swept):
    config, folder, result = swept
    study = load(folder)
    trials = study.get_trials()
    assert len(trials) == 8
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    states = {r["trial"]: r["state"] for r in result.rows}
    assert states == {t.number: t.state.name.lower() for t in trials}
    csv_lines = (folder / "trials.csv").read_text().splitlines()
    assert len(csv_lines) == 9 and csv_lines[0].startswith("trial,state,val_accuracy,lr,hidden")


def test_pruned_trials_stopped_early_at_the_epoch_recorded(swept):
    config, folder, result = swept
    pruned = load(folder).get_trials(states=(TrialState.PRUNED,))
    assert pruned, "the lowest learning rates should have been pruned"
    for t in pruned:
        history = json.loads((folder / "trials" / f"{t.number:04d}" / "metrics.json").read_text())
        epochs = t.user_attrs["epochs"]
        assert epochs < FIXED["epochs"] and len(history["history"]) == epochs
        assert t.last_step == epochs
        assert t.intermediate_values[epochs] == history["history"][-1]["val_accuracy"]


def test_each_trial_trained_the_settings_it_recorded(swept):
    config, folder, result = swept
    for t in load(folder).get_trials():
        saved = json.loads((folder / "trials" / f"{t.number:04d}" / "config.json").read_text())
        assert saved["lr"] == t.params["lr"]
        assert tuple(saved["hidden"]) == tuple(json.loads(t.params["hidden"]))
        assert saved["epochs"] == FIXED["epochs"] and saved["val_size"] == 0.15
        assert not (folder / "trials" / f"{t.number:04d}" / "checkpoint.npz").exists()


def test_best_config_is_the_best_trial_trained_on_all_the_training_data(swept):
    config, folder, result = swept
    study = load(folder)
    best = TrainConfig.from_dict(json.loads((folder / "best_config.json").read_text()))
    assert best.lr == study.best_trial.params["lr"]
    assert best.hidden == tuple(json.loads(study.best_trial.params["hidden"]))
    assert (best.dataset, best.epochs, best.val_size) == ("spiral", 12, 0)
    best.validate()
    assert [p.name for p in result.figures[:2]] == ["accuracy_vs_params.png", "best_history.png"]


def test_trials_draw_no_pictures_and_the_best_config_rerun_draws_them(swept, tmp_path):
    config, folder, result = swept
    trials = list((folder / "trials").iterdir())
    assert len(trials) == 8 and all((t / "metrics.json").is_file() for t in trials)
    assert not list((folder / "trials").rglob("*.png"))
    final = tmp_path / "final"
    assert main(["train", "--config", str(folder / "best_config.json"), "--out", str(final)]) == 0
    assert (final / "curves.png").is_file() and (final / "confusion.png").is_file()


def test_diverged_trials_fail_with_their_reason_and_the_sweep_goes_on(tmp_path):
    config = build_config(
        fixed=FIXED | {"optimizer": "sgd", "batch_norm": False, "schedule": "constant"},
        space={"lr": [1e6, 1e7]},
        settings={"trials": 2, "workers": 1, "pruner": "none"},
    )
    result = run_sweep(config, tmp_path, log=lambda line: None)
    assert [r["state"] for r in result.rows] == ["fail", "fail"]
    assert all(
        r["note"].startswith("training diverged: ") and "epoch" in r["note"] for r in result.rows
    )
    assert result.best_config is None and not (tmp_path / "best_config.json").exists()


def test_rerunning_adds_trials_to_the_same_study(tmp_path):
    config = build_config(
        fixed=FIXED | {"epochs": 2}, space=SPACE, settings={"trials": 2, "workers": 1}
    )
    run_sweep(config, tmp_path, log=lambda line: None)
    result = run_sweep(config, tmp_path, log=lambda line: None)
    assert sorted(r["trial"] for r in result.rows) == [0, 1, 2, 3]


def test_time_budget_stops_starting_trials(tmp_path, monkeypatch):
    # The sweep's clock is one that each trial moves on by exactly a second, whatever the
    # machine's load: trials start at 0, 1 and 2 s, and none at 3 s, past the 2.5 s budget.
    clock = [1000.0]
    fake_time = types.SimpleNamespace(time=lambda: clock[0], sleep=time.sleep)
    monkeypatch.setattr(sweep_run, "time", fake_time)
    monkeypatch.setattr(sweep_worker, "time", fake_time)
    real_train_trial = sweep_worker.train_trial

    def one_second_trial(*args, **kwargs):
        try:
            return real_train_trial(*args, **kwargs)
        finally:
            clock[0] += 1.0

    monkeypatch.setattr(sweep_worker, "train_trial", one_second_trial)
    config = build_config(
        fixed=FIXED | {"epochs": 2},
        space=SPACE,
        settings={"timeout": 2.5, "workers": 1, "pruner": "none"},
    )
    result = run_sweep(config, tmp_path, log=lambda line: None)
    # the third trial, still running at the deadline, completes; no fourth starts
    assert sorted(r["trial"] for r in result.rows) == [0, 1, 2]
    assert {r["state"] for r in result.rows} == {"complete"}
    assert len(result.study.get_trials()) == 3  # none left waiting in the study either


def test_folder_of_another_study_is_refused(tmp_path):
    config = build_config(fixed=FIXED | {"epochs": 1}, space=SPACE, settings={"trials": 0})
    run_sweep(config, tmp_path, log=lambda line: None)
    other = build_config(fixed=FIXED, space=SPACE, settings={"trials": 0, "study": "other"})
    with pytest.raises(SweepError, match="holds the results of the study 'sweep'"):
        run_sweep(other, tmp_path, log=lambda line: None)


def test_validation_split_of_zero_is_refused_before_training(tmp_path):
    config = build_config(fixed=FIXED | {"val_size": 0}, space=SPACE, settings={"trials": 2})
    with pytest.raises(SweepError, match="scored on a validation split"):
        run_sweep(config, tmp_path, log=lambda line: None)
    assert not (tmp_path / "study.db").exists()
