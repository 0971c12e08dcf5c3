"""`TrainConfig` as command-line options: one option per field, with its help text, choices
and default in words, parsed from text. `minigrad train` and `minigrad sweep` both use
`add_config_options`."""

from __future__ import annotations

import argparse
import dataclasses
import typing
from collections.abc import Callable, Collection
from typing import Any

from minigrad.data.datasets import CACHE_ORDER
from minigrad.train.config import TrainConfig, option_name
from minigrad.train.defaults import (
    CIFAR10_ADAM_LR,
    CIFAR10_VAL_SIZE,
    DATASET_DEFAULTS,
    DEFAULT_LR,
    SOFTMAX_LABEL_SMOOTHING,
)

__all__ = ["add_config_options", "config_from_options", "default_text", "words"]


def _widths(text: str) -> tuple[int, ...]:
    """`1024,512` -> (1024, 512); `""` or `none` -> () (a linear classifier)."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        return tuple(int(w) for w in text.split(","))
    except ValueError:
        raise ValueError(f"expected widths like 1024,512, got {text!r}") from None


def _pair(text: str, expected: str = "two numbers like 0.9,0.999") -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"expected {expected}, got {text!r}")
    return float(parts[0]), float(parts[1])


def _affine(text: str) -> tuple[float, float]:
    """`10,0.1` -> (10.0, 0.1); `0` -> (0.0, 0.0), off."""
    if text.strip() in ("0", "off"):
        return 0.0, 0.0
    return _pair(text, "DEG,SCALE like 10,0.1 (or 0: off)")


def _size(text: str) -> int | float:
    """A count (`5000`) or a fraction (`0.1`) of the samples."""
    value = float(text)
    return int(value) if value.is_integer() else value


# Fields whose text is not one plain number or word, and the names shown for their values.
_PARSE: dict[str, Callable[[str], Any]] = {
    "hidden": _widths,
    "betas": _pair,
    "affine": _affine,
    "val_size": _size,
}
_METAVAR = {
    "data_dir": "DIR",
    "val_size": "N",
    "zca": "EPS",
    "affine": "DEG,SCALE",
    "hidden": "W1,W2",
    "betas": "B1,B2",
    "time_limit": "SECONDS",
    "mixup": "ALPHA",
    "cutmix": "ALPHA",
    "ema": "DECAY",
    "distill": "W",
}


def add_config_options(
    parser: argparse.ArgumentParser, exclude: Collection[str] = ()
) -> dict[str, argparse._ArgumentGroup]:
    """One option per `TrainConfig` field not in `exclude`, in argument groups (returned by
    name). An option not given is absent from the parsed namespace (a saved config or run
    keeps its value)."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        if f.name in exclude:
            continue
        meta = f.metadata
        if meta["group"] not in groups:
            groups[meta["group"]] = parser.add_argument_group(meta["group"])
        help_text = f"{meta['help']} (default: {default_text(f.name)})".replace("%", "%%")
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS, "help": help_text}
        if hints[f.name] in (bool, bool | None):
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = _from_text(_PARSE.get(f.name) or _scalar_type(hints[f.name]))
            kwargs["choices"] = meta.get("choices")
            kwargs["metavar"] = _METAVAR.get(f.name)
        groups[meta["group"]].add_argument(option_name(f.name), **kwargs)
    return groups


def config_from_options(args: argparse.Namespace) -> dict[str, Any]:
    """The `TrainConfig` fields given as options in `args`, by name."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    return {k: v for k, v in vars(args).items() if k in names}


def _scalar_type(hint: Any) -> type:
    """`int`, `float` or `str` out of an annotation such as `float | None`."""
    return next(t for t in (int, float, str) if t is hint or t in typing.get_args(hint))


def _from_text(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse` for argparse: its ValueError becomes a usage error with that message."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def default_text(name: str) -> str:
    """The default of field `name` in words, for help texts: `1024,512 (cifar10), ...`."""
    if name == "lr":
        rates = ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items())
        return f"{rates}; adam/adamw on cifar10 {CIFAR10_ADAM_LR:g}"
    if name == "data_dir":
        return CACHE_ORDER
    if name == "label_smoothing":
        return f"{SOFTMAX_LABEL_SMOOTHING:g} for the softmax loss, 0 for svm"
    per_dataset = [f"{words(d[name])} ({ds})" for ds, d in DATASET_DEFAULTS.items() if name in d]
    if name == "val_size":
        per_dataset.insert(0, f"{CIFAR10_VAL_SIZE} (cifar10 without its test_batch, else 0)")
    if per_dataset:
        return ", ".join(per_dataset)
    default = next(f.default for f in dataclasses.fields(TrainConfig) if f.name == name)
    return words(default)


def words(value: Any) -> str:
    """A setting's value as the help text and docs write it: `on`, `1024,512`, `0.05`."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return "none" if value is None else str(value)
