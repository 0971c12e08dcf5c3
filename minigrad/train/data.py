"""The datasets `minigrad train` knows, resolved and cut into ready-to-train splits.

`resolve_dataset` turns `--dataset auto` into a concrete name (CIFAR-10 when a local copy is
found or the official archive can be fetched, else the bundled digits) with the sentence the
run prints. `load_raw` cuts a dataset into raw splits; `prepare_data` adds the `Preprocess`
fitted on the training part: training inputs stay raw for CIFAR-10 (augmented and normalised
batch by batch by the loader's transform), validation and test inputs are ready float32
`(N, D)`. A trained model keeps its `Preprocess`, so `predict` takes raw inputs.

Splits use the fixed seed 0, so runs with different `--seed` see the same data.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from minigrad import load, save
from minigrad.data import transforms as T
from minigrad.data import whitening as W
from minigrad.data.datasets import (
    CIFAR10_CLASSES,
    DatasetError,
    DownloadError,
    cifar10_url,
    data_dir,
    find_cifar10,
    load_cifar10,
    load_digits_split,
    make_spiral,
    train_val_split,
    train_val_test_split,
)
from minigrad.train.defaults import CIFAR10_VAL_SIZE, DATASET_DEFAULTS

__all__ = [
    "Preprocess",
    "RawSplits",
    "Splits",
    "resolve_dataset",
    "load_raw",
    "prepare_data",
    "DOWNLOAD_URL",
    "NETWORK_TIMEOUT",
]

DOWNLOAD_URL = None  # None: cifar10_url(), i.e. $MINIGRAD_CIFAR10_URL, else the official URL
NETWORK_TIMEOUT = 5.0
SPLIT_SEED = 0
_TEST_FRACTION = 0.2  # of digits and spiral, the rest split into training and validation
_SPIRAL_CLASSES = 3


@dataclass
class Preprocess:
    """Raw inputs of a dataset -> model inputs `(N, D)` float32, as in training.

    `whitening` (CIFAR-10 with `zca`): `(x * scale - mean) @ whitening`, the regularised
    ZCA matrix (`std` unused); `per_channel` (CIFAR-10 without): `(x - mean[c]) / std[c]`
    per colour channel; else (digits, spiral): `(x * scale - mean[j]) / std[j]` per feature.
    The statistics come from the training split. `input_shape` is one raw sample's shape,
    e.g. `(3, 32, 32)`; inputs may also come flat, `(N, prod(input_shape))`.

    `basis` (with `--pca`): `(R, D)`, the whitened training images' R principal directions
    as rows, largest variance first: the fixed first layer of the model (`build_model`),
    which projects each crop of a whitened image onto them. Not applied here, since the
    crops and test-time views move whitened images before the projection.
    """

    dataset: str
    input_shape: tuple[int, ...]
    mean: np.ndarray
    std: np.ndarray
    scale: float = 1.0
    per_channel: bool = False
    whitening: np.ndarray | None = None
    basis: np.ndarray | None = None

    @property
    def in_features(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def is_image(self) -> bool:
        """True for `(H, W)` grey and `(C, H, W)` images, False for points."""
        return len(self.input_shape) in (2, 3)

    def __call__(self, x: ArrayLike) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim < 1 or x.shape[1:] not in (self.input_shape, (self.in_features,)):
            raise ValueError(
                f"expected raw {self.dataset} inputs of shape (N, {_dims(self.input_shape)}) "
                f"or (N, {self.in_features}), got {x.shape}"
            )
        self._check_raw(x)
        n = len(x)
        if self.whitening is not None:
            return W.whiten(x.reshape(n, -1), self.mean, self.whitening, self.scale)
        if self.per_channel:
            images = x.reshape(n, *self.input_shape)
            return T.normalize(images, self.mean, self.std).reshape(n, -1)
        flat = x.reshape(n, -1)
        return ((flat * np.float32(self.scale) - self.mean) / self.std).astype(np.float32)

    def _check_raw(self, x: np.ndarray) -> None:
        """Refuse image inputs that were already scaled or normalised: they would be
        normalised a second time and all predicted as one class."""
        if not self.is_image or not x.size:
            return
        top = 255 if self.dataset == "cifar10" else round(1 / self.scale)
        low, high = float(x.min()), float(x.max())
        if low < 0 or (x.dtype.kind == "f" and high <= 1.0 < top):
            raise ValueError(
                f"expected raw {self.dataset} pixel values 0..{top}, got floats in "
                f"[{low:g}, {high:g}]: give the inputs as the dataset gives them (predict "
                f"normalises them as training did)"
                + (", e.g. the uint8 images, not divided by 255" if top == 255 else "")
            )

    def state(self) -> dict:
        """Plain values and arrays, for a checkpoint."""
        return {
            "dataset": self.dataset,
            "input_shape": list(self.input_shape),
            "mean": self.mean,
            "std": self.std,
            "scale": self.scale,
            "per_channel": self.per_channel,
            "whitening": self.whitening,
            "basis": self.basis,
        }

    @classmethod
    def from_state(cls, state: dict) -> Preprocess:
        return cls(**{**state, "input_shape": tuple(state["input_shape"])})


def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(str(d) for d in shape)


@dataclass
class RawSplits:
    """A dataset cut into `(x, y)` pairs as the dataset gives them (`val`/`test` may be None).
    `test_is_heldout` marks a CIFAR-10 copy without `test_batch`, whose final score comes
    from the held-out validation images instead; `val_size` is the size actually used."""

    name: str
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray] | None
    test_is_heldout: bool
    val_size: int | float
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...]


@dataclass
class Splits:
    """Arrays for one run. `x_train` is what the loader batches (raw CIFAR-10 images that its
    `transform` finishes, or ready inputs); `val` and `test` are ready `(x, y)` or None."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    transform: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray] | None
    test_is_heldout: bool
    val_size: int | float
    preprocess: Preprocess
    class_names: tuple[str, ...]

    @property
    def in_features(self) -> int:
        return self.preprocess.in_features

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def train_inputs(self, count: int | None = None) -> np.ndarray:
        """The first `count` (default all) training samples as model inputs `(N, D)`, without
        random crops and flips: `x_train` itself when it is ready (or whitened), else
        finished as the validation images are (what `--distill` scores)."""
        x = self.x_train[:count]
        ready = self.preprocess.whitening is not None or self.transform is None
        return x.reshape(len(x), -1) if ready else self.preprocess(x)


