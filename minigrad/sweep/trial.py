"""One trial: sample its settings, train with `minigrad.train.fit`, report every epoch.

The trial trains on the training set less a validation split and is scored on that split
(never on a test set). After every epoch its validation accuracy goes to Optuna, whose pruner
may stop it there; a run whose loss turns NaN ends as a failed trial with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minigrad.train import DivergedError, fit
from minigrad.train.rundir import CHECKPOINT, DATA_FILE

if TYPE_CHECKING:
    from minigrad.sweep.config import SweepConfig
    from minigrad.train import TrainConfig

__all__ = ["TrialEnded", "train_trial", "trial_folder", "INTERRUPTED"]

INTERRUPTED = "interrupted (Ctrl-C)"


class TrialEnded(Exception):
    """A trial ended early: pruned (hopeless) or failed (diverged); `reason` says which."""

    def __init__(self, reason: str, pruned: bool):
        super().__init__(reason)
        self.reason, self.pruned = reason, pruned


def trial_folder(folder: str | Path, number: int) -> Path:
    return Path(folder) / "trials" / f"{number:04d}"


def train_trial(
    trial: Any,
    config: SweepConfig,
    folder: str | Path,
    should_stop: Callable[[], bool] = lambda: False,
) -> float:
    """Train the trial's configuration; returns the last epoch's validation accuracy.

    Args:
        trial: an `optuna.Trial` to sample from and report to.
        config: the `SweepConfig` (space, fixed settings).
        folder: the sweep folder; the run goes to `trials/<number>/` with its log.
        should_stop: asked after every epoch; True ends the trial there (Ctrl-C).

    Raises:
        TrialEnded: pruned or interrupted after an epoch, or diverged (non-finite loss).
    """
    params = config.searched.sample(trial)
    train_config = config.trial_config(params)
    out = trial_folder(folder, trial.number)
    out.mkdir(parents=True, exist_ok=True)
    seconds = 0.0

    def report(entry: dict) -> None:
        nonlocal seconds
        seconds += entry["epoch_seconds"]
        trial.set_user_attr("epochs", entry["epoch"])
        trial.set_user_attr("train_seconds", seconds)
        trial.report(entry["val_accuracy"], entry["epoch"])
        if entry["epoch"] == train_config.epochs:
            return  # trained to the end: the trial completes, there is nothing left to save
        if should_stop():
            raise TrialEnded(INTERRUPTED, pruned=False)
        if trial.should_prune():
            raise TrialEnded(
                f"pruned after epoch {entry['epoch']} at val acc "
                f"{100 * entry['val_accuracy']:.2f}%",
                pruned=True,
            )

    try:
        return _fit(train_config, out, report)
    finally:
        # A trial's model is not kept: the sweep's product is a configuration, and a hundred
        # CIFAR-10 checkpoints would take gigabytes. Logs and metrics stay.
        for name in (CHECKPOINT, DATA_FILE):
            (out / name).unlink(missing_ok=True)


def _fit(train_config: TrainConfig, out: Path, report: Callable[[dict], object]) -> float:
    """`fit` with its lines and progress in `out/log.txt`; the last validation accuracy."""
    with open(out / "log.txt", "w", encoding="utf-8") as log:
        try:
            result = fit(
                train_config,
                out,
                force=True,  # a folder left by a deleted study that had this trial number
                callbacks=(report,),
                log=lambda line: print(line, file=log, flush=True),
                stream=log,
            )
        except DivergedError as err:
            raise TrialEnded(str(err), pruned=False) from None
    return result.metrics["history"][-1]["val_accuracy"]
