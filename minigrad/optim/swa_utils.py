"""Averages of a model's weights over training, as `torch.optim.swa_utils` computes them.

`AveragedModel(model)` keeps a deep copy of `model` whose parameters (and, with
`use_buffers=True`, buffers) follow an average of `model`'s: call
`averaged.update_parameters(model)` after each optimizer step (or epoch), and use
`averaged(x)` or `averaged.module` to predict. The first update copies `model`'s values;
each later one, with `n = n_averaged` models averaged so far, moves every averaged array `a`
towards the model's `b`:

    SWA (the default), get_swa_avg_fn():    a <- a + (b - a) / (n + 1)   (the mean so far)
    get_swa_multi_avg_fn():                 a <- a + (b - a) * (1 / (n + 1))
    get_ema_multi_avg_fn(decay):            a <- a + (b - a) * (1 - decay)
    get_ema_avg_fn(decay):                  a <- decay * a + (1 - decay) * b

The in-place updates (all but the `*_avg_fn`) run block by block through one work array, so
`b - a` is written to and read back from cache. The SWA and `*_avg_fn` averages are PyTorch's
bit for bit on the CPU; torch's `lerp` behind the `*_multi_avg_fn` fuses the multiply-add,
so those agree with PyTorch's to rounding (and PyTorch's `get_swa_multi_avg_fn` rounds its
weight to float32, also for float64 weights). Unlike PyTorch, which blends and truncates
them, integer buffers (BatchNorm's `num_batches_tracked`) are copied from the model.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from copy import deepcopy
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from minigrad.grad_mode import no_grad
from minigrad.ops.fast import SGD_BLOCK, in_blocks
from minigrad.tensor import Tensor

__all__ = [
    "AveragedModel",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]

MultiAvgFn = Callable[[list[Tensor], list[Tensor], int], None]
"""`fn(averaged, current, n_averaged)`: updates the averaged tensors (one dtype) in place."""
AvgFn = Callable[[Tensor, Tensor, int], Tensor]
"""`fn(averaged, current, n_averaged) -> the new average` of one tensor."""


class Averageable(Protocol):
    """What `AveragedModel` needs of a model: an `nn.Module` has it all (`optim` stands
    beside `nn`, not above it, so it names the methods it uses instead of the class)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
    def named_parameters(self) -> Iterator[tuple[str, Tensor]]: ...
    def named_buffers(self) -> Iterator[tuple[str, Tensor]]: ...
    def state_dict(self) -> dict[str, NDArray[Any]]: ...
    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any: ...


