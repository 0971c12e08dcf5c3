"""Vectorised batch transforms (minigrad/data/transforms.py)."""

import numpy as np
import pytest

from minigrad.data.transforms import (
    Compose,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    channel_stats,
    normalize,
    random_crop,
    random_crop_flip,
    random_flip,
    translate,
)
from minigrad.data.whitening import whiten, zca_matrix, zca_statistics


def images(n=16, c=3, h=8, w=8, seed=0):
    return np.random.default_rng(seed).integers(1, 256, (n, c, h, w), dtype=np.uint8)


def all_crops(img, padding):
    """Every (dy, dx, flipped) crop of one image `(C, H, W)`, by a plain loop."""
    c, h, w = img.shape
    padded = np.pad(img, ((0, 0), (padding, padding), (padding, padding)))
    for dy in range(2 * padding + 1):
        for dx in range(2 * padding + 1):
            crop = padded[:, dy : dy + h, dx : dx + w]
            yield (dy, dx, False), crop
            yield (dy, dx, True), crop[:, :, ::-1]


def matching_crops(x, out, padding):
    return [
        [key for key, crop in all_crops(x[n], padding) if np.array_equal(crop, out[n])]
        for n in range(len(x))
    ]


def test_crop_flip_matches_a_per_sample_reference():
    x = images(32)
    out = random_crop_flip(x, np.random.default_rng(1), padding=2)
    assert out.shape == x.shape and out.dtype == x.dtype
    matches = matching_crops(x, out, 2)
    assert all(len(m) >= 1 for m in matches)
    keys = {m[0] for m in matches}
    assert any(flip for _, _, flip in keys) and any(not flip for _, _, flip in keys)


def test_crop_offsets_cover_all_positions():
    x = images(400, c=1, h=4, w=4)
    out = random_crop(x, np.random.default_rng(0), padding=1)
    keys = {m[0][:2] for m in matching_crops(x, out, 1)}
    assert keys == {(dy, dx) for dy in range(3) for dx in range(3)}


def test_crop_without_padding_or_flip_is_identity():
    x = images()
    np.testing.assert_array_equal(random_crop(x, np.random.default_rng(0), padding=0), x)


def test_flip_with_p_one_mirrors_and_p_zero_keeps():
    x = images()
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(random_flip(x, rng, p=1.0), x[..., ::-1])
    np.testing.assert_array_equal(random_flip(x, rng, p=0.0), x)


def test_flat_batches_give_the_same_result_as_images():
    x = images(8, 3, 32, 32)
    flat = x.reshape(8, -1)
    out_flat = random_crop_flip(flat, np.random.default_rng(4))
    out_img = random_crop_flip(x, np.random.default_rng(4))
    assert out_flat.shape == flat.shape
    np.testing.assert_array_equal(out_flat, out_img.reshape(8, -1))
    np.testing.assert_array_equal(
        random_flip(flat, np.random.default_rng(2), p=1.0), x[..., ::-1].reshape(8, -1)
    )


def test_same_generator_state_gives_same_augmentation():
    x = images()
    a = random_crop_flip(x, np.random.default_rng(9))
    b = random_crop_flip(x, np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)


def test_channel_stats_match_numpy_in_chunks():
    x = images(50)
    mean, std = channel_stats(x, chunk=7)
    xf = x.astype(np.float64)
    np.testing.assert_allclose(mean, xf.mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(std, xf.std(axis=(0, 2, 3)), rtol=1e-5)
    assert mean.dtype == np.float32 and mean.shape == (3,)
    flat_mean, _ = channel_stats(x.reshape(50, -1), shape=(3, 8, 8))
    np.testing.assert_allclose(flat_mean, mean)


def test_normalize_is_per_channel_and_float32():
    x = images()
    mean, std = np.array([10.0, 20.0, 30.0]), np.array([2.0, 4.0, 8.0])
    out = normalize(x, mean, std)
    want = (x - mean[:, None, None]) / std[:, None, None]
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, want, rtol=1e-6)
    flat = normalize(x.reshape(16, -1), mean, std, shape=(3, 8, 8))
    np.testing.assert_allclose(flat, want.reshape(16, -1), rtol=1e-6)


def test_normalized_training_set_has_zero_mean_unit_std():
    x = images(40)
    out = Normalize(*channel_stats(x))(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1.0, atol=1e-4)


def test_compose_pipeline_outputs_float32_in_input_layout():
    x = images(8, 3, 32, 32).reshape(8, -1)
    pipeline = Compose(
        [RandomCrop(padding=4), RandomHorizontalFlip(), Normalize([100] * 3, [50] * 3)]
    )
    out = pipeline(x, np.random.default_rng(0))
    assert out.shape == (8, 3072) and out.dtype == np.float32
    assert "RandomCrop" in repr(pipeline)


def test_compose_of_separate_steps_runs_each():
    x = images()
    out = Compose([RandomHorizontalFlip(p=1.0), RandomCrop(padding=0)])(x, np.random.default_rng())
    np.testing.assert_array_equal(out, x[..., ::-1])


