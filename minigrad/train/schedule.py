"""The learning-rate schedule of a run: a function of how far the run has come.

Before every step `RunSchedule` sets each parameter group's `lr`, as PyTorch's schedulers
do: `lr = initial_lr * factor(progress)`, where `initial_lr` is the rate the optimizer was
built with and `progress` runs from 0 at the first step to 1 after the last. With `w` the
warm-up fraction and `q = (progress - w) / (1 - w)` the progress after it:

    cosine       0.5 * (1 + cos(pi * q))
    step         0.1 ** floor(3 * q)        (x0.1 at 1/3 and 2/3)
    exponential  0.01 ** q                  (down to 1% of the peak)
    constant     1

each after a linear warm-up that reaches the peak at the end of its last step.
`onecycle` is PyTorch's OneCycleLR: up from `lr / 25` to `lr` over the first `w` (0.3 when
`w` is 0), then down to `lr / 25e4`, each along a half cosine, while the momentum (Adam's
beta1) goes 0.95 -> 0.85 -> 0.95 for the optimizers that have one.

A time-limited run may change its length midway (see `planning`): `replan(total_steps)`
measures the progress still to come against the new total, so the rate continues from
where it is and the rest of the schedule runs faster (or slower) to its end.
"""

from __future__ import annotations

import math
from typing import Any

from minigrad.optim import Optimizer

__all__ = ["RunSchedule", "lr_factor"]

_ONECYCLE_PCT = 0.3  # PyTorch's pct_start, when the run asks for no warm-up
_MOMENTUM = (0.95, 0.85)  # onecycle: (at the ends, at the peak rate)


def _anneal(start: float, end: float, t: float) -> float:
    """Half a cosine from `start` (t = 0) to `end` (t = 1)."""
    return end + (start - end) * (1 + math.cos(math.pi * t)) / 2


def lr_factor(schedule: str, warmup: float, start: float, end: float) -> float:
    """The rate of a step that runs from progress `start` to `end`, over the peak rate."""
    if schedule == "onecycle":
        pct = warmup or _ONECYCLE_PCT
        if start < pct:
            return _anneal(1 / 25, 1.0, start / pct)
        return _anneal(1.0, 1 / 25e4, (start - pct) / (1 - pct))
    ramp = min(1.0, end / warmup) if warmup else 1.0
    q = min(1.0, max(0.0, (start - warmup) / (1 - warmup)))
    if schedule == "cosine":
        return min(ramp, _anneal(1.0, 0.0, q))
    if schedule == "step":
        return min(ramp, 0.1 ** min(2, math.floor(3 * q)))
    if schedule == "exponential":
        return min(ramp, 0.01**q)
    if schedule == "constant":
        return ramp
    raise ValueError(f"unknown schedule {schedule!r}")


def _onecycle_momentum(warmup: float, progress: float) -> float:
    pct = warmup or _ONECYCLE_PCT
    if progress < pct:
        return _anneal(_MOMENTUM[0], _MOMENTUM[1], progress / pct)
    return _anneal(_MOMENTUM[1], _MOMENTUM[0], (progress - pct) / (1 - pct))


class RunSchedule:
    """Sets `group["lr"]` of `optimizer` from the progress of a run of `total_steps` steps.
    Call `step()` after every `optimizer.step()`; construction sets the first step's rate.

    `state_dict()` holds the step count and the re-plan, so a resumed run continues with
    the same rates, bit for bit.
    """

    def __init__(self, optimizer: Optimizer, schedule: str, warmup: float, total_steps: int):
        self.optimizer, self.schedule, self.warmup = optimizer, schedule, warmup
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.step_count = 0
        self.total_steps = total_steps
        self.replanned_at = (0, 0.0)  # (step, progress there) of the latest re-plan
        self._apply()

    def progress(self, step: int) -> float:
        """The fraction of the run done before step `step` (0-based), at most 1."""
        at, done = self.replanned_at
        return min(1.0, done + (step - at) * (1 - done) / (self.total_steps - at))

    def replan(self, total_steps: int) -> None:
        """From the current step on, end after `total_steps` steps in all."""
        if total_steps <= self.step_count:
            raise ValueError(
                f"a re-plan after step {self.step_count} must end later, not at {total_steps}"
            )
        self.replanned_at = (self.step_count, self.progress(self.step_count))
        self.total_steps = total_steps

    def step(self) -> None:
        """Advance one step and set the next step's rate."""
        self.step_count += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The rate of each group for the coming step."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {
            "step_count": self.step_count,
            "total_steps": self.total_steps,
            "replanned_at": list(self.replanned_at),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step_count = int(state["step_count"])
        self.total_steps = int(state["total_steps"])
        at, done = state["replanned_at"]
        self.replanned_at = (int(at), float(done))
        self._apply()

    def _apply(self) -> None:
        start = self.progress(self.step_count)
        factor = lr_factor(self.schedule, self.warmup, start, self.progress(self.step_count + 1))
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"] * factor
            if self.schedule == "onecycle" and _has_momentum(group):
                momentum = _onecycle_momentum(self.warmup, start)
                if "betas" in group:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum


def _has_momentum(group: dict[str, Any]) -> bool:
    return "betas" in group or group.get("momentum", 0.0) > 0
