"""`run_sweep`: open the study, run this machine's workers, write what a person reads."""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minigrad.sweep.config import SWEEP_VAL_SIZE, SweepConfig
from minigrad.sweep.figures import save_figures
from minigrad.sweep.launch import run_workers
from minigrad.sweep.results import (
    format_table,
    trial_rows,
    write_best_config,
    write_csv,
)
from minigrad.sweep.storage import (
    SweepError,
    close_storage,
    default_url,
    open_storage,
    open_study,
    shown_url,
)
from minigrad.sweep.worker import TrialBudget, WorkerSpec
from minigrad.train.rundir import write_json

__all__ = ["SweepResult", "run_sweep", "report", "resolve_data"]

BEST_CONFIG = "best_config.json"
MARKER = "sweep.json"


@dataclass
class SweepResult:
    """What `run_sweep` leaves: the study (all its trials, this run's and earlier ones)."""

    study: object  # optuna.Study
    folder: Path
    rows: list[dict]  # one per trial, best first (see results.trial_rows)
    best_config: dict | None  # the TrainConfig dict written to best_config.json
    figures: list[Path]


def run_sweep(
    config: SweepConfig, out_dir: str | Path | None = None, *, log: Callable[[str], object] = print
) -> SweepResult:
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
    url = config.storage or default_url(folder)
    _claim_folder(folder, config.study)
    config = resolve_data(config, log)
    storage = open_storage(url, config.heartbeat)
    try:
        return _run(config, folder, url, open_study(storage, config), log)
    finally:
        close_storage(storage)


def _claim_folder(folder: Path, study: str) -> None:
    """Make `folder` the home of `study`'s results; one folder holds one study's, so that
    trial folders (named by trial number) never mix two studies."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER
    if marker.is_file():
        owner = json.loads(marker.read_text())["study"]
        if owner != study:
            raise SweepError(
                f"{folder} holds the results of the study {owner!r}; give this study "
                f"({study!r}) its own folder with --out"
            )
    else:
        write_json({"study": study}, marker)


def resolve_data(config: SweepConfig, log: Callable[[str], object] = print) -> SweepConfig:
    """`config` with its dataset fixed (`auto` resolved on this machine) and a validation
    split for the trials, loading the data once here: a missing dataset fails, and a
    download happens, before any worker starts.

    Raises:
        SweepError: the data cannot be had, or `val_size` 0 leaves nothing to score on.
    """
    from minigrad.data.datasets import DatasetError, DownloadError
    from minigrad.train.data import load_raw, resolve_dataset

    train = config.fixed_train()
    if train.val_size == 0:
        raise SweepError("trials are scored on a validation split: --val-size must be > 0")
    name, sentence = resolve_dataset(train.dataset, train.data_dir)
    log(sentence)
    try:
        try:
            raw = load_raw(name, train.data_dir, train.val_size)
        except DownloadError as err:
            if train.dataset != "auto":
                raise
            log(f"CIFAR-10 download failed ({err}); using the bundled digits")
            name, raw = "digits", load_raw("digits", None, train.val_size)
    except DatasetError as err:
        raise SweepError(str(err)) from None
    val_size = raw.val_size if raw.val is not None else SWEEP_VAL_SIZE
    final = config.final_val_size
    if final is None:
        final = 0 if raw.test is not None else None  # None: the dataset's held-out split
    fixed = dataclasses.replace(train, dataset=name, val_size=val_size)
    return dataclasses.replace(config, train=fixed, final_val_size=final)


def _run(
    config: SweepConfig, folder: Path, url: str, study: Any, log: Callable[[str], object]
) -> SweepResult:
    """Run this machine's workers on `study`, then report, also after Ctrl-C or an error."""
    budget = config.budget
    workers, threads = config.layout()
    adding = "trials until the time budget ends" if budget is None else f"{budget} trial(s)"
    log(
        f"study {config.study!r} in {shown_url(url)}: {len(study.trials)} trial(s) so far; "
        f"adding {adding} with {workers} worker(s) x {threads} BLAS thread(s)"
    )
    log("searching " + "; ".join(f"{p.name}: {p.describe()}" for p in config.searched.params))
    failures = []
    try:
        if workers:
            deadline = None if config.timeout is None else time.time() + config.timeout
            specs = [
                WorkerSpec(config, url, str(folder), i + 1, threads, deadline, len(study.trials))
                for i in range(workers)
            ]
            for code, note in run_workers(specs, TrialBudget(budget), log):
                log(note)
                failures += [note] if code > 0 else []
    except KeyboardInterrupt:
        try:
            report(study, config, folder, log)
        except Exception as err:  # a second Ctrl-C can leave this process's session broken
            log(f"results not written ({err}); the same command with --trials 0 writes them")
        raise
    result = report(study, config, folder, log)
    if failures:
        raise SweepError("; ".join(failures))
    return result


def report(
    study: Any, config: SweepConfig, folder: Path, log: Callable[[str], object] = print
) -> SweepResult:
    """Write `trials.csv`, `best_config.json` and the figures; print the table."""
    rows = trial_rows(study, config.searched)
    names = config.searched.names
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
        data = (
            "the whole training set"
            if best["val_size"] == 0
            else "the training set less its held-out split"
        )
        log(
            f"best: trial {study.best_trial.number}, val acc {100 * study.best_value:.2f}%; "
            f"train the final model on {data} with\n"
            f"    minigrad train --config {folder / BEST_CONFIG}"
        )
    try:
        figures, notes = save_figures(study, rows, config.searched, folder)
    except ModuleNotFoundError as err:
        figures, notes = [], [str(err)]
    for note in notes:
        log(note)
    if figures:
        log("figures: " + ", ".join(str(p) for p in figures))
    return SweepResult(study, folder, rows, best, figures)
