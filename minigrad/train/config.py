"""`TrainConfig`: every setting of a training run, with its default, choices and check.

This is the one place where a default or a choice list of `minigrad train` is written: the
command line builds its options, defaults and help text from these fields, and `fit` fills
the dataset-dependent defaults (`None` below) with `TrainConfig.resolved`.

    from dataclasses import fields
    for f in fields(TrainConfig):
        print(f.name, f.default, f.metadata["help"], f.metadata.get("choices"))
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
import types
import typing
from dataclasses import dataclass, field

from minigrad.data.datasets import CACHE_ORDER

__all__ = [
    "TrainConfig",
    "ConfigError",
    "DATASETS",
    "ACTIVATIONS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "TTA",
    "DEFAULT_LR",
    "DATASET_DEFAULTS",
    "CIFAR10_ADAM_LR",
    "CIFAR10_VAL_SIZE",
    "SOFTMAX_LABEL_SMOOTHING",
    "UNTRAINED",
    "default_text",
    "option_name",
]

DATASETS = ("auto", "cifar10", "digits", "spiral")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
LOSSES = ("softmax", "svm")
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
OPTIMIZERS = tuple(DEFAULT_LR)
SCHEDULES = ("cosine", "step", "exponential", "onecycle", "constant")
# Test-time augmentation: what scoring averages the model's probabilities over (loop.VIEWS).
TTA = ("none", "flip", "shift")
DATASET_DEFAULTS = {
    "cifar10": {
        "hidden": (1024, 512),
        "time_limit": 780.0,
        "batch_size": 512,
        "augment": True,
        "zca": 0.1,
        "tta": "shift",
    },
    "digits": {
        "hidden": (256,),
        "epochs": 20,
        "batch_size": 64,
        "augment": False,
        "zca": 0.0,
        "tta": "none",
        "val_size": 0.15,
    },
    "spiral": {
        "hidden": (100,),
        "epochs": 60,
        "batch_size": 32,
        "augment": False,
        "zca": 0.0,
        "tta": "none",
        "val_size": 0.15,
    },
}
# Tuned on the 45k/5k split: batch 512 at lr 5e-3 matched batch 256 at 3e-3 (66.3%) in
# 18% less time (docs/training.md).
CIFAR10_ADAM_LR = 5e-3
# Held out of CIFAR-10's 50,000 training images when the copy has no test_batch to score on.
CIFAR10_VAL_SIZE = 5000
SOFTMAX_LABEL_SMOOTHING = 0.1
# Fields that do not change what a run trains: where the data is now (it may have moved) and
# whether the end draws pictures. A resumed run takes them as given, not as saved.
UNTRAINED = ("data_dir", "figures")


def _widths(text: str) -> tuple[int, ...]:
    """`1024,512` -> (1024, 512); `""` or `none` -> () (a linear classifier)."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        return tuple(int(w) for w in text.split(","))
    except ValueError:
        raise ValueError(f"expected widths like 1024,512, got {text!r}") from None


def _pair(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"expected two numbers like 0.9,0.999, got {text!r}")
    return float(parts[0]), float(parts[1])


def _size(text: str) -> int | float:
    """A count (`5000`) or a fraction (`0.1`) of the samples."""
    value = float(text)
    return int(value) if value.is_integer() else value


def _setting(default, group: str, help: str, choices=None, parse=None, metavar=None):
    """A dataclass field whose metadata the CLI reads: `help`, `group`, and when given
    `choices`, `parse` (text -> value) and `metavar`."""
    meta = {"help": help, "group": group}
    for key, value in (("choices", choices), ("parse", parse), ("metavar", metavar)):
        if value is not None:
            meta[key] = value
    return field(default=default, metadata=meta)


class ConfigError(ValueError):
    """A setting that makes no sense; `.field` names it."""

    def __init__(self, name: str, problem: str):
        self.field = name
        super().__init__(f"{name} ({option_name(name)}) {problem}")


def option_name(name: str) -> str:
    """The command-line option of field `name`: `batch_size` -> `--batch-size`."""
    return "--" + name.replace("_", "-")


