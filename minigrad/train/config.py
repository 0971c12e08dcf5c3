"""`TrainConfig`: every setting of a training run, its help text, choices and checks.

A field's default here is the same for every dataset; `None` means "the dataset's default",
which `defaults.with_defaults` fills in once the dataset is known. How the settings become
command-line options is `options`' job.

    from dataclasses import fields
    for f in fields(TrainConfig):
        print(f.name, f.default, f.metadata["help"], f.metadata.get("choices"))
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TrainConfig",
    "ConfigError",
    "DATASETS",
    "ACTIVATIONS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "TTA",
    "MATMUL_PRECISIONS",
    "LOCAL_SETTINGS",
    "option_name",
]

DATASETS = ("auto", "cifar10", "digits", "spiral")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
LOSSES = ("softmax", "svm")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw")
SCHEDULES = ("cosine", "step", "exponential", "onecycle", "constant")
# Test-time augmentation: what scoring averages the model's probabilities over (loop.VIEWS).
TTA = ("none", "flip", "shift", "dense", "grid")
MATMUL_PRECISIONS = ("highest", "high", "medium")  # minigrad.precision.PRECISIONS
# Settings of one sitting of a run, not of what it trains: where the data is now (it may have
# moved) and whether the end draws pictures. Resuming may change them.
LOCAL_SETTINGS = ("data_dir", "figures")


def _setting(default: Any, group: str, help: str, choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field with its `help` text, its `group` of options and its `choices`."""
    meta: dict[str, Any] = {"help": help, "group": group}
    if choices is not None:
        meta["choices"] = choices
    return field(default=default, metadata=meta)


def option_name(name: str) -> str:
    """The command-line option of field `name`: `batch_size` -> `--batch-size`."""
    return "--" + name.replace("_", "-")


class ConfigError(ValueError):
    """A setting that makes no sense; `.field` names it."""

    def __init__(self, name: str, problem: str):
        self.field = name
        super().__init__(f"{name} ({option_name(name)}) {problem}")


