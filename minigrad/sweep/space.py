"""The search space: which `TrainConfig` fields a sweep samples, and from what.

A space is written in TOML, one line per field (the `[space]` table of a sweep file, or one
`--param` flag each):

    lr = { low = 1e-4, high = 1e-1, log = true }      # log-uniform: the course's choice for lr
    dropout = { low = 0.0, high = 0.5 }               # uniform
    batch_size = { low = 32, high = 512, log = true } # an integer field gives integers
    optimizer = ["adamw", "momentum"]                 # a choice
    hidden = [[256], [512, 256]]                      # a choice of widths

A range on an integer field samples integers, on a float field floats; anything else (text,
switches, widths) is a choice. Every bound and choice is checked with `TrainConfig.validate`
before any training starts, so a sweep cannot fail on its tenth trial for a value it was given.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from minigrad.train import TrainConfig

__all__ = ["Param", "SearchSpace", "SpaceError", "NOT_SEARCHABLE"]

# A sweep compares trials on one validation split of one dataset, so these stay fixed.
NOT_SEARCHABLE = {
    "dataset": "every trial must train on the same data",
    "data_dir": "it says where the data is, not how to train",
    "val_size": "trials are compared on one validation split",
    "figures": "trials draw no pictures (the sweep draws its own figures, and "
    "`minigrad train --config best_config.json` draws the best trial's)",
}
RANGE_KEYS = {"low", "high", "log"}
# What cs231n's code and other libraries call these fields, for "did you mean".
ALIASES = {
    "learning_rate": "lr",
    "reg": "weight_decay",
    "l2": "weight_decay",
    "wd": "weight_decay",
    "width": "hidden",
    "widths": "hidden",
    "hidden_size": "hidden",
    "hidden_dims": "hidden",
    "layers": "hidden",
    "bs": "batch_size",
    "num_epochs": "epochs",
}


class SpaceError(ValueError):
    """A search space that cannot be sampled; the message names the field and the fix."""


@dataclass(frozen=True)
class Param:
    """One searched field: a range (`low`..`high`, both included, `log` for a log scale;
    integers when the field holds integers) or a list of `choices`."""

    name: str
    low: float = 0.0  # low and high are unused with choices
    high: float = 0.0
    log: bool = False
    integer: bool = False
    choices: tuple | None = None

    @property
    def is_choice(self) -> bool:
        return self.choices is not None

    def suggest(self, trial: Any) -> Any:
        """Ask `trial` (an `optuna.Trial`) for a value; returns the `TrainConfig` value.
        Choices of widths travel through Optuna as JSON text ("[512, 256]")."""
        if self.choices is not None:
            return self.decode(
                trial.suggest_categorical(self.name, [_encode(c) for c in self.choices])
            )
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), log=self.log)

    def decode(self, value: Any) -> Any:
        """An Optuna parameter value back to the `TrainConfig` value."""
        if self.choices is not None and isinstance(value, str) and value.startswith("["):
            return tuple(json.loads(value))
        return value

    def to_spec(self) -> list[Any] | dict[str, Any]:
        """The TOML value this parameter was written as (JSON-compatible)."""
        if self.choices is not None:
            return [list(c) if isinstance(c, tuple) else c for c in self.choices]
        spec = {"low": self.low, "high": self.high}
        return spec | ({"log": True} if self.log else {})

    def describe(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(str(_encode(c)) for c in self.choices)
        scale = "log-uniform" if self.log else "uniform"
        kind = "integers" if self.integer else "floats"
        return f"{scale} {kind} in [{self.low:g}, {self.high:g}]"


def _encode(choice: Any) -> Any:
    return json.dumps(list(choice)) if isinstance(choice, tuple) else choice


@dataclass(frozen=True)
class SearchSpace:
    """The parameters of a sweep, in the order they were written."""

    params: tuple[Param, ...]

    @classmethod
    def from_spec(cls, spec: dict, fixed: TrainConfig | None = None) -> SearchSpace:
        """Build and check a space from `{field: TOML value}` against `fixed`, the
        `TrainConfig` whose other fields every trial keeps."""
        fixed = TrainConfig() if fixed is None else fixed
        if not spec:
            raise SpaceError(
                "the search space is empty: give at least one parameter, e.g. "
                "--param 'lr = {low = 1e-4, high = 1e-1, log = true}'"
            )
        return cls(tuple(_parse(name, value, fixed) for name, value in spec.items()))

    def to_spec(self) -> dict:
        return {p.name: p.to_spec() for p in self.params}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def sample(self, trial: Any) -> dict:
        """Ask `trial` (an `optuna.Trial`) for every parameter; `{field: TrainConfig value}`."""
        return {p.name: p.suggest(trial) for p in self.params}

    def decode(self, params: dict) -> dict:
        """A trial's stored Optuna parameters as `TrainConfig` values."""
        return {p.name: p.decode(params[p.name]) for p in self.params if p.name in params}


