"""`minigrad sweep`: bad input is refused with a clear error before any training starts."""

import os
import signal
import socket
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from minigrad.cli import main

LR = "lr = { low = 1e-4, high = 1e-1, log = true }"


def sweep(tmp_path, *args, param=LR):
    return main(
        [
            "sweep",
            "--dataset",
            "spiral",
            "--epochs",
            "1",
            "--out",
            str(tmp_path),
            "--param",
            param,
            *args,
        ]
    )


def refused(capsys, tmp_path, *args, param=LR, status=2) -> str:
    """Run the command, expect `status`, check no trial ran; return the error output."""
    with pytest.raises(SystemExit) as exit_:
        code = sweep(tmp_path, *args, param=param)
        raise SystemExit(code)
    assert exit_.value.code == status
    assert not (tmp_path / "trials").exists()
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "param, message",
    [
        ("learning_rate = [0.1, 0.01]", "unknown parameter 'learning_rate' (did you mean lr?)"),
        ("lr = { low = 0.1, high = 1e-4 }", "the range is inverted (low 0.1 > high 0.0001)"),
        ("lr = { low = 0.1, high = 0.1 }", "the range is empty"),
        ("weight_decay = { low = 0, high = 0.1, log = true }", "a log scale needs low > 0"),
        ("lr = { low = 1e-4, high = }", "--param 'lr = { low = 1e-4, high = }'"),
    ],
)
def test_bad_search_space_is_refused(capsys, tmp_path, param, message):
    err = refused(capsys, tmp_path, param=param)
    assert "minigrad sweep: error:" in err and message in err


def test_unknown_parameter_lists_the_fields_that_can_be_searched(capsys, tmp_path):
    err = refused(capsys, tmp_path, param="layers = [[64], [128]]")
    assert "a sweep can search these TrainConfig fields: " in err
    assert "(did you mean hidden?)" in err and "weight_decay" in err and "dataset," not in err


def test_unreachable_storage_is_refused_before_training(capsys, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://sweep@127.0.0.1:{port}/sweeps"
    err = refused(capsys, tmp_path, "--storage", url, status=1)
    assert f"cannot reach the storage {url}" in err


def test_study_of_another_space_is_refused_before_training(capsys, tmp_path):
    assert sweep(tmp_path, "--trials", "0") == 0
    err = refused(capsys, tmp_path, "--trials", "1", param="lr = [0.1, 0.01]", status=1)
    assert "the study 'sweep' already holds a search with [space] lr" in err
    assert "give a new --study name" in err


def test_bad_sweep_settings_are_refused(capsys, tmp_path):
    err = refused(capsys, tmp_path, "--trials", "-2")
    assert "--trials must be >= 0" in err
    err = refused(capsys, tmp_path, "--sampler", "grid")
    assert "invalid choice: 'grid'" in err


def test_the_figures_option_is_not_offered_since_trials_draw_none(capsys, tmp_path):
    err = refused(capsys, tmp_path, "--figures")
    assert "unrecognized arguments: --figures" in err


def test_a_sweep_prints_the_table_and_the_command_for_the_final_model(capsys, tmp_path):
    assert sweep(tmp_path, "--trials", "2", "--workers", "1") == 0
    out = capsys.readouterr().out
    assert "trial  state     val acc  lr" in out
    assert f"minigrad train --config {tmp_path / 'best_config.json'}" in out


def test_ctrl_c_loses_only_the_running_trials_and_a_rerun_adds_more(tmp_path):
    """Ctrl-C in a terminal reaches the whole process group: the command and its workers,
    which end their running trials at the end of the epoch."""
    args = ["--dataset", "spiral", "--epochs", "25", "--param", LR, "--out", str(tmp_path)]
    command = [sys.executable, "-m", "minigrad", "sweep", *args, "--trials", "20", "--workers", "2"]
    # a child inherits an ignored SIGINT (as under nohup); with a handler here it gets the
    # default, as in a terminal
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sweep_ = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    deadline, study = time.time() + 60, None
    while time.time() < deadline:
        time.sleep(0.2)
        if not (tmp_path / "trials").exists():  # the study is made before the first trial
            continue
        study = study or optuna.load_study(study_name="sweep", storage=url)
        states = [t.state for t in study.get_trials()]
        if TrialState.COMPLETE in states and states.count(TrialState.RUNNING) == 2:
            break
    os.killpg(sweep_.pid, signal.SIGINT)
    out, err = sweep_.communicate(timeout=60)
    assert sweep_.returncode == 130, err
    assert "stopping at the end of the running epoch" in out
    assert "interrupted: finished trials are kept" in err
    trials = study.get_trials()
    assert TrialState.COMPLETE in {t.state for t in trials}
    assert TrialState.RUNNING not in {t.state for t in trials}
    cut = [t for t in trials if t.state == TrialState.FAIL]
    assert cut and all(t.user_attrs["reason"] == "interrupted (Ctrl-C)" for t in cut)
    assert len(trials) < 20
    assert main(["sweep", *args, "--trials", "1", "--workers", "1"]) == 0
    assert len(study.get_trials()) == len(trials) + 1