def test_bad_shapes_and_parameters_raise():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="shape"):
        random_crop(np.zeros((4, 100), np.uint8), rng)
    with pytest.raises(ValueError, match="batch"):
        random_flip(np.zeros((4, 3, 8)), rng)
    with pytest.raises(ValueError, match="channels"):
        normalize(images(), [0, 0], [1, 1])
    with pytest.raises(ValueError, match="padding"):
        RandomCrop(padding=-1)
    with pytest.raises(ValueError, match="p must"):
        RandomHorizontalFlip(p=2)
    with pytest.raises(ValueError, match="std"):
        Normalize([0, 0, 0], [1, 0, 1])


def zca_mirror(c, h, w):
    return np.arange(c * h * w).reshape(c, h, w)[:, :, ::-1].ravel()


def _pooled_reference(x):
    """Mean and covariance (float64) of the images and their mirror images, scaled to [0, 1]."""
    n = len(x)
    both = np.concatenate([x, x[..., ::-1]]).reshape(2 * n, -1).astype(np.float64) / 255
    return both.mean(axis=0), np.cov(both.T, bias=True)


def test_zca_statistics_are_those_of_the_images_and_their_mirror_images():
    x = images(300, 3, 4, 4)
    mean, eigenvalues, eigenvectors = zca_statistics(x, chunk=64)
    ref_mean, ref_cov = _pooled_reference(x)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-6)
    rebuilt = (eigenvectors * eigenvalues) @ eigenvectors.T
    np.testing.assert_allclose(rebuilt, ref_cov, atol=1e-6)
    assert np.all(np.diff(eigenvalues) >= 0) and eigenvalues.min() >= 0


def test_with_fewer_images_than_pixels_the_thin_basis_gives_the_same_whitening():
    x = images(20, 3, 4, 4)  # 40 images with their mirror images, 48 pixels
    mean, eigenvalues, eigenvectors = zca_statistics(x)
    ref_mean, ref_cov = _pooled_reference(x)
    full_values, full_vectors = np.linalg.eigh(ref_cov)
    assert eigenvectors.shape == (48, 40)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-12)
    for eps in (1e-3, 0.1):
        thin = zca_matrix(eigenvalues, eigenvectors, eps)
        full = zca_matrix(np.maximum(full_values, 0), full_vectors, eps)
        np.testing.assert_allclose(thin, full, rtol=1e-5, atol=1e-5)


def test_weak_regularisation_whitens_fully_and_strong_keeps_the_image():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 200, (2000, 3, 4, 4))
    x = (base + base[:, :1]) // 2  # correlated channels
    stats = zca_statistics(x.astype(np.uint8))
    for eps, identity in ((1e-8, True), (100.0, False)):
        white = whiten(x, stats[0], zca_matrix(*stats[1:], eps=eps)).reshape(len(x), -1)
        cov = np.cov(np.concatenate([white, white[:, zca_mirror(3, 4, 4)]]).T, bias=True)
        assert np.allclose(cov, np.eye(48), atol=0.05) == identity
    # a very large eps is nearly the identity map up to scale: the image is kept
    matrix = zca_matrix(*stats[1:], eps=1e6)
    np.testing.assert_allclose(matrix / matrix[0, 0], np.eye(48), atol=1e-3)


def test_whitening_commutes_with_the_flip():
    x = images(200, 3, 6, 6)
    mean, eigenvalues, eigenvectors = zca_statistics(x)
    matrix = zca_matrix(eigenvalues, eigenvectors, eps=0.01)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-6)
    flipped_then_white = whiten(x[..., ::-1], mean, matrix)
    np.testing.assert_allclose(flipped_then_white, whiten(x, mean, matrix)[..., ::-1], atol=1e-4)


def test_whiten_keeps_the_layout_and_chunks_change_nothing():
    x = images(50, 3, 4, 4)
    mean, eigenvalues, eigenvectors = zca_statistics(x)
    matrix = zca_matrix(eigenvalues, eigenvectors, eps=0.1)
    whole = whiten(x, mean, matrix)
    assert whole.shape == x.shape and whole.dtype == np.float32
    np.testing.assert_array_equal(
        whiten(x.reshape(50, -1), mean, matrix, chunk=7), whole.reshape(50, -1)
    )
    with pytest.raises(ValueError, match="eps"):
        zca_matrix(eigenvalues, eigenvectors, eps=0.0)
    with pytest.raises(ValueError, match="values per sample"):
        whiten(x[:, :2], mean, matrix)


@pytest.mark.parametrize("dy,dx", [(0, 0), (2, -1), (-3, 4)])
def test_translate_is_the_crop_of_the_zero_padded_image(dy, dx):
    x = images(3, 3, 8, 8)
    padded = np.pad(x, ((0, 0), (0, 0), (4, 4), (4, 4)))
    expected = padded[:, :, 4 - dy : 12 - dy, 4 - dx : 12 - dx]
    np.testing.assert_array_equal(translate(x, dy, dx), expected)
    flat = translate(x.reshape(3, -1), dy, dx, shape=(3, 8, 8))
    np.testing.assert_array_equal(flat, expected.reshape(3, -1))
