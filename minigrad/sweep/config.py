"""Every setting of a sweep, its default and its check, in one place.

A sweep file holds three TOML tables, each optional except `[space]` (which flags can give):

    [sweep]                 # how to search: the fields of SweepConfig
    trials = 30
    [train]                 # TrainConfig fields every trial keeps
    dataset = "digits"
    epochs = 10
    [space]                 # TrainConfig fields to search (see minigrad.sweep.space)
    lr = { low = 1e-4, high = 1e-1, log = true }
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minigrad.sweep.space import NOT_SEARCHABLE, SearchSpace, SpaceError, did_you_mean
from minigrad.train import TrainConfig

__all__ = [
    "SweepConfig",
    "SAMPLERS",
    "PRUNERS",
    "DEFAULT_TRIALS",
    "SWEEP_VAL_SIZE",
    "TRIAL_SETTINGS",
    "load_toml",
]

SAMPLERS = ("random", "tpe")
PRUNERS = ("median", "halving", "none")
DEFAULT_TRIALS = 20
# The validation split trials are scored on when the dataset holds none out by default
# (CIFAR-10 with its test batch): 5,000 of its 50,000 training images, as without one.
SWEEP_VAL_SIZE = 0.1
TABLES = ("sweep", "train", "space")
# What every trial is given and nobody sets: no pictures per trial (about 0.5 s each that
# nobody looks at; docs/sweep.md has the benchmark). The best config keeps the defaults.
TRIAL_SETTINGS: dict[str, Any] = {"figures": False}


def _field(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    meta = {"help": help} | ({"choices": choices} if choices else {})
    return field(default=default, metadata=meta)


@dataclass
class SweepConfig:
    """How a sweep searches; the search space and the fixed training settings ride along."""

    study: str = _field(
        "sweep", "study name; the same name and --storage on several machines share one search"
    )
    storage: str | None = _field(
        None, "Optuna storage URL (default: a SQLite file in the sweep folder)"
    )
    trials: int | None = _field(
        None, f"trials this run adds to the study (default {DEFAULT_TRIALS} without --timeout)"
    )
    timeout: float | None = _field(None, "start no trial after this many seconds (a time budget)")
    workers: int | None = _field(None, "worker processes on this machine (default: one per core)")
    threads: int | None = _field(
        None, "BLAS threads per worker (default: the cores shared out among the workers)"
    )
    sampler: str = _field("random", "random: the course's method; tpe: Optuna's TPE", SAMPLERS)
    pruner: str = _field(
        "median", "stop hopeless trials early: median or successive halving", PRUNERS
    )
    sampler_seed: int | None = _field(None, "seed of the sampler (default: a fresh one each run)")
    heartbeat: int = _field(
        60, "seconds between a running trial's heartbeats; a trial silent for two is retried"
    )
    final_val_size: int | float | None = _field(
        None,
        "validation split the best config keeps out of training (default: none when the "
        "dataset has a test split, else the dataset's own held-out split)",
    )
    space: SearchSpace | None = None
    train: TrainConfig | None = None  # the settings every trial keeps; None: the defaults

    def validate(self) -> None:
        """Raise ValueError naming the first setting that makes no sense."""
        for name in ("sampler", "pruner"):
            allowed = _choices(name)
            if getattr(self, name) not in allowed:
                raise ValueError(f"--{name} must be one of {', '.join(allowed)}")
        for name, least in (("trials", 0), ("workers", 1), ("threads", 1)):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"--{name} must be a whole number, got {value!r}")
            if value is not None and value < least:
                raise ValueError(f"--{name} must be >= {least}, got {value}")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(f"--timeout must be > 0 seconds, got {self.timeout}")
        if not isinstance(self.heartbeat, int) or self.heartbeat < 1:
            raise ValueError("--heartbeat must be a whole number of seconds >= 1")
        if not self.study or not self.study.strip():
            raise ValueError("--study must be a non-empty name")
        if self.space is None:
            raise SpaceError(
                "no search space: give a sweep file with a [space] table or --param flags"
            )

    @property
    def budget(self) -> int | None:
        """Trials this run starts: None means until the time budget ends."""
        if self.trials is None and self.timeout is None:
            return DEFAULT_TRIALS
        return self.trials

    def layout(self) -> tuple[int, int]:
        """`(workers, BLAS threads each)` on this machine; no more workers than trials."""
        workers = self.workers or cores()
        if self.budget is not None:
            workers = min(workers, self.budget)
        return workers, self.threads or max(1, cores() // max(workers, 1))

    def trial_config(self, params: dict[str, Any]) -> TrainConfig:
        """The `TrainConfig` of one trial: the fixed settings with `params` and
        `TRIAL_SETTINGS` over them."""
        return dataclasses.replace(self.fixed_train(), **params, **TRIAL_SETTINGS)

    def best_config(self, params: dict[str, Any]) -> TrainConfig:
        """The `TrainConfig` to train the final model with: on the whole training set unless
        `final_val_size` keeps a split out, with `TrainConfig`'s own defaults where trials
        had `TRIAL_SETTINGS` (the final run draws its figures)."""
        own = {name: getattr(TrainConfig(), name) for name in TRIAL_SETTINGS}
        return dataclasses.replace(
            self.fixed_train(), val_size=self.final_val_size, **params, **own
        )

    @property
    def searched(self) -> SearchSpace:
        """The search space (`validate` refuses a config without one)."""
        if self.space is None:
            raise SpaceError("no search space: give a [space] table or --param flags")
        return self.space

    def fixed_train(self) -> TrainConfig:
        return self.train if self.train is not None else TrainConfig()


def _choices(name: str) -> tuple:
    return next(f.metadata["choices"] for f in dataclasses.fields(SweepConfig) if f.name == name)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def load_toml(text: str, where: str) -> dict:
    """Parse TOML `text`; a syntax error names `where` it came from."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{where} is not valid TOML: {err}") from None


