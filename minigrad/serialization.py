"""`save` and `load`: a state_dict (name -> array) as a file, never pickle, written atomically.

The path's suffix chooses the format:

- `.safetensors`: the format PyTorch and the Hugging Face tools read (no code execution,
  memory-mapped). minigrad's names and layouts are PyTorch's, so
  `torch_model.load_state_dict(safetensors.torch.load_file(path))` takes a minigrad MLP's
  weights, and `mg.load` reads what `safetensors.torch.save_file` wrote. Needs the
  `safetensors` package (`pip install "minigrad[safetensors]"`).
- anything else: a NumPy `.npz` archive (no `.npz` is added to the path).

`save` writes a temporary file in the target's folder, flushes and fsyncs it, then renames
it over the target, so a failed or interrupted write leaves the previous file intact and no
temporary file behind.
"""

from __future__ import annotations

import json
import os
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import IO, Any

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["CorruptFileError", "load", "save"]

SAFETENSORS_SUFFIX = ".safetensors"
# safetensors' header metadata is str -> str: minigrad keeps the saved order of the names
# (the format itself sorts them) and 0-d text entries (a checkpoint's `meta.json`) there.
_ORDER_KEY = "minigrad.order"
_TEXT_KEY = "minigrad.text"
_SAFETENSORS_DTYPES = frozenset(
    np.dtype(t)
    for t in ("bool", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8")
)


class CorruptFileError(ValueError):
    """The file is not a readable `.npz` or `.safetensors` file of plain arrays."""


# What a damaged archive makes zipfile / np.load raise.
_CORRUPT = (zipfile.BadZipFile, zlib.error, struct.error, ValueError, EOFError, OSError, KeyError)


def _arrays(state_dict: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Check names and values before anything is written; return name -> ndarray."""
    if not hasattr(state_dict, "items"):
        raise TypeError(f"save: expected a dict of name -> array, got {type(state_dict).__name__}")
    out = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: names must be strings, got {name!r}")
        a = np.asarray(value.data if isinstance(value, Tensor) else value)
        if a.dtype.hasobject:
            raise TypeError(f"save: '{name}' holds Python objects (dtype {a.dtype}); no pickle")
        out[name] = a
    return out


def _is_safetensors(path: str) -> bool:
    return path.lower().endswith(SAFETENSORS_SUFFIX)


def _safetensors() -> ModuleType:
    """The `safetensors` package, or an `ImportError` that says how to get it."""
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "reading or writing .safetensors files needs the safetensors package: "
            'pip install "minigrad[safetensors]" (or pip install safetensors), '
            "or use a .npz path"
        ) from None
    return safetensors


def save(state_dict: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write `state_dict` (name -> ndarray or Tensor) to `path`, atomically: a temporary file
    in the same folder is fsynced and renamed over `path`.

    A path ending in `.safetensors` is written as safetensors (little-endian, C order, the
    layouts of PyTorch's tensors), any other as an `.npz` archive.
    """
    arrays = _arrays(state_dict)
    path = os.fspath(path)
    if _is_safetensors(path):
        data = _safetensors_bytes(arrays)  # every check before a file is touched
        _write_atomically(path, lambda f: f.write(data))
    else:
        _write_atomically(path, lambda f: _write_npz(f, arrays))


def _write_npz(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    # What np.savez does, minus its keyword collisions (a key named "file") and pickling.
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, a in arrays.items():
            with zf.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, a, allow_pickle=False)


def _safetensors_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """The whole `.safetensors` file: numbers as tensors, 0-d text in the header metadata."""
    st = _safetensors()
    tensors, text = {}, {}
    for name, a in arrays.items():
        if a.dtype.kind == "U" and a.ndim == 0:
            text[name] = str(a)
        elif a.dtype.newbyteorder("=") not in _SAFETENSORS_DTYPES:
            raise TypeError(
                f"save: '{name}' has dtype {a.dtype} {a.shape}, which .safetensors cannot "
                "hold (numbers and booleans only); use a .npz path"
            )
        else:
            # safetensors' NumPy writer copies the buffer as it lies in memory: a transposed
            # or big-endian array would come back scrambled without this copy. (Not
            # np.ascontiguousarray, which turns a 0-d array into shape (1,).)
            tensors[name] = a.astype(a.dtype.newbyteorder("<"), order="C", copy=False)
    metadata = {"format": "pt", _ORDER_KEY: json.dumps(list(arrays))}
    if text:
        metadata[_TEXT_KEY] = json.dumps(text)
    return st.numpy.save(tensors, metadata=metadata)


def _write_atomically(path: str, write: Callable[[IO[bytes]], object]) -> None:
    """Call `write(f)` on a new temporary file beside `path`, fsync it and rename it over
    `path`: readers see the old file or the whole new one, never a part."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a file written by `save` into a dict name -> ndarray, in the saved order.

    A path ending in `.safetensors` is read as safetensors (files written by
    `safetensors.torch.save_file` too; their names come sorted, as the format stores them),
    any other as an `.npz` archive (files written by `np.savez` too). Raises
    `CorruptFileError` for a truncated, damaged or foreign file, `FileNotFoundError` for a
    missing one.
    """
    path = os.fspath(path)
    if _is_safetensors(path):
        return _load_safetensors(path)
    with open(path, "rb") as f:
        head = f.read(4)
        if head[:2] != b"PK":
            raise CorruptFileError(
                f"load: {path!r} is corrupt or not an .npz archive (it does not start with "
                f"a zip header; first bytes {head!r})"
            )
        f.seek(0)
        try:
            with np.load(f, allow_pickle=False) as npz:
                return {name: npz[name] for name in npz.files}
        except _CORRUPT as e:
            raise CorruptFileError(
                f"load: {path!r} is corrupt or not a minigrad/NumPy .npz archive "
                f"({type(e).__name__}: {e})"
            ) from None


def _load_safetensors(path: str) -> dict[str, np.ndarray]:
    st = _safetensors()
    with open(path, "rb"):
        pass  # a missing file raises FileNotFoundError, as for .npz
    try:
        with st.safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            dtypes = {name: f.get_slice(name).get_dtype() for name in f.keys()}
            foreign = [(n, d) for n, d in dtypes.items() if d not in _NUMPY_DTYPES]
            arrays = {} if foreign else {name: f.get_tensor(name) for name in dtypes}
        text = json.loads(metadata.get(_TEXT_KEY, "{}"))
        arrays.update((name, np.array(value)) for name, value in text.items())
        order = [n for n in json.loads(metadata.get(_ORDER_KEY, "[]")) if n in arrays]
    except (st.SafetensorError, ValueError, TypeError, AttributeError) as e:
        raise CorruptFileError(
            f"load: {path!r} is corrupt or not a .safetensors file ({type(e).__name__}: {e})"
        ) from None
    if foreign:
        name, dtype = foreign[0]
        raise TypeError(
            f"load: {path!r}: '{name}' is {dtype}, which NumPy has no type for; convert it "
            "where it was saved (in PyTorch: `tensor.float()`) and save again"
        )
    return {name: arrays[name] for name in order + sorted(set(arrays) - set(order))}


# The safetensors dtypes NumPy has a type for (not bfloat16, not the float8 kinds).
_NUMPY_DTYPES = frozenset(
    ("BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32", "F64", "C64")
)