def resolve_dataset(name: str, root: str | None = None) -> tuple[str, str]:
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
    url = DOWNLOAD_URL or cifar10_url()
    reason = _unreachable(url, NETWORK_TIMEOUT)
    if reason is None:
        return "cifar10", f"dataset: cifar10 (auto: no copy in {where}; downloading it there)"
    return "digits", (
        f"dataset: digits, the bundled 8x8 handwritten digits (auto: no CIFAR-10 copy in "
        f"{where} and {url} is unreachable: {reason}; pass --data-dir or see "
        "docs/training.md)"
    )


def _unreachable(url: str, timeout: float) -> str | None:
    """None if a TCP connection to `url`'s host opens within `timeout` s, else the reason."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result: list[str | None] = ["timed out"]

    def probe() -> None:
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


def load_raw(name: str, root: str | None = None, val_size: int | float | None = None) -> RawSplits:
    """Load dataset `name` (`cifar10`, `digits`, `spiral`) and cut it into raw splits;
    `val_size=None` takes the dataset's default."""
    if name == "cifar10":
        return _cifar10(root, val_size)
    if name not in ("digits", "spiral"):
        raise ValueError(f"unknown dataset {name!r}; choose cifar10, digits or spiral")
    if val_size is None:
        val_size = DATASET_DEFAULTS[name]["val_size"]
    if name == "digits":
        train, val, test = load_digits_split(
            val_size=val_size, test_size=_TEST_FRACTION, seed=SPLIT_SEED
        )
        shape: tuple[int, ...] = (8, 8)
        classes = tuple(str(d) for d in range(10))
    else:
        x, y = make_spiral(n_per_class=200, n_classes=_SPIRAL_CLASSES, seed=SPLIT_SEED)
        train, val, test = train_val_test_split(
            x, y, val_size=val_size, test_size=_TEST_FRACTION, seed=SPLIT_SEED
        )
        shape, classes = (2,), tuple(str(c) for c in range(_SPIRAL_CLASSES))
    held_out = _xy(val) if len(val[1]) else None
    return RawSplits(name, _xy(train), held_out, _xy(test), False, val_size, shape, classes)


