"""Careful file handling for downloaded datasets: fetch, verify, extract, unpickle.

Nothing here trusts its input: a download lands in a `.part` file (resumed after a broken
connection) and is renamed into place only after its size and md5 match; an archive is
extracted after member by member checks (no absolute paths, no `..`, no links or devices)
plus tarfile's `data` filter where Python has it, into a temporary folder renamed into
place; pickles are read by an unpickler that can build NumPy arrays and plain containers
but can call nothing else.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from http.client import HTTPResponse
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

__all__ = ["DatasetError", "DownloadError", "download", "md5sum", "safe_extract", "load_pickle"]

_CHUNK = 1 << 20
RETRIES = 5  # attempts in a row without new bytes before a download gives up
BACKOFF = 1.0  # seconds before the first retry; doubled after each attempt without new bytes
MAX_BACKOFF = 60.0
_TEMPORARY_HTTP = frozenset({408, 425, 429})  # and every 5xx


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


def download(
    url: str,
    dest: Path,
    size: int,
    md5: str,
    timeout: float,
    progress: bool,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
) -> Path:
    """Fetch `url` into `dest` via `dest.part`; keep it only if its size and md5 match.

    A broken connection is retried after `backoff` seconds, doubling after each attempt that
    brought no new bytes (at most `MAX_BACKOFF`), and given up after `retries` such attempts
    in a row. Each retry resumes with an HTTP range request where the server honours it and
    starts over cleanly where it does not; a `.part` left by an earlier call is resumed too.

    Raises:
        DownloadError: at once for an HTTP error other than a temporary one (5xx, 408, 429)
            or no answer at all on first contact; after the retries for broken, timed-out
            (`timeout` seconds of silence) or refused connections, keeping the `.part` to
            resume from; for a download of the wrong size or md5, deleting the `.part`.
    """
    part = dest.with_name(dest.name + ".part")
    bar = _progress_bar(size, dest.name) if progress else None
    notify: Callable[[str], object] | None
    if bar is not None:
        notify = functools.partial(bar.write, file=sys.stderr)
    else:
        notify = functools.partial(print, file=sys.stderr) if progress else None
    try:
        _fill_part(url, part, size, timeout, retries, backoff, bar, notify)
    finally:
        if bar is not None:
            bar.close()
    got_md5 = md5sum(part)
    if got_md5 != md5:
        part.unlink()
        raise DownloadError(
            f"download of {url} has md5 {got_md5}, expected {md5}; deleted it "
            "(run again to download it afresh)"
        )
    os.replace(part, dest)
    return dest


class _Retry(Exception):
    """A temporary failure: the next attempt resumes where this one stopped."""


def _fill_part(
    url: str,
    part: Path,
    size: int,
    timeout: float,
    retries: int,
    backoff: float,
    bar: Any,
    notify: Callable[[str], object] | None,
) -> None:
    """Attempt after attempt, until `part` holds `size` bytes (or the retries run out);
    `notify(text)` (if not None) hears of each retry."""
    failures = attempts = 0
    while (have := _part_size(part, size)) < size:
        attempts += 1
        try:
            _attempt(url, part, have, size, timeout, bar, first=attempts == 1)
        except _Retry as err:
            failures = 0 if _part_size(part, size) > have else failures + 1
            if failures > retries:
                got = _part_size(part, size)
                raise DownloadError(
                    f"could not download {url}: {err}; gave up after {failures} attempts in a "
                    f"row brought no new bytes. The {got:,} of {size:,} bytes received are "
                    f"kept in {part}: run again to resume"
                ) from err
            delay = min(backoff * 2 ** max(failures - 1, 0), MAX_BACKOFF)
            if notify is not None:
                notify(f"{err}; retrying in {delay:.3g} s")
            time.sleep(delay)


def _part_size(part: Path, size: int) -> int:
    """Bytes already in `part` (0 if absent); a `part` longer than `size` is stale: deleted."""
    try:
        have = part.stat().st_size
    except FileNotFoundError:
        return 0
    if have > size:
        part.unlink()
        return 0
    return have


def _attempt(
    url: str, part: Path, have: int, size: int, timeout: float, bar: Any, first: bool
) -> None:
    """One request for bytes `have..size-1`, appended to `part`; returns when it is full.

    Raises `_Retry` for a temporary failure and `DownloadError` for a lasting one.
    """
    import http.client
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            offset = _resume_offset(response, have, size)
            if offset is None:  # a partial answer from elsewhere: start over, asking for all
                part.unlink(missing_ok=True)
                got = response.headers.get("Content-Range")
                raise _Retry(f"asked for the bytes from {have:,}, got Content-Range {got!r}")
            _copy(response, part, offset, size, bar)
    except urllib.error.HTTPError as err:
        if err.code == 416:  # the part does not fit the file the server holds: start over
            part.unlink(missing_ok=True)
            raise _Retry(f"HTTP 416 for the range from byte {have:,}") from err
        if err.code in _TEMPORARY_HTTP or err.code >= 500:
            raise _Retry(f"HTTP {err.code} {err.reason}") from err
        raise DownloadError(f"could not download {url}: {err}") from err
    except urllib.error.URLError as err:
        if first and not isinstance(err.reason, TimeoutError):
            raise DownloadError(f"could not download {url}: {err}") from err
        raise _Retry(f"no connection ({err.reason})") from err
    except (OSError, http.client.HTTPException) as err:  # reset, timed out, cut short
        got = _part_size(part, size)
        raise _Retry(f"the connection broke off after {got:,} bytes ({err!r})") from err
    except ValueError as err:  # not a URL urllib can open
        raise DownloadError(f"could not download {url}: {err}") from err


def _resume_offset(response: HTTPResponse, have: int, size: int) -> int | None:
    """Where the body of `response` starts in the file: `have` for a partial answer (206)
    from there, 0 for a whole one (200: the server ignored the range, so the part starts
    over), None for a partial answer from anywhere else."""
    if response.status != 206:
        length = response.headers.get("Content-Length")
        if length is not None and int(length) != size:
            raise DownloadError(f"the server offers {int(length):,} bytes, expected {size:,}")
        return 0
    unit, _, spec = response.headers.get("Content-Range", "").partition(" ")
    return have if unit == "bytes" and spec.startswith(f"{have}-") else None


def _copy(response: HTTPResponse, part: Path, offset: int, size: int, bar: Any) -> None:
    """Write the body into `part` from byte `offset` (0 truncates it first), up to `size`."""
    with open(part, "r+b" if offset else "wb") as out:
        out.seek(offset)
        out.truncate()
        if bar is not None:
            bar.n = offset
            bar.refresh()
        # read1 returns what has arrived (up to _CHUNK) at once, so a connection that breaks
        # loses nothing already received. The loop ends at the end of the body (an empty
        # block) or at a block that would make the file longer than it should be.
        while (block := response.read1(_CHUNK)) and offset + len(block) <= size:
            out.write(block)
            offset += len(block)
            if bar is not None:
                bar.update(len(block))
    if block:
        part.unlink()
        raise DownloadError(f"the server sent more than the expected {size:,} bytes; deleted it")
    if offset < size:
        raise _Retry(f"the connection closed after {offset:,} of {size:,} bytes")


def _progress_bar(total: int, label: str) -> Any:
    """A tqdm progress bar for `total` bytes, or None without tqdm."""
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
            kwargs: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
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
    allowed: dict[tuple[str, str], object] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }
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

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}") from None


def load_pickle(path: Path) -> Any:
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
