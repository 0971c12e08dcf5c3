"""minigrad.train.evaluate: `minigrad evaluate` scores a run like training did and writes
its per-class numbers and confusion picture beside the run."""

import json

import pytest
from train_helpers import no_network, quiet, small  # noqa: F401

from minigrad.train import evaluate_run, fit


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
