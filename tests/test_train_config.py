"""minigrad.train.config and .defaults: checks name the field, hand-edited values of the wrong
type are refused by msgspec naming the field, dicts round-trip, defaults fill in, overrides
and differences behave, every field documents itself."""

import dataclasses
import json

import pytest
from train_helpers import small

from minigrad.train.config import OPTIMIZERS, ConfigError, TrainConfig
from minigrad.train.defaults import DATASET_DEFAULTS, DEFAULT_LR, with_defaults
from minigrad.train.options import default_text


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
        (dict(zca=-0.1), "zca"),
        (dict(pca=-1), "pca"),
        (dict(tta="crops"), "tta"),
        (dict(affine=(-5.0, 0.1)), "affine"),
        (dict(affine=(10.0, 1.0)), "affine"),
        (dict(distill=1.0), "distill"),
        (dict(distill=0.5, mixup=0.2), "distill"),
        (dict(loss="svm", distill=0.5), "distill"),
    ],
)
def test_validation_names_the_field(kw, field):
    with pytest.raises(ConfigError) as err:
        small(**kw).validate()
    assert err.value.field == field and str(err.value).startswith(f"{field} (--")
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    "edit, words",
    [
        ({"lr": "0.1"}, "lr (--lr) has the wrong type (expected `float | null`, got `str`): '0.1'"),
        ({"val_size": "10%"}, "val_size (--val-size) has the wrong type (expected `int | float"),
        ({"hidden": [8.5]}, "hidden (--hidden) has the wrong type (expected `int`, got `float`)"),
        ({"betas": [0.9]}, "betas (--betas) has the wrong type (expected `array` of length 2"),
        ({"batch_norm": 1}, "batch_norm (--batch-norm) has the wrong type (expected `bool`"),
        ({"epochs": 2.5}, "epochs (--epochs) has the wrong type (expected `int | null`"),
    ],
)
def test_a_hand_edited_value_of_the_wrong_type_is_refused_naming_the_setting(edit, words):
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_dict({**small().to_dict(), **edit})
    assert str(err.value).startswith(words) and err.value.field == next(iter(edit))


def test_json_lists_become_tuples_and_whole_numbers_floats():
    cfg = TrainConfig.from_dict({"hidden": [64, 32], "betas": [0.8, 0.99], "lr": 1})
    assert cfg.hidden == (64, 32) and cfg.betas == (0.8, 0.99)
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float)


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
    assert with_defaults(TrainConfig(), "cifar10").time_limit == 870.0
    assert with_defaults(TrainConfig(), "cifar10").epochs is None
    explicit = with_defaults(TrainConfig(epochs=3), "cifar10")
    assert (explicit.epochs, explicit.time_limit) == (3, None)
    assert with_defaults(TrainConfig(), "digits").epochs == 20


def test_the_default_learning_rate_comes_from_one_table():
    assert with_defaults(TrainConfig(), "digits").lr == DEFAULT_LR["adamw"] == 3e-3
    assert with_defaults(TrainConfig(), "cifar10").lr == 5e-3  # adam/adamw on CIFAR-10
    assert with_defaults(TrainConfig(optimizer="sgd"), "cifar10").lr == DEFAULT_LR["sgd"]
    assert with_defaults(TrainConfig(lr=0.5), "cifar10").lr == 0.5  # a given rate is kept
    assert set(DEFAULT_LR) == set(OPTIMIZERS)
    assert with_defaults(TrainConfig(loss="svm"), "digits").label_smoothing == 0.0


def test_overriding_one_length_clears_the_other():
    saved = with_defaults(TrainConfig(), "cifar10")
    assert saved.with_overrides({"epochs": 5}).time_limit is None
    assert saved.with_overrides({"epochs": 5}).epochs == 5
    planned = small().with_overrides({"time_limit": 60.0})
    assert (planned.epochs, planned.time_limit) == (None, 60.0)
    assert saved.with_overrides({"lr": 0.1}).time_limit == 870.0


def test_differences_list_only_values_that_differ_leaving_local_settings_out():
    saved = with_defaults(small(), "digits")
    given = {"lr": 3e-3, "hidden": [32], "dropout": 0.5, "data_dir": "/elsewhere"}
    assert saved.differences(given | {"figures": False}) == [("dropout", 0.0, 0.5)]
    assert saved.differences({"dataset": "auto"}) == []
    assert saved.differences({"dataset": "spiral"}) == [("dataset", "digits", "spiral")]


def test_every_field_has_help_a_group_and_a_default_text():
    for f in dataclasses.fields(TrainConfig):
        assert f.metadata["help"] and f.metadata["group"], f.name
        assert default_text(f.name), f.name
    choices = {f.name: f.metadata.get("choices") for f in dataclasses.fields(TrainConfig)}
    assert set(choices["dataset"]) == {"auto", *DATASET_DEFAULTS}


def test_default_texts_come_from_the_default_tables():
    assert default_text("hidden") == "1024,512 (cifar10), 256 (digits), 100 (spiral)"
    assert default_text("weight_decay") == "0.05"
    assert default_text("batch_norm") == "on"
    assert "sgd 0.1" in default_text("lr") and "adam/adamw on cifar10 0.005" in default_text("lr")


def test_tta_is_for_cifar10_and_off_elsewhere_by_default():
    assert with_defaults(small(), "digits").tta == "none"
    assert with_defaults(TrainConfig(), "cifar10").tta == DATASET_DEFAULTS["cifar10"]["tta"]
    with pytest.raises(ConfigError) as err:
        with_defaults(small(tta="flip"), "digits")
    assert err.value.field == "tta"


def test_affine_needs_cifar10_with_its_crops():
    with pytest.raises(ConfigError, match="--affine.*CIFAR-10, not digits"):
        with_defaults(TrainConfig(affine=(10.0, 0.1)), "digits")
    with pytest.raises(ConfigError, match="--affine.*with --augment"):
        with_defaults(TrainConfig(affine=(10.0, 0.1), augment=False), "cifar10")
    assert with_defaults(TrainConfig(affine=(10.0, 0.1)), "cifar10").augment is True
    assert with_defaults(TrainConfig(augment=False), "cifar10").affine == (0.0, 0.0)


def test_pca_projects_the_whitened_images_and_is_off_without_whitening():
    cifar = with_defaults(TrainConfig(), "cifar10")
    assert (cifar.zca, cifar.pca) == (0.03, DATASET_DEFAULTS["cifar10"]["pca"])
    assert with_defaults(TrainConfig(zca=0.0), "cifar10").pca == 0
    assert with_defaults(TrainConfig(pca=0), "cifar10").pca == 0
    assert with_defaults(small(), "digits").pca == 0
    with pytest.raises(ConfigError, match=r"pca \(--pca\) projects the --zca whitened"):
        with_defaults(TrainConfig(zca=0.0, pca=256), "cifar10")
