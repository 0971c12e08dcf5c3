"""A sweep's figures, drawn on `matplotlib.figure.Figure` objects (no pyplot state):

- `accuracy_figure`: validation accuracy against each hyperparameter, one panel each, on a
  log axis where the parameter was sampled on a log scale (the cs231n scatter);
- `history_figure`: every trial's accuracy in the order they ran, and the best so far;
- `importance_figure`: Optuna's parameter importances, or None when too few trials completed
  for them to mean anything.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.sweep.results import format_value
from minigrad.train.figures import save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from minigrad.sweep.space import Param, SearchSpace

__all__ = [
    "accuracy_figure",
    "history_figure",
    "importance_figure",
    "save_figures",
    "MIN_TRIALS_FOR_IMPORTANCE",
]

# Below this many complete trials Optuna itself warns that importances are meaningless.
MIN_TRIALS_FOR_IMPORTANCE = 8
COMPLETE, PRUNED = "tab:blue", "0.6"


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "the sweep's figures need matplotlib: pip install 'minigrad[sweep]'"
        ) from None
    return Figure(**kwargs)


def _positions(param: Param, rows: list[dict]) -> np.ndarray:
    """x positions of `rows` on `param`'s axis: the value, or a choice's index spread
    sideways by a fixed amount per trial so that equal values do not hide each other."""
    if param.choices is None:
        return np.asarray([r[param.name] for r in rows], dtype=float)
    index = {c: i for i, c in enumerate(param.choices)}
    spread = np.array([(0.618 * r["trial"]) % 1.0 - 0.5 for r in rows]) * 0.3
    return np.array([index[r[param.name]] for r in rows], dtype=float).reshape(-1) + spread


def _scatter(ax: Any, rows: list[dict], x_of: Callable[[list[dict]], Any]) -> None:
    """Complete trials as blue dots, pruned ones as grey crosses at the accuracy they had
    when stopped; `x_of(rows)` gives the x positions."""
    for state, color, marker in (("pruned", PRUNED, "x"), ("complete", COMPLETE, "o")):
        part = [r for r in rows if r["state"] == state and r["val_accuracy"] is not None]
        y = [100 * r["val_accuracy"] for r in part]
        ax.scatter(x_of(part), y, c=color, marker=marker, s=22, label=f"{state} ({len(part)})")
    ax.set_ylabel("validation accuracy (%)")
    ax.grid(alpha=0.3)


def accuracy_figure(rows: list[dict], space: SearchSpace) -> Figure:
    """Validation accuracy (%) against each parameter, the best trial starred."""
    n = len(space.params)
    cols = min(n, 3)
    fig = _figure(figsize=(4.2 * cols, 3.4 * -(-n // cols)), layout="constrained")
    axes = fig.subplots(-(-n // cols), cols, squeeze=False).ravel()
    best = next((r for r in rows if r["state"] == "complete"), None)
    for ax, param in zip(axes, space.params):
        _scatter(ax, rows, functools.partial(_positions, param))
        if best is not None:
            x, y = _positions(param, [best]), [100 * best["val_accuracy"]]
            ax.scatter(x, y, marker="*", s=160, c="tab:red", label="best", zorder=3)
        if param.choices is not None:
            ax.set_xticks(range(len(param.choices)), [format_value(c) for c in param.choices])
            ax.set_xlim(-0.5, len(param.choices) - 0.5)
        elif param.log:
            ax.set_xscale("log")
        ax.set_xlabel(param.name + (" (log scale)" if param.log else ""))
    axes[0].legend(fontsize="small")
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("validation accuracy against each hyperparameter")
    return fig


def history_figure(rows: list[dict]) -> Figure:
    """Each trial's validation accuracy in trial order and the best value so far."""
    fig = _figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.subplots()
    _scatter(ax, rows, lambda part: [r["trial"] for r in part])
    complete = sorted((r["trial"], r["val_accuracy"]) for r in rows if r["state"] == "complete")
    if complete:
        trials, acc = zip(*complete)
        best = 100 * np.maximum.accumulate(acc)
        last = max(r["trial"] for r in rows)
        ax.step([*trials, last], [*best, best[-1]], where="post", c="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.legend(fontsize="small")
    return fig


def importance_figure(study: Any) -> tuple[Figure | None, str | None]:
    """Optuna's parameter importances as bars, or `(None, why)` when they cannot be
    computed: too few complete trials, or a single parameter."""
    import optuna

    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < MIN_TRIALS_FOR_IMPORTANCE:
        return None, (
            f"parameter importances need at least {MIN_TRIALS_FOR_IMPORTANCE} complete "
            f"trials ({len(complete)} so far)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna warns when the values barely vary
        importances = optuna.importance.get_param_importances(study)
    if len(importances) < 2:
        return None, "parameter importances compare two or more parameters"
    names = list(importances)[::-1]
    fig = _figure(figsize=(6.0, 0.5 * len(names) + 1.5), layout="constrained")
    ax = fig.subplots()
    ax.barh(names, [importances[n] for n in names], color=COMPLETE)
    ax.set_xlabel("importance (Optuna's default evaluator, sums to 1)")
    ax.set_title("which hyperparameters mattered")
    return fig, None


def save_figures(
    study: Any, rows: list[dict], space: SearchSpace, folder: Path
) -> tuple[list[Path], list[str]]:
    """Write the figures that can be drawn into `folder`; returns (paths, notes on the
    ones that could not)."""
    scored = [r for r in rows if r["val_accuracy"] is not None]
    if not scored:
        return [], ["no figures yet: no trial has reported an accuracy"]
    figures = {
        "accuracy_vs_params.png": accuracy_figure(rows, space),
        "best_history.png": history_figure(rows),
    }
    importance, why = importance_figure(study)
    if importance is not None:
        figures["importances.png"] = importance
    paths = [save_figure(fig, folder / name, dpi=110) for name, fig in figures.items()]
    return paths, [why] if why else []
