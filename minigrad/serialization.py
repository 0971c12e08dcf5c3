"""``save`` and ``load``: a state_dict (name -> array) as a NumPy ``.npz`` file, no pickle.

``save`` writes a temporary file in the target's folder, flushes and fsyncs it, then renames
it over the target, so a failed or interrupted write leaves the previous file intact and no
temporary file behind. The file is written at exactly the path given (no ``.npz`` added).
"""

import os
import struct
import uuid
import zipfile
import zlib

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["CorruptFileError", "load", "save"]


class CorruptFileError(ValueError):
    """The file is not a readable minigrad/NumPy ``.npz`` archive of plain arrays."""


# What a damaged archive makes zipfile / np.load raise.
_CORRUPT = (zipfile.BadZipFile, zlib.error, struct.error, ValueError, EOFError, OSError, KeyError)


def _arrays(state_dict):
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


def _write_npz(f, arrays):
    # What np.savez does, minus its keyword collisions (a key named "file") and pickling.
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, a in arrays.items():
            with zf.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, a, allow_pickle=False)


def save(state_dict, path):
    """Write ``state_dict`` (name -> ndarray or Tensor) to ``path`` as an ``.npz`` archive,
    atomically: a temporary file in the same folder is fsynced and renamed over ``path``."""
    arrays = _arrays(state_dict)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
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


def _fsync_folder(folder):
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


def load(path):
    """Read a file written by ``save`` (or ``np.savez``) into a dict name -> ndarray, in the
    saved order. Raises ``CorruptFileError`` for a truncated, damaged or non-npz file."""
    path = os.fspath(path)
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
