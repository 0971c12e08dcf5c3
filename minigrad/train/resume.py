"""Continuing a run: the one place that decides what a resumed run trains with.

A run continues with the settings saved in its checkpoint, so that its results are those
of an uninterrupted run. Settings given to resume it must agree with them, except the
`LOCAL_SETTINGS` (where the data is now, whether to draw pictures); the run folder's
`config.json` must still say what the checkpoint says, since a user who edited it would
otherwise see the edit silently ignored. Neither file is ever rewritten here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from minigrad.train.checkpoint import load_checkpoint
from minigrad.train.config import LOCAL_SETTINGS, TrainConfig, option_name
from minigrad.train.rundir import CHECKPOINT, CONFIG

__all__ = ["resume_run", "config_file_changes"]


def resume_run(out: Path, given: Mapping[str, Any]) -> tuple[TrainConfig, dict[str, Any]]:
    """`(config, checkpoint state)` to continue the run in folder `out` with.

    Raises `FileNotFoundError` without a checkpoint, `ValueError` when `config.json` was
    edited or a setting in `given` contradicts the saved run (listing each one). A given
    `data_dir` or `figures` replaces the saved one."""
    if not (out / CHECKPOINT).is_file():
        raise FileNotFoundError(_no_checkpoint(out))
    state = load_checkpoint(out / CHECKPOINT)
    if "schedule" not in state:  # written before the schedule became a function of progress
        raise ValueError(
            f"{out / CHECKPOINT} was written by an earlier minigrad, whose learning-rate "
            "schedule this one cannot continue; load_model and minigrad evaluate still read "
            f"it, and minigrad train --config {out / CONFIG} --out NEW_FOLDER trains it again"
        )
    saved = TrainConfig.from_dict(state["config"])
    edited = config_file_changes(out, saved)
    if edited:
        raise ValueError(
            f"{out / CONFIG} was edited after the run started, and a run continues with the "
            f"settings it was trained with (kept in {CHECKPOINT}):\n{edited}\n"
            f"put those values back to continue it, or train the edited settings as a new run: "
            f"minigrad train --config {out / CONFIG} --out NEW_FOLDER"
        )
    conflicts = saved.differences(given)
    if conflicts:
        lines = [f"  {n} ({option_name(n)}): saved {a!r}, given {b!r}" for n, a, b in conflicts]
        raise ValueError(
            f"the run in {out} was trained with other settings than those given to resume "
            "it:\n" + "\n".join(lines) + "\nleave them out to continue it as saved, or start "
            "a new run in another folder"
        )
    local = {name: given[name] for name in LOCAL_SETTINGS if given.get(name) is not None}
    if "pca" not in state["config"]:  # saved before --pca existed: trained on every pixel
        local["pca"] = 0
    return dataclasses.replace(saved, **local), state


def config_file_changes(out: Path, saved: TrainConfig) -> str:
    """What the run folder's `config.json` says differently from the checkpoint's `saved`
    settings, one line per setting (`""` when it agrees, or when there is no such file)."""
    path = out / CONFIG
    if not path.is_file():
        return ""
    try:
        written = TrainConfig.from_dict(json.loads(path.read_text())).to_dict()
    except (json.JSONDecodeError, ValueError) as err:
        return f"  it no longer reads as settings: {err}"
    return "\n".join(
        f"  {name}: {value!r} in {CONFIG}, {mine!r} in {CHECKPOINT}"
        for name, mine, value in saved.differences(written)
    )


def _no_checkpoint(out: Path) -> str:
    if not out.is_dir():
        return f"no run folder at {out}: nothing to resume"
    return (
        f"no checkpoint at {out / CHECKPOINT}: nothing to resume (the run ended before its "
        f"first epoch did, e.g. it diverged); start it again with --force (force=True), "
        "which replaces that run's files"
    )
