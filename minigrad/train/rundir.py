"""The run folder: where a run writes, and the rule that no run is overwritten by accident.

A folder that holds a run (any file below) is refused for a new run unless it is resumed or
`force` replaces it; `force` deletes only these files, never anything else in the folder.
A new run's folder is made only once its data is loaded, so a run that cannot start leaves
no empty folder behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

__all__ = [
    "CHECKPOINT",
    "CONFIG",
    "DATA_FILE",
    "RUN_FILES",
    "RunExistsError",
    "default_run_dir",
    "run_files",
    "check_new_run_dir",
    "clear_run_dir",
    "write_text",
    "write_json",
    "write_history_csv",
]

CHECKPOINT = "checkpoint.npz"
CONFIG = "config.json"
# Beside an unfinished run's checkpoint: the input preprocessing, the same for the whole run.
DATA_FILE = "preprocess.npz"
FIGURES = ("curves.png", "confusion.png", "weights.png")  # what the end of a run draws
RUN_FILES = (
    CONFIG,
    "metrics.json",
    "history.csv",
    CHECKPOINT,
    DATA_FILE,
    *FIGURES,
    "evaluate-*.json",
    "confusion-*.png",
)


class RunExistsError(FileExistsError):
    """The output folder already holds a run."""


def default_run_dir(dataset: str, root: str | os.PathLike = "runs") -> Path:
    """`runs/<dataset>-<date>-<time>`, with `-2`, `-3`, ... if that exists already."""
    base = Path(root) / f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def run_files(folder: Path) -> list[Path]:
    """The files of a run present in `folder`."""
    return sorted({p for pattern in RUN_FILES for p in folder.glob(pattern)})


def check_new_run_dir(out: Path, force: bool) -> list[Path]:
    """Check that a new run may use folder `out`; return the files of an earlier run there
    (which `force` allows `clear_run_dir` to delete). Creates nothing."""
    if out.exists() and not out.is_dir():
        raise RunExistsError(f"--out {out} is a file, not a folder: choose a folder for the run")
    existing = run_files(out) if out.is_dir() else []
    if existing and not force:
        names = ", ".join(p.name for p in existing)
        how = "continue it with --resume (fit(..., resume=True)), " if CHECKPOINT in names else ""
        raise RunExistsError(
            f"{out} already holds a run ({names}); {how}replace it with --force (force=True), "
            "or choose another --out"
        )
    return existing


def clear_run_dir(out: Path, earlier: list[Path]) -> Path:
    """Delete an earlier run's files `earlier` (only those) and make sure `out` exists."""
    for path in earlier:
        path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write `text` via a temporary file renamed into place: never a half-written file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(obj: object, path: str | os.PathLike) -> None:
    """Write `obj` as indented JSON, atomically."""
    write_text(json.dumps(obj, indent=2) + "\n", path)


def write_history_csv(history: list[dict], path: str | os.PathLike) -> None:
    """The per-epoch history as CSV, one row per epoch, one column per key (in the order
    keys first appear; a key an epoch lacks is left empty)."""
    columns: dict[str, None] = {}
    for entry in history:
        columns.update(dict.fromkeys(entry))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    write_text(buffer.getvalue(), path)
