"""`random_affine` and `RandomAffine` (minigrad/data/transforms.py): the documented mapping
against a per-pixel loop, known turns and zooms, the crop and flip it reduces to, dtypes,
shapes, determinism and bad arguments."""

import numpy as np
import pytest

from minigrad.data.transforms import (
    Compose,
    Normalize,
    RandomAffine,
    random_affine,
    random_crop_flip,
)


def images(n=8, c=3, h=8, w=8, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


class Draws:
    """A stand-in generator handing `random_affine` chosen draws: the crop offsets `dy, dx`
    (already less `padding`), mirrored or not, the angle in degrees and the scale."""

    def __init__(self, dy=0, dx=0, flip=False, degrees=0.0, zoom=1.0, padding=4):
        self.offsets = [np.array([dy + padding]), np.array([dx + padding])]
        self.flip, self.angle, self.zoom = flip, degrees, zoom
        self.uniforms = [np.array([degrees]), np.array([zoom])]

    def integers(self, low, high, size):
        return self.offsets.pop(0)

    def random(self, n):
        return np.array([0.0 if self.flip else 1.0])

    def uniform(self, low, high, n):
        return self.uniforms.pop(0)


def reference(img, dy, dx, flip, degrees, zoom):
    """The docstring's mapping pixel by pixel in float64: bilinear, zeros outside."""
    c, h, w = img.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    cos, sin = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))
    out = np.zeros((c, h, w))
    for i in range(h):
        for j in range(w):
            u, v = i - cy, (w - 1 - j if flip else j) - cx
            sy = cy + dy + (cos * u + sin * v) / zoom
            sx = cx + dx + (-sin * u + cos * v) / zoom
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            for yy, wy in ((y0, 1 - (sy - y0)), (y0 + 1, sy - y0)):
                for xx, wx in ((x0, 1 - (sx - x0)), (x0 + 1, sx - x0)):
                    if 0 <= yy < h and 0 <= xx < w:
                        out[:, i, j] += wy * wx * img[:, yy, xx]
    return out


def test_each_image_follows_the_documented_mapping_with_draws_in_order():
    x = images(n=40, h=7, w=10)
    out = random_affine(x, np.random.default_rng(3), 30, 0.3, padding=3)
    rng = np.random.default_rng(3)
    dy, dx = rng.integers(0, 7, 40) - 3, rng.integers(0, 7, 40) - 3
    flip = rng.random(40) < 0.5
    degrees, zoom = rng.uniform(-30, 30, 40), rng.uniform(0.7, 1.3, 40)
    assert flip.any() and not flip.all()
    for n in range(40):
        expected = reference(x[n], dy[n], dx[n], flip[n], degrees[n], zoom[n])
        np.testing.assert_allclose(out[n], expected, atol=2e-5, err_msg=f"image {n}")


@pytest.mark.parametrize("seed", range(4))
def test_no_turn_and_no_zoom_is_the_crop_and_flip_bit_for_bit(seed):
    x = images(n=64)
    for padding in (0, 2, 4):
        out = random_affine(x, np.random.default_rng(seed), 0, 0, padding=padding)
        crop = random_crop_flip(x, np.random.default_rng(seed), padding=padding)
        np.testing.assert_array_equal(out, crop)
    raw = np.random.default_rng(seed).integers(0, 256, (32, 3 * 32 * 32), dtype=np.uint8)
    out = random_affine(raw, np.random.default_rng(seed), 0, 0, flip_p=0.3)
    np.testing.assert_array_equal(out, random_crop_flip(raw, np.random.default_rng(seed), 4, 0.3))


@pytest.mark.parametrize("degrees, turns", [(90, 1), (-90, -1), (180, 2)])
def test_a_square_image_turned_by_right_angles_is_rot90_counterclockwise(degrees, turns):
    x = images(n=1, h=6, w=6)
    out = random_affine(x, Draws(degrees=degrees), 180, 0)
    np.testing.assert_allclose(out, np.rot90(x, turns, axes=(2, 3)), atol=1e-5)