@dataclass
class TrainConfig:
    """Every setting of a run. `None` means "the dataset's default" (see `defaults`).
    CIFAR-10's length is a time limit (planned into epochs once the data is loaded);
    `epochs` replaces it."""

    dataset: str = _setting(
        "auto",
        "data",
        "auto: CIFAR-10 if a copy is found or can be downloaded, else the bundled digits",
        DATASETS,
    )
    data_dir: str | None = _setting(
        None, "data", "folder holding cifar-10-batches-py/ or the tarball"
    )
    val_size: int | float | None = _setting(
        None, "data", "validation samples held out of training, a count or a fraction"
    )
    augment: bool | None = _setting(
        None, "data", "random crop from the 4-pixel zero-padded image + horizontal flip"
    )
    affine: tuple[float, float] = _setting(
        (0.0, 0.0),
        "data",
        "with --augment, also turn each training image by an angle uniform in [-DEG, DEG] "
        "degrees and scale it by a factor uniform in [1-SCALE, 1+SCALE] about its centre, "
        "in one bilinear resampling with the crop and the flip, e.g. 10,0.1; 0: off",
    )
    zca: float | None = _setting(
        None,
        "data",
        "regularised ZCA whitening of the images, with this eps on the pixel variances of "
        "images in [0, 1]; 0: per-channel normalisation instead",
    )
    pca: int | None = _setting(
        None,
        "data",
        "with --zca: feed the network the whitened images' coordinates along their PCA "
        "directions of largest variance, this many, in a fixed first layer (not trained) "
        "after the crops and flips; it cuts the first layer's work to PCA/3072 of it; 0: "
        "all the pixels",
    )
    tta: str | None = _setting(
        None,
        "data",
        "test-time augmentation of the final scores and predictions: average the probabilities "
        "of the image and its mirror image (flip), and of both moved 2 pixels in the eight "
        "directions (shift, 18 views), and also moved 1 pixel (dense, 34 views), or moved by "
        "every combination of 0, 1 and 3 pixels across and down (grid, 50 views)",
        TTA,
    )
    mixup: float = _setting(
        0.0,
        "data",
        "train on blends lam*x + (1-lam)*x' of each image with another of its batch, with "
        "lam ~ Beta(ALPHA, ALPHA) per batch and the loss weighted alike; the training "
        "accuracy counts the label of the larger share; 0: off",
    )
    cutmix: float = _setting(
        0.0,
        "data",
        "paste a box of another image of the batch into each image, covering 1-lam of it "
        "with lam ~ Beta(ALPHA, ALPHA) per batch, the loss weighted by area; with --mixup each "
        "batch takes one of the two at random; 0: off",
    )
    hidden: tuple[int, ...] | None = _setting(
        None, "model", "hidden widths, e.g. 1024,512 (none: a linear classifier)"
    )
    activation: str = _setting("relu", "model", "nonlinearity after each hidden layer", ACTIVATIONS)
    dropout: float = _setting(0.0, "model", "dropout probability after each hidden layer")
    batch_norm: bool = _setting(
        True, "model", "BatchNorm1d after each hidden Linear (which then has no bias)"
    )
    loss: str = _setting("softmax", "loss", "softmax: cross-entropy; svm: multiclass hinge", LOSSES)
    label_smoothing: float | None = _setting(None, "loss", "softmax loss only")
    distill: float = _setting(
        0.0,
        "loss",
        "from half-way through the run, train on (1-W) * the labels' loss + W * the "
        "cross-entropy against the run's own predictions for each training image, averaged "
        "over the --tta views and taken at 1/2 and again at 3/4 of the run; softmax loss "
        "only; 0: off",
    )
    optimizer: str = _setting(
        "adamw", "optimisation", "momentum and nesterov are SGD with --momentum", OPTIMIZERS
    )
    lr: float | None = _setting(None, "optimisation", "peak learning rate")
    momentum: float = _setting(0.9, "optimisation", "for --optimizer momentum/nesterov")
    betas: tuple[float, float] = _setting((0.9, 0.999), "optimisation", "Adam's moment decay rates")
    weight_decay: float = _setting(
        0.05,
        "optimisation",
        "on weight matrices only, not on biases or BatchNorm parameters (decoupled for adamw)",
    )
    schedule: str = _setting(
        "cosine", "optimisation", "learning rate per step after the warm-up", SCHEDULES
    )
    warmup: float = _setting(
        0.05, "optimisation", "linear warm-up, a fraction of all steps (onecycle: pct_start)"
    )
    ema: float = _setting(
        0.0,
        "optimisation",
        "score, predict with and save an exponential moving average of the weights and "
        "BatchNorm statistics with this decay per step, e.g. 0.999 (warmed up as "
        "min(decay, (1+t)/(10+t)) at step t); 0: the trained weights",
    )
    epochs: int | None = _setting(None, "length", "passes over the training set")
    time_limit: float | None = _setting(
        None,
        "length",
        "plan the number of epochs to fit this wall-clock budget, data loading included",
    )
    batch_size: int | None = _setting(None, "length", "samples per step")
    seed: int = _setting(0, "run", "weights, shuffles, augmentation and dropout")
    matmul_precision: str | None = _setting(
        None,
        "run",
        "float32 matrix products, as torch.set_float32_matmul_precision: highest or high "
        "(float32), or medium (operands rounded to bfloat16, sums in float32: several times "
        'faster on CPUs with bfloat16 units, given pip install "minigrad[fast]"; float32 '
        "elsewhere)",
        MATMUL_PRECISIONS,
    )
    figures: bool = _setting(
        True,
        "run",
        "draw curves.png, confusion.png and weights.png when the run ends (matplotlib); off: "
        "only the numbers (metrics.json, history.csv, the terminal)",
    )

    def validate(self) -> None:
        """Raise `ConfigError` (a `ValueError`) naming the first setting that makes no sense.
        (Types are checked where untyped values come in: `from_dict`.)"""
        for f in dataclasses.fields(self):
            allowed, value = f.metadata.get("choices"), getattr(self, f.name)
            if allowed and value is not None and value not in allowed:
                raise ConfigError(f.name, f"must be one of {', '.join(allowed)}")
        for name in ("dropout", "warmup", "label_smoothing", "ema", "distill"):
            _check(self, name, lambda v: 0.0 <= v < 1.0, "must lie in [0, 1)")
        for name in ("lr", "time_limit"):
            _check(self, name, lambda v: v > 0, "must be > 0")
        for name in ("weight_decay", "momentum", "zca", "mixup", "cutmix"):
            _check(self, name, lambda v: v >= 0, "must be >= 0")
        for name in ("epochs", "batch_size"):
            _check(self, name, lambda v: v >= 1, "must be >= 1")
        _check(self, "pca", lambda v: v >= 0, "must be >= 0")
        _check(self, "betas", lambda v: all(0.0 <= b < 1.0 for b in v), "must both lie in [0, 1)")
        _check(
            self,
            "affine",
            lambda v: v[0] >= 0 and 0 <= v[1] < 1,
            "must be DEG,SCALE with DEG >= 0 and SCALE in [0, 1)",
        )
        _check(self, "hidden", lambda v: all(h >= 1 for h in v), "widths must be >= 1")
        _check(
            self,
            "val_size",
            lambda v: v >= 0 and (isinstance(v, int) or v < 1),
            "must be a count >= 0 or a fraction in [0, 1)",
        )
        for name in ("label_smoothing", "distill"):
            if self.loss == "svm" and getattr(self, name):
                raise ConfigError(name, "applies to the softmax loss only")
        if self.distill and (self.mixup or self.cutmix):
            raise ConfigError("distill", "cannot be combined with --mixup or --cutmix")
        if self.epochs is not None and self.time_limit is not None:
            raise ConfigError("epochs", "and time_limit (--time-limit): give one, not both")

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-ready values (tuples become lists when written as JSON)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainConfig:
        """The config that a `to_dict` (e.g. a run's `config.json`) or a hand-edited file
        describes. Missing keys keep their defaults; an unknown key raises `ValueError`, a
        value of the wrong type `ConfigError`, each naming it. msgspec converts the values
        (strictly: JSON lists become tuples, whole numbers floats where a float is meant,
        nothing else). Not validated."""
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = [str(key) for key in d if key not in known]
        if unknown:
            guesses = [
                f"{key} (did you mean {close[0]}?)" if close else key
                for key in unknown
                for close in [difflib.get_close_matches(key, known, n=1)]
            ]
            raise ValueError(
                f"unknown setting(s) {', '.join(guesses)}; TrainConfig has {', '.join(known)}"
            )
        try:
            import msgspec
        except ImportError:
            raise ImportError(
                'reading saved settings needs msgspec: pip install "minigrad[train]"'
            ) from None
        try:
            return msgspec.convert(dict(d), cls, strict=True)
        except msgspec.ValidationError as err:
            problem, _, where = str(err).partition(" - at `$.")
            name = where.split("`")[0].split("[")[0]
            problem = problem[0].lower() + problem[1:]
            raise ConfigError(name, f"has the wrong type ({problem}): {d.get(name)!r}") from None

    def with_overrides(self, changes: Mapping[str, Any]) -> TrainConfig:
        """A copy with `changes` applied. Giving `epochs` clears `time_limit` and the other
        way round, since a run has one length."""
        changes = dict(changes)
        for one, other in (("epochs", "time_limit"), ("time_limit", "epochs")):
            if changes.get(one) is not None and other not in changes:
                changes[other] = None
        return dataclasses.replace(self, **changes)

    def changed_fields(self) -> dict[str, Any]:
        """The fields that differ from their defaults: what a caller asked for."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        }

    def differences(self, other: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
        """`(field, value here, value in other)` for each setting in `other` that is not the
        same here, leaving out `LOCAL_SETTINGS` and `dataset="auto"` (it means whichever was
        found)."""
        out = []
        for name, value in other.items():
            if name in LOCAL_SETTINGS or (name == "dataset" and value == "auto"):
                continue
            mine = getattr(self, name)
            if _plain(value) != _plain(mine):
                out.append((name, mine, value))
        return out


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _check(cfg: TrainConfig, name: str, ok: Callable[[Any], bool], problem: str) -> None:
    value = getattr(cfg, name)
    if value is not None and not ok(value):
        raise ConfigError(name, f"{problem}, got {value}")
