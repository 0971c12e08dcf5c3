"""Bundled digits, synthetic toy sets and the split helpers."""

import numpy as np
import pytest

from minigrad.data import datasets, train_val_split, train_val_test_split
from minigrad.data.datasets import (
    load_digits,
    load_digits_split,
    make_blobs,
    make_moons,
    make_spiral,
)
from minigrad.data.splits import split_indices


def test_datasets_all_names_exist():
    for name in datasets.__all__:
        assert hasattr(datasets, name), name


def test_digits_are_bundled_with_attribution():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0 and x.max() == 16
    assert set(np.unique(y)) == set(range(10))
    assert np.bincount(y).min() > 170
    from importlib import resources

    readme = resources.files("minigrad.data").joinpath("_bundled", "README.md").read_text()
    assert "Alpaydin" in readme and "CC BY 4.0" in readme


def test_digits_split_is_a_deterministic_partition():
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = load_digits_split(seed=0)
    assert (len(x_tr), len(x_va), len(x_te)) == (1168, 270, 359)
    again = load_digits_split(seed=0)
    np.testing.assert_array_equal(again[2][0], x_te)
    other = load_digits_split(seed=1)
    assert not np.array_equal(other[2][1], y_te)
    rows = {r.tobytes() for r in np.concatenate([x_tr, x_va, x_te])}
    assert len(rows) == len({r.tobytes() for r in load_digits()[0]})


@pytest.mark.parametrize("maker", [make_spiral, make_blobs])
def test_toy_sets_shapes_and_balance(maker):
    x, y = maker(n_per_class=50, n_classes=4, seed=0)
    assert x.shape == (200, 2) and x.dtype == np.float32
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [50] * 4


def test_moons_shapes():
    x, y = make_moons(n_per_class=30, seed=0)
    assert x.shape == (60, 2) and np.bincount(y).tolist() == [30, 30]


@pytest.mark.parametrize("maker", [make_spiral, make_blobs, make_moons])
def test_toy_sets_are_reproducible_from_a_seed(maker):
    a, b, c = maker(seed=3), maker(seed=3), maker(seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    d = maker(seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a[0], d[0])


def test_spiral_follows_the_cs231n_recipe():
    x, y = make_spiral(n_per_class=100, n_classes=3, noise=0.0)
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[:100], np.linspace(0, 1, 100), atol=1e-6)
    t = np.linspace(4.0, 8.0, 100)
    np.testing.assert_allclose(x[100:200, 0], radius[100:200] * np.sin(t), atol=1e-6)


def test_train_val_split_keeps_rows_aligned():
    x = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    (x_tr, y_tr), (x_va, y_va) = train_val_split(x, y, val_size=0.2, seed=0)
    assert len(x_va) == 10 and len(x_tr) == 40
    np.testing.assert_array_equal(x_tr[:, 0] // 2, y_tr)
    np.testing.assert_array_equal(x_va[:, 0] // 2, y_va)
    assert sorted(np.concatenate([y_tr, y_va]).tolist()) == list(range(50))
    (_, y_tr2), _ = train_val_split(x, y, val_size=10, seed=0)
    np.testing.assert_array_equal(y_tr, y_tr2)


def test_train_val_test_split_partitions():
    y = np.arange(20)
    (tr,), (va,), (te,) = train_val_test_split(y, val_size=5, test_size=0.25, seed=2)
    assert (len(tr), len(va), len(te)) == (10, 5, 5)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(20))


def test_split_indices_are_sorted_and_seeded():
    rest, part = split_indices(10, [3], seed=0)
    assert np.all(np.diff(rest) > 0) and len(part) == 3
    np.testing.assert_array_equal(split_indices(10, [3], seed=0)[1], part)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"val_size": 1.5}, ValueError, "val_size"),
        ({"val_size": 10}, ValueError, "no training samples"),
        ({"val_size": True}, TypeError, "val_size"),
        ({"val_size": "10%"}, TypeError, "val_size"),
    ],
)
def test_bad_split_sizes_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        train_val_split(np.arange(10), **kwargs)


def test_split_arrays_of_different_lengths_raise():
    with pytest.raises(ValueError, match="different lengths"):
        train_val_split(np.arange(10), np.arange(9))
    with pytest.raises(ValueError, match="at least one array"):
        train_val_split()
