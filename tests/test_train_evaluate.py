"""minigrad.train.evaluate: `minigrad evaluate` scores a run like training did and writes
its per-class numbers and confusion picture beside the run."""

import json

import pytest
from train_helpers import fake_cifar, no_network, quiet, small  # noqa: F401

from minigrad.train import TrainConfig, evaluate_run, fit, load_model
from minigrad.train.config import ConfigError


def test_evaluate_run_matches_the_final_scores_of_training(tmp_path):
    metrics = fit(small(), tmp_path, log=quiet).metrics
    lines = []
    numbers = evaluate_run(tmp_path / "checkpoint.npz", log=lines.append)
    assert (numbers["split"], numbers["samples"]) == ("test", 359)
    assert numbers["accuracy"] == metrics["test_accuracy"]
    assert numbers["confusion_matrix"] == metrics["confusion_matrix"]
    assert json.loads((tmp_path / "evaluate-test.json").read_text()) == numbers
    assert (tmp_path / "confusion-test.png").is_file()
    assert lines[0].startswith(f"{tmp_path / 'checkpoint.npz'}: digits test accuracy")
    assert any(line.startswith("class") for text in lines for line in text.splitlines())


def test_evaluate_run_on_the_validation_split(tmp_path):
    fit(small(epochs=1), tmp_path, log=quiet)
    numbers = evaluate_run(tmp_path, split="val", log=quiet)
    assert numbers["split"] == "val" and numbers["samples"] == 270
    assert sum(map(sum, numbers["confusion_matrix"])) == 270


def test_evaluate_run_without_that_split_says_so(tmp_path):
    fit(small(epochs=1, val_size=0), tmp_path, log=quiet)
    with pytest.raises(ValueError, match="has no val split"):
        evaluate_run(tmp_path, split="val", log=quiet)


def test_evaluate_run_with_other_test_time_views_scores_the_same_weights(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    data = str(tmp_path / "data")
    cfg = TrainConfig(data_dir=data, epochs=1, hidden=(8,), val_size=32, zca=0, tta="shift")
    fit(cfg, tmp_path / "r", log=quiet)
    own = evaluate_run(tmp_path / "r", log=quiet)
    plain = evaluate_run(tmp_path / "r", tta="none", log=quiet)
    assert (own["tta"], plain["tta"]) == ("shift", "none")
    assert plain["loss"] != own["loss"]
    assert json.loads((tmp_path / "r" / "evaluate-val-none.json").read_text()) == plain
    assert json.loads((tmp_path / "r" / "evaluate-val.json").read_text()) == own
    assert load_model(tmp_path / "r").config.tta == "shift"  # the run itself is unchanged


def test_evaluate_run_refuses_views_the_dataset_has_none_of(tmp_path):
    fit(small(epochs=1), tmp_path, log=quiet)
    with pytest.raises(ConfigError, match="made for CIFAR-10"):
        evaluate_run(tmp_path, tta="flip", log=quiet)
    with pytest.raises(ConfigError, match="tta"):
        evaluate_run(tmp_path, tta="crops", log=quiet)
