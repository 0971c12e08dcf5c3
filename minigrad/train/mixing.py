"""`--mixup` and `--cutmix`: training on pairs of images blended into one.

Each batch (already whitened, cropped and flipped) is paired with a shuffled copy of itself,
sample `i` with sample `perm[i]`, and the two are combined with a weight `lam` drawn from
`Beta(alpha, alpha)` once per batch:

- mixup (Zhang et al., 2018): `x = lam * x + (1 - lam) * x[perm]`;
- CutMix (Yun et al., 2019): a box covering a fraction `1 - lam` of the image (its centre
  uniform over the image, clipped at the border) is pasted from `x[perm]`, and `lam` becomes
  the fraction of the image left uncovered after clipping.

The loss is `lam * loss(logits, y) + (1 - lam) * loss(logits, y[perm])`, each term with the
run's label smoothing. Given both, each batch takes one of them with probability 0.5 (as
`timm` does). The draws come from a generator seeded by `(seed, epoch)`, so a resumed run
mixes exactly as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from minigrad.train.config import TrainConfig

__all__ = ["MixedBatch", "Mixer", "build_mixer", "mixing_rng"]


class MixedBatch(NamedTuple):
    """A batch `x (B, D)` whose sample `i` is `lam` of label `y[i]` and `1 - lam` of
    `y_other[i]`."""

    x: np.ndarray
    y: np.ndarray
    y_other: np.ndarray
    lam: float

    @property
    def main_labels(self) -> np.ndarray:
        """The label of the larger share of each sample: what training accuracy counts."""
        return self.y if self.lam >= 0.5 else self.y_other


def mixing_rng(seed: int, epoch: int) -> np.random.Generator:
    """The generator of epoch `epoch`'s mixing draws (0-based), from `(seed, epoch)`."""
    return np.random.default_rng(np.random.SeedSequence([seed, 2], spawn_key=(epoch,)))


def build_mixer(cfg: TrainConfig, input_shape: tuple[int, ...]) -> Mixer | None:
    """The `Mixer` of `cfg.mixup` and `cfg.cutmix` for inputs of `input_shape`, or None."""
    if not (cfg.mixup or cfg.cutmix):
        return None
    return Mixer(cfg.mixup, cfg.cutmix, tuple(input_shape))


class Mixer:
    """Mixes batches as `--mixup ALPHA` and `--cutmix ALPHA` say (0: off); CutMix needs the
    images' `shape (C, H, W)`, since the batches come flat."""

    def __init__(self, mixup: float, cutmix: float, shape: tuple[int, ...] | None = None):
        if mixup < 0 or cutmix < 0 or not (mixup or cutmix):
            raise ValueError(f"mixing needs an alpha > 0, got mixup {mixup}, cutmix {cutmix}")
        if cutmix and (shape is None or len(shape) != 3):
            raise ValueError(f"CutMix needs images of a shape (C, H, W), got {shape}")
        self.mixup, self.cutmix, self.shape = mixup, cutmix, shape

    def __call__(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> MixedBatch:
        """Mix one batch `x (B, D)` with labels `y (B,)`."""
        use_cutmix = bool(self.cutmix) and (not self.mixup or rng.random() < 0.5)
        perm = rng.permutation(len(x))
        if use_cutmix:
            lam = float(rng.beta(self.cutmix, self.cutmix))
            mixed, lam = self._cut(x, perm, lam, rng)
        else:
            lam = float(rng.beta(self.mixup, self.mixup))
            mixed = x * x.dtype.type(lam) + x[perm] * x.dtype.type(1.0 - lam)
        return MixedBatch(mixed, y, y[perm], lam)

    def batches(
        self, batches: Iterator[tuple[np.ndarray, np.ndarray]], rng: np.random.Generator
    ) -> Iterator[MixedBatch]:
        """Mix each `(x, y)` of `batches` in turn."""
        for x, y in batches:
            yield self(x, y, rng)

    def _cut(
        self, x: np.ndarray, perm: np.ndarray, lam: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, float]:
        assert self.shape is not None
        c, h, w = self.shape
        ratio = np.sqrt(1.0 - lam)
        cut_h, cut_w = int(h * ratio), int(w * ratio)
        cy, cx = int(rng.integers(h)), int(rng.integers(w))
        top, bottom = np.clip((cy - cut_h // 2, cy + cut_h // 2), 0, h)
        left, right = np.clip((cx - cut_w // 2, cx + cut_w // 2), 0, w)
        out = x.reshape(len(x), c, h, w).copy()
        out[:, :, top:bottom, left:right] = out[perm, :, top:bottom, left:right]
        kept = 1.0 - (bottom - top) * (right - left) / (h * w)
        return out.reshape(x.shape), float(kept)
