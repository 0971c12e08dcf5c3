"""A trained model with what it needs to be used: `TrainedModel` and `load_model`.

    trained = load_model("runs/digits")          # a run folder or its checkpoint.npz
    logits, classes = trained.predict(x_raw)     # raw inputs, as the dataset gives them

The checkpoint holds the configuration (so the architecture is rebuilt without the caller
knowing it), the weights (with `--ema`, the averaged ones are the model's), and the input
preprocessing fitted on the training split.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import numpy as np
from numpy.typing import ArrayLike

import minigrad.nn as nn
from minigrad.train.builders import build_model
from minigrad.train.checkpoint import load_checkpoint
from minigrad.train.config import TrainConfig
from minigrad.train.data import Preprocess
from minigrad.train.loop import Scores, Views, logits_of, loss_function, score, tta_views
from minigrad.train.rundir import CHECKPOINT

__all__ = ["TrainedModel", "load_model"]


@dataclass
class TrainedModel:
    """A trained classifier: what `fit` returns and `load_model` rebuilds.

    Attributes:
        model: the `nn.Module`, in eval mode.
        config: the resolved `TrainConfig` it was trained with (defaults filled in).
        preprocess: raw inputs -> model inputs, as in training (see `predict`).
        class_names: one name per output, e.g. CIFAR-10's `airplane`, ... `truck`.
        run_dir: the run folder (`None` if unknown).
        metrics: what the run wrote to `metrics.json` (empty if there is none).
        epochs_completed: the epochs of training behind these weights.
    """

    model: nn.Module
    config: TrainConfig
    preprocess: Preprocess
    class_names: tuple[str, ...]
    run_dir: Path | None = None
    metrics: dict = field(default_factory=dict)
    epochs_completed: int = 0

    def predict(self, x: ArrayLike, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        """Logits `(N, C)` float32 and predicted classes `(N,)` int64 for raw inputs `x`, as
        the dataset gives them: uint8 images `(N, 3, 32, 32)` or `(N, 3072)` for CIFAR-10,
        pixel counts `(N, 8, 8)` or `(N, 64)` for digits, points `(N, 2)` for spiral. The
        training split's normalisation is applied first. With `config.tta` (test-time
        augmentation) the logits are the log of the probabilities averaged over the views."""
        ready = self.preprocess(x)
        logits = np.empty((len(ready), len(self.class_names)), dtype=np.float32)
        for start, out in logits_of(self.model, ready, batch_size, self.views):
            logits[start : start + len(out.data)] = out.data
        return logits, logits.argmax(axis=1)

    def summary(self) -> nn.ModelSummary:
        """Each layer's output shape and parameter count (`nn.summary` on the model's
        flattened input)."""
        return nn.summary(self.model, (self.preprocess.in_features,))

    def score(self, x: ArrayLike, y: ArrayLike) -> Scores:
        """Loss, accuracy and predicted classes on raw inputs `x` with labels `y (N,)`."""
        ready, loss_fn = self.preprocess(x), loss_function(self.config)
        return score(self.model, ready, np.asarray(y), loss_fn, views=self.views)

    def __call__(self, x: object) -> NoReturn:
        raise TypeError(
            "a TrainedModel is not called: write `logits, classes = trained.predict(x)` for "
            "raw inputs (normalised as in training), or `trained.model(mg.tensor("
            "trained.preprocess(x)))` for the network alone"
        )

    @property
    def views(self) -> Views | None:
        """What scoring averages over (`config.tta`; see `loop.tta_views`)."""
        return tta_views(self.config.tta or "none", self.preprocess.input_shape)


def load_model(path: str | os.PathLike) -> TrainedModel:
    """Rebuild the trained model of a run folder, or of its `checkpoint.npz` (or that
    checkpoint converted with `mg.save` to `.safetensors`).

    Raises `FileNotFoundError` without a checkpoint there, `ValueError` for a file that is
    not a checkpoint.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no run folder or checkpoint at {path}")
    if path.is_file() and path.suffix.lower() not in (".npz", ".safetensors"):  # mg.load's
        raise ValueError(
            f"{path} is not a run: give the run folder that minigrad train wrote (its first "
            f"line names it), or the {CHECKPOINT} in it"
        )
    checkpoint = path / CHECKPOINT if path.is_dir() else path
    if path.is_dir() and not checkpoint.is_file():
        raise FileNotFoundError(
            f"no checkpoint at {checkpoint}: {path} holds no trained model (a run saves one "
            "after its first epoch)"
        )
    return from_state(load_checkpoint(checkpoint), checkpoint.parent)


def from_state(state: dict, run_dir: Path | None) -> TrainedModel:
    """The `TrainedModel` of a training state as `fit` checkpoints it."""
    if "data" not in state:
        raise ValueError("this checkpoint has no record of its input preprocessing: retrain it")
    cfg = TrainConfig.from_dict(state["config"])
    pre = Preprocess.from_state(state["data"]["preprocess"])
    class_names = tuple(state["data"]["class_names"])
    model = build_model(cfg, pre.in_features, len(class_names), pre.basis)
    # With --ema the run's model is the average; "model" holds the trained weights it follows.
    model.load_state_dict(state["ema"]["model"] if "ema" in state else state["model"])
    model.eval()
    metrics = {}
    if run_dir is not None and (run_dir / "metrics.json").is_file():
        metrics = json.loads((run_dir / "metrics.json").read_text())
    return TrainedModel(model, cfg, pre, class_names, run_dir, metrics, int(state["epoch"]))
