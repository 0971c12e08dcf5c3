"""minigrad.train.config: checks name the field, dicts round-trip, defaults resolve,
overrides and resume conflicts behave, every field documents itself."""

import dataclasses
import json
import re

import pytest
from train_helpers import small

from minigrad.train.config import (
    DATASET_DEFAULTS,
    DEFAULT_LR,
    ConfigError,
    TrainConfig,
    default_text,
)


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(epochs=0), "epochs"),
        (dict(dropout=1.0), "dropout"),
        (dict(loss="svm", label_smoothing=0.1), "label_smoothing"),
        (dict(optimizer="lbfgs"), "optimizer"),
        (dict(epochs=3, time_limit=10.0), "epochs"),
        (dict(lr=-1.0), "lr"),
        (dict(warmup=1.0), "warmup"),
        (dict(hidden=(8, 0)), "hidden"),
        (dict(val_size=1.5), "val_size"),
        (dict(betas=(0.9, 1.0)), "betas"),
        (dict(hidden=[8]), "hidden"),
        (dict(lr="0.1"), "lr"),
        (dict(epochs=2.5), "epochs"),
        (dict(batch_norm=1), "batch_norm"),
        (dict(zca=-0.1), "zca"),
        (dict(tta="crops"), "tta"),
    ],
)
def test_validation_names_the_field(kw, field):
    with pytest.raises(ConfigError) as err:
        small(**kw).validate()
    assert err.value.field == field and str(err.value).startswith(f"{field} (--")
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    "kw, words",
    [
        (dict(lr="0.1"), "lr (--lr) must be a number or null, got '0.1'"),
        (dict(val_size="10%"), "val_size (--val-size) must be a number or null, got '10%'"),
        (dict(hidden=[8]), "must be a list of whole numbers or null, got [8]"),
        (dict(betas=(0.9,)), "must be a list of 2 numbers, got (0.9,)"),
        (dict(batch_norm=1), "must be true or false, got 1"),
    ],
)
def test_a_value_of_the_wrong_type_is_named_in_words_a_config_json_editor_knows(kw, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        small(**kw).validate()


def test_defaults_and_small_configs_are_valid():
    TrainConfig().validate()
    small().validate()
    small(hidden=(), val_size=0, label_smoothing=None, epochs=None, time_limit=5).validate()


def test_to_dict_and_from_dict_round_trip_through_json():
    cfg = small(hidden=(64, 32), betas=(0.8, 0.99), val_size=0.2, augment=False)
    back = TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg and isinstance(back.hidden, tuple)


def test_from_dict_names_unknown_keys_and_keeps_defaults_for_missing_ones():
    with pytest.raises(ValueError, match="unknown setting.*learning_rate, widths"):
        TrainConfig.from_dict({"learning_rate": 1, "widths": [3], "lr": 0.1})
    assert TrainConfig.from_dict({"lr": 0.1}) == TrainConfig(lr=0.1)


def test_from_dict_suggests_the_setting_a_misspelt_key_was_meant_to_be():
    with pytest.raises(ValueError) as err:
        TrainConfig.from_dict({"weight_decy": 0.1})
    assert "weight_decy (did you mean weight_decay?)" in str(err.value)
    assert "TrainConfig has dataset, data_dir, val_size" in str(err.value)  # in field order


def test_cifar10_default_length_is_a_time_limit_that_epochs_replace():
    assert TrainConfig().resolved("cifar10").time_limit == 780.0
    assert TrainConfig().resolved("cifar10").epochs is None
    explicit = TrainConfig(epochs=3).resolved("cifar10")
    assert (explicit.epochs, explicit.time_limit) == (3, None)
    assert TrainConfig().resolved("digits").epochs == 20
    assert (TrainConfig().resolved("cifar10").lr, TrainConfig().resolved("digits").lr) == (
        5e-3,
        3e-3,
    )
    assert TrainConfig(optimizer="sgd").resolved("cifar10").lr == 0.1
    assert TrainConfig(loss="svm").resolved("digits").label_smoothing == 0.0


def test_overriding_one_length_clears_the_other():
    saved = TrainConfig().resolved("cifar10")
    assert saved.with_overrides({"epochs": 5}).time_limit is None
    assert saved.with_overrides({"epochs": 5}).epochs == 5
    planned = small().with_overrides({"time_limit": 60.0})
    assert (planned.epochs, planned.time_limit) == (None, 60.0)
    assert saved.with_overrides({"lr": 0.1}).time_limit == 780.0


def test_conflicts_list_only_values_that_differ_from_the_saved_ones():
    saved = small().resolved("digits")
    given = {"lr": 3e-3, "hidden": [32], "dropout": 0.5, "data_dir": "/elsewhere"}
    assert saved.conflicts(given | {"figures": False}) == [("dropout", 0.0, 0.5)]
    assert saved.conflicts({"dataset": "auto"}) == []
    assert saved.conflicts({"dataset": "spiral"}) == [("dataset", "digits", "spiral")]


def test_every_field_has_help_a_group_and_a_default_text():
    for f in dataclasses.fields(TrainConfig):
        assert f.metadata["help"] and f.metadata["group"], f.name
        assert default_text(f.name), f.name
    choices = {f.name: f.metadata.get("choices") for f in dataclasses.fields(TrainConfig)}
    assert choices["optimizer"] == tuple(DEFAULT_LR)
    assert set(choices["dataset"]) == {"auto", *DATASET_DEFAULTS}


def test_default_texts_come_from_the_default_tables():
    assert default_text("hidden") == "1024,512 (cifar10), 256 (digits), 100 (spiral)"
    assert default_text("weight_decay") == "0.05"
    assert default_text("batch_norm") == "on"
    assert "sgd 0.1" in default_text("lr") and "adam/adamw on cifar10 0.005" in default_text("lr")


def test_tta_is_for_cifar10_and_off_elsewhere_by_default():
    assert small().resolved("digits").tta == "none"
    assert TrainConfig().resolved("cifar10").tta == DATASET_DEFAULTS["cifar10"]["tta"]
    with pytest.raises(ConfigError) as err:
        small(tta="flip").resolved("digits")
    assert err.value.field == "tta"
