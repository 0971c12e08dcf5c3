"""minigrad.train.loop: prefetching keeps order and errors; scoring returns predictions."""

import numpy as np
import pytest

import minigrad.nn as nn
from minigrad.train.loop import evaluate, prefetch


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


def test_evaluate_scores_in_eval_mode_and_restores_the_mode():
    model = nn.Sequential(nn.Linear(2, 2, bias=False))
    model[0].weight.data[...] = np.eye(2)
    x = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]], np.float32)
    y = np.array([0, 0, 0])
    scores = evaluate(model, x, y, lambda logits, y: logits.sum() * 0, batch_size=2)
    assert scores.predicted.tolist() == [0, 1, 0] and scores.accuracy == pytest.approx(2 / 3)
    assert model.training