@dataclass
class TrainConfig:
    """Every setting of a run. `None` means "the dataset's default", filled in by
    `resolved(dataset)`: `DATASET_DEFAULTS`, `DEFAULT_LR` per optimizer (`CIFAR10_ADAM_LR` for
    adam/adamw on CIFAR-10), label smoothing 0.1 for the softmax loss. CIFAR-10's length is a
    time limit (planned into epochs once the data is loaded); `epochs` replaces it."""

    dataset: str = _setting(
        "auto",
        "data",
        "auto: CIFAR-10 if a copy is found or can be downloaded, else the bundled digits",
        choices=DATASETS,
    )
    data_dir: str | None = _setting(
        None,
        "data",
        "folder holding cifar-10-batches-py/ or the tarball",
        metavar="DIR",
    )
    val_size: int | float | None = _setting(
        None,
        "data",
        "validation samples held out of training, a count or a fraction",
        parse=_size,
        metavar="N",
    )
    augment: bool | None = _setting(
        None, "data", "random crop from the 4-pixel zero-padded image + horizontal flip"
    )
    zca: float | None = _setting(
        None,
        "data",
        "regularised ZCA whitening of the images, with this eps on the pixel variances of "
        "images in [0, 1]; 0: per-channel normalisation instead",
        metavar="EPS",
    )
    tta: str | None = _setting(
        None,
        "data",
        "test-time augmentation of the final scores and predictions: average the probabilities "
        "of the image and its mirror image (flip), and of both moved 2 pixels in the eight "
        "directions (shift, 18 views)",
        choices=TTA,
    )
    hidden: tuple[int, ...] | None = _setting(
        None,
        "model",
        "hidden widths, e.g. 1024,512 (none: a linear classifier)",
        parse=_widths,
        metavar="W1,W2",
    )
    activation: str = _setting("relu", "model", "nonlinearity after each hidden layer", ACTIVATIONS)
    dropout: float = _setting(0.0, "model", "dropout probability after each hidden layer")
    batch_norm: bool = _setting(
        True, "model", "BatchNorm1d after each hidden Linear (which then has no bias)"
    )
    loss: str = _setting(
        "softmax", "loss", "softmax: cross-entropy; svm: multiclass hinge", choices=LOSSES
    )
    label_smoothing: float | None = _setting(None, "loss", "softmax loss only")
    optimizer: str = _setting(
        "adamw",
        "optimisation",
        "momentum and nesterov are SGD with --momentum",
        choices=OPTIMIZERS,
    )
    lr: float | None = _setting(None, "optimisation", "peak learning rate")
    momentum: float = _setting(0.9, "optimisation", "for --optimizer momentum/nesterov")
    betas: tuple[float, float] = _setting(
        (0.9, 0.999), "optimisation", "Adam's moment decay rates", parse=_pair, metavar="B1,B2"
    )
    weight_decay: float = _setting(
        0.05,
        "optimisation",
        "on weight matrices only, not on biases or BatchNorm parameters (decoupled for adamw)",
    )
    schedule: str = _setting(
        "cosine", "optimisation", "learning rate per step after the warm-up", choices=SCHEDULES
    )
    warmup: float = _setting(
        0.05, "optimisation", "linear warm-up, a fraction of all steps (onecycle: pct_start)"
    )
    epochs: int | None = _setting(None, "length", "passes over the training set")
    time_limit: float | None = _setting(
        None,
        "length",
        "plan the number of epochs to fit this wall-clock budget, data loading included",
        metavar="SECONDS",
    )
    batch_size: int | None = _setting(None, "length", "samples per step")
    seed: int = _setting(0, "run", "weights, shuffles, augmentation and dropout")
    figures: bool = _setting(
        True,
        "run",
        "draw curves.png, confusion.png and weights.png when the run ends (matplotlib); off: "
        "only the numbers (metrics.json, history.csv, the terminal)",
    )

    def validate(self) -> None:
        """Raise `ConfigError` (a `ValueError`) naming the first setting that makes no sense."""
        _check_types(self)
        for f in dataclasses.fields(self):
            allowed, value = f.metadata.get("choices"), getattr(self, f.name)
            if allowed and value is not None and value not in allowed:
                raise ConfigError(f.name, f"must be one of {', '.join(allowed)}")
        for name in ("dropout", "warmup", "label_smoothing"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value < 1.0:
                raise ConfigError(name, f"must lie in [0, 1), got {value}")
        if self.loss == "svm" and self.label_smoothing:
            raise ConfigError("label_smoothing", "applies to the softmax loss only")
        for name in ("lr", "time_limit"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError(name, f"must be > 0, got {value}")
        for name in ("weight_decay", "momentum", "zca"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ConfigError(name, f"must be >= 0, got {value}")
        if not all(0.0 <= b < 1.0 for b in self.betas):
            raise ConfigError("betas", f"must both lie in [0, 1), got {self.betas}")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(name, f"must be >= 1, got {value}")
        if self.epochs is not None and self.time_limit is not None:
            raise ConfigError("epochs", "and time_limit (--time-limit): give one, not both")
        if self.hidden is not None and any(h < 1 for h in self.hidden):
            raise ConfigError("hidden", f"widths must be >= 1, got {self.hidden}")
        if self.val_size is not None and (
            self.val_size < 0 or (isinstance(self.val_size, float) and self.val_size >= 1)
        ):
            raise ConfigError(
                "val_size", f"must be a count >= 0 or a fraction in [0, 1), got {self.val_size}"
            )

    def resolved(self, dataset: str) -> TrainConfig:
        """A copy with the dataset fixed and every `None` default it knows filled in (the
        validation size of CIFAR-10 depends on the copy found, so the data fills it)."""
        defaults = DATASET_DEFAULTS[dataset]
        fill = {k: v for k, v in defaults.items() if getattr(self, k) is None}
        if self.epochs is not None or self.time_limit is not None:
            fill.pop("epochs", None)  # the user's length wins over the dataset's
            fill.pop("time_limit", None)
        if self.lr is None:
            fill["lr"] = DEFAULT_LR[self.optimizer]
            if dataset == "cifar10" and self.optimizer in ("adam", "adamw"):
                fill["lr"] = CIFAR10_ADAM_LR
        if self.label_smoothing is None:
            fill["label_smoothing"] = SOFTMAX_LABEL_SMOOTHING if self.loss == "softmax" else 0.0
        if self.tta not in (None, "none") and dataset != "cifar10":
            raise ConfigError(
                "tta", f"(mirrored and moved images) is made for CIFAR-10, not {dataset}"
            )
        return dataclasses.replace(self, dataset=dataset, **fill)

    def to_dict(self) -> dict:
        """Every field as JSON-ready values (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """The config a `to_dict` (e.g. a run's `config.json`) describes; missing keys keep
        their defaults, unknown keys are an error naming them. Not validated."""
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = [key for key in d if key not in known]
        if unknown:
            guesses = [
                f"{key} (did you mean {close[0]}?)" if close else key
                for key in unknown
                for close in [difflib.get_close_matches(str(key), known, n=1)]
            ]
            raise ValueError(
                f"unknown setting(s) {', '.join(guesses)}; TrainConfig has {', '.join(known)}"
            )
        d = dict(d)
        for key in ("hidden", "betas"):
            if isinstance(d.get(key), list):
                d[key] = tuple(d[key])
        return cls(**d)

    def with_overrides(self, changes: dict) -> TrainConfig:
        """A copy with `changes` applied. Giving `epochs` clears `time_limit` and the other
        way round, since a run has one length."""
        changes = dict(changes)
        for one, other in (("epochs", "time_limit"), ("time_limit", "epochs")):
            if changes.get(one) is not None and other not in changes:
                changes[other] = None
        return dataclasses.replace(self, **changes)

    def changed_fields(self) -> dict:
        """The fields that differ from their defaults: what a caller asked for."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        }

    def conflicts(self, given: dict) -> list[tuple[str, object, object]]:
        """`(field, value here, given value)` for each of `given` that contradicts this
        (saved, resolved) config. The `UNTRAINED` fields never conflict, nor does
        `dataset="auto"` (it means whichever was found)."""
        out = []
        for name, value in given.items():
            if name in UNTRAINED or (name == "dataset" and value == "auto"):
                continue
            saved = getattr(self, name)
            if _normal(value) != _normal(saved):
                out.append((name, saved, value))
        return out


def _normal(value):
    return tuple(value) if isinstance(value, list) else value


def _check_types(cfg: TrainConfig) -> None:
    """Values of the annotated types: a hand-edited config.json can hold anything."""
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if not _is_instance(value, hints[f.name]):
            raise ConfigError(f.name, f"must be {_type_words(hints[f.name])}, got {value!r}")


_TYPE_WORDS = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}


def _type_words(hint) -> str:
    """A type as a config.json editor reads it: `float | None` -> `a number or null`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        words = [_type_words(a) for a in args if not (a is int and float in args)]
        return " or ".join(words)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_type_words(args[0]).removeprefix('a ')}s"
        return f"a list of {len(args)} {_type_words(args[0]).removeprefix('a ')}s"
    if hint is type(None):
        return "null"
    return _TYPE_WORDS.get(hint, getattr(hint, "__name__", str(hint)))


def _is_instance(value, hint) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_is_instance(value, a) for a in args)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_is_instance(v, args[0]) for v in value)
        return len(value) == len(args) and all(map(_is_instance, value, args))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if hint is int:
        return isinstance(value, numbers.Integral)
    if hint is float:
        return isinstance(value, numbers.Real)
    return isinstance(value, hint)


def default_text(name: str) -> str:
    """The default of field `name` in words, for help texts: `1024,512 (cifar10), ...`."""
    if name == "lr":
        rates = ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items())
        return f"{rates}; adam/adamw on cifar10 {CIFAR10_ADAM_LR:g}"
    if name == "data_dir":
        return CACHE_ORDER
    if name == "label_smoothing":
        return f"{SOFTMAX_LABEL_SMOOTHING:g} for the softmax loss, 0 for svm"
    per_dataset = [f"{_words(d[name])} ({ds})" for ds, d in DATASET_DEFAULTS.items() if name in d]
    if name == "val_size":
        per_dataset.insert(0, f"{CIFAR10_VAL_SIZE} (cifar10 without its test_batch, else 0)")
    if per_dataset:
        return ", ".join(per_dataset)
    default = next(f.default for f in dataclasses.fields(TrainConfig) if f.name == name)
    return _words(default)


def _words(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return "none" if value is None else str(value)
