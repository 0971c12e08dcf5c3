"""`--time-limit`: how many epochs fit in a wall-clock budget, planned before training and
re-planned while it runs.

The schedule needs its length up front (cosine to 0 at the last step), so the epoch count is
planned from timed training steps on a throwaway copy of the model (`plan_epochs`). A
machine that gets busier afterwards would make the run overrun that plan, so after every
epoch `EpochBudget.replan` checks the plan against the time left and changes the number of
epochs when they no longer fit; `RunSchedule.replan` then measures the schedule's progress
against the new length. Runs with `--epochs` have no budget and are never re-planned.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

import minigrad.nn as nn
from minigrad import Tensor
from minigrad.data import DataLoader
from minigrad.train.averaging import WeightAverage
from minigrad.train.builders import build_model, build_optimizer
from minigrad.train.checkpoint import save_checkpoint
from minigrad.train.config import TrainConfig
from minigrad.train.data import Splits
from minigrad.train.defaults import filled
from minigrad.train.loop import (
    SNAPSHOTS,
    LossFunction,
    Views,
    loss_function,
    mixed_loss,
    score,
    tta_views,
)
from minigrad.train.mixing import build_mixer

__all__ = ["Plan", "EpochBudget", "plan_epochs", "MARGIN", "PACE_EPOCHS"]

# Kept free at the end of a budget for timing noise.
MARGIN = 0.03
# The pace of a run is the median duration of this many recent epochs: one epoch slowed by a
# burst of other work does not cut the plan, a lasting slowdown does after two.
PACE_EPOCHS = 3


class Plan(NamedTuple):
    """What `plan_epochs` decided: `epochs`, and the measured seconds of one epoch (training,
    scoring, checkpoint), of the final scoring and of one `--distill` snapshot (0 without),
    in a budget that ends at `deadline` (a `time.time()` value, `MARGIN` before the end of
    the time limit)."""

    epochs: int
    epoch_seconds: float
    final_seconds: float
    deadline: float
    snapshot_seconds: float = 0.0


def plan_epochs(
    cfg: TrainConfig,
    loader: DataLoader,
    splits: Splits,
    budget: float,
    log: Callable[[str], object] = print,
    steps: int = 12,
) -> Plan:
    """The number of epochs (>= 1) whose training and per-epoch scoring fit in `budget` s."""
    step_seconds = _time_steps(cfg, loader, splits, steps)
    model = build_model(cfg, splits.in_features, splits.num_classes, splits.preprocess.basis)
    loss_fn = loss_function(cfg)
    views = tta_views(filled(cfg.tta), splits.preprocess.input_shape)
    eval_seconds = sum(_time_eval(model, part, loss_fn, None) for part in _scored(splits))
    checkpoint_seconds = _time_checkpoint(model, 4 if cfg.ema else 3)
    epoch_seconds = step_seconds * len(loader) + eval_seconds + checkpoint_seconds
    final = sum(_time_eval(model, part, loss_fn, views) for part in _final(splits))
    snapshot = 0.0
    if cfg.distill:
        first = splits.train_inputs(2000)
        part = (first, splits.y_train[: len(first)])
        snapshot = _time_eval(model, part, loss_fn, views) * len(splits.y_train) / len(first)
    usable = budget * (1 - MARGIN)
    epochs = max(1, math.floor((usable - final - len(SNAPSHOTS) * snapshot) / epoch_seconds))
    snapshots = f", {len(SNAPSHOTS)} distillation snapshots at ~{snapshot:.1f}s" if snapshot else ""
    log(
        f"time limit: {budget:.0f}s left -> {epochs} epochs at ~{epoch_seconds:.2f}s each "
        f"({1000 * step_seconds:.1f} ms/step, measured){snapshots}"
    )
    return Plan(epochs, epoch_seconds, final, time.time() + usable, snapshot)


class EpochBudget:
    """Keeps a time-limited run within its budget: call `replan(done, planned)` after each
    epoch; it returns the number of epochs the run should now have.

    The pace is the median duration of the last `PACE_EPOCHS` epochs (the planned duration
    stands in until there are that many), measured from one call to the next, so the
    checkpoint and anything else the run does between epochs count. Fewer epochs as soon as
    the planned ones no longer fit before the deadline; more only when at least two more fit
    (a machine that was busy while the plan was timed), so noise does not move the plan
    back and forth. Zero epochs left means: stop after this one. `snapshots` `--distill`
    snapshots still to come are kept time for, as the final scoring is.
    """

    def __init__(self, plan: Plan, clock: Callable[[], float] | None = None):
        self.deadline = plan.deadline
        self.final_seconds = plan.final_seconds
        self.snapshot_seconds = plan.snapshot_seconds
        self.clock = clock or time.time  # looked up now, so a test can swap the module's clock
        self.durations = [plan.epoch_seconds] * (PACE_EPOCHS - 1)
        self.last = self.clock()

    def replan(self, done: int, planned: int, snapshots: int = 0) -> int:
        now = self.clock()
        self.durations.append(now - self.last)
        self.last = now
        pace = float(np.median(self.durations[-PACE_EPOCHS:]))
        left = self.deadline - now - self.final_seconds - snapshots * self.snapshot_seconds
        fits = done + max(0, math.floor(left / pace))
        return fits if fits < planned or fits >= planned + 2 else planned


def _scored(splits: Splits) -> list[tuple[np.ndarray, np.ndarray]]:
    """The split scored after every epoch (no test-time views)."""
    return [part for part in (splits.val, splits.test) if part is not None][:1]


def _final(splits: Splits) -> list[tuple[np.ndarray, np.ndarray]]:
    """The split scored at the end (with the test-time views): test, else a held-out val."""
    if splits.test is not None:
        return [splits.test]
    return [splits.val] if splits.test_is_heldout and splits.val is not None else []


def _time_steps(cfg: TrainConfig, loader: DataLoader, splits: Splits, steps: int) -> float:
    """Median seconds of one training step, batch preparation (with `--mixup`/`--cutmix`'s)
    and `--ema`'s update included."""
    model = build_model(cfg, splits.in_features, splits.num_classes, splits.preprocess.basis)
    opt = build_optimizer(cfg, model)
    average = None
    if cfg.ema:
        average = WeightAverage(model, cfg.ema)
    loss_fn = loss_function(cfg)
    mixer = build_mixer(cfg, splits.preprocess.input_shape)
    rng = np.random.default_rng(0)
    n = min(filled(cfg.batch_size), len(splits.y_train))
    times = []
    for _ in range(steps + 2):
        start = time.perf_counter()
        idx = rng.integers(0, len(splits.y_train), n)
        xb, yb = splits.x_train[idx], splits.y_train[idx]
        if loader.transform is not None:
            xb = loader.transform(xb, rng)
        if mixer is None:
            loss = loss_fn(model(Tensor(xb.reshape(n, -1))), yb)
        else:
            mixed = mixer(xb.reshape(n, -1), yb, rng)
            loss = mixed_loss(loss_fn, model(Tensor(mixed.x)), mixed)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if average is not None:
            average.update()
        times.append(time.perf_counter() - start)
    return float(np.median(times[2:]))


def _time_checkpoint(model: nn.Module, copies: int = 3) -> float:
    """Seconds to write a checkpoint: `copies` of the model's arrays (the model and two
    optimizer moments per parameter, and the average with `--ema`)."""
    state = model.state_dict()
    arrays = {f"{i}.{k}": v for i in range(copies) for k, v in state.items()}
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        save_checkpoint({"arrays": arrays}, Path(folder) / "probe.npz")
        return time.perf_counter() - start


def _time_eval(
    model: nn.Module,
    part: tuple[np.ndarray, np.ndarray],
    loss_fn: LossFunction,
    views: Views | None,
) -> float:
    x, y = part
    n = min(len(y), 2000)
    start = time.perf_counter()
    score(model, x[:n], y[:n], loss_fn, views=views)
    return (time.perf_counter() - start) * len(y) / n
