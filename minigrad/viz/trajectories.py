"""Optimizer runs on the playground's surfaces: the textbook loop, recorded step by step.

`trajectory(surface, settings, start, steps)` runs one of minigrad's optimizers on a surface
from `start` and returns the points it visits, the loss at each, the learning rate and the
gradient of each step (`Trajectory`). `settings` completes a racer's settings; `gradients`
compares `backward()` with `mg.numerical_grad` at a point. The playground
(`minigrad.viz.playground`) draws what these return.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad as mg
from minigrad.tensor import Tensor
from minigrad.viz.surfaces import Surface

if TYPE_CHECKING:  # `import minigrad` imports viz: optim and nn come in when a path runs
    from minigrad.optim import Optimizer
    from minigrad.optim.lr_scheduler import LRScheduler

__all__ = ["OPTIMIZERS", "SCHEDULES", "Trajectory", "gradients", "settings", "trajectory"]

OPTIMIZERS = ("SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "LBFGS")
SCHEDULES = ("constant", "step", "exponential", "cosine", "onecycle")
TAKES = {  # the settings each optimizer takes besides `lr`
    "SGD": ("momentum", "nesterov", "weight_decay"),
    "Adagrad": ("weight_decay",),
    "Adadelta": ("weight_decay",),
    "RMSprop": ("momentum", "weight_decay"),
    "Adam": ("betas", "weight_decay"),
    "AdamW": ("betas", "weight_decay"),
    "LBFGS": (),
}
ESCAPE = 1e3  # a path this many boxes away from the box has diverged: it stops there


@dataclass
class Trajectory:
    """One optimizer's run: `points` `(n + 1, 2)` (the start first), `losses` `(n + 1,)`,
    `lrs` `(n,)` the rate each step used, `grads` `(n, 2)` the gradient before each step
    (before clipping). `diverged` is the step after which the path left for good, or `None`."""

    points: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    grads: np.ndarray
    diverged: int | None = None


def settings(optimizer: str | dict, surface: Surface) -> dict[str, Any]:
    """Complete settings for one optimizer: a name, or a dict with `"optimizer"` and any of
    `lr` (default: the surface's rate for it), `momentum`, `nesterov`, `betas`,
    `weight_decay` (AdamW's default 0.01, else 0), `schedule` (one of `SCHEDULES`) and
    `max_norm` (clip the gradient's norm to this; 0 for no clipping)."""
    given = {"optimizer": optimizer} if isinstance(optimizer, str) else dict(optimizer)
    name = given.get("optimizer", "SGD")
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")
    out: dict[str, Any] = {
        "optimizer": name,
        "lr": surface.lrs.get(name, 0.01),
        "momentum": 0.0,
        "nesterov": False,
        "betas": [0.9, 0.999],
        "weight_decay": 0.01 if name == "AdamW" else 0.0,
        "schedule": "constant",
        "max_norm": 0.0,
    }
    unknown = set(given) - set(out)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}: the settings are {list(out)}")
    out.update(given)
    if out["schedule"] not in SCHEDULES:
        raise ValueError(f"unknown schedule {out['schedule']!r}: one of {', '.join(SCHEDULES)}")
    out["betas"] = [float(b) for b in out["betas"]]
    return out


def make_optimizer(s: dict, params: list) -> "Optimizer":
    """The `minigrad.optim` optimizer that settings `s` describe (LBFGS: one iteration per
    `step`, with the strong-Wolfe line search)."""
    from minigrad import optim

    kwargs = {k: s[k] for k in TAKES[s["optimizer"]]}
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if s["optimizer"] == "SGD" and not s["momentum"]:
        kwargs["nesterov"] = False  # Nesterov needs momentum; without it SGD is the same
    if s["optimizer"] == "LBFGS":
        kwargs = {"max_iter": 1, "max_eval": 25, "line_search_fn": "strong_wolfe"}
    return getattr(optim, s["optimizer"])(params, lr=s["lr"], **kwargs)


def make_schedule(s: dict, opt: "Optimizer", steps: int) -> "LRScheduler | None":
    """The learning-rate schedule over `steps` steps: `step` divides by 10 at each third,
    `exponential` ends at 1% of `lr`, `cosine` anneals to 0, `onecycle` is PyTorch's 1cycle
    (cycling the momentum too where there is one)."""
    from minigrad.optim import lr_scheduler

    kind, n = s["schedule"], max(steps, 1)
    if kind == "step":
        return lr_scheduler.StepLR(opt, step_size=max(n // 3, 1), gamma=0.1)
    if kind == "exponential":
        return lr_scheduler.ExponentialLR(opt, gamma=0.01 ** (1 / n))
    if kind == "cosine":
        return lr_scheduler.CosineAnnealingLR(opt, T_max=n)
    if kind == "onecycle":
        cycle = s["optimizer"] in ("Adam", "AdamW") or (
            s["optimizer"] in ("SGD", "RMSprop") and s["momentum"] > 0
        )
        return lr_scheduler.OneCycleLR(opt, max_lr=s["lr"], total_steps=n, cycle_momentum=cycle)
    return None


def _gradient(surface: Surface, w: Tensor) -> np.ndarray:
    """`w.grad` after `backward()` of `surface.f(w[0], w[1])`, as an array `(2,)`."""
    if w.grad is None:
        raise ValueError(
            f"surface {surface.name!r}: backward() left no gradient on the point; its f must "
            "compute the loss from its two arguments"
        )
    return w.grad.data


def trajectory(surface: Surface, s: dict, start: Sequence[float], steps: int) -> Trajectory:
    """Run the optimizer of settings `s` for `steps` steps on `surface` from `start`.

    The parameter is one float64 Tensor `w` of shape `(2,)`; each step is the textbook loop
    `zero_grad(); f(w[0], w[1]).backward(); clip_grad_norm_ (if max_norm); step();
    scheduler.step()`. A path that overflows or leaves far beyond the box stops there.
    """
    from minigrad.nn.utils import clip_grad_norm_

    w = mg.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = make_optimizer(s, [w])
    schedule = make_schedule(s, opt, steps)
    points, losses, lrs, grads = [w.data.copy()], [], [], []
    x0, x1, y0, y1 = surface.box
    far = ESCAPE * max(x1 - x0, y1 - y0)
    diverged = None
    evals: list[tuple[float, np.ndarray]] = []  # (loss, gradient) of each closure call

    def closure() -> mg.Tensor:
        opt.zero_grad()
        loss = surface.f(w[0], w[1])
        loss.backward()
        evals.append((loss.item(), _gradient(surface, w).copy()))
        if s["max_norm"] > 0:
            clip_grad_norm_([w], s["max_norm"])
        return loss

    with np.errstate(all="ignore"):
        for k in range(steps):
            lrs.append(opt.param_groups[0]["lr"])
            evals.clear()
            if s["optimizer"] == "LBFGS":
                opt.step(closure)  # its first closure call is at the current point
            else:
                closure()
                opt.step()
            losses.append(evals[0][0])
            grads.append(evals[0][1])
            if schedule is not None and k < steps - 1:
                schedule.step()
            points.append(w.data.copy())
            if not np.all(np.isfinite(w.data)) or np.abs(w.data).max() > far:
                diverged = k + 1
                break
        with mg.no_grad():
            losses.append(surface.f(w[0], w[1]).item())
    return Trajectory(np.array(points), np.array(losses), np.array(lrs), np.array(grads), diverged)


def gradients(surface: Surface, point: Sequence[float]) -> dict[str, Any]:
    """The analytic gradient (`backward()`) and the numerical one (`mg.numerical_grad`,
    central differences) of `surface` at `point`."""
    w = mg.tensor(np.array(point, dtype=np.float64), requires_grad=True)
    surface.f(w[0], w[1]).backward()
    numerical = mg.numerical_grad(lambda: surface.f(w[0], w[1]), w)
    return {
        "point": list(map(float, point)),
        "analytic": _gradient(surface, w).tolist(),
        "numerical": numerical.tolist(),
    }
