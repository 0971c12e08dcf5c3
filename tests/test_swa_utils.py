"""optim.swa_utils: the averages against their formulas in NumPy (PyTorch's numbers:
`test_swa_utils_torch.py`)."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.optim import swa_utils
from minigrad.optim.swa_utils import AveragedModel


def _net(seed=0):
    """Linear(700, 400) has more elements than one block of the in-place update."""
    rng = np.random.default_rng(seed)
    net = nn.Sequential(nn.Linear(700, 400), nn.BatchNorm1d(400), nn.Linear(400, 3))
    for p in net.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    return net


def _train_a_little(net, rng):
    """New weights, and new BatchNorm statistics from one forward pass in training mode."""
    for p in net.parameters():
        p.data += rng.standard_normal(p.shape).astype(p.data.dtype)
    net.train()
    net(mg.tensor(rng.standard_normal((8, 700)).astype(np.float32)))


def _run(averaged, net, steps=4, seed=1):
    """Update `averaged` after each of `steps` changes of `net`; the states seen, first one
    included (what the first `update_parameters` copies)."""
    rng = np.random.default_rng(seed)
    states = [net.state_dict()]
    averaged.update_parameters(net)
    for _ in range(steps):
        _train_a_little(net, rng)
        states.append(net.state_dict())
        averaged.update_parameters(net)
    return states


AVERAGES = {  # (kwargs of AveragedModel, the update a <- f(a, b, n) in float32 NumPy)
    "swa": ({}, lambda a, b, n: a + (b - a) / np.float32(n + 1)),
    "swa_multi": (
        {"multi_avg_fn": swa_utils.get_swa_multi_avg_fn()},
        lambda a, b, n: a + (b - a) * np.float32(1 / (n + 1)),
    ),
    "ema_multi": (
        {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.9)},
        lambda a, b, n: a + (b - a) * np.float32(1 - 0.9),
    ),
    "ema": (
        {"avg_fn": swa_utils.get_ema_avg_fn(0.9)},
        lambda a, b, n: np.float32(0.9) * a + np.float32(1 - 0.9) * b,
    ),
    "swa_avg_fn": (
        {"avg_fn": swa_utils.get_swa_avg_fn()},
        lambda a, b, n: a + (b - a) / np.float32(n + 1),
    ),
}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("name", list(AVERAGES))
def test_each_average_follows_its_formula_bit_for_bit(name, use_buffers):
    kwargs, update = AVERAGES[name]
    net = _net()
    averaged = AveragedModel(net, use_buffers=use_buffers, **kwargs)
    states = _run(averaged, net)
    expected = dict(states[0])
    for n, state in enumerate(states[1:], start=1):
        for k, v in state.items():
            averages = v.dtype.kind == "f" and (use_buffers or "running" not in k)
            expected[k] = update(expected[k], v, n) if averages else v  # else: copied
    got = averaged.module.state_dict()
    assert got.keys() == expected.keys() and averaged.n_averaged == len(states)
    for k, v in expected.items():
        np.testing.assert_array_equal(got[k], v, err_msg=k)
        assert got[k].dtype == v.dtype
    assert got["1.num_batches_tracked"] == 4 and net[1].num_batches_tracked.item() == 4


def test_the_default_is_the_mean_of_the_models_seen():
    net = _net()
    averaged = AveragedModel(net)
    states = _run(averaged, net, steps=5)
    for k, v in averaged.module.state_dict().items():
        mean = np.mean([s[k] for s in states], axis=0, dtype=np.float64)
        if "running" in k or "num_batches" in k:
            np.testing.assert_array_equal(v, states[-1][k], err_msg=k)  # buffers: copied
        else:
            np.testing.assert_allclose(v, mean, rtol=1e-5, atol=1e-5, err_msg=k)


def test_the_copy_is_deep_and_a_call_runs_it():
    net = _net()
    averaged = AveragedModel(net)
    assert averaged.module is not net and averaged.module[0].weight is not net[0].weight
    _train_a_little(net, np.random.default_rng(0))
    x = mg.tensor(np.ones((2, 700), np.float32))
    net.eval()
    assert not np.array_equal(averaged(x).data, net(x).data)
    averaged.update_parameters(net)  # the first update copies
    averaged.module.eval()
    np.testing.assert_array_equal(averaged(x).data, net(x).data)
    np.testing.assert_array_equal(averaged.forward(x).data, net(x).data)


def test_state_dict_has_torchs_keys_and_a_loaded_one_averages_on_alike():
    net = _net()
    first = AveragedModel(net, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.5))
    _run(first, net, steps=2)
    state = first.state_dict()
    assert list(state)[0] == "n_averaged" and state["n_averaged"] == 3
    assert [k for k in state if k != "n_averaged"] == [f"module.{k}" for k in net.state_dict()]
    second = AveragedModel(_net(5), multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.5))
    second.load_state_dict(state)
    assert second.n_averaged == 3
    _train_a_little(net, np.random.default_rng(7))
    first.update_parameters(net)
    second.update_parameters(net)
    for k, v in first.state_dict().items():
        np.testing.assert_array_equal(second.state_dict()[k], v, err_msg=k)
    with pytest.raises(KeyError, match="n_averaged"):
        second.load_state_dict(net.state_dict())


def test_an_update_stamps_the_averaged_weights_so_an_old_graph_cannot_backpropagate():
    net = nn.Linear(3, 2)
    averaged = AveragedModel(net)
    averaged.module.weight.requires_grad_(True)
    loss = averaged(mg.tensor(np.ones((1, 3), np.float32))).sum()
    averaged.update_parameters(net)
    with pytest.raises(RuntimeError):
        loss.backward()


def test_wrong_arguments_raise_errors_that_say_what_is_wrong():
    net = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="avg_fn or multi_avg_fn"):
        AveragedModel(
            net,
            avg_fn=swa_utils.get_swa_avg_fn(),
            multi_avg_fn=swa_utils.get_swa_multi_avg_fn(),
        )
    with pytest.raises(ValueError, match="architecture"):
        AveragedModel(net).update_parameters(nn.Linear(3, 2, bias=False))
    for decay in (-0.1, 1.5):
        for make in (swa_utils.get_ema_multi_avg_fn, swa_utils.get_ema_avg_fn):
            with pytest.raises(ValueError, match=r"\[0, 1\]"):
                make(decay)
