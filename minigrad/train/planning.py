"""`--time-limit`: how many epochs fit in a wall-clock budget, measured before training.

The schedule needs its length up front (cosine to 0 at the last step), so the epoch count is
planned once from timed training steps on a throwaway copy of the model, then fixed (and
saved in config.json, so a resumed run keeps it). Timing noise on a shared machine moves the
finish by a few percent; a safety margin absorbs most of it.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np

from minigrad.tensor import Tensor
from minigrad.train.builders import build_model, build_optimizer
from minigrad.train.checkpoint import save_checkpoint
from minigrad.train.loop import evaluate, loss_function

__all__ = ["plan_epochs", "MARGIN"]

MARGIN = 0.03


def plan_epochs(cfg, loader, splits, budget: float, log=print, steps: int = 12) -> int:
    """The number of epochs (>= 1) whose training and per-epoch scoring fit in `budget` s."""
    step_seconds = _time_steps(cfg, loader, splits, steps)
    model = build_model(cfg, splits.in_features, splits.num_classes)
    loss_fn = loss_function(cfg)
    eval_seconds = sum(_time_eval(model, part, loss_fn) for part in _scored(splits))
    epoch_seconds = step_seconds * len(loader) + eval_seconds + _time_checkpoint(model)
    final = eval_seconds
    epochs = max(1, math.floor((budget * (1 - MARGIN) - final) / epoch_seconds))
    log(
        f"time limit: {budget:.0f}s left -> {epochs} epochs at ~{epoch_seconds:.2f}s each "
        f"({1000 * step_seconds:.1f} ms/step, measured)"
    )
    return epochs


def _scored(splits):
    return [part for part in (splits.val, splits.test) if part is not None][:1]


def _time_steps(cfg, loader, splits, steps: int) -> float:
    """Median seconds of one training step, batch preparation included."""
    model = build_model(cfg, splits.in_features, splits.num_classes)
    opt = build_optimizer(cfg, model)
    loss_fn = loss_function(cfg)
    rng = np.random.default_rng(0)
    n = min(cfg.batch_size, len(splits.y_train))
    times = []
    for _ in range(steps + 2):
        start = time.perf_counter()
        idx = rng.integers(0, len(splits.y_train), n)
        xb, yb = splits.x_train[idx], splits.y_train[idx]
        if loader.transform is not None:
            xb = loader.transform(xb, rng)
        loss = loss_fn(model(Tensor(xb.reshape(n, -1))), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return float(np.median(times[2:]))


def _time_checkpoint(model) -> float:
    """Seconds to write a checkpoint: the model and two optimizer moments per parameter."""
    state = model.state_dict()
    arrays = {**state, **{f"m.{k}": v for k, v in state.items()}}
    arrays.update({f"v.{k}": v for k, v in state.items()})
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        save_checkpoint({"arrays": arrays}, Path(folder) / "probe.npz")
        return time.perf_counter() - start


def _time_eval(model, part, loss_fn) -> float:
    x, y = part
    n = min(len(y), 2000)
    start = time.perf_counter()
    evaluate(model, x[:n], y[:n], loss_fn)
    return (time.perf_counter() - start) * len(y) / n
