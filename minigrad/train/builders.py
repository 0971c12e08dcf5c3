"""Model, optimizer and learning-rate schedule of a run, built from its `TrainConfig`.

Schedules are per step (one `scheduler.step()` after every `optimizer.step()`), so the same
recipe works for 1 epoch or 100: `warmup` is a fraction of all steps.
"""

from __future__ import annotations

import numpy as np

import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.optim import lr_scheduler as sched
from minigrad.train.config import OPTIMIZERS, SCHEDULES

__all__ = ["build_model", "build_optimizer", "build_scheduler", "reseed_dropout"]

_ACTIVATION_LAYERS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
_HAS_MOMENTUM = ("momentum", "nesterov", "adam", "adamw")


def build_model(cfg, in_features: int, num_classes: int) -> nn.Sequential:
    """`in -> [Linear -> BatchNorm1d -> act -> Dropout] * len(hidden) -> Linear(classes)`.

    A Linear followed by BatchNorm1d has no bias (the norm's shift replaces it). Weights are
    drawn from a generator seeded by `cfg.seed`.
    """
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 0]))
    layers = []
    width = in_features
    for h in cfg.hidden:
        layers.append(nn.Linear(width, h, bias=not cfg.batch_norm, rng=rng))
        if cfg.batch_norm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(_ACTIVATION_LAYERS[cfg.activation]())
        if cfg.dropout:
            layers.append(nn.Dropout(cfg.dropout))
        width = h
    layers.append(nn.Linear(width, num_classes, rng=rng))
    return nn.Sequential(*layers)


def reseed_dropout(model: nn.Module, seed: int, epoch: int) -> None:
    """Give each Dropout a generator drawn from `(seed, epoch)`, so that a resumed epoch
    draws the same masks as an uninterrupted one."""
    drops = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    for k, m in enumerate(drops):
        m.rng = np.random.default_rng(np.random.SeedSequence([seed, 1], spawn_key=(epoch, k)))


def build_optimizer(cfg, model: nn.Module) -> optim.Optimizer:
    """`cfg.optimizer` over two groups: weight matrices with `cfg.weight_decay`, the rest
    (biases, BatchNorm scales and shifts) without decay."""
    params = list(model.parameters())
    groups = [{"params": [p for p in params if p.ndim == 2], "weight_decay": cfg.weight_decay}]
    rest = [p for p in params if p.ndim != 2]
    if rest:
        groups.append({"params": rest, "weight_decay": 0.0})
    name, lr = cfg.optimizer, cfg.lr
    if name in ("sgd", "momentum", "nesterov"):
        momentum = 0.0 if name == "sgd" else cfg.momentum
        return optim.SGD(groups, lr=lr, momentum=momentum, nesterov=name == "nesterov")
    if name == "adagrad":
        return optim.Adagrad(groups, lr=lr)
    if name == "adadelta":
        return optim.Adadelta(groups, lr=lr)
    if name == "rmsprop":
        return optim.RMSprop(groups, lr=lr)
    if name == "adam":
        return optim.Adam(groups, lr=lr, betas=tuple(cfg.betas))
    if name == "adamw":
        return optim.AdamW(groups, lr=lr, betas=tuple(cfg.betas))
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def build_scheduler(cfg, opt: optim.Optimizer, total_steps: int):
    """Linear warm-up over `cfg.warmup` of the steps, then `cfg.schedule` to the end.

    cosine: to 0; step: x0.1 at 1/3 and 2/3 of the rest; exponential: down to 1% of the peak;
    constant: the peak. onecycle: PyTorch's OneCycleLR with `pct_start=cfg.warmup`
    (0.3 if 0), cycling momentum/beta1 for the optimizers that have one.
    """
    if cfg.schedule == "onecycle":
        # The warm-up phase needs two steps at least, else OneCycleLR divides by zero.
        pct_start = min(max(cfg.warmup or 0.3, 2.0 / total_steps), 0.5)
        return sched.OneCycleLR(
            opt,
            max_lr=cfg.lr,
            total_steps=total_steps,
            pct_start=pct_start,
            cycle_momentum=cfg.optimizer in _HAS_MOMENTUM,
        )
    warm = min(int(round(cfg.warmup * total_steps)), total_steps - 1)
    main = _main_schedule(cfg.schedule, opt, total_steps - warm)
    if warm == 0:
        return main
    ramp = sched.LinearLR(opt, start_factor=1.0 / warm, end_factor=1.0, total_iters=warm)
    return sched.SequentialLR(opt, [ramp, main], milestones=[warm])


def _main_schedule(name: str, opt, steps: int):
    if name == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=steps)
    if name == "step":
        return sched.StepLR(opt, step_size=max(1, steps // 3), gamma=0.1)
    if name == "exponential":
        return sched.ExponentialLR(opt, gamma=0.01 ** (1.0 / steps))
    if name == "constant":
        return sched.LinearLR(opt, start_factor=1.0, end_factor=1.0, total_iters=1)
    raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
