"""Learning-rate schedules with the sequence of rates of `torch.optim.lr_scheduler`.

A scheduler rewrites `group["lr"]` of each parameter group of an optimizer; call
`scheduler.step()` once after each `optimizer.step()` (per epoch or per batch, as the
schedule is defined). Construction already performs "step 0" and sets the first rate. Each
has `get_last_lr()`, `state_dict()` and `load_state_dict()`.

Like torch, most schedules are computed in *chainable* (recursive) form: the new rate is the
current `group["lr"]` times a factor, so schedulers can be composed. This agrees with the
closed form in exact arithmetic; in floating point it can differ in the last bits, and
minigrad follows torch's recursive form so that the two produce the same numbers.
`OneCycleLR` is computed in closed form from the step number, as in torch.

One module, as `torch.optim.lr_scheduler` is (hence a little over 400 lines).
"""

import math
from bisect import bisect_right
from collections.abc import Iterable
from numbers import Integral
from typing import Any

from .optimizer import Optimizer, ParamGroup, copy_nested, from_npz

__all__ = [
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "SequentialLR",
    "OneCycleLR",
]

PerGroup = float | list[float] | tuple[float, ...]
"""One value for every parameter group, or a list or tuple of one value per group."""


def check_positive(name: str, value: float, integer: bool = False) -> None:
    """Raise `ValueError` naming `name` unless `value > 0` (and an int, if `integer`)."""
    ok = value > 0 and (
        not integer or (isinstance(value, Integral) and not isinstance(value, bool))
    )
    if not ok:
        kind = "an int >= 1" if integer else "a number > 0"
        raise ValueError(f"Invalid {name}: {value!r} (expected {kind})")


class LRScheduler:
    """Base class: subclasses implement `get_lr()`, the rates for `self.last_epoch`.

    `last_epoch` counts scheduler steps (0 right after construction); `base_lrs` are the
    groups' rates at construction (kept in `group["initial_lr"]`).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param_groups[{i}] has no 'initial_lr' to resume from")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Step 0: set the first rates (`_is_initial` tells `get_lr` not to decay yet)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rates for the current `last_epoch`. Subclasses implement."""
        raise NotImplementedError

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self) -> None:
        """Advance one step and write the new rates into the optimizer's groups."""
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        """Set the rates for the next step, or (`epoch` given) for `epoch` in closed form."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form_lr() if hasattr(self, "_closed_form_lr") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def get_last_lr(self) -> list[float]:
        """The rates set by the most recent step, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as plain numbers, strings, lists and dicts."""
        return {k: copy_nested(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a `state_dict()`; 0-d arrays (after `mg.save`/`mg.load`) become numbers."""
        self.__dict__.update({k: from_npz(v) for k, v in state_dict.items()})