def _parse(name: str, value: Any, fixed: TrainConfig) -> Param:
    _check_name(name, fixed)
    kind = _field_kind(type(fixed), name)
    if isinstance(value, list):
        param = _parse_choices(name, value, kind)
    elif isinstance(value, dict):
        param = _parse_range(name, value, kind)
    else:
        raise SpaceError(
            f"{name} = {value!r}: give a range like {{ low = 1e-4, high = 1e-1, log = true }} "
            f"or a list of choices; a single value belongs with the fixed settings"
        )
    for candidate in param.choices if param.choices is not None else (param.low, param.high):
        _check_value(name, candidate, fixed)
    return param


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean lr?)' for a misspelt or differently named field, else ''."""
    known = list(known)
    close = [ALIASES[name]] if ALIASES.get(name) in known else []
    close = close or difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _check_name(name: str, fixed: TrainConfig) -> None:
    fields = [f.name for f in dataclasses.fields(fixed)]
    if name not in fields:
        hint = did_you_mean(name, fields)
        raise SpaceError(
            f"unknown parameter {name!r}{hint}; a sweep can search these TrainConfig "
            f"fields: {', '.join(f for f in fields if f not in NOT_SEARCHABLE)}"
        )
    if name in NOT_SEARCHABLE:
        raise SpaceError(f"{name} cannot be searched: {NOT_SEARCHABLE[name]}; fix it instead")


def _field_kind(cls: type, name: str) -> str:
    """'int', 'float' or 'other' (choices only), from the field's type annotation."""
    hint = typing.get_type_hints(cls)[name]
    args = set(typing.get_args(hint)) - {type(None)} or {hint}
    if args == {int}:
        return "int"
    if args <= {int, float} and float in args:
        return "float"
    return "other"


def _parse_range(name: str, table: dict, kind: str) -> Param:
    example = "{ low = 1e-4, high = 1e-1, log = true }"
    if kind == "other":
        raise SpaceError(f"{name} cannot take a range: give a list of choices instead")
    unknown = set(table) - RANGE_KEYS
    if unknown or not {"low", "high"} <= set(table):
        raise SpaceError(
            f"{name}: a range has the keys low, high and optionally log, like {example}; "
            f"got {', '.join(sorted(table)) or 'none'}"
        )
    low, high, log = table["low"], table["high"], table.get("log", False)
    for bound, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SpaceError(f"{name}: {bound} must be a finite number, got {v!r}")
        if kind == "int" and not isinstance(v, int):
            raise SpaceError(f"{name} holds integers: {bound} must be an integer, got {v!r}")
    if not isinstance(log, bool):
        raise SpaceError(f"{name}: log must be true or false, got {log!r}")
    if low > high:
        raise SpaceError(f"{name}: the range is inverted (low {low} > high {high}); swap them")
    if low == high:
        raise SpaceError(
            f"{name}: the range is empty (low == high == {low}); to keep {name} at {low}, "
            "set it with the fixed settings instead"
        )
    if log and low <= 0:
        raise SpaceError(
            f"{name}: a log scale needs low > 0, got {low}; use a small positive bound "
            "such as 1e-6, or drop log = true"
        )
    return Param(name, low, high, log=log, integer=kind == "int")


def _parse_choices(name: str, values: list, kind: str) -> Param:
    if not values:
        raise SpaceError(f"{name}: the list of choices is empty; give at least two values")
    choices = tuple(tuple(v) if isinstance(v, list) else v for v in values)
    if len(set(map(_encode, choices))) != len(choices):
        raise SpaceError(f"{name}: the choices {values} repeat a value")
    for c in choices:
        if isinstance(c, dict):
            raise SpaceError(f"{name}: a choice cannot be a table, got {c}")
        if kind == "int" and (isinstance(c, bool) or not isinstance(c, int)):
            raise SpaceError(f"{name} holds integers: the choice {c!r} is not one")
    return Param(name, choices=choices)


def _check_value(name: str, value: Any, fixed: TrainConfig) -> None:
    """`fixed` with `name = value` must pass `TrainConfig.validate`."""
    try:
        dataclasses.replace(fixed, **{name: value}).validate()
    except (ValueError, TypeError) as err:
        raise SpaceError(f"{name} = {value!r} is not a valid setting: {err}") from None
