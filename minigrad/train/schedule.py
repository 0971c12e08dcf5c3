"""The run's learning-rate schedule, recorded once and played back step by step, so that a
re-planned run can squeeze (or stretch) what is left of it.

`build_scheduler` (in `builders`) defines the schedule: a PyTorch-style scheduler stepped
after every batch. A time-limited run may have to change its length midway (see
`planning.Budget`), and its schedule must still end as it was meant to (the cosine at 0 on
the last step). So `PlannedSchedule` steps that scheduler through all the planned steps once,
on a stand-in optimizer, recording each group's `lr` (and the momentum or betas that
onecycle cycles), and then writes the recorded values into the real optimizer's groups.
Until a re-plan, step `t` plays record `t`: the rates are exactly the scheduler's.

A re-plan at step `s`, to `n` steps in all, maps the steps `s..n` linearly onto the records
still ahead, `p(s)..T` (`T` the planned steps, `p(s)` the position reached), interpolating
between neighbouring records: the rate continues from where it is, and the rest of the
schedule runs faster (or slower) to its end.
"""

from __future__ import annotations

import math

import numpy as np

from minigrad.optim import Optimizer
from minigrad.tensor import Tensor
from minigrad.train.builders import build_scheduler

__all__ = ["PlannedSchedule"]

_SCHEDULED = ("lr", "betas", "momentum")


class PlannedSchedule:
    """`build_scheduler(cfg, opt, total_steps)` as a recording; `replan(step, total)` moves
    its end. `state_dict()` holds the planned length and the re-plans, so a resumed run
    rebuilds the same rates."""

    def __init__(self, cfg, opt: Optimizer, total_steps: int):
        self.cfg, self.optimizer = cfg, opt
        self.planned_steps = total_steps
        self.step_count = 0
        self.replans: list[tuple[int, float, int]] = []  # (step, position there, new total)
        self.records = _record(cfg, opt, total_steps)
        self._apply()

    @property
    def total_steps(self) -> int:
        """The number of steps the run now ends after."""
        return self.replans[-1][2] if self.replans else self.planned_steps

    def position(self, step: int) -> float:
        """Where in the recording step `step` plays: the step itself until the first
        re-plan, a float between two records after one, never past the last record."""
        current = None
        for replan in self.replans:
            if replan[0] <= step:
                current = replan
        if current is None:
            return float(step)
        start, at, total = current
        played = at + (step - start) * (self.planned_steps - at) / (total - start)
        return min(played, float(self.planned_steps))

    def replan(self, step: int, total_steps: int) -> None:
        """From step `step` on, end after `total_steps` steps in all (`> step`)."""
        if total_steps <= step:
            raise ValueError(f"a re-plan at step {step} must end later, not at {total_steps}")
        self.replans.append((step, self.position(step), total_steps))

    def step(self) -> None:
        """Advance one step (after `optimizer.step()`) and set the next step's rates."""
        self.step_count += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        return {
            "planned_steps": self.planned_steps,
            "step_count": self.step_count,
            "replans": [list(r) for r in self.replans],
        }

    def load_state_dict(self, state: dict) -> None:
        if state["planned_steps"] != self.planned_steps:
            self.planned_steps = int(state["planned_steps"])
            self.records = _record(self.cfg, self.optimizer, self.planned_steps)
        self.replans = [(int(s), float(p), int(n)) for s, p, n in state["replans"]]
        self.step_count = int(state["step_count"])
        self._apply()

    def _apply(self) -> None:
        pos = self.position(self.step_count)
        low = math.floor(pos)
        high = min(low + 1, len(self.records) - 1)
        frac = pos - low
        for g, group in enumerate(self.optimizer.param_groups):
            for key, a in self.records[low][g].items():
                b = self.records[high][g][key]
                group[key] = a if frac == 0 else _lerp(a, b, frac)


def _lerp(a, b, frac: float):
    if isinstance(a, tuple):
        return tuple(_lerp(x, y, frac) for x, y in zip(a, b))
    return a + frac * (b - a)


def _record(cfg, opt: Optimizer, total_steps: int) -> list[list[dict]]:
    """Each group's scheduled values at steps `0..total_steps`, from `build_scheduler` run on
    a stand-in optimizer with the same groups (one dummy parameter each)."""
    groups = [
        {**{k: v for k, v in g.items() if k != "params"}, "params": [_dummy()]}
        for g in opt.param_groups
    ]
    stand_in = Optimizer(groups, dict(opt.defaults))
    scheduler = build_scheduler(cfg, stand_in, total_steps)
    records = []
    for step in range(total_steps + 1):
        if step:
            scheduler.step()
        records.append([{k: g[k] for k in _SCHEDULED if k in g} for g in stand_in.param_groups])
    return records


def _dummy() -> Tensor:
    return Tensor(np.zeros(1, np.float32), requires_grad=True)
