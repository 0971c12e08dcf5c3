"""Scale-out for real: sweep workers share one study on a PostgreSQL server that this module
starts for itself (Debian's `postgresql` package: initdb in a temporary folder, a free
localhost port, run as an unprivileged user when the tests run as root, since initdb refuses
root). Without PostgreSQL installed the module is skipped, except where
MINIGRAD_REQUIRE_POSTGRES is set (CI installs the package and sets it)."""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from minigrad.sweep.config import build_config
from minigrad.sweep.storage import close_storage, open_storage, open_study


def postgres_bin() -> Path | None:
    """The folder of pg_ctl and initdb: on PATH, else Debian's newest version."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    folders = glob.glob("/usr/lib/postgresql/*/bin")
    folders.sort(key=lambda f: int(Path(f).parent.name) if Path(f).parent.name.isdigit() else 0)
    return Path(folders[-1]) if folders else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_as() -> list[str]:
    """A command prefix that runs as an unprivileged account when we are root."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"]
    pytest.fail("running as root without a postgres or nobody account to run PostgreSQL as")


@pytest.fixture(scope="module")
def postgres_url():
    """`postgresql://sweep@127.0.0.1:PORT/postgres` of a fresh server, stopped afterwards."""
    bindir = postgres_bin()
    if bindir is None:
        if os.environ.get("MINIGRAD_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required here but pg_ctl was not found")
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="minigrad-pg-"))
    prefix = run_as()
    if prefix:
        account = pwd.getpwnam(prefix[2])
        os.chown(folder, account.pw_uid, account.pw_gid)
    data, port = folder / "data", free_port()
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "sweep", "-N"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log")]
    subprocess.run([*pg_ctl, "-w", "-o", options, "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://sweep@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_study_lives_on_the_server_and_keeps_its_space(postgres_url):
    config = build_config(
        fixed={"dataset": "digits", "epochs": 1},
        space={"lr": {"low": 1e-4, "high": 1e-1, "log": True}},
        settings={"study": "space-check", "storage": postgres_url},
    )
    first, second = open_storage(postgres_url, 1), open_storage(postgres_url, 1)
    try:
        study = open_study(first, config)
        study.enqueue_trial({})
        again = open_study(second, config)
        assert again.user_attrs == study.user_attrs and len(again.trials) == 1
    finally:
        close_storage(first)
        close_storage(second)


def sweep(url: str, out: Path, trials: int, workers: int) -> subprocess.Popen:
    """`minigrad sweep` as one machine would run it, heartbeats every 2 s: a trial silent for
    4 s is retried, a margin that a busy machine's live workers keep."""
    command = [
        *(sys.executable, "-m", "minigrad", "sweep", "--dataset", "spiral", "--epochs", "20"),
        *("--param", "lr = { low = 1e-3, high = 1e-1, log = true }", "--pruner", "none"),
        *("--trials", str(trials), "--workers", str(workers), "--heartbeat", "2"),
        *("--storage", url, "--study", "shared", "--out", str(out)),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def worker_pid(trial) -> int | None:
    worker = trial.user_attrs.get("worker")
    return int(worker.rsplit(":", 1)[1]) if worker else None


def stopped_mid_trial(storage, trial) -> bool:
    """Stop (SIGSTOP) the worker of `trial`; True if the trial is then still running: its
    worker is frozen in the middle of it, however busy the machine. Else it is let go on."""
    pid = worker_pid(trial)
    os.kill(pid, signal.SIGSTOP)
    study = optuna.load_study(study_name="shared", storage=storage)
    if study.trials[trial.number].state == TrialState.RUNNING:
        return True
    os.kill(pid, signal.SIGCONT)
    return False


def test_killed_worker_trial_is_retried_once_and_the_budget_is_kept(postgres_url, tmp_path):
    # machine A runs two worker processes, machine B one (in its own process)
    machine_a = sweep(postgres_url, tmp_path / "a", trials=4, workers=2)
    machine_b = sweep(postgres_url, tmp_path / "b", trials=2, workers=1)
    try:
        storage = open_storage(postgres_url, 1)
        deadline = time.time() + 60
        victim = None
        while victim is None and time.time() < deadline:
            time.sleep(0.2)
            try:
                study = optuna.load_study(study_name="shared", storage=storage)
            except KeyError:  # not created yet
                continue
            # machine B's one worker is its own process: any other worker is one of A's
            running = study.get_trials(states=(TrialState.RUNNING,))
            training = [t for t in running if "epochs" in t.user_attrs]  # an epoch done
            victim = next((t for t in training if worker_pid(t) not in (None, machine_b.pid)), None)
            if victim is not None and not stopped_mid_trial(storage, victim):
                victim = None  # it finished the trial meanwhile: look again
        assert victim is not None, "no trial of machine A was seen running"
        os.kill(worker_pid(victim), signal.SIGKILL)
        out_a, _ = machine_a.communicate(timeout=120)
        out_b, _ = machine_b.communicate(timeout=120)
    finally:
        for p in (machine_a, machine_b):
            if p.poll() is None:
                p.kill()
    assert machine_a.returncode == 0, out_a
    assert machine_b.returncode == 0, out_b
    assert "was killed (SIGKILL)" in out_a

    trials = optuna.load_study(study_name="shared", storage=storage).get_trials()
    close_storage(storage)
    ended = {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL}
    assert all(t.state in ended for t in trials), [t.state for t in trials]
    killed = next(t for t in trials if t.number == victim.number)
    assert killed.state == TrialState.FAIL and "reason" not in killed.user_attrs
    retries = [t for t in trials if "failed_trial" in t.system_attrs]
    assert [t.system_attrs["failed_trial"] for t in retries] == [victim.number]
    (retry,) = retries
    assert retry.state == TrialState.COMPLETE and retry.params == killed.params
    counted = [t for t in trials if t.number != victim.number]
    assert (
        len(counted) == 4 + 2
    )  # the budgets of both machines, the retry in the killed one's place
    settings = [t.params["lr"] for t in counted]
    assert len(set(settings)) == len(settings)  # no trial ran twice
    workers = {t.user_attrs["worker"] for t in trials}
    assert len(workers) >= 3  # both of machine A's workers and machine B took trials