M = TypeVar("M", bound=Averageable)


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """The exponential moving average `a <- decay * a + (1 - decay) * b`, in place."""
    _check_decay(decay)

    def ema_update(averaged: list[Tensor], current: list[Tensor], n_averaged: int) -> None:
        _blend_(averaged, current, np.multiply, 1 - decay)

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """The running mean `a <- a + (b - a) / (n + 1)`, in place (as a lerp by `1 / (n + 1)`)."""

    def swa_update(averaged: list[Tensor], current: list[Tensor], n_averaged: int) -> None:
        _blend_(averaged, current, np.multiply, 1 / (n_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """The exponential moving average of one tensor: `decay * a + (1 - decay) * b`."""
    _check_decay(decay)
    return lambda averaged, current, n_averaged: decay * averaged + (1 - decay) * current


def get_swa_avg_fn() -> AvgFn:
    """The running mean of one tensor: `a + (b - a) / (n + 1)`."""
    return lambda averaged, current, n_averaged: averaged + (current - averaged) / (n_averaged + 1)


class AveragedModel(Generic[M]):
    """A copy of `model` (`.module`) whose weights are an average of `model`'s over time.

    `update_parameters(model)` copies `model`'s parameters the first time and averages them
    in afterwards, with `multi_avg_fn` (in place, on the list of tensors of each dtype) or
    `avg_fn` (per tensor), by default the running mean (SWA). With `use_buffers=True` the
    float buffers (BatchNorm's running statistics) are averaged too; otherwise every buffer
    is copied from `model`. `n_averaged` counts the updates. Calling it runs `.module`.
    """

    def __init__(
        self,
        model: M,
        *,
        avg_fn: AvgFn | None = None,
        multi_avg_fn: MultiAvgFn | None = None,
        use_buffers: bool = False,
    ) -> None:
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel takes avg_fn or multi_avg_fn, not both")
        self.module: M = deepcopy(model)
        self.n_averaged = 0
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    forward = __call__

    def update_parameters(self, model: M) -> None:
        """Average `model`'s current parameters (and buffers) into `.module`'s."""
        averaged, copied = _pairs(self.module, model, self.use_buffers)
        if self.n_averaged == 0:
            averaged, copied = [], averaged + copied
        floats = [(a, b) for a, b in averaged if a.data.dtype.kind == "f"]
        copied += [(a, b) for a, b in averaged if a.data.dtype.kind != "f"]
        if floats:
            self._average(floats)
        for a, b in copied:
            np.copyto(a.data, b.data)
        for a, _ in floats + copied:
            a._mark_changed()  # a graph that used the old values must not backpropagate
        self.n_averaged += 1

    def _average(self, pairs: list[tuple[Tensor, Tensor]]) -> None:
        n = self.n_averaged
        if self.avg_fn is not None:
            with no_grad():
                for a, b in pairs:
                    np.copyto(a.data, self.avg_fn(a, b, n).data)
            return
        for dtype in dict.fromkeys(a.data.dtype for a, _ in pairs):
            group = [(a, b) for a, b in pairs if a.data.dtype == dtype]
            averaged, current = [a for a, _ in group], [b for _, b in group]
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, n)
            else:  # torch's SWA on the CPU: `get_swa_avg_fn`'s division
                _blend_(averaged, current, np.divide, n + 1)

    def state_dict(self) -> dict[str, NDArray[Any]]:
        """`{"n_averaged": 0-d int64 array, "module.<name>": array, ...}`, torch's keys."""
        module = {f"module.{k}": v for k, v in self.module.state_dict().items()}
        return {"n_averaged": np.array(self.n_averaged, np.int64), **module}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any:
        """Load a `state_dict()`; returns the module's `(missing_keys, unexpected_keys)`."""
        if "n_averaged" not in state_dict:
            raise KeyError("the state_dict of an AveragedModel needs its 'n_averaged'")
        module = {k[len("module.") :]: v for k, v in state_dict.items() if k != "n_averaged"}
        result = self.module.load_state_dict(module, strict)
        self.n_averaged = int(np.asarray(state_dict["n_averaged"]))
        return result


def _check_decay(decay: float) -> None:
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"the average's decay must lie in [0, 1], got {decay}")


def _pairs(
    mine: Averageable, theirs: Averageable, use_buffers: bool
) -> tuple[list[tuple[Tensor, Tensor]], list[tuple[Tensor, Tensor]]]:
    """`(averaged, copied)`: `(mine, theirs)` tensor pairs matched by name, the parameters
    (and buffers with `use_buffers`) to average, and the buffers to copy."""
    params, own_params = dict(theirs.named_parameters()), dict(mine.named_parameters())
    buffers, own_buffers = dict(theirs.named_buffers()), dict(mine.named_buffers())
    if params.keys() != own_params.keys() or buffers.keys() != own_buffers.keys():
        raise ValueError(
            "update_parameters needs a model of the averaged one's architecture (the same "
            "parameter and buffer names)"
        )
    averaged = [(own_params[k], params[k]) for k in params]
    copied = [(own_buffers[k], buffers[k]) for k in buffers]
    return (averaged + copied, []) if use_buffers else (averaged, copied)


def _blend_(
    averaged: Sequence[Tensor],
    current: Sequence[Tensor],
    op: Callable[..., Any],
    scale: float,
) -> None:
    """`a <- a + op(b - a, scale)` in place for each pair (`op` is `np.multiply` or
    `np.divide`), in blocks of the size of SGD's update, also two arrays and a work one."""
    largest = max(a.data.size for a in averaged)
    scratch = np.empty(largest, averaged[0].data.dtype)  # only one block of it is touched
    for a, b in zip(averaged, current, strict=True):
        work = scratch[: a.data.size].reshape(a.data.shape)
        in_blocks(partial(_blend_block, op, scale), [a.data, b.data], work, SGD_BLOCK)


def _blend_block(
    op: Callable[..., Any], scale: float, a: NDArray[Any], b: NDArray[Any], work: NDArray[Any]
) -> None:
    np.subtract(b, a, out=work)
    op(work, scale, out=work)
    a += work
