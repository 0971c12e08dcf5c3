"""Checkpoints as flat `name -> ndarray` files (`mg.save`, atomic npz, no pickle).

A training state is a nest of dicts, lists, numbers and arrays (model and optimizer state
dicts, scheduler state, history, config). `pack` moves every array out into its own entry
(named by its path, e.g. `optimizer/state/3/exp_avg`) and keeps the rest of the nest as JSON
text in the entry `meta.json`; `unpack` puts the nest back together. Python floats survive
JSON bit for bit (`repr` round-trips), so a resumed run continues with identical numbers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from minigrad import load, save
from minigrad.train.rundir import DATA_FILE

__all__ = ["pack", "unpack", "save_checkpoint", "load_checkpoint"]

FORMAT = 1
_META = "meta.json"


def pack(tree: Any) -> dict[str, np.ndarray]:
    """Flatten a nest of dicts/lists/tuples/numbers/strings/arrays into `name -> ndarray`."""
    arrays: dict[str, np.ndarray] = {}
    skeleton = _pack(tree, "", arrays)
    arrays[_META] = np.array(json.dumps({"format": FORMAT, "tree": skeleton}))
    return arrays


def _pack(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        arrays[path] = value
        return {"__array__": path}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {"__dict__": [[str(k), _pack(v, f"{path}/{k}", arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_pack(v, f"{path}/{i}", arrays) for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot checkpoint {path or 'value'} of type {type(value).__name__}")


def unpack(arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of `pack`: dicts come back with string keys, tuples as lists."""
    if _META not in arrays:
        raise ValueError("not a minigrad training checkpoint: no 'meta.json' entry")
    meta = json.loads(str(arrays[_META]))
    if meta.get("format") != FORMAT:
        raise ValueError(f"checkpoint format {meta.get('format')} is not {FORMAT}")
    return _unpack(meta["tree"], arrays)


def _unpack(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(node, list):
        return [_unpack(v, arrays) for v in node]
    if isinstance(node, dict):
        if "__array__" in node:
            return arrays[node["__array__"]]
        return {k: _unpack(v, arrays) for k, v in node["__dict__"]}
    return node


def save_checkpoint(state: dict, path: str | os.PathLike, lean: bool = False) -> None:
    """Write `state` atomically: a crash leaves the previous checkpoint intact.

    With `lean`, `state["data"]`, which stays the same for a whole run (on CIFAR-10 the
    38 MB whitening matrix), goes to `DATA_FILE` beside `path` if that is not there yet, and
    the checkpoint refers to it: for the default run 19 MB instead of 63 MB, written in about
    a third of the time (`python benchmarks/bench_checkpoint.py`). A run writes a lean one
    after every epoch and a self-contained one when it finishes."""
    if lean:
        side = Path(path).with_name(DATA_FILE)
        if not side.is_file():
            save(pack({"data": state["data"]}), side)
        state = {**state, "data": {"file": DATA_FILE}}
    save(pack(state), path)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by `save_checkpoint`, a lean one with its `DATA_FILE`."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    state = unpack(load(path))
    data = state.get("data")
    if isinstance(data, dict) and "file" in data:
        side = Path(path).with_name(data["file"])
        if not side.is_file():
            raise FileNotFoundError(
                f"{path} keeps its run's input preprocessing in {side.name} beside it, which "
                "is missing: copy the run folder whole, or finish the run (--resume), whose "
                "last checkpoint holds everything"
            )
        state["data"] = unpack(load(side))["data"]
    return state
