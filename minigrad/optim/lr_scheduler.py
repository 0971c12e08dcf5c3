"""Learning-rate schedules with the sequence of rates of ``torch.optim.lr_scheduler``.

A scheduler rewrites ``group["lr"]`` of each parameter group of an optimizer; call
``scheduler.step()`` once after each ``optimizer.step()``. Each has ``get_last_lr()``,
``state_dict()`` and ``load_state_dict()``.
"""

from .one_cycle import OneCycleLR
from .schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LRScheduler,
    SequentialLR,
    StepLR,
)

__all__ = [
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "SequentialLR",
    "OneCycleLR",
]