def test_the_window_is_cropped_then_turned_then_mirrored():
    x = images(n=1, h=6, w=6)
    out = random_affine(x, Draws(dy=1, dx=-2, flip=True, degrees=90), 90, 0)
    padded = np.pad(x, ((0, 0), (0, 0), (4, 4), (4, 4)))
    window = padded[:, :, 4 + 1 : 4 + 1 + 6, 4 - 2 : 4 - 2 + 6]
    expected = np.rot90(window, 1, axes=(2, 3))[..., ::-1]
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_a_zoom_of_two_doubles_distances_from_the_centre_and_half_halves_them():
    x = np.zeros((1, 1, 9, 9), np.float32)
    x[0, 0, 4 + 1, 4 - 1] = 1.0  # one pixel 1 row below and 1 column left of the centre
    out = random_affine(x, Draws(zoom=2.0), 0, 0.99)[0, 0]
    expected = np.zeros((9, 9))
    expected[4 + 2 - 1 : 4 + 2 + 2, 4 - 2 - 1 : 4 - 2 + 2] = np.outer([0.5, 1, 0.5], [0.5, 1, 0.5])
    np.testing.assert_allclose(out, expected, atol=1e-6)
    x = np.zeros((1, 1, 9, 9), np.float32)
    x[0, 0, 4 + 2, 4 - 2] = 1.0
    out = random_affine(x, Draws(zoom=0.5), 0, 0.5)[0, 0]
    expected = np.zeros((9, 9))
    expected[4 + 1, 4 - 1] = 1.0
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_samples_outside_the_image_read_zeros():
    x = np.ones((1, 1, 16, 16), np.float32)
    out = random_affine(x, Draws(degrees=45), 45, 0)[0, 0]
    assert out[0, 0] == out[0, -1] == out[-1, 0] == out[-1, -1] == 0.0
    assert np.all(out[5:11, 5:11] == 1.0)
    shifted = random_affine(x, Draws(dy=4, zoom=0.8), 0, 0.2)[0, 0]
    assert np.all(shifted[-3:] == 0.0) and shifted[8, 8] == 1.0


def test_shapes_and_dtypes_are_kept_and_integers_rounded_into_range():
    rng = np.random.default_rng(0)
    flat = images(n=5).reshape(5, -1)
    out = random_affine(flat, rng, 10, 0.1, shape=(3, 8, 8))
    assert out.shape == flat.shape and out.dtype == np.float32 and out is not flat
    x64 = images(n=3).astype(np.float64)
    assert random_affine(x64, rng, 10, 0.1).dtype == np.float64
    raw = rng.integers(0, 256, (70, 3 * 32 * 32), dtype=np.uint8)
    out = random_affine(raw, rng, 20, 0.2)
    assert out.shape == raw.shape and out.dtype == np.uint8
    as_float = random_affine(raw.astype(np.float32), np.random.default_rng(7), 20, 0.2)
    np.testing.assert_array_equal(
        random_affine(raw, np.random.default_rng(7), 20, 0.2), np.rint(as_float)
    )
    assert random_affine(images(n=0), rng, 10, 0.1).shape == (0, 3, 8, 8)


def test_a_seeded_generator_repeats_the_batch_and_another_seed_changes_it():
    x = images(n=70)  # more than one chunk of images
    a = random_affine(x, np.random.default_rng(5), 10, 0.1)
    b = random_affine(x, np.random.default_rng(5), 10, 0.1)
    c = random_affine(x, np.random.default_rng(6), 10, 0.1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, random_crop_flip(x, np.random.default_rng(5)))


@pytest.mark.parametrize(
    "degrees, scale, padding, message",
    [
        (-1, 0.1, 4, "degrees must be >= 0"),
        (float("nan"), 0.1, 4, "degrees must be >= 0"),
        (10, 1.0, 4, r"scale must lie in \[0, 1\)"),
        (10, -0.1, 4, r"scale must lie in \[0, 1\)"),
        (10, 0.1, -1, "padding must be >= 0"),
    ],
)
def test_bad_arguments_say_what_is_wrong(degrees, scale, padding, message):
    with pytest.raises(ValueError, match=message):
        random_affine(images(), np.random.default_rng(0), degrees, scale, padding)
    with pytest.raises(ValueError, match=message):
        RandomAffine(degrees, scale, padding)


def test_random_affine_transform_composes_with_normalize():
    raw = np.random.default_rng(0).integers(0, 256, (6, 3 * 32 * 32), dtype=np.uint8)
    augment = Compose([RandomAffine(10, 0.1), Normalize([100.0] * 3, [50.0] * 3)])
    out = augment(raw, np.random.default_rng(1))
    assert out.shape == raw.shape and out.dtype == np.float32
    expected = (random_affine(raw, np.random.default_rng(1), 10, 0.1) - np.float32(100)) / 50
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert repr(RandomAffine(10, 0.1)) == "RandomAffine(degrees=10, scale=0.1, p=0.5)"
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        RandomAffine(10, 0.1, p=2)
