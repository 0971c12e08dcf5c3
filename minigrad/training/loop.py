"""The inner loops: one training epoch, and scoring a model on a split."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np

import minigrad.nn.functional as F
from minigrad.grad_mode import no_grad
from minigrad.tensor import Tensor

__all__ = ["loss_function", "evaluate", "train_epoch", "prefetch"]


def loss_function(cfg):
    """`loss(logits, y)` for `cfg.loss`: softmax cross-entropy (with smoothing) or SVM."""
    if cfg.loss == "svm":
        return F.svm_loss
    smoothing = cfg.label_smoothing

    def cross_entropy(logits, y):
        return F.cross_entropy(logits, y, label_smoothing=smoothing)

    return cross_entropy


def evaluate(model, x: np.ndarray, y: np.ndarray, loss_fn, batch_size: int = 1000):
    """`(mean loss, accuracy)` of `model` in eval mode on `x (N, D)`, `y (N,)`."""
    was_training = model.training
    model.eval()
    loss_sum, correct = 0.0, 0
    try:
        with no_grad():
            for start in range(0, len(x), batch_size):
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                logits = model(Tensor(xb))
                loss_sum += loss_fn(logits, yb).item() * len(yb)
                correct += int((logits.data.argmax(axis=1) == yb).sum())
    finally:
        model.train(was_training)
    return loss_sum / len(x), correct / len(x)


def train_epoch(model, loader, opt, scheduler, loss_fn, progress) -> float:
    """One pass over `loader`: forward, loss, backward, update, schedule step per batch.

    Returns the seconds spent waiting for batches: what the data pipeline adds to the epoch.
    """
    model.train()
    batches = prefetch(loader.iter_arrays())
    waited = 0.0
    while True:
        start = time.perf_counter()
        batch = next(batches, None)
        waited += time.perf_counter() - start
        if batch is None:
            return waited
        xb, yb = batch
        logits = model(Tensor(xb.reshape(len(xb), -1)))
        loss = loss_fn(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        scheduler.step()
        n = len(yb)
        progress.update(n, loss.item() * n, int((logits.data.argmax(axis=1) == yb).sum()))


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