class StepLR(LRScheduler):
    """Decay by `gamma` every `step_size` steps: `lr_t = lr_0 * gamma**(t // step_size)`."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        check_positive("step_size", step_size, integer=True)
        check_positive("gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [lr * self.gamma ** (self.last_epoch // self.step_size) for lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Decay by `gamma` every step: `lr_t = lr_0 * gamma**t` (computed as `lr *= gamma`)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        check_positive("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [lr * self.gamma**self.last_epoch for lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from `lr_0` down to `eta_min` over `T_max` steps.

    Closed form `lr_t = eta_min + (lr_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2`; past
    `T_max` the rate rises again (a cosine of period `2 * T_max`). Computed recursively
    like torch:

        lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t / T)) / (1 + cos(pi (t-1) / T))

    except at the trough, where the ratio is 0/0 and the closed-form increment is added.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        check_positive("T_max", T_max, integer=True)
        if not eta_min >= 0:
            raise ValueError(f"Invalid eta_min: {eta_min!r} (expected a number >= 0)")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:
            return self._closed_form_lr()
        if (t - 1 - period) % (2 * period) == 0:
            # At the trough the recursive ratio is 0/0; torch adds the closed-form increment.
            return [
                lr + (base - eta_min) * (1 - math.cos(math.pi / period)) / 2
                for lr, base in zip(self._current_lrs(), self.base_lrs)
            ]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        cos_t = math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * (1 + cos_t) / 2 for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale `lr_0` by a factor going linearly from `start_factor` to `end_factor`.

    Closed form `lr_t = lr_0 * (s + (e - s) * min(t, total_iters) / total_iters)`, a warm-up
    when `s < e`. Computed recursively like torch, each step multiplying by the ratio of
    consecutive factors `1 + (e - s) / (total_iters * s + (t - 1) * (e - s))`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"Invalid start_factor: {start_factor!r} (expected 0 < x <= 1)")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"Invalid end_factor: {end_factor!r} (expected 0 <= x <= 1)")
        check_positive("total_iters", total_iters, integer=True)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._is_initial or t > self.total_iters:
            return self._current_lrs()
        ratio = 1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        start, end, total = self.start_factor, self.end_factor, self.total_iters
        factor = start + (end - start) * min(total, self.last_epoch) / total
        return [base * factor for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run `schedulers[i]` from step `milestones[i-1]` on (each restarted at its step 0).

    E.g. `SequentialLR(opt, [LinearLR(opt, ...), CosineAnnealingLR(opt, ...)], [5])` warms up
    for 5 steps, then anneals.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Iterable[LRScheduler],
        milestones: Iterable[int],
        last_epoch: int = -1,
    ) -> None:
        schedulers, milestones = list(schedulers), list(milestones)
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got none")
        for i, scheduler in enumerate(schedulers):
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(
                    f"SequentialLR expects all schedulers to belong to the same optimizer, "
                    f"but schedulers[{i}] ({type(scheduler).__name__}) has another one"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR expects len(milestones) == len(schedulers) - 1, but got "
                f"{len(milestones)} milestones for {len(schedulers)} schedulers"
            )
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in schedulers:  # undo the step each one took when it was built
            _undo_step(scheduler)
        first = schedulers[bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {
            k: copy_nested(v)
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "_schedulers")
        }
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        super().load_state_dict(state)
        for scheduler, sub_state in zip(self._schedulers, saved):
            scheduler.load_state_dict(sub_state)


def _undo_step(scheduler: LRScheduler) -> None:
    if hasattr(scheduler, "_schedulers"):
        for inner in scheduler._schedulers:
            _undo_step(inner)
    else:
        scheduler.last_epoch -= 1


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin): warm up to `max_lr`, then anneal far below the start.

    Over `total_steps` steps (call `step()` after every batch), the rate goes
    `max_lr / div_factor -> max_lr` during the first `pct_start` of the steps, then
    `max_lr -> max_lr / (div_factor * final_div_factor)`; each phase follows a half cosine
    (`anneal_strategy="cos"`) or a line. With `cycle_momentum` the momentum (SGD's
    `momentum`, Adam's `beta1`) moves the opposite way, `max_momentum -> base_momentum`
    and back. With `three_phase` the rate comes back down to the start symmetrically
    before the final annealing. Unlike the other schedules this one is computed in closed
    form from the step number.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: PerGroup,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: PerGroup = 0.85,
        max_momentum: PerGroup = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        _check_args(pct_start, anneal_strategy, div_factor, final_div_factor)
        self.anneal_strategy = anneal_strategy
        self._phases = _one_cycle_phases(pct_start, self.total_steps, three_phase)
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        for lr in max_lrs:
            check_positive("max_lr", lr)
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum(base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _init_momentum(
        self,
        base_momentum: PerGroup,
        max_momentum: PerGroup,
        last_epoch: int,
    ) -> None:
        defaults = self.optimizer.defaults
        if "momentum" not in defaults and "betas" not in defaults:
            raise ValueError(
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
            )
        self.use_beta1 = "betas" in defaults
        max_ms = _per_group("max_momentum", self.optimizer, max_momentum)
        base_ms = _per_group("base_momentum", self.optimizer, base_momentum)
        if last_epoch == -1:
            for group, max_m, base_m in zip(self.optimizer.param_groups, max_ms, base_ms):
                self._set_momentum(group, max_m)
                group["max_momentum"] = max_m
                group["base_momentum"] = base_m

    def _set_momentum(self, group: ParamGroup, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(
                f"Tried to step {t} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._phases):
                end_step, lr_keys, momentum_keys = phase
                if t <= end_step or i == len(self._phases) - 1:
                    pct = (t - start_step) / (end_step - start_step)
                    break
                start_step = end_step
            lrs.append(self._anneal(group[lr_keys[0]], group[lr_keys[1]], pct))
            if self.cycle_momentum:
                momentum = self._anneal(group[momentum_keys[0]], group[momentum_keys[1]], pct)
                self._set_momentum(group, momentum)
        return lrs


def _check_args(
    pct_start: float, anneal_strategy: str, div_factor: float, final_div_factor: float
) -> None:
    if not 0 <= pct_start <= 1:
        raise ValueError(f"Invalid pct_start: {pct_start!r} (expected a number in [0, 1])")
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(
            f"Invalid anneal_strategy: {anneal_strategy!r} (expected 'cos' or 'linear')"
        )
    check_positive("div_factor", div_factor)
    check_positive("final_div_factor", final_div_factor)


def _total_steps(total_steps: int | None, epochs: int | None, steps_per_epoch: int | None) -> int:
    if total_steps is not None:
        check_positive("total_steps", total_steps, integer=True)
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    check_positive("epochs", epochs, integer=True)
    check_positive("steps_per_epoch", steps_per_epoch, integer=True)
    return epochs * steps_per_epoch


Phase = tuple[float, tuple[str, str], tuple[str, str]]


def _one_cycle_phases(pct_start: float, total_steps: int, three_phase: bool) -> list[Phase]:
    """`(end_step, (lr from, lr to), (momentum from, momentum to))` per phase (group keys)."""
    warm_end = float(pct_start * total_steps) - 1
    up, down = ("initial_lr", "max_lr"), ("max_lr", "initial_lr")
    m_down, m_up = ("max_momentum", "base_momentum"), ("base_momentum", "max_momentum")
    if three_phase:
        return [
            (warm_end, up, m_down),
            (float(2 * pct_start * total_steps) - 2, down, m_up),
            (total_steps - 1, ("initial_lr", "min_lr"), ("max_momentum", "max_momentum")),
        ]
    return [(warm_end, up, m_down), (total_steps - 1, ("max_lr", "min_lr"), m_up)]


def _per_group(name: str, optimizer: Optimizer, value: PerGroup) -> list[float]:
    """One value per parameter group: a list/tuple of that length, or one value repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one value per parameter group ({n}), got {value!r}")
        return list(value)
    return [value] * n
