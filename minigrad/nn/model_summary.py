"""`nn.summary(model, input_shape)`: each layer's output shape and parameter count, and the
totals, the table that `print(model)` does not give.

    >>> import minigrad.nn as nn
    >>> model = nn.Sequential(nn.Linear(64, 32, bias=False), nn.BatchNorm1d(32), nn.ReLU(),
    ...                       nn.Linear(32, 10))
    >>> print(nn.summary(model, (64,)))
    layer  type         output shape  params
    input               (N, 64)
    0      Linear       (N, 32)        2,048
    1      BatchNorm1d  (N, 32)           64
    2      ReLU         (N, 32)            0
    3      Linear       (N, 10)          330
    total: 2,442 parameters (2,442 trainable), 65 in buffers

The shapes come from running the model once on zeros (in eval mode, without a graph), with
each submodule's `forward` wrapped for the call to note what it returns.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from minigrad.dtypes import get_default_dtype
from minigrad.grad_mode import no_grad
from minigrad.nn.module import Module
from minigrad.tensor import Tensor

__all__ = ["summary", "ModelSummary", "LayerSummary"]

Shape = tuple[int | str, ...]  # a shape whose batch axis is written "N"


@dataclass
class LayerSummary:
    """One submodule: dotted `name`, class name `kind`, `output_shape` with the batch axis
    as `"N"` (None if the forward pass did not call it), and its `params` (its own and its
    children's)."""

    name: str
    kind: str
    output_shape: Shape | None
    params: int


@dataclass
class ModelSummary:
    """What `summary` returns: prints as a text table, displays as HTML in Jupyter."""

    input_shape: Shape
    layers: list[LayerSummary]
    total_params: int
    trainable_params: int
    buffer_values: int

    def rows(self) -> list[tuple[str, str, str, str]]:
        """`(layer, type, output shape, params)` as text, headed by the input row."""
        rows = [("input", "", _shape_text(self.input_shape), "")]
        for layer in self.layers:
            shape = "-" if layer.output_shape is None else _shape_text(layer.output_shape)
            rows.append((layer.name, layer.kind, shape, f"{layer.params:,}"))
        return rows

    def total_text(self) -> str:
        """The last line of the table: parameter and buffer totals."""
        return (
            f"total: {self.total_params:,} parameters ({self.trainable_params:,} trainable), "
            f"{self.buffer_values:,} in buffers"
        )

    def __str__(self) -> str:
        table = [("layer", "type", "output shape", "params"), *self.rows()]
        widths = [max(len(row[k]) for row in table) for k in range(4)]
        lines = [
            "  ".join(
                cell.rjust(w) if k == 3 else cell.ljust(w)
                for k, (cell, w) in enumerate(zip(row, widths))
            ).rstrip()
            for row in table
        ]
        return "\n".join([*lines, self.total_text()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("layer", "type", "output shape", "params"))
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in self.rows()
        )
        return (
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<p>{html.escape(self.total_text())}</p>"
        )


def _shape_text(shape: Shape) -> str:
    inner = ", ".join(str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def summary(
    model: Module,
    input_shape: int | Sequence[int],
    batch_size: int = 2,
    dtype: DTypeLike | None = None,
) -> ModelSummary:
    """Run `model` once on zeros of shape `(batch_size, *input_shape)` and report each
    submodule's output shape and parameter count.

    Args:
        model: an `nn.Module`; its mode (train/eval) is restored afterwards.
        input_shape: one sample's shape, without the batch axis, e.g. `(3072,)`.
        dtype: of the zeros (default: minigrad's default dtype).
    """
    input_shape = tuple(int(d) for d in np.atleast_1d(input_shape))
    shapes: dict[str, Shape] = {}
    wrapped = []
    for name, module in model.named_modules():
        if module is not model:
            _note_output(module, name, shapes)
            wrapped.append(module)
    was_training = model.training
    model.eval()
    x = np.zeros((batch_size, *input_shape), dtype=dtype or get_default_dtype())
    try:
        with no_grad():
            model(Tensor(x))
    finally:
        for module in wrapped:
            del module.__dict__["forward"]  # the class's forward shows through again
        model.train(was_training)
    layers = [
        LayerSummary(name, type(m).__name__, shapes.get(name), _count(m.parameters()))
        for name, m in model.named_modules()
        if m is not model
    ]
    params = list(model.parameters())
    return ModelSummary(
        ("N", *input_shape),
        layers,
        _count(params),
        _count(p for p in params if p.requires_grad),
        _count(model.buffers()),
    )


def _note_output(module: Module, name: str, shapes: dict[str, Shape]) -> None:
    """Shadow `module.forward` with an instance attribute that records its output shape
    (with the batch axis as "N")."""
    forward = module.forward

    def noting(*args: Any, **kwargs: Any) -> Any:
        out = forward(*args, **kwargs)
        if isinstance(out, Tensor) and out.ndim:
            shapes[name] = ("N", *out.shape[1:])
        return out

    object.__setattr__(module, "forward", noting)


def _count(tensors: Iterable[Tensor]) -> int:
    return sum(int(t.data.size) for t in tensors)
