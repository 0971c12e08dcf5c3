"""DataLoader, Dataset and TensorDataset (minigrad/data/loader.py)."""

import subprocess
import sys

import numpy as np
import pytest

import minigrad.data as data
from minigrad.data import DataLoader, Dataset, TensorDataset
from minigrad.tensor import Tensor


def make_arrays(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return x, y


def labels_of_epoch(loader):
    return np.concatenate([np.asarray(batch[-1].data) for batch in loader])


def test_public_names_match_all():
    for name in ["Dataset", "TensorDataset", "DataLoader", "datasets", "transforms"]:
        assert name in data.__all__
        assert hasattr(data, name)


def test_importing_data_needs_no_optional_package():
    code = "import sys, minigrad, minigrad.data; assert 'tqdm' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_batches_in_order_with_last_partial_batch():
    x, y = make_arrays(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([b[0].data for b in batches]), x)
    np.testing.assert_array_equal(labels_of_epoch(loader), y)


def test_drop_last_drops_the_partial_batch():
    x, y = make_arrays(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [b[1].shape for b in loader] == [(4,), (4,)]


def test_batches_are_tensors_without_grad_keeping_dtype():
    x, y = make_arrays(6)
    x8 = x.astype(np.uint8)
    for bx, by in DataLoader(TensorDataset(x8, y), batch_size=3):
        assert isinstance(bx, Tensor) and isinstance(by, Tensor)
        assert not bx.requires_grad and not by.requires_grad
        assert bx.data.dtype == np.uint8 and by.data.dtype == np.int64


def test_tensor_dataset_accepts_tensors_and_indexes_rows():
    x, y = make_arrays(5)
    ds = TensorDataset(Tensor(x), y)
    assert len(ds) == 5
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi, x[2])
    assert yi == 2


def test_shuffle_is_a_permutation_that_changes_every_epoch():
    x, y = make_arrays(50)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=3)
    first, second = labels_of_epoch(loader), labels_of_epoch(loader)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, y)


def test_same_seed_gives_same_shuffles():
    x, y = make_arrays(30)
    a = DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, seed=11)
    b = DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, seed=11)
    for _ in range(3):
        np.testing.assert_array_equal(labels_of_epoch(a), labels_of_epoch(b))


def test_global_numpy_random_is_untouched():
    x, y = make_arrays(30)
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True)  # seed=None
    labels_of_epoch(loader)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_abandoned_epoch_leaves_next_epoch_whole():
    x, y = make_arrays(20)
    loader = DataLoader(TensorDataset(x, y), batch_size=3, shuffle=True, seed=0)
    it = iter(loader)
    next(it)
    del it
    assert sorted(labels_of_epoch(loader)) == list(range(20))


def test_state_dict_resumes_identical_shuffles_and_transforms():
    x, y = make_arrays(40)

    def noisy(xb, rng):
        return xb + rng.standard_normal(xb.shape).astype(np.float32)

    def run(loader, epochs):
        return [np.concatenate([bx.data for bx, _ in loader]) for _ in range(epochs)]

    full = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, seed=5, transform=noisy)
    reference = run(full, 4)
    first = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, seed=5, transform=noisy)
    run(first, 2)
    state = first.state_dict()
    resumed = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, transform=noisy)
    resumed.load_state_dict(state)
    for got, want in zip(run(resumed, 2), reference[2:], strict=True):
        np.testing.assert_array_equal(got, want)


def test_load_state_dict_missing_key_raises():
    loader = DataLoader(TensorDataset(*make_arrays(4)))
    with pytest.raises(KeyError, match="epoch"):
        loader.load_state_dict({"seed": 1})


def test_transform_gets_first_array_and_a_generator():
    x, y = make_arrays(9)
    seen = []

    def transform(xb, rng):
        seen.append(isinstance(rng, np.random.Generator))
        return xb * 2

    loader = DataLoader(TensorDataset(x, y), batch_size=4, transform=transform)
    bx, by = next(iter(loader))
    np.testing.assert_array_equal(bx.data, x[:4] * 2)
    np.testing.assert_array_equal(by.data, y[:4])
    assert seen == [True]


class FancyOnly(TensorDataset):
    def __getitem__(self, index):
        raise AssertionError("the loader must gather through .arrays, not __getitem__")


def test_tensor_dataset_batches_are_gathered_without_getitem():
    x, y = make_arrays(12)
    loader = DataLoader(FancyOnly(x, y), batch_size=5, shuffle=True, seed=1)
    assert sorted(labels_of_epoch(loader)) == list(range(12))


class Squares(Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i


class Single(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.full(2, i)


def test_generic_dataset_samples_are_stacked():
    batches = list(DataLoader(Squares(), batch_size=3))
    assert [b[0].shape for b in batches] == [(3, 2), (3, 2), (1, 2)]
    np.testing.assert_array_equal(batches[1][0].data[:, 1], [9, 16, 25])
    np.testing.assert_array_equal(batches[2][1].data, [6])
    (only,) = next(iter(DataLoader(Single(), batch_size=2)))
    np.testing.assert_array_equal(only.data, [[0, 0], [1, 1]])


def test_dataset_base_class_requires_len_and_getitem():
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


@pytest.mark.parametrize(
    "batch_size, error", [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError)]
)
def test_bad_batch_size_raises_naming_it(batch_size, error):
    with pytest.raises(error, match="batch_size"):
        DataLoader(TensorDataset(*make_arrays(4)), batch_size=batch_size)


def test_arrays_of_different_lengths_raise():
    with pytest.raises(ValueError, match=r"different lengths: \[3, 4\]"):
        TensorDataset(np.zeros(3), np.zeros(4))


def test_empty_dataset_raises():
    with pytest.raises(ValueError, match="empty"):
        DataLoader(TensorDataset(np.zeros((0, 3)), np.zeros(0)))


def test_no_arrays_or_0d_array_raise():
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.float32(1.0))


def test_not_a_dataset_raises_type_error():
    with pytest.raises(TypeError, match="dataset"):
        DataLoader(42)


def test_drop_last_with_too_few_samples_raises():
    with pytest.raises(ValueError, match="no batch"):
        DataLoader(TensorDataset(*make_arrays(3)), batch_size=4, drop_last=True)


def test_bad_seed_and_transform_raise():
    ds = TensorDataset(*make_arrays(3))
    with pytest.raises(TypeError, match="seed"):
        DataLoader(ds, seed=1.5)
    with pytest.raises(ValueError, match="seed"):
        DataLoader(ds, seed=-1)
    with pytest.raises(TypeError, match="transform"):
        DataLoader(ds, transform="flip")


def test_seed_may_be_a_generator():
    ds = TensorDataset(*make_arrays(20))
    a = DataLoader(ds, batch_size=4, shuffle=True, seed=np.random.default_rng(7))
    b = DataLoader(ds, batch_size=4, shuffle=True, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(labels_of_epoch(a), labels_of_epoch(b))
