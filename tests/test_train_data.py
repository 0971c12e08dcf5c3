"""minigrad.train.data: ZCA whitening of CIFAR-10 for training, its cached eigendecomposition."""

import numpy as np
import pytest
from train_helpers import fake_cifar, no_network, quiet  # noqa: F401

from minigrad.data import whitening as W
from minigrad.data.datasets import data_dir
from minigrad.train import data as tdata


@pytest.fixture
def cifar(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py", n=40)
    return str(tmp_path / "data")


def test_zca_whitens_the_training_images_once_and_the_loader_only_crops_and_flips(cifar):
    splits = tdata.prepare_data("cifar10", cifar, val_size=20, augment=True, zca=0.1, log=quiet)
    raw = tdata.load_raw("cifar10", cifar, val_size=20)
    pre = splits.preprocess
    assert splits.x_train.dtype == np.float32 and splits.x_train.shape == (180, 3, 32, 32)
    np.testing.assert_array_equal(splits.x_train.reshape(180, -1), pre(raw.train[0]))
    assert [type(t).__name__ for t in splits.transform.transforms] == [
        "RandomCrop",
        "RandomHorizontalFlip",
    ]
    mean, eigenvalues, eigenvectors = W.zca_statistics(raw.train[0])
    matrix = W.zca_matrix(eigenvalues, eigenvectors, 0.1)
    whitened = W.whiten(raw.val[0], mean, matrix).reshape(20, -1)
    np.testing.assert_allclose(splits.val[0], whitened, atol=1e-5)
    restored = tdata.Preprocess.from_state(pre.state())
    np.testing.assert_array_equal(restored(raw.val[0]), splits.val[0])


@pytest.mark.parametrize("zca", [0.1, 0.0])
def test_affine_replaces_the_crop_and_flip_by_one_resampling(cifar, zca):
    splits = tdata.prepare_data("cifar10", cifar, 20, True, zca, quiet, affine=(10.0, 0.1))
    steps = splits.transform.transforms
    assert [type(t).__name__ for t in steps] == ["RandomAffine"] + ([] if zca else ["Normalize"])
    assert (steps[0].degrees, steps[0].scale, steps[0].padding) == (10.0, 0.1, 4)
    off = tdata.prepare_data("cifar10", cifar, 20, True, zca, quiet, affine=(0.0, 0.0))
    assert [type(t).__name__ for t in off.transform.transforms][:2] == [
        "RandomCrop",
        "RandomHorizontalFlip",
    ]
    with pytest.raises(ValueError, match="affine.*not digits"):
        tdata.prepare_data("digits", affine=(10.0, 0.1))


def test_zca_0_normalises_per_channel(cifar):
    splits = tdata.prepare_data("cifar10", cifar, val_size=20, augment=False, zca=0.0)
    assert splits.preprocess.whitening is None and splits.preprocess.per_channel
    assert splits.x_train.dtype == np.uint8


def test_the_eigendecomposition_is_cached_and_a_damaged_cache_recomputed(cifar, monkeypatch):
    x = tdata.load_raw("cifar10", cifar, val_size=20).train[0]
    lines = []
    first = tdata.zca_statistics(x, lines.append)
    (cached,) = data_dir().glob("zca-*.npz")
    assert "computing" in lines[0] and str(cached) in lines[0]

    def fail(*args, **kwargs):
        raise AssertionError("recomputed although cached")

    with monkeypatch.context() as m:
        m.setattr(W, "zca_statistics", fail)
        again = tdata.zca_statistics(x, lines.append)
    assert len(lines) == 1 and all(np.array_equal(a, b) for a, b in zip(first, again))
    cached.write_bytes(b"PK not really")
    redone = tdata.zca_statistics(x, lines.append)
    assert len(lines) == 2 and all(np.array_equal(a, b) for a, b in zip(first, redone))


def test_zca_is_for_cifar10_only():
    with pytest.raises(ValueError, match="zca"):
        tdata.prepare_data("digits", zca=0.1)


@pytest.mark.parametrize("zca", [0.0, 0.1])
def test_train_inputs_are_the_training_images_prepared_as_the_validation_images(cifar, zca):
    splits = tdata.prepare_data("cifar10", cifar, val_size=20, augment=True, zca=zca, log=quiet)
    raw = tdata.load_raw("cifar10", cifar, val_size=20).train[0]
    ready = splits.train_inputs()
    assert ready.shape == (len(raw), 3072) and ready.dtype == np.float32
    np.testing.assert_allclose(ready, splits.preprocess(raw), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(splits.train_inputs(3), ready[:3])


def test_pca_keeps_the_whitened_images_directions_of_largest_variance(cifar):
    splits = tdata.prepare_data("cifar10", cifar, 20, True, 0.1, quiet, pca=16)
    basis = splits.preprocess.basis
    assert basis.shape == (16, 3072) and basis.dtype == np.float32
    np.testing.assert_allclose(basis @ basis.T, np.eye(16), atol=1e-5)  # orthonormal rows
    # the whitened images' own principal directions (with their mirror images), up to sign
    x = splits.x_train.astype(np.float64)
    x = np.concatenate([x, x[..., ::-1]]).reshape(360, -1)
    variance = (x @ basis.T).var(axis=0)
    assert np.all(np.diff(variance) <= 1e-6 * variance[0])  # largest first
    top = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)[2][:4]
    np.testing.assert_allclose(np.abs(np.sum(top * basis[:4], axis=1)), 1.0, atol=1e-3)
    restored = tdata.Preprocess.from_state(splits.preprocess.state())
    np.testing.assert_array_equal(restored.basis, basis)
    assert tdata.prepare_data("cifar10", cifar, 20, True, 0.1, quiet).preprocess.basis is None


def test_pca_needs_whitening_and_no_more_directions_than_the_images_span(cifar):
    with pytest.raises(ValueError, match="pca projects ZCA-whitened"):
        tdata.prepare_data("cifar10", cifar, 20, True, 0.0, quiet, pca=16)
    with pytest.raises(ValueError, match="pca is 400, more directions than the 360"):
        tdata.prepare_data("cifar10", cifar, 20, True, 0.1, quiet, pca=400)
