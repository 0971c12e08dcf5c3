"""Careful file handling for downloaded datasets: fetch, verify, extract, unpickle.

Nothing here trusts its input: a download lands in a `.part` file and is renamed into place
only after its size and md5 match; an archive is extracted member by member checks (no
absolute paths, no `..`, no links or devices) plus tarfile's `data` filter where Python has
it, into a temporary folder renamed into place; pickles are read by an unpickler that can
build NumPy arrays and plain containers but can call nothing else.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import numpy as np

__all__ = ["DatasetError", "DownloadError", "download", "md5sum", "safe_extract", "load_pickle"]

_CHUNK = 1 << 20


class DatasetError(RuntimeError):
    """A dataset is missing, corrupt or could not be prepared; the message says what to do."""


class DownloadError(DatasetError):
    """A download failed: no network, an HTTP error, a truncated file or a wrong checksum."""


def md5sum(path: Path) -> str:
    """Hex md5 of a file, read in 1 MiB chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dest: Path, size: int, md5: str, timeout: float, progress: bool) -> Path:
    """Fetch `url` into `dest` via `dest.part`; keep it only if its size and md5 match.

    Raises:
        DownloadError: on any network error (after at most `timeout` seconds of silence),
            a truncated or oversized download, or a checksum mismatch. The `.part` is removed.
    """
    import urllib.error
    import urllib.request

    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            _copy_with_progress(response, part, size, progress, dest.name)
    except (OSError, urllib.error.URLError, ValueError) as err:
        part.unlink(missing_ok=True)
        raise DownloadError(f"could not download {url}: {err}") from err
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    got = part.stat().st_size
    if got != size:
        part.unlink()
        raise DownloadError(
            f"download of {url} is truncated or corrupt: {got:,} bytes, expected {size:,}"
        )
    got_md5 = md5sum(part)
    if got_md5 != md5:
        part.unlink()
        raise DownloadError(f"download of {url} has md5 {got_md5}, expected {md5}; deleted it")
    os.replace(part, dest)
    return dest


def _copy_with_progress(response, part: Path, size: int, progress: bool, label: str) -> None:
    """Stream `response` into `part`, with a tqdm bar when asked for and installed."""
    import http.client

    bar = _progress_bar(size, label) if progress else None
    try:
        with open(part, "wb") as out:
            while block := response.read(_CHUNK):
                out.write(block)
                if bar is not None:
                    bar.update(len(block))
    except http.client.HTTPException as err:  # IncompleteRead: the server hung up early
        raise OSError(f"connection broke off: {err!r}") from err
    finally:
        if bar is not None:
            bar.close()


def _progress_bar(total: int, label: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label)


def _check_member(member: tarfile.TarInfo, top: str) -> None:
    """Reject members that could write outside the target folder or are not plain files."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or member.name.startswith(("/", "\\")):
        raise DatasetError(f"unsafe path {member.name!r} in archive; refusing to extract it")
    if not (member.isfile() or member.isdir()):
        raise DatasetError(f"archive member {member.name!r} is a link or device; refusing it")
    if path.parts[0] != top:
        raise DatasetError(f"archive member {member.name!r} lies outside {top}/")


def safe_extract(archive: Path, top: str, dest_dir: Path) -> Path:
    """Extract the folder `top/` of a tar archive into `dest_dir/top`, atomically.

    Every member is checked first; extraction goes to a temporary folder in `dest_dir`
    that is renamed into place at the end, so a crash never leaves a half-extracted folder.
    """
    target = dest_dir / top
    tmp = Path(tempfile.mkdtemp(prefix=f".{top}-", dir=dest_dir))
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member, top)
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(tmp, members=members, **kwargs)
        if not (tmp / top).is_dir():
            raise DatasetError(f"{archive} holds no {top}/ folder")
        if not target.exists():
            os.replace(tmp / top, target)
    except (tarfile.TarError, EOFError, OSError) as err:
        message = f"{archive} is not a readable tar.gz archive ({err}); delete it"
        raise DatasetError(message) from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _numpy_globals() -> dict[tuple[str, str], object]:
    """The only callables a dataset pickle may name: NumPy's array reconstructors."""
    reconstruct = np.empty(0).__reduce__()[0]
    frombuffer = np.empty(0).__reduce_ex__(5)[0]
    scalar = np.float64(0).__reduce__()[0]
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core", "numpy._core"):
        allowed[(f"{module}.multiarray", "_reconstruct")] = reconstruct
        allowed[(f"{module}.multiarray", "scalar")] = scalar
        allowed[(f"{module}.numeric", "_frombuffer")] = frombuffer
    # Python 3 writes bytes in protocol 2 as _codecs.encode(str, "latin1"): harmless.
    allowed[("_codecs", "encode")] = __import__("codecs").encode
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    """Builds NumPy arrays, lists, dicts, numbers, strings and bytes; refuses anything else."""

    allowed = _numpy_globals()

    def find_class(self, module: str, name: str):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}") from None


def load_pickle(path: Path):
    """Unpickle a dataset file (Python 2 pickles too: strings come back as bytes).

    Raises:
        DatasetError: if the file is unreadable, truncated, or names anything but NumPy arrays.
    """
    try:
        with open(path, "rb") as f:
            return _RestrictedUnpickler(f, encoding="bytes").load()
    except OSError:
        raise
    except Exception as err:  # a damaged pickle can fail in many ways; all mean "corrupt"
        raise DatasetError(f"{path} is corrupt or not a dataset pickle: {err!r}") from err
