"""Module: registration, naming and order, modes, state_dict and load_state_dict."""

import gc
import weakref

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn.module import live_modules


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4, rng=0)
        self.norm = nn.BatchNorm1d(4)
        self.heads = nn.ModuleList([nn.Linear(4, 2, rng=1), nn.Linear(4, 2, bias=False, rng=2)])
        self.scale = nn.Parameter(np.ones(1))

    def forward(self, x):
        h = self.norm(self.fc(x)).relu()
        return sum((head(h) for head in self.heads), self.scale)


def test_names_follow_pytorch_order_params_then_buffers_then_children():
    keys = list(Block().state_dict())
    assert keys == [
        "scale",
        "fc.weight",
        "fc.bias",
        "norm.weight",
        "norm.bias",
        "norm.running_mean",
        "norm.running_var",
        "norm.num_batches_tracked",
        "heads.0.weight",
        "heads.0.bias",
        "heads.1.weight",
    ]
    names = [n for n, _ in Block().named_parameters()]
    assert names == [k for k in keys if "running" not in k and "num_batches" not in k]


def test_sequential_children_are_named_by_position():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail.state_dict()) == ["2.weight", "2.bias"]
    with pytest.raises(IndexError, match="out of range"):
        model[3]


def test_sequential_repr_is_readable():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Dropout(0.1), nn.Tanh()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): Dropout(p=0.1)\n"
        "    (1): Tanh()\n"
        "  )\n"
        ")"
    )


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_parameters_are_leaves_in_the_default_dtype():
    assert nn.Linear(2, 3).weight.dtype == np.float32
    assert nn.Linear(2, 3, dtype=np.float64).weight.dtype == np.float64
    mg.set_default_dtype(np.float64)
    try:
        p = nn.BatchNorm1d(3).weight
        assert p.dtype == np.float64 and p.is_leaf and p.requires_grad
    finally:
        mg.set_default_dtype(np.float32)


def test_assigning_before_init_or_a_tensor_to_a_parameter_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(2))

    with pytest.raises(AttributeError, match=r"call super\(\)\.__init__\(\) first"):
        Bad()
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        lin.weight = mg.tensor(np.ones((2, 2)))
    lin.bias = None
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    del lin.weight
    assert list(lin.state_dict()) == []


def test_train_and_eval_switch_every_submodule():
    model = Block()
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_clears_gradients():
    model = Block()
    model(mg.tensor(np.ones((5, 3), np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(not p.grad.data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_is_a_snapshot_and_round_trips():
    a, b = Block(), Block()
    for p in b.parameters():
        p.data[...] = 0.5
    sd = a.state_dict()
    a.fc.weight.data[...] = 7.0
    assert not (sd["fc.weight"] == 7.0).any()
    b.load_state_dict(sd)
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v, sd[k])
        assert v.dtype == sd[k].dtype


def test_load_state_dict_names_every_problem_and_changes_nothing():
    model = Block()
    before = model.state_dict()
    sd = model.state_dict()
    del sd["fc.bias"]
    sd["extra.weight"] = np.zeros(3)
    sd["heads.0.weight"] = np.zeros((3, 3))
    sd["scale"] = np.full(1, 9.0)
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(sd)
    msg = str(info.value)
    assert "missing key 'fc.bias'" in msg and "unexpected key 'extra.weight'" in msg
    assert "'heads.0.weight': shape (3, 3) in the state_dict, (2, 4) in the model" in msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_load_state_dict_non_strict_reports_keys_but_still_checks_shapes():
    model = nn.Linear(2, 3)
    out = model.load_state_dict({"weight": np.ones((3, 2)), "other": np.ones(1)}, strict=False)
    assert out.missing_keys == ["bias"] and out.unexpected_keys == ["other"]
    np.testing.assert_array_equal(model.weight.data, np.ones((3, 2), np.float32))
    with pytest.raises(nn.StateDictError, match="'weight'"):
        model.load_state_dict({"weight": np.ones((2, 3))}, strict=False)


def test_load_state_dict_bumps_versions_so_stale_graphs_refuse_backward():
    model = nn.Linear(2, 1)
    loss = model(mg.tensor(np.ones((1, 2), np.float32))).sum()
    model.load_state_dict(model.state_dict())
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_load_state_dict_accepts_tensors_and_casts_to_the_parameter_dtype():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": mg.tensor(np.ones((1, 2))), "bias": np.zeros(1)})
    assert model.weight.dtype == np.float32 and model.weight.data.sum() == 2.0


def test_non_persistent_buffers_stay_out_of_the_state_dict():
    m = nn.Module()
    m.register_buffer("kept", np.zeros(2))
    m.register_buffer("scratch", np.zeros(2), persistent=False)
    assert list(m.state_dict()) == ["kept"]
    assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="ModuleList"):
        nn.ModuleList([nn.ReLU()])(1.0)


def test_live_modules_lists_modules_alive_and_keeps_none_alive():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU())
    assert {id(m) for m in model.modules()} <= {id(m) for m in live_modules()}
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is None
