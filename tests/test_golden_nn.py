"""PyTorch parity without PyTorch: every layer and loss, clip_grad_norm_ and calculate_gain
against PyTorch's recorded answers (`tests/golden/nn.npz`, see `golden/generate.py`).

Each layer starts from PyTorch's initial weights, loaded through `load_state_dict` (so the
state_dict names and order are checked too), and runs the recorded steps: outputs, input
and parameter gradients after each, and the final state (running statistics).
"""

import numpy as np
import pytest
from golden import cases, store

import minigrad as mg
import minigrad.nn as nn

RECORDS, META = store.read("nn")
RTOL, ATOL = 1e-10, 1e-12


@pytest.fixture(autouse=True)
def float64_default():
    """Modules built in float64, as PyTorch's `.double()` ones were."""
    previous = mg.get_default_dtype()
    mg.set_default_dtype(np.float64)
    yield
    mg.set_default_dtype(previous)


def fields(record, prefix):
    return {k[len(prefix) :]: v for k, v in record.items() if k.startswith(prefix)}


@pytest.mark.parametrize("case", cases.LAYER_CASES, ids=[c.name for c in cases.LAYER_CASES])
def test_layer_matches_pytorch_step_by_step(case):
    record = RECORDS[case.name]
    module = case.build(nn)
    initial = fields(record, "init.")
    assert list(module.state_dict()) == list(initial)
    module.load_state_dict(initial)
    close = dict(rtol=RTOL, atol=ATOL)
    for step, mode in enumerate(case.modes):
        module.train(mode == "train")
        module.zero_grad()
        x = mg.tensor(record[f"x{step}"].copy(), requires_grad=True)
        out = module(x) if case.target is None else module(x, case.target)
        out.backward(record[f"gy{step}"])
        np.testing.assert_allclose(out.data, record[f"out{step}"], **close, err_msg=f"{step}")
        np.testing.assert_allclose(x.grad.data, record[f"gx{step}"], **close, err_msg=f"{step}")
        grads = fields(record, f"grad{step}.")
        assert [name for name, _ in module.named_parameters()] == list(grads)
        for name, p in module.named_parameters():
            np.testing.assert_allclose(p.grad.data, grads[name], **close, err_msg=name)
    for name, value in module.state_dict().items():
        expected = record[f"final.{name}"]
        assert value.dtype == expected.dtype, name
        np.testing.assert_allclose(value, expected, **close, err_msg=name)


def test_every_layer_and_loss_is_recorded():
    obj = {n: getattr(nn, n) for n in nn.__all__}
    layers = {n for n, v in obj.items() if isinstance(v, type) and issubclass(v, nn.Module)}
    layers -= {"Module", "ModuleList"}
    built = {type(c.build(nn)).__name__ for c in cases.LAYER_CASES}
    assert layers <= built, f"add a LayerCase for {sorted(layers - built)}"
    assert {c.name for c in cases.LAYER_CASES} <= set(RECORDS)


@pytest.mark.parametrize(("max_norm", "norm_type"), cases.CLIP_CASES)
def test_clip_grad_norm_matches_pytorch(max_norm, norm_type):
    record = RECORDS[f"clip_grad_norm_({max_norm}, norm_type={norm_type})"]
    params = [nn.Parameter(np.zeros(record[f"g{i}"].shape)) for i in range(2)]
    for i, p in enumerate(params):
        p.grad = mg.tensor(record[f"g{i}"].copy())
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(np.asarray(total), record["total"], rtol=RTOL)
    for i, p in enumerate(params):
        np.testing.assert_allclose(p.grad.data, record[f"clipped{i}"], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("nonlinearity", "param"), cases.GAIN_CASES)
def test_calculate_gain_matches_pytorch(nonlinearity, param):
    record = RECORDS[f"calculate_gain({nonlinearity!r}, {param})"]
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(record["gain"], rel=1e-15)
