"""This machine's workers: one in this process, or several spawned processes.

Each worker is its own process so that trials train in parallel without sharing an
interpreter; a worker that dies (SIGKILL, out of memory) takes only its running trial with
it, which a surviving worker runs again once the dead one's heartbeat stops.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import signal
from collections.abc import Callable
from typing import Any, cast

from minigrad.sweep.worker import STOPPING, TrialBudget, WorkerSpec, run_worker

__all__ = ["run_workers"]


def run_workers(
    specs: list[WorkerSpec], budget: TrialBudget, log: Callable[[str], object] = print
) -> list[tuple[int, str]]:
    """Run the workers of `specs` until they are done, passing their lines to `log`; returns
    `(exit code, note)` for each worker process that did not end normally (killed: minus
    the signal; crashed: its error is printed above).

    Raises:
        KeyboardInterrupt: after Ctrl-C, once the workers have stopped.
    """
    if len(specs) == 1:
        run_worker(specs[0], budget, log)
        return []
    ctx = multiprocessing.get_context("spawn")
    procs, readers = [], []
    for spec in specs:
        # one pipe per worker: a worker killed mid-line breaks only its own pipe
        reader, writer = ctx.Pipe(duplex=False)
        procs.append(ctx.Process(target=_worker_main, args=(spec, budget, writer)))
        procs[-1].start()
        writer.close()
        readers.append(reader)
    try:
        _relay(readers, log)
    except KeyboardInterrupt:
        _stop(procs, readers, budget, log)
        raise
    for p in procs:
        p.join()
    return [
        (p.exitcode, _exit_note(s.index, p.exitcode)) for s, p in zip(specs, procs) if p.exitcode
    ]


def _worker_main(
    spec: WorkerSpec, budget: TrialBudget, lines: multiprocessing.connection.Connection
) -> None:
    """Entry point of a spawned worker: its lines go to the command through `lines`,
    prefixed with its number; the command announces Ctrl-C once for all workers."""

    def log(line: str) -> None:
        lines.send(f"[{spec.index}] {line}")

    try:
        run_worker(spec, budget, log, announce_stop=False)
    except KeyboardInterrupt:
        raise SystemExit(130) from None


def _relay(readers: list, log: Callable[[str], object]) -> None:
    """Pass the workers' lines to `log` until every worker has closed its pipe (ended)."""
    while readers:
        for reader in multiprocessing.connection.wait(readers):
            try:
                log(cast(multiprocessing.connection.Connection, reader).recv())
            except EOFError:
                readers.remove(reader)


def _stop(
    procs: list[Any],
    readers: list,
    budget: TrialBudget,
    log: Callable[[str], object],
) -> None:
    """Ctrl-C. A terminal sends it to the workers too, and each stops at the end of its
    running epoch; one sent to this process alone still closes the budget, so the workers
    finish their trials and start no other. A second Ctrl-C stops them at once."""
    budget.close()
    log(STOPPING)
    try:
        _relay(readers, log)
    except KeyboardInterrupt:
        for p in procs:
            p.join(5)
            if p.is_alive():
                p.terminate()
    for p in procs:
        p.join()


def _exit_note(index: int, code: int) -> str:
    if code < 0:
        return (
            f"worker {index} was killed ({signal.Signals(-code).name}); its running trial is "
            "retried once its heartbeat stops"
        )
    return f"worker {index} stopped with exit status {code} (its error is printed above)"
