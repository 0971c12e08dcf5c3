"""Data for training: datasets, the DataLoader, and vectorised batch transforms.

    from minigrad.data import DataLoader, TensorDataset
    from minigrad.data.datasets import load_digits

Imports from the core only (`minigrad.tensor`, `minigrad.random`; never nn or optim), and no
optional packages.
"""

from minigrad.data import datasets, transforms, whitening
from minigrad.data.loader import DataLoader, Dataset, TensorDataset
from minigrad.data.splits import split_indices, train_val_split, train_val_test_split

__all__ = [
    "DataLoader",
    "Dataset",
    "TensorDataset",
    "datasets",
    "split_indices",
    "train_val_split",
    "train_val_test_split",
    "transforms",
    "whitening",
]
