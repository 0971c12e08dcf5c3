"""The datasets `minigrad train` knows, resolved and cut into ready-to-train splits.

`resolve_dataset` turns `--dataset auto` into a concrete name (CIFAR-10 when a local copy is
found or the official archive can be fetched, else the bundled digits) with the sentence the
CLI prints first. `prepare_data` returns the splits: training inputs raw (uint8 images for
CIFAR-10, augmented and normalised batch by batch by the loader's transform), validation and
test inputs already normalised as float32 `(N, D)`.

Splits use the fixed seed 0, so runs with different `--seed` see the same data.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse
from dataclasses import dataclass

import numpy as np

from minigrad.data import transforms as T
from minigrad.data.datasets import (
    CIFAR10_URL,
    DatasetError,
    data_dir,
    find_cifar10,
    load_cifar10,
    load_digits_split,
    make_spiral,
    train_val_split,
    train_val_test_split,
)

__all__ = ["Splits", "resolve_dataset", "prepare_data", "DOWNLOAD_URL", "NETWORK_TIMEOUT"]

DOWNLOAD_URL = CIFAR10_URL
NETWORK_TIMEOUT = 5.0
SPLIT_SEED = 0
CIFAR_VAL_SIZE = 5000


@dataclass
class Splits:
    """Arrays for one run. `x_train` is raw (the loader's `transform` finishes it); `val` and
    `test` are `(x, y)` ready for the model, or None. `test_is_heldout` marks a CIFAR-10 copy
    without `test_batch`, whose final score comes from held-out training images instead."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    transform: object
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray] | None
    test_is_heldout: bool
    in_features: int
    num_classes: int


def resolve_dataset(name: str, root=None) -> tuple[str, str]:
    """`(dataset, sentence)`: the dataset a run uses and why, without loading it.

    `auto` picks CIFAR-10 when a local copy is found or the download host answers within
    `NETWORK_TIMEOUT` seconds (DNS included), else the bundled digits.
    """
    found = find_cifar10(root) if name in ("auto", "cifar10") else None
    if name != "auto":
        return name, f"dataset: {name}" + (f" (from {found})" if found else "")
    if found is not None:
        return "cifar10", f"dataset: cifar10 (auto: found a local copy at {found})"
    where = data_dir(root)
    reason = _unreachable(DOWNLOAD_URL, NETWORK_TIMEOUT)
    if reason is None:
        return "cifar10", f"dataset: cifar10 (auto: no copy in {where}; downloading it there)"
    return "digits", (
        f"dataset: digits, the bundled 8x8 handwritten digits (auto: no CIFAR-10 copy in "
        f"{where} and {DOWNLOAD_URL} is unreachable: {reason}; pass --data-dir or see "
        "docs/training.md)"
    )


def _unreachable(url: str, timeout: float) -> str | None:
    """None if a TCP connection to `url`'s host opens within `timeout` s, else the reason."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result: list[str | None] = ["timed out"]

    def probe():
        try:
            with socket.create_connection((parts.hostname, port), timeout=timeout):
                result[0] = None
        except OSError as err:
            result[0] = str(err) or type(err).__name__

    # getaddrinfo ignores socket timeouts, so the probe runs in a thread we stop waiting for.
    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return result[0]


def prepare_data(name: str, root=None, val_size=None, augment=False) -> Splits:
    """Load dataset `name` (`cifar10`, `digits`, `spiral`) and cut it into splits."""
    if name == "cifar10":
        return _cifar10(root, val_size, augment)
    if augment:
        raise ValueError(f"--augment (crop + flip) needs images; {name} has none (use cifar10)")
    if name == "digits":
        train, val, test = load_digits_split(
            val_size=0.15 if val_size is None else val_size, test_size=0.2, seed=SPLIT_SEED
        )
        return _standardized(name, train, val, test, scale=1 / 16)
    if name == "spiral":
        x, y = make_spiral(n_per_class=200, n_classes=3, seed=SPLIT_SEED)
        train, val, test = train_val_test_split(
            x, y, val_size=0.15 if val_size is None else val_size, test_size=0.2, seed=SPLIT_SEED
        )
        return _standardized(name, train, val, test, scale=1.0)
    raise ValueError(f"unknown dataset {name!r}; choose auto, cifar10, digits or spiral")


def _standardized(name, train, val, test, scale: float) -> Splits:
    """Scale, then centre each feature on the training mean (unit std where it is not 0)."""
    x_tr = train[0] * np.float32(scale)
    mean = x_tr.mean(axis=0)
    std = x_tr.std(axis=0)
    std[std < 1e-6] = 1.0

    def norm(x):
        return ((x * np.float32(scale) - mean) / std).astype(np.float32)

    def part(split):
        return (norm(split[0]), split[1]) if len(split[1]) else None

    return Splits(
        name,
        norm(train[0]),
        train[1],
        None,
        part(val),
        part(test),
        False,
        train[0].shape[1],
        int(train[1].max()) + 1,
    )


def _cifar10(root, val_size, augment: bool) -> Splits:
    """CIFAR-10: 5,000 validation images (the default without `test_batch`), normalised
    per channel with statistics of the training part; crop + flip when `augment`."""
    data = load_cifar10(root, download=True, url=DOWNLOAD_URL, timeout=NETWORK_TIMEOUT)
    has_test = data.x_test is not None
    if val_size is None:
        val_size = 0 if has_test else CIFAR_VAL_SIZE
    if not has_test and not val_size:
        raise DatasetError(
            f"{data.path} has no test_batch, so a held-out split is needed: --val-size > 0"
        )
    if val_size:
        (x_tr, y_tr), (x_va, y_va) = train_val_split(
            data.x_train, data.y_train, val_size=val_size, seed=SPLIT_SEED
        )
    else:
        x_tr, y_tr, x_va, y_va = data.x_train, data.y_train, None, None
    mean, std = T.channel_stats(x_tr)
    steps = [T.RandomCrop(padding=4), T.RandomHorizontalFlip()] if augment else []
    transform = T.Compose([*steps, T.Normalize(mean, std)])

    def ready(x, y):
        return (T.normalize(x, mean, std).reshape(len(x), -1), y)

    val = ready(x_va, y_va) if x_va is not None else None
    test = ready(data.x_test, data.y_test) if has_test else None
    return Splits("cifar10", x_tr, y_tr, transform, val, test, not has_test, 3072, 10)
