"""minigrad.sweep.space: ranges and choices over TrainConfig fields, checked up front."""

import optuna
import pytest

from minigrad.sweep.space import Param, SearchSpace, SpaceError
from minigrad.train import TrainConfig


def space(**spec):
    return SearchSpace.from_spec(spec, TrainConfig(dataset="digits"))


def test_range_on_float_field_is_float_and_log_flag_kept():
    (p,) = space(lr={"low": 1e-4, "high": 1e-1, "log": True}).params
    assert p == Param("lr", 1e-4, 1e-1, log=True, integer=False)
    assert p.describe() == "log-uniform floats in [0.0001, 0.1]"
    (q,) = space(lr=[1e-3, 1e-2]).params
    assert q.describe() == "one of 0.001, 0.01"


def test_range_on_integer_field_samples_integers():
    (p,) = space(batch_size={"low": 16, "high": 256, "log": True}).params
    assert p.integer and p.log
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = [p.suggest(study.ask()) for _ in range(20)]
    assert all(isinstance(v, int) and 16 <= v <= 256 for v in values)


def test_integer_bounds_on_float_field_give_floats():
    (p,) = space(dropout={"low": 0, "high": 0.5}).params
    assert not p.integer
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    assert isinstance(p.suggest(study.ask()), float)


def test_width_choices_round_trip_through_optuna_as_tuples():
    s = space(hidden=[[64], [128, 64], []])
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(30):
        trial = study.ask()
        seen.add(s.sample(trial)["hidden"])
        study.tell(trial, 0.0)
    assert seen == {(64,), (128, 64), ()}
    assert s.decode(study.trials[0].params)["hidden"] in seen
    assert s.to_spec() == {"hidden": [[64], [128, 64], []]}


def test_log_range_samples_spread_over_decades():
    (p,) = space(lr={"low": 1e-5, "high": 1e-1, "log": True}).params
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = [p.suggest(study.ask()) for _ in range(200)]
    below_1e3 = sum(v < 1e-3 for v in values) / len(values)
    assert 0.35 < below_1e3 < 0.65  # half the decades lie below 1e-3; uniform would give 1%


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"lrr": {"low": 1e-4, "high": 1e-1}}, "unknown parameter 'lrr' (did you mean lr?)"),
        ({"learning_rate": [0.1]}, "(did you mean lr?); a sweep can search these"),
        ({"momentun": [0.5, 0.9]}, "fields: augment, affine, zca, pca, tta, mixup, cutmix"),
        ({"lr": {"low": 0.1, "high": 1e-3}}, "inverted (low 0.1 > high 0.001)"),
        ({"lr": {"low": 0.01, "high": 0.01}}, "empty (low == high == 0.01)"),
        ({"lr": {"low": 0.0, "high": 0.1, "log": True}}, "log scale needs low > 0, got 0.0"),
        ({"weight_decay": {"low": -1e-3, "high": 1e-1, "log": True}}, "needs low > 0"),
        ({"lr": []}, "the list of choices is empty"),
        ({"lr": 0.1}, "a single value belongs with the fixed settings"),
        ({"lr": {"low": 1e-4}}, "a range has the keys low, high"),
        ({"lr": {"low": 1e-4, "high": 1, "scale": "log"}}, "a range has the keys low, high"),
        ({"lr": {"low": 1e-4, "high": 1, "log": "yes"}}, "log must be true or false"),
        ({"lr": {"low": "a", "high": 1}}, "low must be a finite number"),
        ({"batch_size": {"low": 16.5, "high": 64}}, "batch_size holds integers"),
        ({"epochs": [1, 2.5]}, "the choice 2.5 is not one"),
        ({"hidden": {"low": 16, "high": 64}}, "hidden cannot take a range"),
        ({"optimizer": ["adamw", "adamw"]}, "repeat a value"),
        ({"optimizer": ["adamw", "lion"]}, "optimizer = 'lion' is not a valid setting"),
        ({"dropout": {"low": 0.0, "high": 1.0}}, "dropout = 1.0 is not a valid setting"),
        ({"dataset": ["digits", "spiral"]}, "dataset cannot be searched"),
        ({"val_size": [0.1, 0.2]}, "val_size cannot be searched"),
    ],
)
def test_bad_space_is_refused_with_the_reason(spec, message):
    with pytest.raises(SpaceError) as err:
        space(**spec)
    assert message in str(err.value)


def test_empty_space_is_refused():
    with pytest.raises(SpaceError, match="the search space is empty"):
        SearchSpace.from_spec({}, TrainConfig())


def test_values_are_checked_together_with_the_fixed_settings():
    fixed = TrainConfig(dataset="digits", loss="svm")
    with pytest.raises(SpaceError, match="label_smoothing = 0.1 is not a valid setting"):
        SearchSpace.from_spec({"label_smoothing": [0.0, 0.1]}, fixed)
