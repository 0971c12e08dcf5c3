"""The `minigrad` command: argument errors, train/evaluate end to end, `python -m minigrad`."""

import json
import subprocess
import sys

import pytest

from minigrad.cli import main
from minigrad.training import data as tdata


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    monkeypatch.setattr(tdata, "DOWNLOAD_URL", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    monkeypatch.setattr(tdata, "NETWORK_TIMEOUT", 2.0)
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("MINIGRAD_DATA", str(empty))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--hidden", "10,x"], "widths like"),
        (["train", "--hidden", "10,0"], "must be >= 1"),
        (["train", "--epochs", "0"], "must be >= 1"),
        (["train", "--optimizer", "lbfgs"], "invalid choice"),
        (["train", "--dataset", "mnist"], "invalid choice"),
        (["train", "--dropout", "1.5"], "--dropout"),
        (["train", "--loss", "svm", "--label-smoothing", "0.1"], "softmax only"),
        (["train", "--val-size", "-3"], "count >= 0"),
        (["train", "--resume"], "--resume needs --out"),
        (["train", "--epochs", "2", "--time-limit", "60"], "not both"),
        (["train", "--dataset", "digits", "--augment", "--epochs", "1"], "needs images"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys, tmp_path):
    if argv and "--augment" in argv:
        argv = [*argv, "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_train_then_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--dataset", "digits", "--epochs", "2", "--hidden", "32", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "dataset: digits"
    assert any(line.startswith("epoch   2/2") and "val loss" in line for line in printed)
    assert any(line.startswith("test accuracy") for line in printed)
    assert main(["evaluate", str(out / "checkpoint.npz")]) == 0
    accuracy = json.loads((out / "metrics.json").read_text())["test_accuracy"]
    assert f"test accuracy {100 * accuracy:.2f}%" in capsys.readouterr().out


def test_evaluate_missing_checkpoint_exits_1(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope.npz")]) == 1
    assert "no checkpoint" in capsys.readouterr().err


def test_train_resume_through_the_cli(tmp_path, capsys):
    out = str(tmp_path / "run")
    base = ["train", "--dataset", "spiral", "--epochs", "2", "--out", out]
    assert main([*base, "--stop-after", "1"]) == 0
    assert main(["train", "--resume", "--out", out]) == 0
    text = capsys.readouterr().out
    assert "resumed from" in text and "epoch   2/2" in text


def test_default_train_falls_back_to_digits_and_reaches_95_percent(tmp_path, capsys):
    """The README's `minigrad train` on a machine without CIFAR-10 or network (CI)."""
    assert main(["train", "--out", str(tmp_path / "run")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("dataset: digits")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.95


def test_python_dash_m_minigrad_help():
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "train", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--dataset" in result.stdout and "--time-limit" in result.stdout
