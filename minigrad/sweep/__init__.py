"""Hyperparameter search over `minigrad.train` on Optuna: `minigrad sweep` and its Python API.

    from minigrad.sweep import build_config, run_sweep
    config = build_config(
        fixed={"dataset": "digits", "epochs": 5},
        space={"lr": {"low": 1e-4, "high": 1e-1, "log": True}},
        settings={"trials": 20},
    )
    result = run_sweep(config, "sweeps/digits")
    result.best_config       # the TrainConfig dict also written to best_config.json

Each trial is a `fit` run scored on a validation split; it reports its accuracy after every
epoch so a pruner can stop it early, and a diverged run ends as a failed trial. Trials live
in an Optuna storage: a SQLite file in the sweep folder by default, or a shared database that
several machines' workers draw trials from. Needs the `sweep` extra
(`pip install 'minigrad[sweep]'`).
"""

from minigrad.sweep.config import SweepConfig, build_config
from minigrad.sweep.run import SweepResult, report, run_sweep
from minigrad.sweep.space import Param, SearchSpace, SpaceError
from minigrad.sweep.storage import SweepError

__all__ = [
    "Param",
    "SearchSpace",
    "SpaceError",
    "SweepConfig",
    "SweepError",
    "SweepResult",
    "build_config",
    "report",
    "run_sweep",
]
