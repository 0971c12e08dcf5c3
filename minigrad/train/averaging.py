"""`--ema`: an exponential moving average of the weights, the model a run scores and saves.

After every optimizer step each averaged array `a` moves towards the trained one `w`:

    a <- a + (1 - d_t) (w - a),    d_t = min(decay, (1 + t) / (10 + t))

for the `t`-th update (t = 1, 2, ...). With `d_t = decay` this is PyTorch's
`AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)`, which
`optim.swa_utils` provides and this builds on; the warm-up `(1 + t) / (10 + t)` (as in
TensorFlow's `ExponentialMovingAverage` with `num_updates`) keeps the first steps' random
weights from lingering in a short run: the average then forgets its start within a few
hundred steps instead of a few thousand.

The BatchNorm running statistics are averaged the same way (the average of the running mean
and variance follows the averaged weights' trajectory, where a copy of the trained model's
would describe the trained weights alone); the integer `num_batches_tracked` is copied.
"""

from __future__ import annotations

import minigrad.nn as nn
from minigrad import Tensor
from minigrad.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

__all__ = ["WeightAverage", "ema_decay"]


def ema_decay(decay: float, step: int) -> float:
    """The decay of update `step` (1, 2, ...): `min(decay, (1 + step) / (10 + step))`."""
    return min(decay, (1 + step) / (10 + step))


class WeightAverage:
    """The moving average of `source`'s parameters and buffers, kept in `model` (a copy of
    `source`, in eval mode).

    Call `update()` after every optimizer step. `model` is what the run scores, predicts
    with and saves; `state_dict()`/`load_state_dict()` carry it and the update count through
    a checkpoint, so a resumed run averages exactly as an uninterrupted one.
    """

    def __init__(self, source: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"the average's decay must lie in (0, 1), got {decay}")
        self.source, self.decay = source, decay
        self.average = AveragedModel(source, multi_avg_fn=self._blend, use_buffers=True)
        # AveragedModel's first update copies; here the copy is the start, and the first
        # update() blends with t = 1 (so t = n_averaged when `_blend` runs).
        self.average.update_parameters(source)
        self.model = self.average.module.eval()

    @property
    def steps(self) -> int:
        """Updates so far."""
        return self.average.n_averaged - 1

    def _blend(self, averaged: list[Tensor], current: list[Tensor], t: int) -> None:
        get_ema_multi_avg_fn(ema_decay(self.decay, t))(averaged, current, t)

    def update(self) -> None:
        """One step of the average towards `source`'s current weights and buffers, in place."""
        self.average.update_parameters(self.source)

    def state_dict(self) -> dict:
        """`{"model": the averaged state_dict, "steps": updates so far}`."""
        return {"model": self.model.state_dict(), "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.average.n_averaged = int(state["steps"]) + 1
