"""Sweep workers: processes that take trials from a study and train them.

A run adds its budget of trials to the study one at a time, as waiting trials; every worker
of every machine takes the oldest waiting trial (retries of dead workers' trials come first),
so a trial runs once however many workers share the study. A worker leaves when this run's
budget is spent, nothing waits and nothing runs anywhere: a trial still running elsewhere
could die and need its retry run. Each worker limits its BLAS threads to its share of the
cores, so two workers on two cores do not fight over them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.sweep.results import format_value
from minigrad.sweep.storage import close_storage, import_optuna, open_storage, open_study
from minigrad.sweep.trial import TrialEnded, train_trial

if TYPE_CHECKING:
    from minigrad.sweep.config import SweepConfig
    from minigrad.sweep.space import SearchSpace

__all__ = ["WorkerSpec", "TrialBudget", "StopRequest", "run_worker", "claim_waiting", "STOPPING"]

STOPPING = "stopping at the end of the running epoch (Ctrl-C again: at once)"


@dataclass
class WorkerSpec:
    """Everything a worker process needs (picklable: workers are spawned)."""

    config: SweepConfig
    url: str
    folder: str
    index: int
    threads: int
    deadline: float | None  # time.time() after which no trial starts
    seed_offset: int  # trials in the study when the run began: re-runs sample afresh


class TrialBudget:
    """Trials this run may still add, shared by its local workers; None: no limit."""

    def __init__(self, trials: int | None):
        ctx = multiprocessing.get_context("spawn")  # the context the workers are started in
        self._left = ctx.Value("q", -1 if trials is None else trials)

    def close(self) -> None:
        """No more trials start."""
        with self._left.get_lock():
            self._left.value = 0

    def take(self) -> bool:
        with self._left.get_lock():
            if self._left.value == 0:
                return False
            if self._left.value > 0:
                self._left.value -= 1
            return True


def make_sampler(config: SweepConfig, spec: WorkerSpec) -> Any:
    """Random (the course's method) or TPE; seeded per worker and per run when asked."""
    optuna = import_optuna()
    seed = None
    if config.sampler_seed is not None:
        entropy = [config.sampler_seed, spec.seed_offset, spec.index]
        seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    if config.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def make_pruner(config: SweepConfig) -> Any:
    """Median: stop a trial whose accuracy after an epoch is below the median of earlier
    trials at that epoch (after 5 trials, from epoch 2); halving: successive halving."""
    optuna = import_optuna()
    if config.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)
    if config.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    return optuna.pruners.NopPruner()


def run_worker(
    spec: WorkerSpec,
    budget: TrialBudget,
    log: Callable[[str], object] = print,
    announce_stop: bool = True,
) -> None:
    """Take and train trials until the budget is spent and the study is quiet.

    Raises:
        KeyboardInterrupt: after Ctrl-C (see `StopRequest`).
    """
    from threadpoolctl import threadpool_limits

    config = spec.config
    storage = open_storage(spec.url, config.heartbeat)
    try:
        study = open_study(storage, config, make_sampler(config, spec), make_pruner(config))
        study_id = storage.get_study_id_from_name(config.study)
        stop = StopRequest(log if announce_stop else None)
        with threadpool_limits(limits=spec.threads, user_api="blas"), stop:
            _work(study, storage, study_id, spec, budget, stop, log)
    finally:
        close_storage(storage)


def _work(
    study: Any,
    storage: Any,
    study_id: int,
    spec: WorkerSpec,
    budget: TrialBudget,
    stop: StopRequest,
    log: Callable[[str], object],
) -> None:
    told_waiting = False
    while True:
        if stop.asked:
            raise KeyboardInterrupt
        expired = spec.deadline is not None and time.time() >= spec.deadline
        _fail_stale_trials(study)
        claimed = None
        if not expired:
            claimed = claim_waiting(study, storage, study_id)
            if claimed is None and budget.take():
                study.enqueue_trial({})  # taken at once: by us, or by a worker just as quick
                claimed = claim_waiting(study, storage, study_id)
        if claimed is not None:
            _run_trial(study, storage, *claimed, spec, stop, log)
            told_waiting = False
        elif expired or not _running(study):
            return
        else:
            if not told_waiting:
                log(
                    f"no trial left to start; waiting for {len(_running(study))} running "
                    "trial(s), in case one's worker dies and it must be run again"
                )
                told_waiting = True
            time.sleep(min(spec.config.heartbeat, 5))


