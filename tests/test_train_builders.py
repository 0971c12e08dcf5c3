"""minigrad.train.builders: every optimizer at the peak rate, weight decay groups, every
activation, BatchNorm1d + ReLU fused."""

import numpy as np
import pytest
from train_helpers import small

import minigrad as mg
from minigrad.train.builders import build_model, build_optimizer
from minigrad.train.config import ACTIVATIONS, OPTIMIZERS, TrainConfig
from minigrad.train.defaults import DEFAULT_LR, with_defaults


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_is_built_at_its_default_peak_rate(optimizer):
    cfg = with_defaults(small(optimizer=optimizer), "digits")
    opt = build_optimizer(cfg, build_model(cfg, 4, 3))
    assert [g["lr"] for g in opt.param_groups] == [DEFAULT_LR[optimizer]] * 2
    momentum = opt.param_groups[0].get("momentum", 0.0)
    assert momentum == (0.9 if optimizer in ("momentum", "nesterov") else momentum)


def test_weight_decay_applies_to_weight_matrices_only():
    cfg = with_defaults(small(hidden=(8,)), "digits")
    groups = build_optimizer(cfg, build_model(cfg, 4, 3)).param_groups
    assert [p.ndim for p in groups[0]["params"]] == [2, 2] and groups[0]["weight_decay"] == 0.05
    assert all(p.ndim == 1 for p in groups[1]["params"]) and groups[1]["weight_decay"] == 0.0


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_choice_builds(activation):
    cfg = with_defaults(TrainConfig(activation=activation, hidden=(5,)), "spiral")
    model = build_model(cfg, 2, 3)
    assert type(model[2]).__name__.lower().replace("leakyrelu", "leaky_relu") == activation


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_then_relu_runs_fused_with_the_layers_numbers_and_names(dtype):
    cfg = with_defaults(TrainConfig(hidden=(6, 5), dropout=0.0), "spiral")
    before = mg.get_default_dtype()
    mg.set_default_dtype(dtype)
    try:
        model = build_model(cfg, 4, 3)
    finally:
        mg.set_default_dtype(before)
    layers = mg.nn.Sequential(*model)  # the same modules, run one by one
    assert list(model.state_dict()) == list(layers.state_dict())
    assert [type(m).__name__ for m in model][1:3] == ["BatchNorm1d", "ReLU"]
    x = np.random.default_rng(0).standard_normal((16, 4)).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for training in (True, False):
        model.train(training)
        grads = []
        for net in (model, layers):
            net.zero_grad()
            out = net(mg.tensor(x))
            (out * out).sum().backward()
            grads.append((out.data, [p.grad.data.copy() for p in net.parameters()]))
        assert grads[0][0].dtype == dtype
        np.testing.assert_allclose(grads[0][0], grads[1][0], **tol)
        for fused, apart in zip(grads[0][1], grads[1][1]):
            np.testing.assert_allclose(fused, apart, **tol)
    model.train()
    ops = _ops(model(mg.tensor(x)))
    assert "batch_norm_relu" in ops and "relu" not in ops


def _ops(y):
    seen, todo = set(), [y]
    while todo:
        t = todo.pop()
        seen.add(t.op)
        todo.extend(t.parents)
    return seen


def test_pca_is_a_fixed_first_layer_that_backward_and_the_optimizer_leave_alone():
    cfg = with_defaults(small(hidden=(8,), zca=0.1, pca=3), "cifar10")
    basis = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 3)))[0].T
    basis = basis.astype(np.float32)
    model = build_model(cfg, 6, 3, basis)
    assert model[0].weight.data is basis and not model[0].weight.requires_grad
    assert model[0].bias is None and model[1].in_features == 3
    opt = build_optimizer(cfg, model)
    trained = [p for g in opt.param_groups for p in g["params"]]
    assert all(p is not model[0].weight for p in trained) and len(trained) == 5
    x = np.random.default_rng(1).standard_normal((10, 6)).astype(np.float32)
    out = model(mg.tensor(x))
    rest = mg.nn.Sequential(*list(model)[1:])
    np.testing.assert_allclose(rest(mg.tensor(x @ basis.T)).data, out.data, rtol=1e-5, atol=1e-6)
    out.sum().backward()
    opt.step()
    assert model[0].weight.grad is None and model[1].weight.grad is not None
    np.testing.assert_array_equal(model[0].weight.data, basis)
    for wrong in (None, basis.T):
        with pytest.raises(ValueError, match=r"--pca 3 needs .* shape \(3, 6\)"):
            build_model(cfg, 6, 3, wrong)
