"""Parity with torch.optim.swa_utils, live: the same sequence of models gives the same
averaged weights and BatchNorm statistics.

The weights and buffers of each step are set from NumPy in both frameworks, so these tests
check the averaging alone. PyTorch's default (SWA) divides exactly as minigrad does: equal
bit for bit. Its `lerp` behind `get_*_multi_avg_fn` fuses the multiply-add: equal to
rounding. `get_swa_multi_avg_fn` is compared in float32 only: PyTorch rounds its weight
`1 / (n + 1)` to float32 even for float64 weights.
"""

import numpy as np
import pytest

import minigrad.nn as nn
from minigrad.optim import swa_utils

torch = pytest.importorskip("torch")

STEPS = 6


def _states(dtype, seed=0):
    """The state_dicts of STEPS + 1 models `Linear(4, 6) -> BatchNorm1d(6) -> Linear(6, 3)`."""
    rng = np.random.default_rng(seed)
    shapes = {
        "0.weight": (6, 4),
        "0.bias": (6,),
        "1.weight": (6,),
        "1.bias": (6,),
        "1.running_mean": (6,),
        "1.running_var": (6,),
        "2.weight": (3, 6),
        "2.bias": (3,),
    }
    states = []
    for step in range(STEPS + 1):
        state = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
        state["1.running_var"] = np.abs(state["1.running_var"]) + 0.1
        state["1.num_batches_tracked"] = np.array(3 * step + 1, np.int64)
        states.append(state)
    return states


def _ours(states, kwargs):
    dtype = states[0]["0.weight"].dtype
    net = nn.Sequential(
        nn.Linear(4, 6, dtype=dtype), nn.BatchNorm1d(6, dtype=dtype), nn.Linear(6, 3, dtype=dtype)
    )
    averaged = swa_utils.AveragedModel(net, **kwargs)
    for state in states:
        net.load_state_dict(state)
        averaged.update_parameters(net)
    return averaged.state_dict()


def _theirs(states, kwargs):
    dtype = torch.float64 if states[0]["0.weight"].dtype == np.float64 else torch.float32
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.Linear(6, 3))
    net = net.to(dtype)
    averaged = torch.optim.swa_utils.AveragedModel(net, **kwargs)
    for state in states:
        net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
        averaged.update_parameters(net)
    return {k: v.numpy() for k, v in averaged.state_dict().items()}


def _kwargs(module, name):
    return {
        "swa": {},
        "swa_multi": {"multi_avg_fn": module.get_swa_multi_avg_fn()},
        "ema_multi": {"multi_avg_fn": module.get_ema_multi_avg_fn(0.9)},
        "ema_multi_low_decay": {"multi_avg_fn": module.get_ema_multi_avg_fn(0.3)},
        "ema": {"avg_fn": module.get_ema_avg_fn(0.9)},
        "swa_avg_fn": {"avg_fn": module.get_swa_avg_fn()},
    }[name]


CASES = [  # (name, dtype, rtol: 0 for bit for bit)
    ("swa", np.float64, 0),
    ("swa", np.float32, 0),
    ("swa_avg_fn", np.float64, 0),
    ("ema", np.float64, 0),
    ("ema_multi", np.float64, 1e-14),
    ("ema_multi", np.float32, 1e-6),
    ("ema_multi_low_decay", np.float64, 1e-14),
    ("swa_multi", np.float32, 1e-6),
]
# PyTorch's `get_swa_multi_avg_fn` raises on an integer buffer, so not with `use_buffers`.
RUNS = [(*case, buffers) for case in CASES for buffers in (False, True)][:-1]


@pytest.mark.parametrize(
    ("name", "dtype", "rtol", "use_buffers"),
    RUNS,
    ids=[f"{r[0]}-{r[1].__name__}-{'buffers' if r[3] else 'params'}" for r in RUNS],
)
def test_averaged_model_matches_torch(name, dtype, rtol, use_buffers):
    states = _states(dtype)
    ours = _ours(states, {"use_buffers": use_buffers, **_kwargs(swa_utils, name)})
    theirs = _theirs(states, {"use_buffers": use_buffers, **_kwargs(torch.optim.swa_utils, name)})
    assert list(ours) == list(theirs)  # n_averaged first, then module.<name>, in order
    for k, v in theirs.items():
        if k == "module.1.num_batches_tracked" and use_buffers:
            # PyTorch blends the integer counter too and truncates; minigrad copies it.
            assert ours[k] == states[-1]["1.num_batches_tracked"]
        elif rtol == 0:
            np.testing.assert_array_equal(ours[k], v, err_msg=k)
        else:
            np.testing.assert_allclose(ours[k], v, rtol=rtol, atol=rtol, err_msg=k)
        assert ours[k].dtype == v.dtype, k