def read_sweep_file(path: str | Path) -> dict:
    """The `[sweep]`, `[train]` and `[space]` tables of a sweep file (missing ones empty)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ValueError(f"cannot read the sweep file {path}: {err.strerror}") from None
    data = load_toml(text, str(path))
    unknown = set(data) - set(TABLES)
    if unknown:
        raise ValueError(
            f"{path}: unknown table(s) {', '.join(sorted(unknown))}; a sweep file has "
            f"[sweep], [train] and [space]"
        )
    return {name: data.get(name, {}) for name in TABLES}


def parse_assignment(text: str, flag: str) -> dict:
    """One `--param`/`--set` flag: a TOML line `name = value` -> `{name: value}`."""
    return load_toml(text, f"{flag} {text!r} (expected a TOML line such as 'epochs = 5')")


def build_config(
    path: str | Path | None = None,
    settings: dict[str, Any] | None = None,
    fixed: dict[str, Any] | None = None,
    space: dict[str, Any] | None = None,
) -> SweepConfig:
    """A checked `SweepConfig` from a sweep file's tables and overrides (which win):
    `settings` for SweepConfig fields, `fixed` for TrainConfig fields, `space` for the
    searched ones. Raises ValueError (or its subclass SpaceError) naming what is wrong."""
    tables = read_sweep_file(path) if path else {name: {} for name in TABLES}
    settings = tables["sweep"] | (settings or {})
    fixed = tables["train"] | (fixed or {})
    space = tables["space"] | (space or {})
    known = [f.name for f in dataclasses.fields(SweepConfig) if f.metadata]
    _check_keys(settings, known, "[sweep] setting", "SweepConfig")
    _check_keys(
        fixed, [f.name for f in dataclasses.fields(TrainConfig)], "[train] setting", "TrainConfig"
    )
    for name in TRIAL_SETTINGS:
        if name in fixed:
            raise ValueError(f"{name} is not a sweep setting: {NOT_SEARCHABLE[name]}")
    both = sorted(set(fixed) & set(space))
    if both:
        raise SpaceError(
            f"{', '.join(both)} is both fixed ([train] or --set) and searched ([space] or "
            "--param); keep one"
        )
    try:
        train = TrainConfig.from_dict(fixed)
        train.validate()
    except (TypeError, ValueError) as err:
        raise ValueError(f"the fixed training settings are invalid: {err}") from None
    if path and "study" not in settings:
        settings["study"] = Path(path).stem
    config = SweepConfig(**settings, space=SearchSpace.from_spec(space, train), train=train)
    config.validate()
    return config


def _check_keys(given: dict, known: list[str], what: str, owner: str) -> None:
    for key in given:
        if key not in known:
            raise ValueError(
                f"unknown {what} {key!r}{did_you_mean(key, known)}; the {owner} fields are: "
                f"{', '.join(known)}"
            )
