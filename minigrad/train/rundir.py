"""The run folder: where a run writes, and the rule that no run is overwritten by accident.

A folder that holds a run (any file below) is refused for a new run unless it is resumed or
`force` replaces it; `force` deletes only these files, never anything else in the folder.
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
    "RUN_FILES",
    "RunExistsError",
    "default_run_dir",
    "run_files",
    "claim_run_dir",
    "write_text",
    "write_json",
    "write_history_csv",
]

CHECKPOINT = "checkpoint.npz"
FIGURES = ("curves.png", "confusion.png", "weights.png")  # what the end of a run draws
RUN_FILES = (
    "config.json",
    "metrics.json",
    "history.csv",
    CHECKPOINT,
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


def claim_run_dir(out: Path, resume: bool, force: bool) -> Path:
    """Make `out` ready for a run: it must hold a checkpoint to resume, and must not hold a
    run to start a new one unless `force` (which deletes that run's files first)."""
    if resume and force:
        raise ValueError("give resume (--resume) or force (--force), not both")
    if resume:
        if not (out / CHECKPOINT).is_file():
            raise FileNotFoundError(f"no checkpoint at {out / CHECKPOINT}: nothing to resume")
        return out
    existing = run_files(out) if out.is_dir() else []
    if existing and not force:
        raise RunExistsError(
            f"{out} already holds a run ({', '.join(p.name for p in existing)}); continue it "
            "with --resume (fit(..., resume=True)), replace it with --force (force=True), "
            "or choose another --out"
        )
    for path in existing:
        path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write `text` via a temporary file renamed into place: never a half-written file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(obj, path: str | os.PathLike) -> None:
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
