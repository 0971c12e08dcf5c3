"""`--ema`: an exponential moving average of the weights, the model a run scores and saves.

After every optimizer step each averaged array `a` moves towards the trained one `w`:

    a <- a + (1 - d_t) (w - a),    d_t = min(decay, (1 + t) / (10 + t))

for the `t`-th update (t = 1, 2, ...). With `d_t = decay` this is PyTorch's
`AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)`; the
warm-up `(1 + t) / (10 + t)` (as in TensorFlow's `ExponentialMovingAverage` with
`num_updates`) keeps the first steps' random weights from lingering in a short run: the
average then forgets its start within a few hundred steps instead of a few thousand.

The BatchNorm running statistics are averaged the same way (the average of the running mean
and variance follows the averaged weights' trajectory, where a copy of the trained model's
would describe the trained weights alone); the integer `num_batches_tracked` is copied.
"""

from __future__ import annotations

import numpy as np

import minigrad.nn as nn
from minigrad import Tensor

__all__ = ["WeightAverage", "ema_decay"]

# Elements per block of the in-place update: 1 MB of float32, so `w - a` is written to and
# read back from cache, not memory.
_BLOCK = 1 << 18


def ema_decay(decay: float, step: int) -> float:
    """The decay of update `step` (1, 2, ...): `min(decay, (1 + step) / (10 + step))`."""
    return min(decay, (1 + step) / (10 + step))


class WeightAverage:
    """The moving average of `source`'s parameters and buffers, kept in `averaged` (a model of
    the same architecture, whose weights are overwritten with `source`'s at the start).

    Call `update()` after every optimizer step. `averaged` is what the run scores, predicts
    with and saves; `state_dict()`/`load_state_dict()` carry it and the update count through
    a checkpoint, so a resumed run averages exactly as an uninterrupted one.
    """

    def __init__(self, source: nn.Module, averaged: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"the average's decay must lie in (0, 1), got {decay}")
        self.source, self.model, self.decay = source, averaged, decay
        self.steps = 0
        pairs = _pairs(source, averaged)
        averaged.load_state_dict(source.state_dict())
        averaged.eval()
        self._floats = [(w, a) for w, a in pairs if a.data.dtype.kind == "f"]
        self._others = [(w, a) for w, a in pairs if a.data.dtype.kind != "f"]
        largest = max((a.data.size for _, a in self._floats), default=0)
        self._work = {
            dtype: np.empty(min(largest, _BLOCK), dtype)
            for dtype in {a.data.dtype for _, a in self._floats}
        }

    def update(self) -> None:
        """One step of the average towards `source`'s current weights and buffers, in place."""
        self.steps += 1
        weight = 1.0 - ema_decay(self.decay, self.steps)
        for w, a in self._floats:
            _blend(a.data, w.data, weight, self._work[a.data.dtype])
        for w, a in self._others:
            np.copyto(a.data, w.data)

    def state_dict(self) -> dict:
        """`{"model": the averaged state_dict, "steps": updates so far}`."""
        return {"model": self.model.state_dict(), "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.steps = int(state["steps"])


def _pairs(source: nn.Module, averaged: nn.Module) -> list[tuple[Tensor, Tensor]]:
    """`(source tensor, averaged tensor)` for every parameter and buffer, matched by name."""
    mine = dict(averaged.named_parameters()) | dict(averaged.named_buffers())
    theirs = dict(source.named_parameters()) | dict(source.named_buffers())
    if mine.keys() != theirs.keys():
        raise ValueError("the averaged model must have the architecture of the trained one")
    return [(theirs[name], mine[name]) for name in mine]


def _blend(avg: np.ndarray, src: np.ndarray, weight: float, work: np.ndarray) -> None:
    """`avg += weight * (src - avg)` in place, block by block through `work`."""
    if not (avg.flags.c_contiguous and src.flags.c_contiguous):
        avg += weight * (src - avg)
        return
    avg, src = avg.reshape(-1), src.reshape(-1)
    for i in range(0, avg.size, len(work)):
        a, tmp = avg[i : i + len(work)], work[: min(len(work), avg.size - i)]
        np.subtract(src[i : i + len(work)], a, out=tmp)
        tmp *= weight
        a += tmp
