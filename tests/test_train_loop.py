"""minigrad.train.loop: prefetching keeps order and errors; scoring returns predictions."""

import numpy as np
import pytest

import minigrad.nn as nn
from minigrad.train.loop import (
    VIEWS,
    logits_of,
    prefetch,
    score,
    teacher_probabilities,
    tta_views,
)


def test_prefetch_keeps_order_and_raises_the_producers_error():
    assert list(prefetch(iter(range(50)))) == list(range(50))

    def broken():
        yield 1
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(prefetch(broken()))
    early = prefetch(iter(range(1000)), depth=1)
    assert next(early) == 0
    early.close()  # leaving mid-way stops the thread


def test_score_is_taken_in_eval_mode_and_restores_the_mode():
    model = nn.Sequential(nn.Linear(2, 2, bias=False))
    model[0].weight.data[...] = np.eye(2)
    x = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]], np.float32)
    y = np.array([0, 0, 0])
    scores = score(model, x, y, lambda logits, y: logits.sum() * 0, batch_size=2)
    assert scores.predicted.tolist() == [0, 1, 0] and scores.accuracy == pytest.approx(2 / 3)
    assert model.training


def test_views_are_the_image_its_mirror_and_both_moved_two_pixels():
    x = np.arange(2 * 3 * 4 * 4, dtype=np.float32).reshape(2, -1)
    images = x.reshape(2, 3, 4, 4)
    assert tta_views("none", (3, 4, 4)) is None
    flip = tta_views("flip", (3, 4, 4))(x)
    np.testing.assert_array_equal(flip[0], x)
    np.testing.assert_array_equal(flip[1], images[..., ::-1].reshape(2, -1))
    shift = tta_views("shift", (3, 4, 4))(x)
    assert len(shift) == 18
    down = np.zeros_like(images)
    down[:, :, 2:] = images[:, :, :2]
    np.testing.assert_array_equal(shift[2], down.reshape(2, -1))
    np.testing.assert_array_equal(shift[3], down[..., ::-1].reshape(2, -1))
    down_right = np.zeros_like(images)
    down_right[:, :, 2:, 2:] = images[:, :, :2, :2]
    np.testing.assert_array_equal(shift[10], down_right.reshape(2, -1))


def test_dense_views_are_the_shift_views_and_both_moved_one_pixel_in_8_directions():
    x = np.arange(2 * 3 * 5 * 5, dtype=np.float32).reshape(2, -1)
    images = x.reshape(2, 3, 5, 5)
    dense = tta_views("dense", (3, 5, 5))(x)
    shift = tta_views("shift", (3, 5, 5))(x)
    assert len(dense) == 34
    for got, want in zip(dense[:18], shift, strict=True):  # shift's views come first, as saved
        np.testing.assert_array_equal(got, want)
    moved = {(dy, dx, m) for dy, dx, m in VIEWS["dense"][18:]}
    assert moved == {
        (dy, dx, m) for dy in (-1, 0, 1) for dx in (-1, 0, 1) for m in (False, True) if dy or dx
    }
    up_left = np.zeros_like(images)
    up_left[:, :, :-1, :-1] = images[:, :, 1:, 1:]
    index = VIEWS["dense"].index((-1, -1, True))
    np.testing.assert_array_equal(dense[index], up_left[..., ::-1].reshape(2, -1))


def test_grid_views_move_by_every_pair_of_0_1_and_3_pixels_each_also_mirrored():
    x = np.arange(2 * 3 * 8 * 8, dtype=np.float32).reshape(2, -1)
    images = x.reshape(2, 3, 8, 8)
    grid = tta_views("grid", (3, 8, 8))(x)
    assert len(grid) == 50 and VIEWS["grid"][:2] == ((0, 0, False), (0, 0, True))
    steps = (-3, -1, 0, 1, 3)
    assert set(VIEWS["grid"]) == {
        (dy, dx, m) for dy in steps for dx in steps for m in (False, True)
    }
    up3_right1 = np.zeros_like(images)
    up3_right1[:, :, :-3, 1:] = images[:, :, 3:, :-1]
    index = VIEWS["grid"].index((-3, 1, True))
    np.testing.assert_array_equal(grid[index], up3_right1[..., ::-1].reshape(2, -1))


def test_scores_with_views_average_the_probabilities():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(12, 3, rng=rng))
    x = rng.standard_normal((5, 12)).astype(np.float32)
    views = tta_views("flip", (1, 3, 4))

    def probs(v):
        z = v @ model[0].weight.data.T + model[0].bias.data
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    expected = (probs(x) + probs(x.reshape(5, 1, 3, 4)[..., ::-1].reshape(5, 12))) / 2
    ((_, logits),) = logits_of(model, x, views=views)
    np.testing.assert_allclose(np.exp(logits.data), expected, rtol=1e-5)
    y = expected.argmax(axis=1)
    assert score(model, x, y, lambda z, t: z.sum() * 0, views=views).accuracy == 1.0


def test_teacher_probabilities_are_the_view_averaged_softmax():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Linear(12, 3, rng=rng))
    x = rng.standard_normal((7, 12)).astype(np.float32) * 5
    views = tta_views("flip", (1, 3, 4))
    targets = teacher_probabilities(model, x, views, batch_size=4)
    assert targets.shape == (7, 3) and targets.dtype == np.float32
    logits = np.concatenate([z.data for _, z in logits_of(model, x, 4, views)])
    np.testing.assert_allclose(targets, np.exp(logits), rtol=1e-5)
    plain = teacher_probabilities(model, x)
    np.testing.assert_allclose(plain.sum(axis=1), 1.0, rtol=1e-6)
    assert not np.allclose(plain, targets)
