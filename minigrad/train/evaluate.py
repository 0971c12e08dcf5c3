"""Scoring a trained model the way a person reads it: accuracy, per-class accuracy and the
confusion matrix, in the terminal, as numbers and as pictures. `minigrad evaluate` is
`evaluate_run`; the end of `fit` uses `class_report` and `draw_figures` too."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.train import figures
from minigrad.train.data import load_raw
from minigrad.train.defaults import with_defaults
from minigrad.train.model import TrainedModel, load_model
from minigrad.train.report import class_table, confusion_matrix, per_class_accuracy
from minigrad.train.resume import config_file_changes
from minigrad.train.rundir import CONFIG, write_json

__all__ = ["evaluate_run", "class_report", "draw_figures"]


def class_report(
    y: np.ndarray,
    predicted: np.ndarray,
    class_names: Sequence[str],
    split: str,
    log: Callable[[str], object] = print,
) -> dict[str, Any]:
    """Log the per-class table of `predicted` against labels `y` on `split`; return its
    numbers for `metrics.json` (rows of `confusion_matrix` are true classes)."""
    matrix = confusion_matrix(y, predicted, len(class_names))
    log(f"per-class accuracy and confusion matrix on {split} ({len(y)} samples):")
    log(class_table(matrix, class_names))
    return {
        "scored_split": split,
        "class_names": list(class_names),
        "per_class_accuracy": per_class_accuracy(matrix),
        "confusion_matrix": matrix.tolist(),
    }


def draw_figures(
    drawings: dict[str, Callable[[], Any]], folder: Path, log: Callable[[str], object] = print
) -> list[Path]:
    """Save each `name -> function returning a Figure` as `folder/name`, skipping all of
    them (said once) without matplotlib."""
    if figures.matplotlib_missing():
        names = ", ".join(drawings)
        log(f"{names} not drawn: matplotlib is not installed ({figures.INSTALL_HINT})")
        return []
    return [figures.save_figure(draw(), folder / name) for name, draw in drawings.items()]


def run_drawings(
    trained: TrainedModel, report: dict[str, Any] | None, history: list[dict] | None = None
) -> dict[str, Callable[[], Any]]:
    """The figures of a run: curves (with a history), the confusion matrix (with a
    `class_report`) and, for image inputs, the first layer's templates."""
    drawings = {}
    title = f"minigrad: {trained.config.dataset}"
    if history:
        drawings["curves.png"] = lambda: figures.curves_figure(history, title)
    if report is not None:
        drawings["confusion.png"] = _confusion(trained, report)
    if trained.preprocess.is_image:
        shape = trained.preprocess.input_shape
        drawings["weights.png"] = lambda: figures.first_layer_figure(
            trained.model, shape, trained.class_names
        )
    return drawings


def _confusion(trained: TrainedModel, report: dict[str, Any]) -> Callable[[], Any]:
    matrix = np.array(report["confusion_matrix"])
    return lambda: figures.confusion_figure(matrix, trained.class_names, report["scored_split"])


def evaluate_run(
    path: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    split: str | None = None,
    tta: str | None = None,
    log: Callable[[str], object] = print,
) -> dict[str, Any]:
    """Score the model of run folder (or checkpoint) `path` on `split`: `test` by default
    when the dataset has one, else the held-out validation split (`val`); with `tta`
    (`none`, `flip`, `shift`) the same weights are scored with those test-time views instead
    of the run's own.

    Logs the accuracy and the per-class table, writes `evaluate-<split>.json` and
    `confusion-<split>.png` into the run folder (`evaluate-<split>-<tta>.json` and
    `confusion-<split>-<tta>.png` with `tta`), and returns the numbers written.
    """
    trained = load_model(path)
    cfg, folder = trained.config, Path(path) if Path(path).is_dir() else Path(path).parent
    edited = config_file_changes(folder, cfg)
    if edited:
        log(
            f"note: {folder / CONFIG} differs from the checkpoint, whose settings "
            f"trained this model and are the ones used here:\n{edited}"
        )
    if data_dir is not None:
        cfg = dataclasses.replace(cfg, data_dir=str(data_dir))
    if tta is not None:
        cfg = dataclasses.replace(cfg, tta=tta)
        cfg.validate()
        with_defaults(cfg, cfg.dataset)  # refuses views the dataset has none of
        trained = dataclasses.replace(trained, config=cfg)
    raw = load_raw(cfg.dataset, cfg.data_dir, cfg.val_size)
    split = split or ("test" if raw.test is not None else "val")
    part = getattr(raw, split, None)
    if part is None:
        raise ValueError(f"this {cfg.dataset} run has no {split} split")
    previous = mg.get_float32_matmul_precision()  # score with the run's matrix products
    mg.set_float32_matmul_precision(cfg.matmul_precision or "highest")  # or float32's (older)
    try:
        scores = trained.score(*part)
    finally:
        mg.set_float32_matmul_precision(previous)
    log(
        f"{path}: {cfg.dataset} {split} accuracy {100 * scores.accuracy:.2f}% loss "
        f"{scores.loss:.4f} on {len(part[1])} samples (epoch {trained.epochs_completed})"
    )
    numbers = {
        "split": split,
        "tta": cfg.tta,
        "loss": scores.loss,
        "accuracy": scores.accuracy,
        "samples": len(part[1]),
        "epochs_completed": trained.epochs_completed,
        **class_report(part[1], scores.predicted, trained.class_names, split, log),
    }
    name = split if tta is None else f"{split}-{tta}"
    write_json(numbers, folder / f"evaluate-{name}.json")
    drawn = draw_figures({f"confusion-{name}.png": _confusion(trained, numbers)}, folder, log)
    written = " and ".join([f"evaluate-{name}.json", *(p.name for p in drawn)])
    log(f"wrote {written} in {folder}")
    return numbers