def _xy(split: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The `(x, y)` pair of a split of two arrays (the splitters take any number)."""
    x, y = split
    return x, y


def _cifar10(root: str | None, val_size: int | float | None) -> RawSplits:
    """CIFAR-10: 5,000 validation images by default without `test_batch`, none with it."""
    try:
        data = load_cifar10(root, download=True, url=DOWNLOAD_URL, timeout=NETWORK_TIMEOUT)
    except DownloadError as err:
        if root is None:
            raise
        # The library names its argument; the person at the command line typed --data-dir.
        raise DownloadError(str(err).replace("(from root)", "(from --data-dir)")) from err
    has_test = data.x_test is not None
    if val_size is None:
        val_size = 0 if has_test else CIFAR10_VAL_SIZE
    if not has_test and not val_size:
        raise DatasetError(
            f"{data.path} has no test_batch, so a held-out split is needed: --val-size > 0"
        )
    train, val = (data.x_train, data.y_train), None
    if val_size:
        fit, held_out = train_val_split(*train, val_size=val_size, seed=SPLIT_SEED)
        train, val = _xy(fit), _xy(held_out)
    test = None if data.x_test is None or data.y_test is None else (data.x_test, data.y_test)
    return RawSplits(
        "cifar10", train, val, test, not has_test, val_size, (3, 32, 32), CIFAR10_CLASSES
    )


def fit_preprocess(
    raw: RawSplits, zca: float = 0.0, log: Callable[[str], object] = print, pca: int = 0
) -> Preprocess:
    """Normalisation statistics of the training split: ZCA whitening with `eps=zca` or per
    channel for CIFAR-10, per feature (after scaling digits' 0..16 counts to 0..1) otherwise.
    With `pca` (and `zca`), also the `pca` principal directions of the whitened images: the
    pixel covariance's eigenvectors of largest eigenvalue (whitening shrinks each direction's
    variance but keeps their order)."""
    x = raw.train[0]
    if pca and not (raw.name == "cifar10" and zca):
        raise ValueError("pca projects ZCA-whitened CIFAR-10 images: give zca > 0 with it")
    if raw.name == "cifar10" and zca:
        mean, eigenvalues, eigenvectors = zca_statistics(x, log)
        matrix = W.zca_matrix(eigenvalues, eigenvectors, zca)
        ones = np.ones_like(mean, np.float32)
        if pca > eigenvectors.shape[1]:
            raise ValueError(
                f"pca is {pca}, more directions than the {eigenvectors.shape[1]} that "
                f"{len(x)} training images span: give at most that many"
            )
        # eigh sorts the eigenvalues in ascending order: the last columns vary most.
        basis = np.ascontiguousarray(eigenvectors[:, ::-1][:, :pca].T, np.float32) if pca else None
        return Preprocess(
            raw.name, raw.input_shape, mean.astype(np.float32), ones, 1 / 255, False, matrix, basis
        )
    if raw.name == "cifar10":
        mean, std = T.channel_stats(x)
        return Preprocess(raw.name, raw.input_shape, mean, std, per_channel=True)
    scale = 1 / 16 if raw.name == "digits" else 1.0
    scaled = x.reshape(len(x), -1) * np.float32(scale)
    mean, std = scaled.mean(axis=0), scaled.std(axis=0)
    std[std < 1e-6] = 1.0  # constant pixels: centred, not divided by 0
    return Preprocess(raw.name, raw.input_shape, mean, std, scale)


def prepare_data(
    name: str,
    root: str | None = None,
    val_size: int | float | None = None,
    augment: bool | None = False,
    zca: float | None = 0.0,
    log: Callable[[str], object] = print,
    affine: tuple[float, float] = (0.0, 0.0),
    pca: int = 0,
) -> Splits:
    """`load_raw`, then ready the splits for training (crop + flip when `augment`, turned
    and scaled as well by up to `affine = (degrees, scale)` unless that is `(0, 0)`; ZCA
    whitening with `eps=zca` if > 0, of the whole training split before training, so that
    the crops and flips work on whitened images: they commute with the whitening, flips
    exactly and crops up to the image border); with `pca` > 0 the whitened images'
    principal directions for the model's first layer (`Preprocess.basis`)."""
    for option, value in (
        ("augment (--augment: random crops and flips)", augment),
        ("zca (--zca: whitening)", zca),
        ("affine (--affine: turned images)", any(affine)),
    ):
        if value and name != "cifar10":
            raise ValueError(f"{option} is made for CIFAR-10's 32x32 images, not {name}")
    raw = load_raw(name, root, val_size)
    pre = fit_preprocess(raw, zca or 0.0, log, pca)

    def ready(part: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray] | None:
        return None if part is None else (pre(part[0]), part[1])

    if raw.name == "cifar10":
        steps: list[object] = []
        if augment and any(affine):
            steps = [T.RandomAffine(*affine, padding=4)]
        elif augment:
            steps = [T.RandomCrop(padding=4), T.RandomHorizontalFlip()]
        if pre.whitening is not None:
            x_train = pre(raw.train[0]).reshape(raw.train[0].shape)
            transform = T.Compose(steps) if steps else None
        else:
            x_train, transform = raw.train[0], T.Compose([*steps, T.Normalize(pre.mean, pre.std)])
    else:
        x_train, transform = pre(raw.train[0]), None
    return Splits(
        raw.name,
        x_train,
        raw.train[1],
        transform,
        ready(raw.val),
        ready(raw.test),
        raw.test_is_heldout,
        raw.val_size,
        pre,
        raw.class_names,
    )


def zca_statistics(
    x: np.ndarray, log: Callable[[str], object] = print
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`W.zca_statistics` of training images `x`, cached in the data folder (`data_dir()`)
    under a digest of the images: the eigendecomposition of CIFAR-10's 3072 x 3072 pixel
    covariance takes a minute on two cores, loading it a fraction of a second. Without a
    writable data folder it is computed every time."""
    digest = hashlib.sha256(np.ascontiguousarray(x).data).hexdigest()[:16]
    path = data_dir() / f"zca-{digest}.npz"
    names = ("mean", "eigenvalues", "eigenvectors")
    try:
        cached = load(path)
        return cached["mean"], cached["eigenvalues"], cached["eigenvectors"]
    except (OSError, ValueError, KeyError):  # ValueError: a damaged file (CorruptFileError)
        pass  # not cached yet, or a damaged file to replace
    log(f"ZCA: computing the pixel covariance's eigendecomposition (cached in {path})")
    stats = W.zca_statistics(x)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save(dict(zip(names, stats)), path)
    except OSError as err:
        log(f"ZCA: could not cache the eigendecomposition in {path} ({err})")
    return stats
