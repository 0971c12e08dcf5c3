"""minigrad.train.averaging (`--ema`): the moving average of weights and BatchNorm statistics,
and a run that scores, saves and resumes it."""

import numpy as np
import pytest
from train_helpers import no_network, quiet, small  # noqa: F401

import minigrad.nn as nn
from minigrad import Tensor
from minigrad.train import TrainConfig, fit, load_model
from minigrad.train.averaging import WeightAverage, ema_decay
from minigrad.train.checkpoint import load_checkpoint
from minigrad.train.config import ConfigError


def _net(seed):
    rng = np.random.default_rng(seed)
    net = nn.Sequential(nn.Linear(5, 700, bias=False), nn.BatchNorm1d(700), nn.Linear(700, 3))
    for p in net.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    return net


def test_the_average_follows_the_warmed_up_formula_for_weights_and_batchnorm_statistics():
    source = _net(0)
    average = WeightAverage(source, decay=0.9)
    averaged = average.model
    expected = {k: v.astype(np.float64) for k, v in source.state_dict().items()}
    assert all(np.array_equal(averaged.state_dict()[k], v) for k, v in expected.items())
    rng = np.random.default_rng(2)
    for t in range(1, 30):
        for p in source.parameters():
            p.data -= 0.1 * rng.standard_normal(p.shape).astype(p.data.dtype)
        source.train()
        source(Tensor(rng.standard_normal((8, 5)).astype(np.float32)))  # moves BN's statistics
        average.update()
        d = min(0.9, (1 + t) / (10 + t))
        assert ema_decay(0.9, t) == d
        for k, v in source.state_dict().items():
            if k.endswith("num_batches_tracked"):
                expected[k] = v  # copied
            else:
                expected[k] = d * expected[k] + (1 - d) * v
    got = averaged.state_dict()
    assert got["1.num_batches_tracked"] == 29
    for k, v in expected.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-5, atol=1e-6, err_msg=k)
    assert not averaged.training and average.steps == 29


def test_a_blocked_update_equals_the_whole_array_one():
    big = nn.Linear(1000, 600)  # more elements than one block
    average = WeightAverage(big, 0.5)
    copy = average.model
    before = copy.weight.data.copy()
    big.weight.data += 1.0
    average.update()  # step 1: decay min(0.5, 2/11)
    d = 2 / 11
    np.testing.assert_allclose(copy.weight.data, d * before + (1 - d) * big.weight.data, 1e-6)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        WeightAverage(_net(0), 1.0)


def test_ema_must_lie_in_zero_one():
    with pytest.raises(ConfigError, match="--ema"):
        TrainConfig(ema=1.0).validate()


def test_an_ema_run_scores_saves_and_predicts_with_the_average(tmp_path):
    lines = []
    trained = fit(small(ema=0.9), tmp_path, log=lines.append)
    assert lines[2].endswith("10 batches of 128, ema 0.9")
    state = load_checkpoint(tmp_path / "checkpoint.npz")
    assert state["ema"]["steps"] == 2 * 10  # 2 epochs of 10 batches of 128 digits
    for name, value in trained.model.state_dict().items():
        np.testing.assert_array_equal(value, state["ema"]["model"][name], err_msg=name)
    assert not np.array_equal(state["ema"]["model"]["0.weight"], state["model"]["0.weight"])
    loaded = load_model(tmp_path)
    np.testing.assert_array_equal(loaded.model[0].weight.data, trained.model[0].weight.data)
    plain = fit(small(), tmp_path / "plain", log=quiet)
    unaveraged = load_checkpoint(tmp_path / "plain" / "checkpoint.npz")
    assert "ema" not in unaveraged
    for name, value in unaveraged["model"].items():  # averaging leaves training alone
        np.testing.assert_array_equal(value, state["model"][name], err_msg=name)
    # the per-epoch validation scores come from the average, not the trained weights
    assert trained.metrics["history"][-1]["val_loss"] != plain.metrics["history"][-1]["val_loss"]
