"""The 1cycle learning-rate policy (``OneCycleLR``), with momentum cycled the opposite way."""

import math

from .optimizer import Optimizer
from .schedules import LRScheduler, check_positive


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin): warm up to ``max_lr``, then anneal far below the start.

    Over ``total_steps`` steps (call ``step()`` after every batch), the rate goes
    ``max_lr / div_factor -> max_lr`` during the first ``pct_start`` of the steps, then
    ``max_lr -> max_lr / (div_factor * final_div_factor)``; each phase follows a half cosine
    (``anneal_strategy="cos"``) or a line. With ``cycle_momentum`` the momentum (SGD's
    ``momentum``, Adam's ``beta1``) moves the opposite way, ``max_momentum -> base_momentum``
    and back. With ``three_phase`` the rate comes back down to the start symmetrically
    before the final annealing. Unlike the other schedules this one is computed in closed
    form from the step number.
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
        last_epoch=-1,
    ):
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

    def _init_momentum(self, base_momentum, max_momentum, last_epoch):
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

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
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


def _check_args(pct_start, anneal_strategy, div_factor, final_div_factor):
    if not 0 <= pct_start <= 1:
        raise ValueError(f"Invalid pct_start: {pct_start!r} (expected a number in [0, 1])")
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(
            f"Invalid anneal_strategy: {anneal_strategy!r} (expected 'cos' or 'linear')"
        )
    check_positive("div_factor", div_factor)
    check_positive("final_div_factor", final_div_factor)


def _total_steps(total_steps, epochs, steps_per_epoch):
    if total_steps is not None:
        check_positive("total_steps", total_steps, integer=True)
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    check_positive("epochs", epochs, integer=True)
    check_positive("steps_per_epoch", steps_per_epoch, integer=True)
    return epochs * steps_per_epoch


def _one_cycle_phases(pct_start, total_steps, three_phase):
    """``(end_step, (lr from, lr to), (momentum from, momentum to))`` per phase (group keys)."""
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


def _per_group(name, optimizer, value):
    """One value per parameter group: a list/tuple of that length, or one value repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one value per parameter group ({n}), got {value!r}")
        return list(value)
    return [value] * n
