"""What a run shows in pictures: loss and accuracy curves, the confusion matrix, and the
first layer's weights as image templates (the cs231n picture).

Each function draws on a new `matplotlib.figure.Figure` and returns it, without pyplot: the
user's backend and open figures are untouched, and a notebook displays the returned figure.
`save_figure` writes one to a PNG atomically. matplotlib is optional (`pip install
"minigrad[train]"`) and imported inside these functions.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

import minigrad.nn as nn

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "curves_figure",
    "confusion_figure",
    "templates_figure",
    "first_layer_figure",
    "save_figure",
    "matplotlib_missing",
]

INSTALL_HINT = 'pip install "minigrad[train]"'


def matplotlib_missing() -> bool:
    """True when matplotlib cannot be imported (figures are then skipped)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return True
    return False


def _figure(width: float, height: float) -> Figure:
    if matplotlib_missing():
        raise ImportError(f"drawing figures needs matplotlib: {INSTALL_HINT}")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def curves_figure(history: list[dict[str, Any]], title: str = "") -> Figure:
    """Loss and accuracy per epoch of a run's `history` (train, and val/test when scored)."""
    fig = _figure(10, 4)
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = [h["epoch"] for h in history]
    for key, label in (("train", "train"), ("val", "validation"), ("test", "test")):
        if history and all(h.get(f"{key}_loss") is not None for h in history):
            ax_loss.plot(epochs, [h[f"{key}_loss"] for h in history], label=label)
            ax_acc.plot(epochs, [100 * h[f"{key}_accuracy"] for h in history], label=label)
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    from matplotlib.ticker import MaxNLocator

    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_figure(matrix: ArrayLike, class_names: Sequence[str], title: str = "") -> Figure:
    """The confusion matrix `(C, C)` (rows: true class, columns: predicted) as a heat map of
    each row's fractions, with the counts written in the cells."""
    matrix = np.asarray(matrix)
    n = len(class_names)
    size = 1.6 + 0.55 * n
    fig = _figure(size + 1.2, size)
    ax = fig.subplots()
    rows = matrix.sum(axis=1, keepdims=True)
    fractions = matrix / np.maximum(rows, 1)
    image = ax.imshow(fractions, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of the true class")
    for i in range(n):
        for j in range(n):
            colour = "white" if fractions[i, j] > 0.5 else "black"
            ax.text(
                j, i, str(int(matrix[i, j])), ha="center", va="center", color=colour, fontsize=8
            )
    ax.set_xticks(range(n), class_names, rotation=45, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set(xlabel="predicted class", ylabel="true class")
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    ax.set_title(f"{title}{' ' if title else ''}accuracy {100 * accuracy:.2f}%")
    fig.tight_layout()
    return fig


def templates_figure(
    weight: ArrayLike,
    image_shape: Sequence[int],
    titles: Sequence[str] | None = None,
    max_templates: int = 100,
    caption: str = "",
) -> Figure:
    """Rows of a weight matrix `(K, D)` drawn as images of `image_shape` (`(C, H, W)` colour
    or `(H, W)` grey, `D = prod(image_shape)`): what each unit responds to in the input.

    Each template is stretched to the full range on its own (min -> black, max -> white),
    as cs231n draws them, and the first `max_templates` are tiled into one image, ten to a
    row (one image, not one plot per template: drawing stays fast for a hundred). `caption`
    becomes the figure's title.
    """
    weight = np.asarray(weight, dtype=np.float64)[:max_templates]
    image_shape = tuple(image_shape)
    if weight.ndim != 2 or weight.shape[1] != math.prod(image_shape):
        raise ValueError(f"weights {weight.shape} are not rows of images {image_shape}")
    images = weight.reshape(len(weight), *image_shape)
    if len(image_shape) == 3:
        images = images.transpose(0, 2, 3, 1)  # channel planes -> (H, W, C) for imshow
    else:
        images = images[..., None]
    low = images.min(axis=(1, 2, 3), keepdims=True)
    high = images.max(axis=(1, 2, 3), keepdims=True)
    images = (images - low) / np.maximum(high - low, 1e-12)
    cols = min(10, len(images))
    rows = math.ceil(len(images) / cols)
    mosaic, origins = _tile(images, cols)
    height = (1.2 if titles is not None else 0.9) * rows + 0.4 + (0.8 if caption else 0)
    fig = _figure(max(0.9 * cols + 0.4, 6.0 if caption else 0), height)
    ax = fig.subplots()
    grey = mosaic.shape[-1] == 1
    ax.imshow(
        mosaic[..., 0] if grey else mosaic, cmap="gray" if grey else None, interpolation="nearest"
    )
    ax.axis("off")
    if titles is not None:
        width = images.shape[2]
        for (top, left), title in zip(origins, titles):
            ax.text(left + width / 2, top - 0.5, str(title), ha="center", va="bottom", fontsize=8)
    if caption:
        fig.suptitle(caption, fontsize=9)
    fig.tight_layout()
    return fig


def _tile(images: np.ndarray, cols: int, pad: int = 1) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """`(K, H, W, C)` images in a grid `cols` wide on a white background, `pad` pixels apart;
    returns the mosaic and each tile's top-left `(row, column)`."""
    k, h, w, c = images.shape
    rows = math.ceil(k / cols)
    mosaic = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, c))
    origins = []
    for i, image in enumerate(images):
        top, left = pad + (i // cols) * (h + pad), pad + (i % cols) * (w + pad)
        mosaic[top : top + h, left : left + w] = image
        origins.append((top, left))
    return mosaic, origins


def first_layer_figure(
    model: nn.Module,
    image_shape: Sequence[int],
    class_names: Sequence[str] | None = None,
    max_templates: int = 100,
) -> Figure:
    """`templates_figure` of the first trained `nn.Linear` in `model`, through the fixed
    ones before it (`--pca`'s projection: `W1 @ basis`, each unit's pattern in pixels). When
    that layer is the last one too (a linear classifier), its rows are the class templates,
    titled by `class_names`; otherwise the first `max_templates` hidden units are shown."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layer to draw")
    weight = None
    for layer in linears:
        weight = layer.weight.data if weight is None else layer.weight.data @ weight
        if layer.weight.requires_grad:
            break
    assert weight is not None
    if layer is linears[-1]:
        caption = "the linear classifier's weights: one template per class, drawn as an image"
        return templates_figure(weight, image_shape, class_names, max_templates, caption)
    shown = min(len(weight), max_templates)
    caption = (
        f"first layer's weights: the input pattern each of {shown} of its {len(weight)} units "
        "responds to most\n(each drawn as an image and scaled on its own: black lowest, white "
        "highest)"
    )
    return templates_figure(weight, image_shape, None, max_templates, caption)


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 100) -> Path:
    """Write `fig` as a PNG at `path` atomically (a temporary file renamed into place)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, dpi=dpi, format="png")
    os.replace(tmp, path)
    return path
