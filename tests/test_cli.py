"""The `minigrad` command: options generated from TrainConfig, argument errors, train and
evaluate end to end, reruns from a saved config, no overwritten run, resume conflicts,
Ctrl-C, `python -m minigrad`."""

import dataclasses
import json
import os
import signal
import subprocess
import sys

import pytest
from train_helpers import UNREACHABLE, no_network  # noqa: F401

from minigrad.cli import build_parser, main
from minigrad.train import TrainConfig
from minigrad.train.config import option_name
from minigrad.train.options import config_from_options


def _train_parser():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices["train"]


def test_every_config_field_is_an_option_with_its_choices_and_default_in_the_help():
    options = {a.dest: a for a in _train_parser()._actions if a.option_strings and a.dest != "help"}
    for f in dataclasses.fields(TrainConfig):
        action = options[f.name]
        assert option_name(f.name) in action.option_strings
        assert action.choices == f.metadata.get("choices"), f.name
        assert f.metadata["help"] in action.help and "(default: " in action.help


@pytest.mark.parametrize(
    "text, value", [("10,0.1", (10.0, 0.1)), ("0,0.05", (0.0, 0.05)), ("0", (0.0, 0.0))]
)
def test_affine_option_parses_degrees_and_scale(text, value):
    args = build_parser().parse_args(["train", "--affine", text])
    assert config_from_options(args) == {"affine": value}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--hidden", "10,x"], "widths like"),
        (["train", "--hidden", "10,0"], "hidden (--hidden) widths must be >= 1"),
        (["train", "--affine", "10"], "expected DEG,SCALE like 10,0.1 (or 0: off)"),
        (["train", "--affine", "10,1.5"], "affine (--affine) must be DEG,SCALE with DEG >= 0"),
        (["train", "--epochs", "0"], "epochs (--epochs) must be >= 1"),
        (["train", "--optimizer", "lbfgs"], "invalid choice"),
        (["train", "--dataset", "mnist"], "invalid choice"),
        (["train", "--dropout", "1.5"], "dropout (--dropout) must lie in [0, 1)"),
        (["train", "--loss", "svm", "--label-smoothing", "0.1"], "softmax loss only"),
        (["train", "--val-size", "-3"], "count >= 0"),
        (["train", "--lr", "fast"], "could not convert"),
        (["train", "--resume"], "--resume needs --out"),
        (["train", "--epochs", "2", "--time-limit", "60"], "not both"),
        (["train", "--config", "nowhere.json"], "--config nowhere.json"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_train_then_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--dataset", "digits", "--epochs", "2", "--hidden", "32", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == [f"run folder: {out}", "dataset: digits"]
    assert any(line.startswith("epoch   2/2") and "val loss" in line for line in printed)
    assert any(line.startswith("test accuracy") for line in printed)
    assert any(line.startswith("class") and line.split()[-1] == "9" for line in printed)
    assert main(["evaluate", str(out)]) == 0
    accuracy = json.loads((out / "metrics.json").read_text())["test_accuracy"]
    text = capsys.readouterr().out
    assert f"test accuracy {100 * accuracy:.2f}%" in text and "predicted as" in text
    assert (out / "evaluate-test.json").is_file()


def test_evaluate_missing_run_exits_1(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope")]) == 1
    assert "no run folder or checkpoint" in capsys.readouterr().err


def test_out_holding_a_run_is_refused_until_force(tmp_path, capsys):
    out = str(tmp_path / "run")
    base = ["train", "--dataset", "spiral", "--epochs", "1", "--out", out]
    assert main(base) == 0
    with pytest.raises(SystemExit) as exc:
        main(base)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--resume" in err and "--force" in err
    assert "usage:" not in err
    assert main([*base, "--force"]) == 0


def test_train_resume_through_the_cli_accepts_agreeing_options(tmp_path, capsys):
    out = str(tmp_path / "run")
    base = ["train", "--dataset", "spiral", "--epochs", "2", "--out", out]
    assert main([*base, "--stop-after", "1"]) == 0
    assert main(["train", "--resume", "--out", out, "--epochs", "2", "--activation", "relu"]) == 0
    text = capsys.readouterr().out
    assert f"run folder: {out} (resuming after epoch 1 of 2)" in text and "epoch   2/2" in text


def test_no_figures_run_resumed_with_figures_draws_them(tmp_path, capsys):
    out = tmp_path / "run"
    first = ["train", "--dataset", "spiral", "--epochs", "2", "--no-figures"]
    assert main([*first, "--out", str(out), "--stop-after", "1"]) == 0
    assert json.loads((out / "config.json").read_text())["figures"] is False
    assert main(["train", "--resume", "--out", str(out), "--figures"]) == 0
    assert (out / "curves.png").is_file() and (out / "confusion.png").is_file()
    assert "figures: curves.png, confusion.png" in capsys.readouterr().out


def test_resume_with_contradicting_options_lists_each_one(tmp_path, capsys):
    out = str(tmp_path / "run")
    first = ["train", "--dataset", "spiral", "--epochs", "2", "--activation", "tanh"]
    assert main([*first, "--out", out, "--stop-after", "1"]) == 0
    capsys.readouterr()
    # relu is TrainConfig's default: only the command line knows it was typed
    argv = ["--lr", "0.1", "--activation", "relu", "--batch-size", "32", "--epochs", "2"]
    with pytest.raises(SystemExit) as exc:
        main(["train", "--resume", "--out", out, *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "lr (--lr): saved 0.003, given 0.1" in err
    assert "activation (--activation): saved 'tanh', given 'relu'" in err
    assert "batch_size" not in err and "epochs" not in err


def test_config_reruns_a_saved_run_with_overriding_options(tmp_path, capsys):
    first = tmp_path / "a"
    argv = ["train", "--dataset", "spiral", "--epochs", "2", "--hidden", "16", "--lr", "0.01"]
    assert main([*argv, "--out", str(first)]) == 0
    again = tmp_path / "b"
    rerun = ["train", "--config", str(first / "config.json"), "--epochs", "3"]
    assert main([*rerun, "--out", str(again)]) == 0
    a = json.loads((first / "config.json").read_text())
    b = json.loads((again / "config.json").read_text())
    assert b == {**a, "epochs": 3}
    assert json.loads((again / "metrics.json").read_text())["epochs_completed"] == 3


def test_config_with_an_unknown_key_is_an_error_naming_it(tmp_path, capsys):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"dataset": "spiral", "learning_rate": 0.1}))
    with pytest.raises(SystemExit) as exc:
        main(["train", "--config", str(path)])
    assert exc.value.code == 2 and "unknown setting(s) learning_rate" in capsys.readouterr().err


def test_default_train_falls_back_to_digits_and_reaches_95_percent(tmp_path, capsys):
    """The README's `minigrad train` on a machine without CIFAR-10 or network (CI)."""
    assert main(["train", "--out", str(tmp_path / "run")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"run folder: {tmp_path / 'run'}" and lines[1].startswith("dataset: digits")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.95


def _cli(args, tmp_path, **kwargs):
    env = dict(os.environ, MINIGRAD_DATA=str(tmp_path / "no-data"))
    env["MINIGRAD_CIFAR10_URL"] = UNREACHABLE
    return subprocess.Popen(
        [sys.executable, "-m", "minigrad", *args], env=env, text=True, cwd=tmp_path, **kwargs
    )


def test_ctrl_c_says_how_to_resume_naming_the_real_folder(tmp_path):
    argv = ["train", "--dataset", "digits", "--epochs", "500", "--hidden", "8"]
    # a child inherits an ignored SIGINT (a test run in the background or under nohup); it
    # gets the default, as in a terminal
    proc = _cli(
        argv,
        tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    first = proc.stdout.readline()
    folder = first.removeprefix("run folder: ").strip()
    while not proc.stdout.readline().startswith("epoch   2/"):
        pass
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert f"continue with: minigrad train --resume --out {folder}" in err
    assert folder.startswith("runs/digits-") and (tmp_path / folder / "checkpoint.npz").is_file()
    assert f"finished epoch(s) saved in {folder}" in out


def test_python_dash_m_minigrad_help():
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "train", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--dataset" in result.stdout and "--time-limit" in result.stdout
    assert "--config" in result.stdout and "--force" in result.stdout


def _spiral_run(tmp_path, *extra):
    out = tmp_path / "run"
    argv = ["train", "--dataset", "spiral", "--epochs", "2", "--out", str(out), *extra]
    assert main(argv) == 0
    return out


def test_resume_after_editing_config_json_says_what_differs_and_leaves_the_file(tmp_path, capsys):
    out = _spiral_run(tmp_path, "--stop-after", "1")
    edited = (out / "config.json").read_text().replace('"epochs": 2', '"epochs": 3')
    (out / "config.json").write_text(edited)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["train", "--resume", "--out", str(out)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "Traceback" not in err
    assert "config.json was edited after the run started" in err
    assert "epochs: 3 in config.json, 2 in checkpoint.npz" in err
    assert f"minigrad train --config {out / 'config.json'} --out NEW_FOLDER" in err
    assert (out / "config.json").read_text() == edited  # never rewritten


def test_resume_after_misspelling_a_key_in_config_json_names_it(tmp_path, capsys):
    out = _spiral_run(tmp_path, "--stop-after", "1")
    text = (out / "config.json").read_text().replace('"epochs"', '"epoch"')
    (out / "config.json").write_text(text)
    with pytest.raises(SystemExit):
        main(["train", "--resume", "--out", str(out)])
    assert "epoch (did you mean epochs?)" in capsys.readouterr().err
    assert (out / "config.json").read_text() == text


def test_evaluate_says_how_an_edited_config_json_differs_and_what_it_wrote(tmp_path, capsys):
    out = _spiral_run(tmp_path)
    edited = (out / "config.json").read_text().replace('"dropout": 0.0', '"dropout": 0.5')
    (out / "config.json").write_text(edited)
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"note: {out / 'config.json'} differs from the checkpoint" in text
    assert "dropout: 0.5 in config.json, 0.0 in checkpoint.npz" in text
    assert f"wrote evaluate-test.json and confusion-test.png in {out}" in text
    assert (out / "config.json").read_text() == edited


def test_a_data_dir_that_does_not_exist_is_named_and_nothing_is_created(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "nonexistent"
    for out in ([], ["--out", str(tmp_path / "run")]):
        with pytest.raises(SystemExit) as exc:
            main(["train", "--dataset", "cifar10", "--data-dir", str(missing), *out])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and "Traceback" not in err
        assert f"data_dir (--data-dir) is {missing}, which does not exist" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-data"]  # no folder made


def test_a_run_whose_data_cannot_be_had_leaves_no_empty_run_folder(tmp_path, capsys):
    empty = tmp_path / "data"
    empty.mkdir()
    argv = ["train", "--dataset", "cifar10", "--data-dir", str(empty)]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "(from --data-dir)" in err and "(from root)" not in err
    assert not (tmp_path / "run").exists()


def test_a_diverged_run_says_how_to_start_again_with_no_warnings_and_no_loop(tmp_path, capsys):
    out = str(tmp_path / "run")
    argv = ["train", "--dataset", "digits", "--hidden", "32", "--epochs", "2", "--out", out]
    wild = ["--optimizer", "sgd", "--lr", "1e12", "--no-batch-norm", "--warmup", "0"]
    assert main([*argv, *wild]) == 1  # NumPy warnings are errors in the tests: none came
    err = capsys.readouterr().err
    assert "training diverged: the loss is" in err and "Traceback" not in err
    assert f"minigrad train --force --out {out} --lr LOWER_RATE" in err
    with pytest.raises(SystemExit):
        main(argv)
    err = capsys.readouterr().err
    assert "replace it with --force" in err and "--resume" not in err
    assert main(["train", "--resume", "--out", out]) == 1
    err = capsys.readouterr().err
    assert "no checkpoint" in err and "start it again with --force" in err
    assert main([*argv, "--force"]) == 0


def test_out_naming_an_existing_file_is_refused_in_a_sentence(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("mine")
    with pytest.raises(SystemExit) as exc:
        main(["train", "--dataset", "spiral", "--epochs", "1", "--out", str(path)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "Traceback" not in err
    assert f"--out {path} is a file, not a folder" in err and path.read_text() == "mine"


def test_evaluate_on_a_file_that_is_not_a_run_says_what_to_give(tmp_path, capsys):
    path = tmp_path / "some-file.txt"
    path.write_text("hello")
    assert main(["evaluate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path} is not a run: give the run folder that minigrad train wrote" in err
    assert main(["evaluate", str(tmp_path)]) == 1
    assert "holds no trained model" in capsys.readouterr().err


def test_config_with_a_value_of_the_wrong_type_names_the_setting(tmp_path, capsys):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"dataset": "spiral", "lr": "0.1"}))
    with pytest.raises(SystemExit) as exc:
        main(["train", "--config", str(path)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and f"--config {path}: lr (--lr) has the wrong type" in err
