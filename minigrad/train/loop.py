"""The inner loops: one training epoch, and scoring a model on a split."""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import Tensor, no_grad
from minigrad.data import DataLoader
from minigrad.data import transforms as T
from minigrad.optim import Optimizer
from minigrad.train.averaging import WeightAverage
from minigrad.train.config import TrainConfig
from minigrad.train.defaults import filled
from minigrad.train.mixing import MixedBatch
from minigrad.train.report import EpochProgress
from minigrad.train.schedule import RunSchedule

__all__ = [
    "DivergedError",
    "Distillation",
    "Scores",
    "SNAPSHOTS",
    "VIEWS",
    "VIEW_WORDS",
    "loss_function",
    "mixed_loss",
    "tta_views",
    "score",
    "snapshots_due",
    "teacher_probabilities",
    "train_epoch",
    "prefetch",
]

# The views of each image that `--tta` averages over, as (down, right, mirrored): the image
# moved by that many pixels (zero-filled), then mirrored left-right if True. The diagonal moves
# add 0.3-0.6 points over the four straight ones (same trained weights, validation split).
# `dense` adds the moves of 1 pixel in the 8 directions to `shift`'s.
_SHIFTS = ((0, 0), (2, 0), (-2, 0), (0, 2), (0, -2), (2, 2), (2, -2), (-2, 2), (-2, -2))
_DENSE = _SHIFTS + tuple((dy // 2, dx // 2) for dy, dx in _SHIFTS[1:])
# `grid` moves by every pair of 0, +-1 and +-3 pixels down and right: 25 moves, 50 views. On
# the weights of five 150-epoch CIFAR-10 runs it scored 0.24-0.42 points over `shift`.
_GRID = tuple((dy, dx) for dy in (0, 1, -1, 3, -3) for dx in (0, 1, -1, 3, -3))
VIEWS = {
    "flip": ((0, 0, False), (0, 0, True)),
    "shift": tuple((dy, dx, mirrored) for dy, dx in _SHIFTS for mirrored in (False, True)),
    "dense": tuple((dy, dx, mirrored) for dy, dx in _DENSE for mirrored in (False, True)),
    "grid": tuple((dy, dx, mirrored) for dy, dx in _GRID for mirrored in (False, True)),
}
VIEW_WORDS = {
    "flip": "2 views (the image and its mirror image)",
    "shift": "18 views (the image and its mirror image, as they are and moved 2 pixels in the "
    "8 directions)",
    "dense": "34 views (the image and its mirror image, as they are and moved 1 and 2 pixels "
    "in the 8 directions)",
    "grid": "50 views (the image and its mirror image, moved by every combination of 0, 1 and 3 "
    "pixels up or down and left or right)",
}


class DivergedError(RuntimeError):
    """The training loss became NaN or infinite; the message names the epoch and step, and
    `fit` sets `run_dir` to the run's folder."""

    run_dir: Path | None = None


class Scores(NamedTuple):
    """A model's results on a split: mean loss, accuracy and the predicted class of each
    sample `(N,)`."""

    loss: float
    accuracy: float
    predicted: np.ndarray


LossFunction = Callable[[Tensor, Any], Tensor]
Mixing = Callable[[Iterator[Any]], Iterator[MixedBatch]]
Views = Callable[[np.ndarray], list[np.ndarray]]


def loss_function(cfg: TrainConfig) -> LossFunction:
    """`loss(logits, y)` for `cfg.loss`: softmax cross-entropy (with smoothing) or SVM."""
    if cfg.loss == "svm":
        return F.svm_loss
    smoothing = filled(cfg.label_smoothing)

    def cross_entropy(logits: Tensor, y: Any) -> Tensor:
        return F.cross_entropy(logits, y, label_smoothing=smoothing)

    return cross_entropy


def mixed_loss(loss_fn: LossFunction, logits: Tensor, batch: MixedBatch) -> Tensor:
    """`lam * loss_fn(logits, y) + (1 - lam) * loss_fn(logits, y_other)` of a mixed batch."""
    lam = batch.lam
    return loss_fn(logits, batch.y) * lam + loss_fn(logits, batch.y_other) * (1.0 - lam)


def tta_views(tta: str, input_shape: tuple[int, ...]) -> Views | None:
    """`views(x (B, D)) -> [x' (B, D), ...]`, the inputs `--tta` scores average over (for
    images of `input_shape (C, H, W)`), or None for `none`."""
    if tta == "none":
        return None
    shape = tuple(input_shape)

    def views(x: np.ndarray) -> list[np.ndarray]:
        out = []
        for dy, dx, mirrored in VIEWS[tta]:
            moved = T.translate(x, dy, dx, shape) if dy or dx else x
            images = moved.reshape(len(x), *shape)
            out.append((images[..., ::-1] if mirrored else images).reshape(len(x), -1))
        return out

    return views


def logits_of(
    model: nn.Module, x: np.ndarray, batch_size: int = 1000, views: Views | None = None
) -> Iterator[tuple[int, Tensor]]:
    """Yield `(start, logits (B, C) Tensor)` of `model` on ready inputs `x (N, D)`, batch by
    batch, in eval mode without a graph (the mode is restored afterwards).

    With `views` (see `tta_views`) the logits are `log(mean_v softmax(model(v)))`, the
    log of the probabilities averaged over the views: their softmax is that average."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for start in range(0, len(x), batch_size):
                batch = x[start : start + batch_size]
                if views is None:
                    yield start, model(Tensor(batch))
                    continue
                probs = [F.softmax(model(Tensor(v)), axis=1).data for v in views(batch)]
                mean = np.mean(probs, axis=0)
                yield start, Tensor(np.log(np.maximum(mean, np.finfo(mean.dtype).tiny)))
    finally:
        model.train(was_training)


def score(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    loss_fn: LossFunction,
    batch_size: int = 1000,
    views: Views | None = None,
) -> Scores:
    """`Scores` of `model` in eval mode on ready inputs `x (N, D)` with labels `y (N,)`,
    averaged over `views` (test-time augmentation) if given."""
    loss_sum = 0.0
    predicted = np.empty(len(y), dtype=np.int64)
    for start, logits in logits_of(model, x, batch_size, views):
        yb = y[start : start + batch_size]
        loss_sum += loss_fn(logits, yb).item() * len(yb)
        predicted[start : start + len(yb)] = logits.data.argmax(axis=1)
    return Scores(loss_sum / len(y), float(np.mean(predicted == y)), predicted)


def teacher_probabilities(
    model: nn.Module, x: np.ndarray, views: Views | None = None, batch_size: int = 1000
) -> np.ndarray:
    """The class probabilities `(N, C)` float32 of `model` on ready inputs `x (N, D)`, averaged
    over `views` if given: the targets `--distill` trains towards."""
    out = [F.softmax(logits, axis=1).data for _, logits in logits_of(model, x, batch_size, views)]
    return np.concatenate(out).astype(np.float32, copy=False)


# `--distill` takes its targets when the run has done these fractions of its epochs: the
# first teacher is the model half-way, the second a better one, which leads the last quarter.
SNAPSHOTS = (0.5, 0.75)


def snapshots_due(epoch: int, epochs: int) -> int:
    """How many of `SNAPSHOTS` a run of `epochs` epochs has reached before epoch index
    `epoch` (0-based; never before the first epoch)."""
    return sum(epoch >= max(1, round(at * epochs)) for at in SNAPSHOTS)


class Distillation(NamedTuple):
    """`--distill`: the teacher's probabilities `(N, C)` for every training sample, by its
    index in the training split, and the weight of their cross-entropy in the loss."""

    targets: np.ndarray
    weight: float


def train_epoch(
    model: nn.Module,
    loader: DataLoader,
    opt: Optimizer,
    schedule: RunSchedule,
    loss_fn: LossFunction,
    progress: EpochProgress,
    epoch: int = 1,
    average: WeightAverage | None = None,
    mix: Mixing | None = None,
    distill: Distillation | None = None,
) -> float:
    """One pass over `loader`: forward, loss, backward, update, schedule step per batch, and
    with `average` (`--ema`) its update after each step. `mix` (`--mixup`, `--cutmix`) turns
    the loader's batches into `MixedBatch`es (in the prefetching thread), trained on with
    `lam * loss(y) + (1 - lam) * loss(y_other)` and counted as right when the prediction is
    the label of the larger share. With `distill` the loader's batches are
    `(x, y, index)`, and the loss is `(1 - w) * loss(y) + w * cross_entropy(targets[index])`.

    Returns the seconds spent waiting for batches: what the data pipeline adds to the epoch.
    Raises `DivergedError` at the first non-finite loss, before it reaches the weights.
    """
    model.train()
    arrays = loader.iter_arrays()
    batches = prefetch(arrays if mix is None else mix(arrays))
    waited = 0.0
    step = 0
    # A diverging run overflows before its loss turns non-finite: the check below says so in
    # a sentence, so NumPy's warnings about it would only be noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while True:
            start = time.perf_counter()
            batch = next(batches, None)
            waited += time.perf_counter() - start
            if batch is None:
                return waited
            step += 1
            mixed = isinstance(batch, MixedBatch)
            xb, yb, *index = (batch.x, batch.main_labels) if mixed else batch
            logits = model(Tensor(xb.reshape(len(xb), -1)))
            loss = mixed_loss(loss_fn, logits, batch) if mixed else loss_fn(logits, yb)
            if distill is not None:
                soft = F.cross_entropy(logits, distill.targets[index[0]])
                loss = loss * (1.0 - distill.weight) + soft * distill.weight
            value = loss.item()
            if not math.isfinite(value):
                raise DivergedError(
                    f"training diverged: the loss is {value} at epoch {epoch}, step {step} of "
                    f"{len(loader)} (learning rate {opt.param_groups[0]['lr']:.3g}); "
                    "try a lower learning rate"
                )
            opt.zero_grad()
            loss.backward()
            opt.step()
            if average is not None:
                average.update()
            schedule.step()
            n = len(yb)
            progress.update(n, value * n, int((logits.data.argmax(axis=1) == yb).sum()))


_DONE = object()


def prefetch(batches: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Yield from the iterator `batches`, produced `depth` items ahead in a thread.

    Gathering and augmenting the next batch (NumPy copies, which release the GIL) then runs
    while the current one trains, on a core that BLAS leaves idle when it runs on fewer
    threads than there are cores (with BLAS on every core it saves nothing measurable; see
    docs/training-recipe.md, "The data pipeline"). One thread drains the iterator in order, so the
    batches are exactly those of a plain loop.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in batches:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as err:  # handed to the consumer, raised there
            put(err)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while (item := items.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
