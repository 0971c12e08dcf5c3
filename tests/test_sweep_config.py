"""minigrad.sweep.config: a sweep file's tables and overrides become one checked SweepConfig."""

import dataclasses

import pytest

from minigrad.sweep.config import (
    DEFAULT_TRIALS,
    SweepConfig,
    build_config,
    parse_assignment,
)
from minigrad.sweep.space import SpaceError
from minigrad.train import TrainConfig

SWEEP_FILE = """
[sweep]
trials = 12
pruner = "halving"

[train]
dataset = "digits"
epochs = 3
hidden = [64]

[space]
lr = { low = 1e-4, high = 1e-1, log = true }
weight_decay = { low = 1e-6, high = 1e-2, log = true }
"""


def write(tmp_path, text, name="lr-search.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_sweep_file_gives_settings_fixed_training_and_space(tmp_path):
    config = build_config(write(tmp_path, SWEEP_FILE))
    assert (config.trials, config.pruner, config.sampler) == (12, "halving", "random")
    assert config.study == "lr-search"  # the file's name
    assert config.fixed_train() == TrainConfig(dataset="digits", epochs=3, hidden=(64,))
    assert config.space.names == ("lr", "weight_decay")


def test_overrides_win_over_the_file(tmp_path):
    config = build_config(
        write(tmp_path, SWEEP_FILE),
        settings={"trials": 4, "study": "mine"},
        fixed={"epochs": 5},
        space={"lr": {"low": 1e-3, "high": 1e-2}},
    )
    assert (config.trials, config.study, config.fixed_train().epochs) == (4, "mine", 5)
    assert not config.space.params[0].log


def test_trial_config_is_the_fixed_settings_with_the_sampled_ones_over_them_and_no_figures():
    config = build_config(fixed={"dataset": "digits", "val_size": 0.3}, space={"lr": [0.01, 0.1]})
    trial = config.trial_config({"lr": 0.1})
    assert trial == TrainConfig(dataset="digits", val_size=0.3, lr=0.1, figures=False)


def test_best_config_keeps_the_final_validation_split_and_draws_its_figures():
    config = build_config(fixed={"dataset": "digits", "val_size": 0.3}, space={"lr": [0.01, 0.1]})
    for final in (0, 0.2, None):
        best = dataclasses.replace(config, final_val_size=final).best_config({"lr": 0.1})
        assert (best.lr, best.val_size, best.dataset, best.figures) == (0.1, final, "digits", True)
    unchecked = dataclasses.replace(config, train=TrainConfig(figures=False))  # not built
    assert unchecked.best_config({"lr": 0.1}).figures is True


def test_budget_defaults_to_a_trial_count_unless_a_time_budget_is_given():
    space = {"lr": [0.01, 0.1]}
    assert build_config(space=space).budget == DEFAULT_TRIALS
    assert build_config(space=space, settings={"timeout": 60.0}).budget is None
    assert build_config(space=space, settings={"timeout": 60.0, "trials": 3}).budget == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"settings": {"trails": 3}}, "unknown [sweep] setting 'trails' (did you mean trials?)"),
        ({"fixed": {"epoch": 3}}, "unknown [train] setting 'epoch' (did you mean epochs?)"),
        ({"fixed": {"lr": 0.1}}, "lr is both fixed"),
        ({"fixed": {"figures": True}}, "figures is not a sweep setting: trials draw no pictures"),
        ({"space": {"figures": [True, False]}}, "figures cannot be searched: trials draw no"),
        (
            {"fixed": {"dropout": 2.0}},
            "the fixed training settings are invalid: dropout (--dropout) must lie in [0, 1)",
        ),
        ({"settings": {"sampler": "grid"}}, "--sampler must be one of random, tpe"),
        ({"settings": {"trials": -1}}, "--trials must be >= 0"),
        ({"settings": {"workers": 0}}, "--workers must be >= 1"),
        ({"settings": {"timeout": 0}}, "--timeout must be > 0"),
        ({"settings": {"heartbeat": 0}}, "--heartbeat must be a whole number of seconds"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError) as err:
        build_config(**{"space": {"lr": [0.01, 0.1]}} | kwargs)
    assert message in str(err.value)


def test_missing_space_is_refused():
    with pytest.raises(SpaceError, match="the search space is empty"):
        build_config(fixed={"dataset": "digits"})
    with pytest.raises(SpaceError, match="no search space"):
        SweepConfig().validate()


def test_sweep_file_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read the sweep file"):
        build_config(tmp_path / "missing.toml")
    with pytest.raises(ValueError, match="bad.toml is not valid TOML"):
        build_config(write(tmp_path, "[space]\nlr = {low = }", "bad.toml"))
    with pytest.raises(ValueError, match=r"unknown table\(s\) spaces"):
        build_config(write(tmp_path, "[spaces]\nlr = [0.1, 0.2]\n"))


def test_parse_assignment_reads_one_toml_line():
    assert parse_assignment("lr = {low = 1e-4, high = 0.1, log = true}", "--param") == {
        "lr": {"low": 1e-4, "high": 0.1, "log": True}
    }
    with pytest.raises(ValueError, match="--param 'lr ='"):
        parse_assignment("lr =", "--param")
