"""The Optimizer contract: validation, in-place updates, skipped parameters, checkpoints."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

ALL_OPTIMIZERS = [
    (optim.SGD, dict(lr=0.1)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.2)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1)),
    (optim.Adadelta, dict(weight_decay=0.1)),
    (optim.RMSprop, dict(momentum=0.9, centered=True, weight_decay=0.1)),
    (optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    (optim.Adam, dict(lr=0.01, amsgrad=True)),
    (optim.AdamW, dict(lr=0.01, amsgrad=True)),
]
IDS = [f"{cls.__name__}-{'-'.join(kw)}" for cls, kw in ALL_OPTIMIZERS]


def make_params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [
        mg.tensor(rng.standard_normal((3, 2)).astype(dtype), requires_grad=True),
        mg.tensor(rng.standard_normal(2).astype(dtype), requires_grad=True),
    ]


def set_grads(params, step):
    for i, p in enumerate(params):
        rng = np.random.default_rng(1000 * step + i)
        g = (p.data + rng.standard_normal(p.shape)).astype(p.dtype)
        g.setflags(write=False)  # optimizers must never write into a gradient
        p.grad = mg.Tensor(g)


def train(opt, params, steps, start=0):
    for step in range(start, start + steps):
        set_grads(params, step)
        opt.step()


def test_all_is_the_public_api():
    expected = {"Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "LBFGS"}
    assert set(optim.__all__) == expected | {"lr_scheduler", "swa_utils"}
    for name in optim.__all__:
        assert hasattr(optim, name)


@pytest.mark.parametrize("cls, kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_resume_from_state_dict_is_bit_identical(cls, kwargs):
    straight = make_params()
    opt = cls(straight, **kwargs)
    train(opt, straight, 6)

    first = make_params()
    opt = cls(first, **kwargs)
    train(opt, first, 3)
    weights, saved = [p.data.copy() for p in first], npz_like(opt.state_dict())
    train(opt, first, 2, start=3)  # the saved dict must be a snapshot, unaffected by this
    resumed = [mg.tensor(w, requires_grad=True) for w in weights]
    opt = cls(resumed, **kwargs)
    opt.load_state_dict(saved)
    train(opt, resumed, 3, start=3)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.data, b.data)


def npz_like(value):
    """What a trip through `mg.save`/`mg.load` makes of numbers and keys: 0-d arrays."""
    if isinstance(value, dict):
        return {str(k): npz_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (int, float, bool)) for v in value):
            return np.array(value)
        return [npz_like(v) for v in value]
    if isinstance(value, (int, float, bool)):
        return np.array(value)
    return value


@pytest.mark.parametrize("cls, kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_updates_in_place_in_the_parameter_dtype(cls, kwargs):
    params = make_params(dtype=np.float32)
    arrays = [p.data for p in params]
    opt = cls(params, **kwargs)
    train(opt, params, 1)
    versions = [p._stamp for p in params]
    train(opt, params, 1, start=1)
    for p, array, v in zip(params, arrays, versions):
        assert p.data is array
        assert p.dtype == np.float32
        assert 0 < v < p._stamp  # each step stamps the parameter again
        assert p.is_leaf and p.grad is not None
        for value in opt.state[p].values():
            assert not isinstance(value, np.ndarray) or value.dtype == np.float32


@pytest.mark.parametrize("cls, kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_parameters_without_grad_are_skipped_and_get_no_state(cls, kwargs):
    params = make_params()
    frozen = mg.tensor(np.ones(4), requires_grad=True)
    opt = cls([*params, frozen], **kwargs)
    train(opt, params, 2)
    np.testing.assert_array_equal(frozen.data, np.ones(4))
    assert frozen not in opt.state and frozen._stamp == 0
    assert all(p in opt.state for p in params)


def test_zero_grad_sets_grads_to_none_or_zeros():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)
    set_grads(params, 0)
    opt.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_runs_the_closure_with_grad_enabled_and_returns_its_loss():
    w = mg.tensor(np.array([2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_array_equal(w.data, [1.0])


def test_state_dict_holds_plain_values_and_indices():
    params = make_params()
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}])
    train(opt, params, 1)
    state = opt.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0], [1]]
    assert state["param_groups"][1]["lr"] == 0.5
    assert set(state["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert state["state"][0]["step"] == 1
    assert isinstance(state["state"][1]["exp_avg"], np.ndarray)


def test_load_state_dict_checks_the_group_layout():
    params = make_params()
    saved = optim.SGD(params, lr=0.1).state_dict()
    two_groups = optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1)
    with pytest.raises(ValueError, match="1 parameter groups"):
        two_groups.load_state_dict(saved)
    with pytest.raises(ValueError, match="group 0 has 2 parameters"):
        optim.SGD(params[:1], lr=0.1).load_state_dict(saved)


def test_param_groups_override_defaults():
    params = make_params()
    opt = optim.SGD([{"params": params[:1], "lr": 1.0}, {"params": params[1:]}], lr=0.1)
    before = [p.data.copy() for p in params]
    set_grads(params, 0)
    opt.step()
    for p, b, lr in zip(params, before, (1.0, 0.1)):
        np.testing.assert_allclose(p.data, b - lr * p.grad.data)


def test_lbfgs_resume_is_bit_identical():
    def run(steps, saved=None):
        w = mg.tensor(np.array([-1.0, 2.0, 0.5]), requires_grad=True)
        opt = optim.LBFGS([w], max_iter=3, history_size=2, line_search_fn="strong_wolfe")
        if saved is not None:
            w.data[...] = saved[0]
            opt.load_state_dict(saved[1])

        def closure():
            opt.zero_grad()
            loss = ((w - 1.0) ** 4).sum() + (w * w).sum()
            loss.backward()
            return loss

        for _ in range(steps):
            opt.step(closure)
        return w.data.copy(), npz_like(opt.state_dict())

    straight, _ = run(4)
    halfway = run(2)
    resumed, _ = run(2, saved=halfway)
    np.testing.assert_array_equal(straight, resumed)


NAN = math.nan
INVALID = [
    (optim.SGD, dict(lr=-0.1), "lr: -0.1"),
    (optim.SGD, dict(lr=NAN), "lr: nan"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "momentum: -0.5"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1.0), "weight_decay: -1.0"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "momentum=0.0"),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
    (optim.Adagrad, dict(lr=-1.0), "lr: -1.0"),
    (optim.Adagrad, dict(lr_decay=-0.1), "lr_decay: -0.1"),
    (optim.Adagrad, dict(weight_decay=NAN), "weight_decay: nan"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value: -1.0"),
    (optim.Adagrad, dict(eps=-1e-3), "eps: -0.001"),
    (optim.Adadelta, dict(lr=-1.0), "lr: -1.0"),
    (optim.Adadelta, dict(rho=1.5), "rho: 1.5"),
    (optim.Adadelta, dict(eps=-1.0), "eps: -1.0"),
    (optim.Adadelta, dict(weight_decay=-1.0), "weight_decay: -1.0"),
    (optim.RMSprop, dict(lr=NAN), "lr: nan"),
    (optim.RMSprop, dict(alpha=-0.1), "alpha: -0.1"),
    (optim.RMSprop, dict(eps=-0.1), "eps: -0.1"),
    (optim.RMSprop, dict(momentum=-0.1), "momentum: -0.1"),
    (optim.RMSprop, dict(weight_decay=-0.1), "weight_decay: -0.1"),
    (optim.Adam, dict(lr=-0.1), "lr: -0.1"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]: 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]: -0.1"),
    (optim.Adam, dict(betas=(0.9, NAN)), r"betas\[1\]: nan"),
    (optim.Adam, dict(betas=(0.9,)), "betas: "),
    (optim.Adam, dict(eps=-1.0), "eps: -1.0"),
    (optim.Adam, dict(weight_decay=-1.0), "weight_decay: -1.0"),
    (optim.AdamW, dict(lr=NAN), "lr: nan"),
    (optim.AdamW, dict(betas=(0.9, 1.0)), r"betas\[1\]: 1.0"),
    (optim.AdamW, dict(weight_decay=-0.01), "weight_decay: -0.01"),
    (optim.LBFGS, dict(lr=-1.0), "lr: -1.0"),
    (optim.LBFGS, dict(max_iter=0), "max_iter: 0"),
    (optim.LBFGS, dict(history_size=0), "history_size: 0"),
    (optim.LBFGS, dict(line_search_fn="armijo"), "line_search_fn: 'armijo'"),
]


@pytest.mark.parametrize(
    "cls, kwargs, message", INVALID, ids=[f"{c.__name__}-{m}" for c, _, m in INVALID]
)
def test_invalid_hyperparameter_raises_naming_it(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(make_params(), **kwargs)


def test_invalid_hyperparameter_in_a_group_raises():
    with pytest.raises(ValueError, match="lr: -1"):
        optim.Adam([{"params": make_params(), "lr": -1}])


def test_bad_parameter_lists_raise():
    w, b = make_params()
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([{"params": []}], lr=0.1)
    with pytest.raises(ValueError, match="same parameter twice"):
        optim.SGD([w, b, w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [b, w]}], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] is ndarray"):
        optim.SGD([w, np.ones(3)], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD({w, b}, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2.0], lr=0.1)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [w]}, {"params": [b]}])
