"""Datasets and the DataLoader that turns them into batches of Tensors.

A `TensorDataset` keeps its arrays whole, so the loader gathers a batch with one fancy index
per array (`x[idx]`), never a Python loop over samples. A generic `Dataset` only promises
`__len__` and `__getitem__`; the loader then stacks the samples of a batch.

Randomness is explicit: the loader owns a seed (given, or drawn at construction from the
default generator that `mg.manual_seed` seeds), and epoch `e` draws its permutation (and the
generator handed to `transform`) from `SeedSequence(seed, spawn_key=(e,))`. The global
`np.random` is never touched, and `state_dict()` (seed and epoch) is all a resumed run needs
to see the same shuffles and the same augmentations again.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minigrad.random import default_generator
from minigrad.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "DataLoader"]

Transform = Callable[[NDArray[Any], np.random.Generator], NDArray[Any]]
"""`transform(x, rng) -> x`: a batch of inputs in, the augmented batch out."""


class DatasetLike(Protocol):
    """What a `DataLoader` reads: a `Dataset`, or any object with these two methods."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int, /) -> Any: ...


class Dataset:
    """A sized collection of samples: subclasses define `__len__` and `__getitem__(i)`.

    `__getitem__` returns one sample: a tuple of arrays/numbers (e.g. `(x_i, y_i)`) or a
    single array. A subclass that also has an `arrays` attribute (a tuple of equally long
    arrays, sample `i` being `tuple(a[i] for a in arrays)`) lets the loader gather whole
    batches at once.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays: `ds[i] == (a[i], b[i], ...)`.

    Args:
        *arrays: ndarrays or Tensors (kept without copying), each of shape `(N, ...)`.
    """

    def __init__(self, *arrays: Tensor | ArrayLike) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_as_array(a, f"array {i}") for i, a in enumerate(arrays))
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset arrays have different lengths: {lengths}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(a[index] for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(str(a.shape) for a in self.arrays)
        return f"TensorDataset({shapes})"


class DataLoader:
    """Iterate over a dataset in batches of Tensors (no grad).

    Args:
        dataset: a `TensorDataset`, any object with an `arrays` tuple, or a `Dataset`.
        batch_size: positive int, samples per batch.
        shuffle: draw a fresh permutation every epoch (else the dataset order).
        drop_last: drop the last batch when it is smaller than `batch_size`.
        seed: int seeding the shuffles and the transform; None draws one from the default
            generator (see `mg.manual_seed`), a `np.random.Generator` draws one from it.
        transform: `transform(x, rng) -> x`, called once per batch on the batch's first array
            (the inputs, e.g. `(B, 3, 32, 32)` uint8) with a `np.random.Generator` owned by
            the loader; the other arrays (labels) pass through unchanged. The classes in
            `minigrad.data.transforms` follow this signature.

    Each iteration is one epoch and yields tuples `(x, y, ...)` of `Tensor`s with one entry
    per dataset array. An abandoned iteration leaves nothing behind: the next `iter()` starts
    the next epoch. `len(loader)` is the number of batches per epoch.
    """

    def __init__(
        self,
        dataset: DatasetLike,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | np.random.Generator | None = None,
        transform: Transform | None = None,
    ) -> None:
        _check_positive_int(batch_size, "batch_size")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable, got {type(transform).__name__}")
        self.dataset = dataset
        self.arrays = _dataset_arrays(dataset)
        self.num_samples = len(dataset)
        if self.num_samples == 0:
            raise ValueError("dataset is empty: a DataLoader needs at least one sample")
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.transform = transform
        self.seed = _make_seed(seed)
        self.epoch = 0
        if len(self) == 0:
            raise ValueError(
                f"drop_last=True with batch_size={batch_size} > {self.num_samples} samples "
                "leaves no batch"
            )

    def __len__(self) -> int:
        if self.drop_last:
            return self.num_samples // self.batch_size
        return -(-self.num_samples // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        for batch in self.iter_arrays():
            yield tuple(Tensor(a) for a in batch)

    def iter_arrays(self) -> Iterator[tuple[NDArray[Any], ...]]:
        """One epoch of batches as tuples of ndarrays (what `__iter__` wraps in Tensors)."""
        shuffle_rng, transform_rng = self._epoch_generators(self.epoch)
        self.epoch += 1
        n = self.num_samples
        order = shuffle_rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = self._gather(order[start : start + self.batch_size])
            if self.transform is not None:
                batch = (self.transform(batch[0], transform_rng), *batch[1:])
            yield batch

    def state_dict(self) -> dict[str, int]:
        """The loader's position: `{"seed": int, "epoch": int}` (epochs started so far)."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore `state_dict()`: the next epoch repeats the shuffle the saved run saw next."""
        missing = {"seed", "epoch"} - set(state)
        if missing:
            raise KeyError(f"DataLoader state_dict is missing {sorted(missing)}")
        self.seed = _make_seed(int(state["seed"]))
        self.epoch = int(state["epoch"])

    def _epoch_generators(self, epoch: int) -> tuple[np.random.Generator, np.random.Generator]:
        seq = np.random.SeedSequence(self.seed, spawn_key=(epoch,))
        shuffle_seq, transform_seq = seq.spawn(2)
        return np.random.default_rng(shuffle_seq), np.random.default_rng(transform_seq)

    def _gather(self, idx: NDArray[np.integer[Any]]) -> tuple[NDArray[Any], ...]:
        if self.arrays is not None:
            return tuple(a[idx] for a in self.arrays)
        samples = [self.dataset[int(i)] for i in idx]
        if not isinstance(samples[0], tuple):
            return (np.stack([np.asarray(s) for s in samples]),)
        fields = zip(*samples, strict=True)
        return tuple(np.stack([np.asarray(v) for v in field]) for field in fields)

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})"
        )


def _as_array(a: Tensor | ArrayLike, name: str) -> NDArray[Any]:
    arr = a.data if isinstance(a, Tensor) else np.asarray(a)
    if arr.ndim == 0:
        raise ValueError(f"{name} is 0-d; dataset arrays need a leading sample axis")
    return arr


def _dataset_arrays(dataset: Any) -> tuple[NDArray[Any], ...] | None:
    """The dataset's whole arrays if it exposes them (fast path), else None."""
    if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
        raise TypeError(
            f"dataset must define __len__ and __getitem__, got {type(dataset).__name__}"
        )
    arrays = getattr(dataset, "arrays", None)
    if arrays is None:
        return None
    arrays = tuple(_as_array(a, f"dataset.arrays[{i}]") for i, a in enumerate(arrays))
    lengths = [len(a) for a in arrays]
    if not arrays or len(set(lengths)) != 1 or lengths[0] != len(dataset):
        raise ValueError(
            f"dataset.arrays must have len(dataset)={len(dataset)} rows each, got {lengths}"
        )
    return arrays


def _check_positive_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _make_seed(seed: int | np.random.Generator | None) -> int:
    """A non-negative int seed; a Generator draws one from itself, None from the default
    generator (so `mg.manual_seed` fixes the shuffles of a loader built without a seed)."""
    if seed is None:
        seed = default_generator()
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, a np.random.Generator or None, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return int(seed)
