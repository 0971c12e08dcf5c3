"""CIFAR-10 (Krizhevsky, 2009) from its official python release.

Where it looks: the folder `root` if given, else `$MINIGRAD_DATA`, else
`$XDG_CACHE_HOME/minigrad` (when `XDG_CACHE_HOME` is set), else `~/.cache/minigrad`. In that
folder it takes, in this order, the extracted `cifar-10-batches-py/` folder or the
`cifar-10-python.tar.gz` archive (extracted next to it on first use). `root` may also name
the `cifar-10-batches-py` folder or the archive itself. If neither is there and `download`
is allowed, it fetches the archive from `$MINIGRAD_CIFAR10_URL` (a mirror) if set, else from
the official URL, resuming after broken connections (see `_files.download` for the checks).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from minigrad.data.datasets._files import (
    BACKOFF,
    RETRIES,
    DatasetError,
    DownloadError,
    download,
    load_pickle,
    safe_extract,
)

__all__ = [
    "CIFAR10",
    "CIFAR10_CLASSES",
    "CIFAR10_MD5",
    "CIFAR10_SIZE",
    "CIFAR10_URL",
    "CACHE_ORDER",
    "MIRROR_ENV",
    "cifar10_available",
    "cifar10_url",
    "data_dir",
    "find_cifar10",
    "load_cifar10",
]

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
MIRROR_ENV = "MINIGRAD_CIFAR10_URL"  # names a mirror of the archive, used instead of the URL
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_SIZE = 170_498_071
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
CACHE_ORDER = "$MINIGRAD_DATA, else $XDG_CACHE_HOME/minigrad, else ~/.cache/minigrad"
FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"


class CIFAR10(NamedTuple):
    """CIFAR-10 as arrays. Images are uint8 `(N, 3, 32, 32)` (channel planes R, G, B, as
    the official files store them: `x.reshape(N, 3072)` is the official row layout);
    labels are int64 in `[0, 10)`. `x_test`/`y_test` are None when the copy has no
    `test_batch` (the test images are held out on some machines)."""

    x_train: NDArray[Any]
    y_train: NDArray[Any]
    x_test: NDArray[Any] | None
    y_test: NDArray[Any] | None
    classes: tuple[str, ...]
    path: Path


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """The folder datasets live in: `root`, else `$MINIGRAD_DATA`, else
    `$XDG_CACHE_HOME/minigrad`, else `~/.cache/minigrad`.

    As the XDG base directory spec asks, an `XDG_CACHE_HOME` that is not an absolute path
    is ignored.
    """
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("MINIGRAD_DATA")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(cache):
        return Path(cache) / "minigrad"
    return Path.home() / ".cache" / "minigrad"


def cifar10_url() -> str:
    """Where the archive is downloaded from: `$MINIGRAD_CIFAR10_URL` if set, else
    `CIFAR10_URL`."""
    return os.environ.get(MIRROR_ENV) or CIFAR10_URL


def find_cifar10(root: str | os.PathLike | None = None) -> Path | None:
    """The local CIFAR-10 copy `load_cifar10(root)` would use, or None. Never downloads.

    Returns the `cifar-10-batches-py` folder if it holds `data_batch_1`, else the
    `cifar-10-python.tar.gz` archive, else None.
    """
    base = data_dir(root)
    if base.is_file() and base.name.endswith(".tar.gz"):
        return base
    for folder in (base, base / FOLDER):
        if (folder / TRAIN_FILES[0]).is_file():
            return folder
    archive = base / ARCHIVE
    return archive if archive.is_file() else None


def cifar10_available(root: str | os.PathLike | None = None) -> bool:
    """True when a local CIFAR-10 copy (folder or archive) is found; touches no network."""
    return find_cifar10(root) is not None


def load_cifar10(
    root: str | os.PathLike | None = None,
    download: bool = True,
    *,
    url: str | None = None,
    md5: str = CIFAR10_MD5,
    size: int = CIFAR10_SIZE,
    timeout: float = 5.0,
    progress: bool = True,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
) -> CIFAR10:
    """Load CIFAR-10, downloading the official archive first if allowed and needed.

    Args:
        root: the data folder (see `data_dir`), or the batches folder or archive itself.
        download: fetch the archive when no local copy is found.
        url: where the archive comes from; None: `cifar10_url()` (`$MINIGRAD_CIFAR10_URL`,
            else the official URL).
        md5, size: what the archive must be.
        timeout: seconds of network silence before an attempt counts as broken.
        progress: show a tqdm progress bar while downloading (if tqdm is installed), and
            say on stderr when a broken connection is retried.
        retries: attempts in a row that bring no new bytes before the download gives up
            (an interrupted download resumes from its `.part` file when called again).
        backoff: seconds before the first retry, doubled after each attempt without new
            bytes.
    Returns:
        a `CIFAR10` tuple: `x_train` (50000, 3, 32, 32) uint8, `y_train` (50000,) int64,
        `x_test`, `y_test` (10000 of each, or None without `test_batch`), `classes`, `path`.
    Raises:
        DownloadError: no local copy and the download failed (the message says where
            the files may be placed by hand).
        DatasetError: a local copy is corrupt.
    """
    url = cifar10_url() if url is None else url
    found = find_cifar10(root)
    if found is None:
        if not download:
            raise DatasetError(_not_found_message(root, url, "download=False"))
        found = _fetch(root, url, md5, size, timeout, progress, retries, backoff)
    if found.is_file():
        found = safe_extract(found, FOLDER, found.parent)
    return read_batches(found)


def _fetch(
    root: str | os.PathLike[str] | None,
    url: str,
    md5: str,
    size: int,
    timeout: float,
    progress: bool,
    retries: int,
    backoff: float,
) -> Path:
    base = data_dir(root)
    try:
        base.mkdir(parents=True, exist_ok=True)
        return download(url, base / ARCHIVE, size, md5, timeout, progress, retries, backoff)
    except DownloadError as err:
        raise DownloadError(_not_found_message(root, url, str(err))) from err
    except OSError as err:
        raise DownloadError(_not_found_message(root, url, f"cannot write {base}: {err}")) from err


def _not_found_message(root: str | os.PathLike[str] | None, url: str, reason: str) -> str:
    base = data_dir(root)
    why = "root" if root is not None else "root=, else " + CACHE_ORDER
    return (
        f"CIFAR-10 not found and not downloaded ({reason}).\n"
        f"Looked in {base} (from {why}) for {FOLDER}/ and {ARCHIVE}.\n"
        f"To install it by hand, download {url}\n"
        f"({CIFAR10_SIZE:,} bytes, md5 {CIFAR10_MD5}) and put the archive, or the {FOLDER}/ "
        f"folder extracted from it, into {base}.\n"
        f"To download from a mirror instead, set ${MIRROR_ENV} to its URL."
    )


def read_batches(folder: Path) -> CIFAR10:
    """Read an extracted `cifar-10-batches-py` folder (test split optional)."""
    missing = [name for name in TRAIN_FILES if not (folder / name).is_file()]
    if missing:
        raise DatasetError(f"{folder} lacks {', '.join(missing)}; re-extract or delete it")
    parts = [_read_batch(folder / name) for name in TRAIN_FILES]
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([y for _, y in parts])
    x_test = y_test = None
    if (folder / TEST_FILE).is_file():
        x_test, y_test = _read_batch(folder / TEST_FILE)
    return CIFAR10(x_train, y_train, x_test, y_test, _read_classes(folder), folder)


def _read_batch(path: Path) -> tuple[NDArray[Any], NDArray[Any]]:
    """One batch file: `{b"data": (n, 3072) uint8, b"labels": n ints}` -> images, labels."""
    batch = load_pickle(path)
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DatasetError(f"{path} is corrupt: expected a dict with b'data' and b'labels'")
    data, labels = batch[b"data"], np.asarray(batch[b"labels"])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise DatasetError(f"{path} is corrupt: b'data' is not a 2-d uint8 array")
    if data.shape[1] != 3072 or labels.shape != (len(data),):
        raise DatasetError(
            f"{path} is corrupt: data {data.shape}, labels {labels.shape}; "
            "expected (n, 3072) and (n,)"
        )
    if labels.dtype.kind not in "iu" or (len(labels) and (labels.min() < 0 or labels.max() > 9)):
        raise DatasetError(f"{path} is corrupt: labels are not integers in [0, 10)")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def _read_classes(folder: Path) -> tuple[str, ...]:
    meta_path = folder / "batches.meta"
    if not meta_path.is_file():
        return CIFAR10_CLASSES
    meta = load_pickle(meta_path)
    names = meta.get(b"label_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != 10:
        raise DatasetError(f"{meta_path} is corrupt: expected 10 label_names")
    return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
