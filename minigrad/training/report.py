"""What a run shows and leaves behind: the per-epoch progress bar and the curves PNG.

tqdm and matplotlib are optional and imported here, inside the functions that use them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

__all__ = ["EpochProgress", "plot_curves"]


class EpochProgress:
    """Progress through one epoch: a tqdm bar on a terminal, else a plain line every
    `interval` seconds. `update(batch_size, loss_sum, correct)` after every batch."""

    def __init__(self, total_batches: int, desc: str, stream=None, interval: float = 15.0):
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


def _tqdm_bar(total: int, desc: str, stream):
    if not getattr(stream, "isatty", lambda: False)():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="batch", leave=False, file=stream, mininterval=0.2)


def plot_curves(history: list[dict], path: str | Path, title: str = "") -> bool:
    """Save loss and accuracy per epoch as a PNG; False (nothing written) without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    try:
        for key, label in (("train", "train"), ("val", "validation"), ("test", "test")):
            if all(h.get(f"{key}_loss") is not None for h in history):
                ax_loss.plot(epochs, [h[f"{key}_loss"] for h in history], label=label)
                accs = [100 * h[f"{key}_accuracy"] for h in history]
                ax_acc.plot(epochs, accs, label=label)
        ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
        ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
        for ax in (ax_loss, ax_acc):
            ax.grid(alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return True
