"""Datasets: CIFAR-10 (official python release), the bundled digits, synthetic toy sets.

Every loader returns plain NumPy arrays; wrap them in `minigrad.data.TensorDataset`.
"""

from minigrad.data.datasets._files import DatasetError, DownloadError
from minigrad.data.datasets.cifar10 import (
    CACHE_ORDER,
    CIFAR10,
    CIFAR10_CLASSES,
    CIFAR10_MD5,
    CIFAR10_SIZE,
    CIFAR10_URL,
    MIRROR_ENV,
    cifar10_available,
    cifar10_url,
    data_dir,
    find_cifar10,
    load_cifar10,
)
from minigrad.data.datasets.digits import load_digits, load_digits_split
from minigrad.data.datasets.toy import make_blobs, make_moons, make_spiral
from minigrad.data.splits import train_val_split, train_val_test_split

__all__ = [
    "CIFAR10",
    "CIFAR10_CLASSES",
    "CIFAR10_MD5",
    "CIFAR10_SIZE",
    "CIFAR10_URL",
    "CACHE_ORDER",
    "DatasetError",
    "DownloadError",
    "MIRROR_ENV",
    "cifar10_available",
    "cifar10_url",
    "data_dir",
    "find_cifar10",
    "load_cifar10",
    "load_digits",
    "load_digits_split",
    "make_blobs",
    "make_moons",
    "make_spiral",
    "train_val_split",
    "train_val_test_split",
]
