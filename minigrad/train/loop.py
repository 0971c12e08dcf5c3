"""The inner loops: one training epoch, and scoring a model on a split."""

from __future__ import annotations

import math
import queue
import threading
import time
from typing import NamedTuple

import numpy as np

import minigrad.nn.functional as F
from minigrad.grad_mode import no_grad
from minigrad.tensor import Tensor

__all__ = ["DivergedError", "Scores", "loss_function", "evaluate", "train_epoch", "prefetch"]


class DivergedError(RuntimeError):
    """The training loss became NaN or infinite; the message names the epoch and step."""


class Scores(NamedTuple):
    """A model's results on a split: mean loss, accuracy and the predicted class of each
    sample `(N,)`."""

    loss: float
    accuracy: float
    predicted: np.ndarray


def loss_function(cfg):
    """`loss(logits, y)` for `cfg.loss`: softmax cross-entropy (with smoothing) or SVM."""
    if cfg.loss == "svm":
        return F.svm_loss
    smoothing = cfg.label_smoothing

    def cross_entropy(logits, y):
        return F.cross_entropy(logits, y, label_smoothing=smoothing)

    return cross_entropy


def logits_of(model, x: np.ndarray, batch_size: int = 1000):
    """Yield `(start, logits (B, C) Tensor)` of `model` on ready inputs `x (N, D)`, batch by
    batch, in eval mode without a graph (the mode is restored afterwards)."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for start in range(0, len(x), batch_size):
                yield start, model(Tensor(x[start : start + batch_size]))
    finally:
        model.train(was_training)


def evaluate(model, x: np.ndarray, y: np.ndarray, loss_fn, batch_size: int = 1000) -> Scores:
    """`Scores` of `model` in eval mode on ready inputs `x (N, D)` with labels `y (N,)`."""
    loss_sum = 0.0
    predicted = np.empty(len(y), dtype=np.int64)
    for start, logits in logits_of(model, x, batch_size):
        yb = y[start : start + batch_size]
        loss_sum += loss_fn(logits, yb).item() * len(yb)
        predicted[start : start + len(yb)] = logits.data.argmax(axis=1)
    return Scores(loss_sum / len(y), float(np.mean(predicted == y)), predicted)


def train_epoch(model, loader, opt, scheduler, loss_fn, progress, epoch: int = 1) -> float:
    """One pass over `loader`: forward, loss, backward, update, schedule step per batch.

    Returns the seconds spent waiting for batches: what the data pipeline adds to the epoch.
    Raises `DivergedError` at the first non-finite loss, before it reaches the weights.
    """
    model.train()
    batches = prefetch(loader.iter_arrays())
    waited = 0.0
    step = 0
    while True:
        start = time.perf_counter()
        batch = next(batches, None)
        waited += time.perf_counter() - start
        if batch is None:
            return waited
        xb, yb = batch
        step += 1
        logits = model(Tensor(xb.reshape(len(xb), -1)))
        loss = loss_fn(logits, yb)
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
        scheduler.step()
        n = len(yb)
        progress.update(n, value * n, int((logits.data.argmax(axis=1) == yb).sum()))


_DONE = object()


def prefetch(batches, depth: int = 2):
    """Yield from the iterator `batches`, produced `depth` items ahead in a thread.

    Gathering and augmenting the next batch (NumPy copies, which release the GIL) then runs
    while the current one trains, on a core that single-threaded elementwise ops leave idle.
    One thread drains the iterator in order, so the batches are exactly those of a plain loop.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
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
