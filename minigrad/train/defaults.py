"""The settings that depend on the dataset or the optimizer, and where they are filled in.

`TrainConfig` leaves these `None`; `with_defaults(config, dataset)` fills each one the
caller left out, once the dataset is known. This is the one place these defaults are written.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from minigrad.train.config import ConfigError, TrainConfig

__all__ = [
    "DEFAULT_LR",
    "CIFAR10_ADAM_LR",
    "DATASET_DEFAULTS",
    "CIFAR10_VAL_SIZE",
    "SOFTMAX_LABEL_SMOOTHING",
    "with_defaults",
    "filled",
]

T = TypeVar("T")

# The peak learning rate of each optimizer (one key per `config.OPTIMIZERS`).
DEFAULT_LR = {
    "sgd": 0.1,
    "momentum": 0.05,
    "nesterov": 0.05,
    "adagrad": 0.01,
    "adadelta": 1.0,
    "rmsprop": 1e-3,
    "adam": 3e-3,
    "adamw": 3e-3,
}
# Adam and AdamW on CIFAR-10, tuned on the 45k/5k split: batch 512 at lr 5e-3 matched batch
# 256 at 3e-3 (66.3%) in 18% less time (docs/training-recipe.md).
CIFAR10_ADAM_LR = 5e-3
DATASET_DEFAULTS: dict[str, dict[str, Any]] = {
    "cifar10": {
        "hidden": (1024, 512),
        # 15 minutes less 30 s: the run ends near 97% of it (planning.MARGIN), scored, and
        # its pictures follow; a slower machine re-plans to the same end.
        "time_limit": 870.0,
        "batch_size": 512,
        "augment": True,
        "zca": 0.03,
        "pca": 512,
        "tta": "grid",
        # bfloat16 products where the CPU and the `fast` extra have them (float32 elsewhere):
        # 231 epochs instead of 208 in the budget, 78.16% against 77.56% (seed 0,
        # docs/training-recipe.md)
        "matmul_precision": "medium",
    },
    "digits": {
        "hidden": (256,),
        "epochs": 20,
        "batch_size": 64,
        "augment": False,
        "zca": 0.0,
        "pca": 0,
        "tta": "none",
        "val_size": 0.15,
        "matmul_precision": "highest",
    },
    "spiral": {
        "hidden": (100,),
        "epochs": 60,
        "batch_size": 32,
        "augment": False,
        "zca": 0.0,
        "pca": 0,
        "tta": "none",
        "val_size": 0.15,
        "matmul_precision": "highest",
    },
}
# Held out of CIFAR-10's 50,000 training images when the copy has no test_batch to score on
# (filled in by the data, which knows whether it has one).
CIFAR10_VAL_SIZE = 5000
SOFTMAX_LABEL_SMOOTHING = 0.1


def with_defaults(config: TrainConfig, dataset: str) -> TrainConfig:
    """A copy of `config` for `dataset` with every `None` this module knows filled in:
    `DATASET_DEFAULTS[dataset]` (a given `epochs` or `time_limit` replaces the dataset's
    length), `DEFAULT_LR` of the optimizer (`CIFAR10_ADAM_LR` for adam/adamw on CIFAR-10),
    `SOFTMAX_LABEL_SMOOTHING` for the softmax loss (0 for svm); `pca` is 0 without `zca`."""
    fill = {k: v for k, v in DATASET_DEFAULTS[dataset].items() if getattr(config, k) is None}
    if config.epochs is not None or config.time_limit is not None:
        fill.pop("epochs", None)
        fill.pop("time_limit", None)
    if config.lr is None:
        adam_on_cifar = dataset == "cifar10" and config.optimizer in ("adam", "adamw")
        fill["lr"] = CIFAR10_ADAM_LR if adam_on_cifar else DEFAULT_LR[config.optimizer]
    if config.label_smoothing is None:
        fill["label_smoothing"] = SOFTMAX_LABEL_SMOOTHING if config.loss == "softmax" else 0.0
    if config.tta not in (None, "none") and dataset != "cifar10":
        raise ConfigError("tta", f"(mirrored and moved images) is made for CIFAR-10, not {dataset}")
    if config.pca is None and not fill.get("zca", config.zca):
        fill["pca"] = 0  # the projection is onto the whitening's directions: none without it
    elif config.pca and not fill.get("zca", config.zca):
        raise ConfigError("pca", "projects the --zca whitened images: use it with --zca > 0")
    if config.cutmix and dataset != "cifar10":
        raise ConfigError("cutmix", f"(boxes cut from images) is made for CIFAR-10, not {dataset}")
    if any(config.affine):
        if dataset != "cifar10":
            raise ConfigError("affine", f"(turned images) is made for CIFAR-10, not {dataset}")
        if not fill.get("augment", config.augment):
            raise ConfigError("affine", "turns the crops of --augment: use it with --augment")
    return dataclasses.replace(config, dataset=dataset, **fill)


def filled(value: T | None) -> T:
    """A setting that `with_defaults` has filled in: `None` here is a bug, said at once."""
    if value is None:
        raise ValueError("a dataset default was used before with_defaults filled it in")
    return value
