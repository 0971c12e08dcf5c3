"""`run_sweep`: open the study, run this machine's workers, write what a person reads."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from minigrad.sweep.config import SweepConfig
from minigrad.sweep.figures import save_figures
from minigrad.sweep.results import format_table, trial_rows, write_best_config, write_csv
from minigrad.sweep.storage import (
    SweepError,
    close_storage,
    default_url,
    open_storage,
    open_study,
    shown_url,
)
from minigrad.sweep.worker import Budget, WorkerSpec, run_workers

__all__ = ["SweepResult", "run_sweep", "report"]

BEST_CONFIG = "best_config.json"


@dataclass
class SweepResult:
    """What `run_sweep` leaves: the study (all its trials, this run's and earlier ones)."""

    study: object  # optuna.Study
    folder: Path
    rows: list[dict]  # one per trial, best first (see results.trial_rows)
    best_config: dict | None  # the TrainConfig dict written to best_config.json
    figures: list[Path]


def run_sweep(config: SweepConfig, out_dir=None, *, log=print) -> SweepResult:
    """Add `config.budget` trials (or trials until `config.timeout`) to the study and write
    the results into `out_dir` (default `sweeps/<study>`): `trials.csv`, `best_config.json`
    and the figures. Everything is checked before any training starts.

    Raises:
        SweepError: the storage cannot be reached, the study searches another space, or a
            worker stopped on an error (the results so far are still written).
        KeyboardInterrupt: after the running trials are marked failed and results written.
    """
    config.validate()
    folder = Path(out_dir or Path("sweeps") / config.study)
    folder.mkdir(parents=True, exist_ok=True)
    url = config.storage or default_url(folder)
    storage = open_storage(url, config.heartbeat)
    try:
        return _run(config, folder, url, open_study(storage, config), log)
    finally:
        close_storage(storage)


def _run(config: SweepConfig, folder: Path, url: str, study, log) -> SweepResult:
    """Run this machine's workers on `study`, then report, also after Ctrl-C or an error."""
    budget = config.budget
    workers, threads = config.layout()
    adding = "trials until the time budget ends" if budget is None else f"{budget} trial(s)"
    log(
        f"study {config.study!r} in {shown_url(url)}: {len(study.trials)} trial(s) so far; "
        f"adding {adding} with {workers} worker(s) x {threads} BLAS thread(s)"
    )
    failures = []
    try:
        if workers:
            deadline = None if config.timeout is None else time.time() + config.timeout
            specs = [
                WorkerSpec(config, url, str(folder), i + 1, threads, deadline, len(study.trials))
                for i in range(workers)
            ]
            for code, note in run_workers(specs, Budget(budget), log):
                log(note)
                failures += [note] if code > 0 else []
    finally:
        result = report(study, config, folder, log)
    if failures:
        raise SweepError("; ".join(failures))
    return result


def report(study, config: SweepConfig, folder: Path, log=print) -> SweepResult:
    """Write `trials.csv`, `best_config.json` and the figures; print the table."""
    rows = trial_rows(study, config.space)
    names = config.space.names
    write_csv(rows, names, folder / "trials.csv")
    counts = Counter(r["state"] for r in rows)
    epochs = sum(r["epochs"] or 0 for r in rows)
    log(format_table(rows, names))
    log(
        f"{len(rows)} trial(s): {counts['complete']} complete, {counts['pruned']} pruned, "
        f"{counts['fail']} failed; {epochs} epochs trained in all; table: {folder / 'trials.csv'}"
    )
    best = write_best_config(study, config, folder / BEST_CONFIG)
    if best is not None:
        log(
            f"best: trial {study.best_trial.number}, val acc {100 * study.best_value:.2f}%; "
            f"train the final model on the full training set with\n"
            f"    minigrad train --config {folder / BEST_CONFIG}"
        )
    try:
        figures, notes = save_figures(study, rows, config.space, folder)
    except ModuleNotFoundError as err:
        figures, notes = [], [str(err)]
    for note in notes:
        log(note)
    if figures:
        log("figures: " + ", ".join(str(p) for p in figures))
    return SweepResult(study, folder, rows, best, figures)
