"""The model and optimizer of a run, built from its (filled-in) `TrainConfig`."""

from __future__ import annotations

import numpy as np

import minigrad.nn as nn
import minigrad.optim as optim
from minigrad import Tensor
from minigrad.train.config import OPTIMIZERS, TrainConfig
from minigrad.train.defaults import filled

__all__ = ["MLP", "build_model", "build_optimizer", "freeze_fixed", "reseed_dropout"]

_ACTIVATION_LAYERS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


class MLP(nn.Sequential):
    """The network of a run: an `nn.Sequential` from model inputs, a float `Tensor (N, D)`
    of normalised values, to logits `(N, C)`. Anything else is refused with a sentence:
    raw data passed straight in would be scored without the normalisation training used.

    A `BatchNorm1d` followed by a `ReLU` runs as one fused op (`BatchNorm1d.forward_relu`,
    the same numbers within float rounding in about half the time); the modules, and so
    the `state_dict` names and the exported graph, stay the two layers."""

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.dtype.kind != "f":
            raise TypeError(
                f"the network takes normalised inputs as a float Tensor, not {_kind(x)}: for "
                "raw inputs as the dataset gives them write `logits, classes = "
                "trained.predict(x)`, or `trained.model(mg.tensor(trained.preprocess(x)))` "
                "for the network's own output"
            )
        layers = list(self)
        skip = False
        for layer, after in zip(layers, [*layers[1:], None]):
            if skip:
                skip = False  # this ReLU ran inside the BatchNorm1d before it
            elif isinstance(layer, nn.BatchNorm1d) and type(after) is nn.ReLU:
                x, skip = layer.forward_relu(x), True
            else:
                x = layer(x)
        return x


def _kind(x: object) -> str:
    name = "NumPy array" if isinstance(x, np.ndarray) else type(x).__name__
    dtype = getattr(x, "dtype", None)
    return f"a {name}" + (f" of {dtype}" if dtype is not None else "")


def build_model(
    cfg: TrainConfig, in_features: int, num_classes: int, basis: np.ndarray | None = None
) -> MLP:
    """`in -> [Linear -> BatchNorm1d -> act -> Dropout] * len(hidden) -> Linear(classes)`.

    A Linear followed by BatchNorm1d has no bias (the norm's shift replaces it). Weights are
    drawn from a generator seeded by `cfg.seed`. With `cfg.pca` the first layer is a fixed
    `Linear(in, pca)` without bias whose weight is `basis` `(pca, in)` (`Preprocess.basis`),
    not trained: `requires_grad` is False, so backward and the optimizer skip it.
    """
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 0]))
    layers: list[nn.Module] = []
    width = in_features
    if cfg.pca:
        if basis is None or basis.shape != (cfg.pca, in_features):
            got = "none" if basis is None else f"shape {basis.shape}"
            raise ValueError(
                f"--pca {cfg.pca} needs the whitened images' principal directions, a basis of "
                f"shape ({cfg.pca}, {in_features}) (Preprocess.basis), got {got}"
            )
        project = nn.Linear(in_features, cfg.pca, bias=False, rng=rng)
        project.weight = nn.Parameter(basis, requires_grad=False)
        layers.append(project)
        width = cfg.pca
    for h in filled(cfg.hidden):
        layers.append(nn.Linear(width, h, bias=not cfg.batch_norm, rng=rng))
        if cfg.batch_norm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(_ACTIVATION_LAYERS[cfg.activation]())
        if cfg.dropout:
            layers.append(nn.Dropout(cfg.dropout))
        width = h
    layers.append(nn.Linear(width, num_classes, rng=rng))
    return freeze_fixed(MLP(*layers))


def freeze_fixed(model: MLP) -> MLP:
    """Make the weights that are not trained (`--pca`'s projection) read-only, so that
    bfloat16 products (`--matmul-precision medium`) round them once, not every step
    (`minigrad.precision.rounded`); call again after `load_state_dict`, which copies."""
    for p in model.parameters():
        if not p.requires_grad:
            p.data.flags.writeable = False
    return model


def reseed_dropout(model: nn.Module, seed: int, epoch: int) -> None:
    """Give each Dropout a generator drawn from `(seed, epoch)`, so that a resumed epoch
    draws the same masks as an uninterrupted one."""
    drops = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    for k, m in enumerate(drops):
        m.rng = np.random.default_rng(np.random.SeedSequence([seed, 1], spawn_key=(epoch, k)))


def build_optimizer(cfg: TrainConfig, model: nn.Module) -> optim.Optimizer:
    """`cfg.optimizer` over two groups: weight matrices with `cfg.weight_decay`, the rest
    (biases, BatchNorm scales and shifts) without decay, at the peak rate `cfg.lr` (which
    the run's schedule then scales step by step); fixed parameters (`--pca`'s) are left out."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.ndim == 2], "weight_decay": cfg.weight_decay}]
    rest = [p for p in params if p.ndim != 2]
    if rest:
        groups.append({"params": rest, "weight_decay": 0.0})
    name, lr = cfg.optimizer, filled(cfg.lr)
    b1, b2 = cfg.betas
    if name in ("sgd", "momentum", "nesterov"):
        momentum = 0.0 if name == "sgd" else cfg.momentum
        return optim.SGD(groups, lr=lr, momentum=momentum, nesterov=name == "nesterov")
    if name == "adagrad":
        return optim.Adagrad(groups, lr=lr)
    if name == "adadelta":
        return optim.Adadelta(groups, lr=lr)
    if name == "rmsprop":
        return optim.RMSprop(groups, lr=lr)
    if name == "adam":
        return optim.Adam(groups, lr=lr, betas=(b1, b2))
    if name == "adamw":
        return optim.AdamW(groups, lr=lr, betas=(b1, b2))
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
