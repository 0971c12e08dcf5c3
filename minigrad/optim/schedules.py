"""The basic learning-rate schedules: Step, Exponential, CosineAnnealing, Linear, Sequential.

A scheduler rewrites ``group["lr"]`` of each parameter group; call ``scheduler.step()`` once
after each ``optimizer.step()`` (per epoch or per batch, as the schedule is defined).
Construction already performs "step 0" and sets the first rate.

Like torch, most schedules are computed in *chainable* (recursive) form: the new rate is the
current ``group["lr"]`` times a factor, so schedulers can be composed. This agrees with the
closed form in exact arithmetic; in floating point it can differ in the last bits, and
minigrad follows torch's recursive form so that the two produce the same numbers.
"""

import math
from bisect import bisect_right
from numbers import Integral

from .optimizer import Optimizer


def check_positive(name, value, integer=False):
    ok = value > 0 and (
        not integer or (isinstance(value, Integral) and not isinstance(value, bool))
    )
    if not ok:
        kind = "an int >= 1" if integer else "a number > 0"
        raise ValueError(f"Invalid {name}: {value!r} (expected {kind})")


class LRScheduler:
    """Base class: subclasses implement ``get_lr()``, the rates for ``self.last_epoch``.

    ``last_epoch`` counts scheduler steps (0 right after construction); ``base_lrs`` are the
    groups' rates at construction (kept in ``group["initial_lr"]``).
    """

    def __init__(self, optimizer, last_epoch=-1):
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

    def _initial_step(self):
        """Step 0: set the first rates (``_is_initial`` tells ``get_lr`` not to decay yet)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The rates for the current ``last_epoch``. Subclasses implement."""
        raise NotImplementedError

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self):
        """Advance one step and write the new rates into the optimizer's groups."""
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch=None):
        """Set the rates for the next step, or (``epoch`` given) for ``epoch`` in closed form."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form_lr() if hasattr(self, "_closed_form_lr") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def get_last_lr(self):
        """The rates set by the most recent step, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer, as plain numbers, strings, lists and dicts."""
        return {k: _copy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()``; 0-d arrays (after ``mg.save``/``mg.load``) become numbers."""
        self.__dict__.update({k: _plain(v) for k, v in state_dict.items()})


class StepLR(LRScheduler):
    """Decay by ``gamma`` every ``step_size`` steps: ``lr_t = lr_0 * gamma**(t // step_size)``."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        check_positive("step_size", step_size, integer=True)
        check_positive("gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return [lr * self.gamma ** (self.last_epoch // self.step_size) for lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Decay by ``gamma`` every step: ``lr_t = lr_0 * gamma**t`` (computed as ``lr *= gamma``)."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        check_positive("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return [lr * self.gamma**self.last_epoch for lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from ``lr_0`` down to ``eta_min`` over ``T_max`` steps.

    Closed form ``lr_t = eta_min + (lr_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2``; past
    ``T_max`` the rate rises again (a cosine of period ``2 * T_max``). Computed recursively
    like torch::

        lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t / T)) / (1 + cos(pi (t-1) / T))

    except at the trough, where the ratio is 0/0 and the closed-form increment is added.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        check_positive("T_max", T_max, integer=True)
        if not eta_min >= 0:
            raise ValueError(f"Invalid eta_min: {eta_min!r} (expected a number >= 0)")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
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

    def _closed_form_lr(self):
        cos_t = math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * (1 + cos_t) / 2 for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale ``lr_0`` by a factor going linearly from ``start_factor`` to ``end_factor``.

    Closed form ``lr_t = lr_0 * (s + (e - s) * min(t, total_iters) / total_iters)``, a warm-up
    when ``s < e``. Computed recursively like torch, each step multiplying by the ratio of
    consecutive factors ``1 + (e - s) / (total_iters * s + (t - 1) * (e - s))``.
    """

    def __init__(
        self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1
    ):
        if not 0 < start_factor <= 1:
            raise ValueError(f"Invalid start_factor: {start_factor!r} (expected 0 < x <= 1)")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"Invalid end_factor: {end_factor!r} (expected 0 <= x <= 1)")
        check_positive("total_iters", total_iters, integer=True)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._is_initial or t > self.total_iters:
            return self._current_lrs()
        ratio = 1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]

    def _closed_form_lr(self):
        start, end, total = self.start_factor, self.end_factor, self.total_iters
        factor = start + (end - start) * min(total, self.last_epoch) / total
        return [base * factor for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers[i]`` from step ``milestones[i-1]`` on (each restarted at its step 0).

    E.g. ``SequentialLR(opt, [LinearLR(opt, ...), CosineAnnealingLR(opt, ...)], [5])`` warms up
    for 5 steps, then anneals.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
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

    def step(self):
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        state = {
            k: _copy(v) for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")
        }
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        super().load_state_dict(state)
        for scheduler, sub_state in zip(self._schedulers, saved):
            scheduler.load_state_dict(sub_state)


def _undo_step(scheduler):
    if hasattr(scheduler, "_schedulers"):
        for inner in scheduler._schedulers:
            _undo_step(inner)
    else:
        scheduler.last_epoch -= 1


def _copy(value):
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _plain(value):
    """Undo a round trip through ``.npz``: 0-d arrays to numbers, arrays to lists."""
    if hasattr(value, "ndim") and hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
