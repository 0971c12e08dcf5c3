"""What a run shows in text: the per-epoch progress bar, epoch lines, and the per-class
accuracy with its confusion matrix.

tqdm is optional and imported inside `EpochProgress`: a notebook gets tqdm's widget, a
terminal its text bar, anything else (output piped to a file) a plain line now and then.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "EpochProgress",
    "epoch_line",
    "confusion_matrix",
    "per_class_accuracy",
    "class_table",
]


class EpochProgress:
    """Progress through one epoch: a tqdm bar in a notebook or on a terminal, else a plain
    line every `interval` seconds. `update(batch_size, loss_sum, correct)` after each batch."""

    def __init__(
        self, total_batches: int, desc: str, stream: TextIO | None = None, interval: float = 15.0
    ):
        self.stream = stream or sys.stderr
        self.desc = desc
        self.total = total_batches
        self.interval = interval
        self.start = self.last_print = time.perf_counter()
        self.batches = self.samples = 0
        self.loss_sum = self.correct = 0.0
        self.bar = _tqdm_bar(total_batches, desc, self.stream)

    def update(self, batch_size: int, loss_sum: float, correct: int) -> None:
        self.batches += 1
        self.samples += batch_size
        self.loss_sum += loss_sum
        self.correct += correct
        if self.bar is not None:
            self.bar.update(1)
            if self.batches % 10 == 0 or self.batches == self.total:
                self.bar.set_postfix_str(self.status(), refresh=False)
            return
        now = time.perf_counter()
        if now - self.last_print >= self.interval and self.batches < self.total:
            self.last_print = now
            print(f"{self.desc} {self.batches}/{self.total} {self.status()}", file=self.stream)

    @property
    def loss(self) -> float:
        return self.loss_sum / max(self.samples, 1)

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.samples, 1)

    @property
    def samples_per_second(self) -> float:
        return self.samples / max(time.perf_counter() - self.start, 1e-9)

    def status(self) -> str:
        return (
            f"loss {self.loss:.4f} acc {100 * self.accuracy:.2f}% "
            f"{self.samples_per_second:,.0f} samples/s"
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython already imported by it, never by us)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _tqdm_bar(total: int, desc: str, stream: TextIO) -> Any:
    notebook = _in_notebook()
    if not notebook and not getattr(stream, "isatty", lambda: False)():
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    where = {} if notebook else {"file": stream}
    return tqdm(total=total, desc=desc, unit="batch", leave=False, mininterval=0.2, **where)


def epoch_line(entry: dict, epochs: int) -> str:
    """One history entry as the line printed after its epoch."""
    line = (
        f"epoch {entry['epoch']:>3}/{epochs}  train loss {entry['train_loss']:.4f} "
        f"acc {100 * entry['train_accuracy']:.2f}%"
    )
    for part in ("val", "test"):
        if f"{part}_accuracy" in entry:
            line += (
                f"  {part} loss {entry[f'{part}_loss']:.4f} "
                f"acc {100 * entry[f'{part}_accuracy']:.2f}%"
            )
    return line + (
        f"  {entry['epoch_seconds']:.1f}s ({entry['samples_per_second']:,.0f} samples/s, "
        f"{100 * entry['data_wait_seconds'] / entry['epoch_seconds']:.1f}% waiting for data)"
    )


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, num_classes: int) -> np.ndarray:
    """`(C, C)` int64 counts: entry `[i, j]` is the number of samples of true class `i`
    predicted as class `j` (rows: truth, columns: prediction)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.shape} labels for {y_pred.shape} predictions")
    flat = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_accuracy(matrix: np.ndarray) -> list[float | None]:
    """The diagonal over the row sums: the accuracy on each true class (None without
    samples of that class)."""
    totals = matrix.sum(axis=1)
    return [float(matrix[i, i] / n) if n else None for i, n in enumerate(totals)]


def class_table(matrix: np.ndarray, class_names: Sequence[str]) -> str:
    """Per-class accuracy and sample count beside the confusion matrix, as a text table:
    one row per true class, one column per predicted class (headed by its name's start)."""
    accs = per_class_accuracy(matrix)
    totals = matrix.sum(axis=1)
    name_w = max(5, *(len(n) for n in class_names))
    count_w = max(1, len(str(int(totals.max()))))
    cell = max(4, len(str(int(matrix.max()))))
    heads = " ".join(n[:cell].rjust(cell) for n in class_names)
    lines = [
        f"{'':<{name_w}}  {'':>6}  {'':>{count_w}}  predicted as",
        f"{'class':<{name_w}}  {'acc':>6}  {'n':>{count_w}}  {heads}",
    ]
    for name, acc, total, row in zip(class_names, accs, totals, matrix):
        acc_text = "-" if acc is None else f"{100 * acc:.1f}%"
        cells = " ".join(str(int(v)).rjust(cell) for v in row)
        lines.append(f"{name:<{name_w}}  {acc_text:>6}  {int(total):>{count_w}}  {cells}")
    return "\n".join(lines)
