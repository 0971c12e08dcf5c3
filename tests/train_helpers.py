"""Shared by the tests of minigrad.train and the CLI: no network, no real data, small runs."""

import pickle

import numpy as np
import pytest

from minigrad.train import TrainConfig
from minigrad.train import data as tdata

UNREACHABLE = "http://127.0.0.1:9/cifar-10-python.tar.gz"


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """No test may touch the real network or a real CIFAR-10 copy (import this fixture)."""
    monkeypatch.setenv("MINIGRAD_CIFAR10_URL", UNREACHABLE)
    monkeypatch.setattr(tdata, "NETWORK_TIMEOUT", 2.0)
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("MINIGRAD_DATA", str(empty))


def quiet(line):
    pass


def small(**kw) -> TrainConfig:
    """A digits run of a second or less."""
    base = dict(dataset="digits", hidden=(32,), epochs=2, batch_size=128)
    return TrainConfig(**{**base, **kw})


def fake_cifar(folder, n=64, with_test=False):
    """A CIFAR-10 folder in the official python layout holding `n` random images per batch."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + (["test_batch"] if with_test else [])
    for name in names:
        batch = {
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": list(rng.integers(0, 10, n)),
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