class StopRequest:
    """Ctrl-C in a worker. The first asks it to stop at the end of the running epoch: that
    trial ends as failed ("interrupted") and no other starts. A second stops it at once
    (KeyboardInterrupt); its trial is then retried after its heartbeat stops. Only the first
    is gentle because a stop in the middle of a database write would leave the session
    broken and its lock held. Installed only where Ctrl-C raises KeyboardInterrupt (the main
    thread, SIGINT not ignored)."""

    def __init__(self, log: Callable[[str], object] | None = None):
        self.asked = False
        self._log = log
        self._previous: Any = None  # the SIGINT handler to put back

    def __enter__(self) -> StopRequest:
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: object) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        if self._log is not None:
            self._log(STOPPING)


def _fail_stale_trials(study: Any) -> None:
    optuna = import_optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def _running(study: Any) -> list:
    optuna = import_optuna()
    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))


def claim_waiting(study: Any, storage: Any, study_id: int) -> tuple[int, Any] | None:
    """`(trial_id, trial)` of the oldest waiting trial, now running for us, or None.
    The heartbeat is recorded before the switch, so a worker killed right after it still
    leaves a stale trial that gets retried, never one running forever."""
    optuna = import_optuna()
    waiting = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
    for frozen in waiting:
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, frozen.number)
        storage.record_heartbeat(trial_id)
        try:
            if storage.set_trial_state_values(trial_id, optuna.trial.TrialState.RUNNING):
                return trial_id, optuna.trial.Trial(study, trial_id)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker took it and finished it already
    return None


def _run_trial(
    study: Any,
    storage: Any,
    trial_id: int,
    trial: Any,
    spec: WorkerSpec,
    stop: StopRequest,
    log: Callable[[str], object],
) -> None:
    optuna = import_optuna()
    state = optuna.trial.TrialState
    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    with _Heartbeat(storage, trial_id, spec.config.heartbeat):
        try:
            value = train_trial(trial, spec.config, spec.folder, lambda: stop.asked)
            outcome = dict(values=value)
        except TrialEnded as end:
            trial.set_user_attr("reason", end.reason)
            outcome = dict(state=state.PRUNED if end.pruned else state.FAIL)
        except KeyboardInterrupt:
            raise  # stopped at once: no database write now, the heartbeat retry takes over
        except BaseException as err:
            trial.set_user_attr("reason", f"{type(err).__name__}: {err}")
            study.tell(trial, state=state.FAIL)
            raise
    log(describe(study.tell(trial, **outcome), spec.config.searched))


def describe(frozen: Any, space: SearchSpace) -> str:
    """One line about a finished trial."""
    params = "  ".join(f"{k} {format_value(v)}" for k, v in space.decode(frozen.params).items())
    what = frozen.state.name.lower()
    if frozen.value is not None:
        what += f"  val acc {100 * frozen.value:.2f}%"
    reason = frozen.user_attrs.get("reason")
    return f"trial {frozen.number:>3} {what}  {params}" + (f"  ({reason})" if reason else "")


class _Heartbeat:
    """Records `trial_id`'s heartbeat every `interval` seconds in a thread while the trial
    trains: a worker that dies stops beating, and its trial is then failed and retried."""

    def __init__(self, storage: Any, trial_id: int, interval: int):
        self.storage, self.trial_id, self.interval = storage, trial_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.storage.record_heartbeat(self.trial_id)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception:  # a database hiccup: the next beat may get through
                pass
