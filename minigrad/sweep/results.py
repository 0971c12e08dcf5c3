"""What a person reads after a sweep: the trials sorted by validation accuracy (terminal
table and CSV) and the best configuration as a `config.json` for `minigrad train --config`."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minigrad.train.rundir import write_json, write_text

if TYPE_CHECKING:
    from minigrad.sweep.config import SweepConfig
    from minigrad.sweep.space import SearchSpace

__all__ = [
    "format_value",
    "trial_rows",
    "format_table",
    "write_csv",
    "write_best_config",
]

STATE_ORDER = {"complete": 0, "pruned": 1, "fail": 2, "running": 3, "waiting": 4}


def trial_rows(study: Any, space: SearchSpace) -> list[dict]:
    """One dict per trial, best first: `trial`, `state`, `val_accuracy`, each parameter,
    `epochs`, `train_seconds`, `worker`, `note` (why it ended early)."""
    trials = study.get_trials(deepcopy=False)
    retried_as = {}
    for t in trials:
        history = t.system_attrs.get("retry_history") or []
        if history:
            retried_as[history[-1]] = t.number
    rows = []
    for t in trials:
        state = t.state.name.lower()
        note = t.user_attrs.get("reason", "")
        if state == "fail" and not note:
            note = "its worker stopped (no heartbeat)"
        if t.number in retried_as:
            note += f"; retried as trial {retried_as[t.number]}"
        rows.append(
            {
                "trial": t.number,
                "state": state,
                "val_accuracy": t.value,
                **space.decode(t.params),
                "epochs": t.user_attrs.get("epochs"),
                "train_seconds": t.user_attrs.get("train_seconds"),
                "worker": t.user_attrs.get("worker", ""),
                "note": note,
            }
        )
    rows.sort(key=lambda r: (STATE_ORDER[r["state"]], -(r["val_accuracy"] or 0.0), r["trial"]))
    return rows


def format_value(value: object) -> str:
    """A parameter or measurement as a table shows it; widths as 512-256."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple):
        return "-".join(map(str, value)) or "none"
    return str(value)


def format_table(rows: list[dict], names: Sequence[str], limit: int | None = 20) -> str:
    """A plain-text table of `rows` (the first `limit`), accuracy as a percentage."""
    columns = ["trial", "state", "val acc", *names, "epochs", "seconds", "note"]
    body = []
    for r in rows[:limit]:
        acc = "" if r["val_accuracy"] is None else f"{100 * r['val_accuracy']:.2f}%"
        seconds = "" if r["train_seconds"] is None else f"{r['train_seconds']:.1f}"
        cells = [r["trial"], r["state"], acc, *(r.get(n) for n in names), r["epochs"], seconds]
        body.append([format_value(c) for c in cells] + [r["note"]])
    widths = [max([len(c), *(len(row[i]) for row in body)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in body]
    if limit is not None and len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more in the CSV")
    return "\n".join(lines)


def write_csv(rows: list[dict], names: Sequence[str], path: Path) -> None:
    """Every trial, best first, one column per parameter."""
    columns = ["trial", "state", "val_accuracy", *names, "epochs", "train_seconds"]
    columns += ["worker", "note"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: format_value(v) if isinstance(v, tuple) else v for k, v in r.items()})
    write_text(out.getvalue(), path)


def write_best_config(study: Any, config: SweepConfig, path: Path) -> dict | None:
    """The best complete trial's settings over the fixed ones, as a TrainConfig dict in
    `path`; None (nothing written) while no trial has completed."""
    try:
        best_trial = study.best_trial
    except ValueError:  # Optuna's answer while no trial has completed
        return None
    params = config.searched.decode(best_trial.params)
    best = config.best_config(params).to_dict()
    write_json(best, path)
    return best
