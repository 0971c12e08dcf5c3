"""`minigrad.ops.fast.in_blocks`: updates done block by block give the whole-array results."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import fast
from minigrad.optim import SGD, Adam, AdamW, sgd


def run(cls, block, monkeypatch, **hparams):
    """Parameters after 3 steps of `cls` on fixed gradients, in blocks of `block` elements."""
    monkeypatch.setattr(sgd, "SGD_BLOCK", block)
    monkeypatch.setattr(fast.in_blocks, "__defaults__", (block,))
    rng = np.random.default_rng(0)
    shapes = [(37, 11), (5,), (3, 4, 2)]
    params = [mg.nn.Parameter(rng.standard_normal(s).astype(np.float32)) for s in shapes]
    opt = cls(params, lr=0.01, **hparams)
    for _ in range(3):
        for p in params:
            p.grad = mg.Tensor(rng.standard_normal(p.shape).astype(np.float32))
        opt.step()
    return [p.data.copy() for p in params]


@pytest.mark.parametrize(
    "cls, hparams",
    [
        (AdamW, {"weight_decay": 0.05}),
        (Adam, {"weight_decay": 0.01}),
        (Adam, {"amsgrad": True}),
        (SGD, {"momentum": 0.9, "nesterov": True}),
    ],
)
def test_update_in_small_blocks_is_bit_identical_to_whole_arrays(cls, hparams, monkeypatch):
    whole = run(cls, 1 << 20, monkeypatch, **hparams)
    blocked = run(cls, 7, monkeypatch, **hparams)
    for a, b in zip(whole, blocked):
        np.testing.assert_array_equal(a, b)


def test_in_blocks_covers_every_element_once_with_one_work_block():
    a, work, seen = np.zeros(23), np.zeros(23), []

    def add_one(block, tmp):
        seen.append(np.shares_memory(tmp, work[:5]))
        block += 1

    fast.in_blocks(add_one, [a], work, block=5)
    np.testing.assert_array_equal(a, np.ones(23))
    assert seen == [True] * 5


def test_in_blocks_does_a_non_contiguous_array_whole():
    a = np.zeros((4, 6)).T
    calls = []

    def add_two(block, tmp):
        calls.append((block.shape, tmp.shape))
        block += 2

    fast.in_blocks(add_two, [a], np.empty((6, 4)), block=2)
    assert calls == [((6, 4), (6, 4))]
    np.testing.assert_array_equal(a, np.full((6, 4), 2.0))
