"""Every public name of ../shared/API.md exists with the documented parameters."""

import inspect

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim
from minigrad.data import DataLoader, Dataset, TensorDataset


def params_of(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    return list(inspect.signature(target).parameters)


def defaults_of(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    return {
        k: v.default
        for k, v in inspect.signature(target).parameters.items()
        if v.default is not inspect.Parameter.empty
    }


SIGNATURES = [
    (mg.tensor, ["data", "dtype", "requires_grad"]),
    # Tensor methods as a user calls them (bound: the tensor itself is not a parameter)
    (mg.tensor(1.0).backward, ["gradient", "retain_graph", "create_graph"]),
    (mg.tensor(1.0).sum, ["axis", "keepdims"]),
    (mg.tensor(1.0).mean, ["axis", "keepdims"]),
    (mg.tensor(1.0).max, ["axis", "keepdims"]),
    (mg.tensor(1.0).min, ["axis", "keepdims"]),
    (mg.tensor(1.0).clip, ["lo", "hi"]),
    (mg.logsumexp, ["x", "axis", "keepdims"]),
    (mg.concatenate, ["seq", "axis"]),
    (mg.stack, ["seq", "axis"]),
    (mg.where, ["cond", "a", "b"]),
    (mg.grad, ["outputs", "inputs", "grad_outputs", "retain_graph", "create_graph"]),
    (mg.numerical_grad, ["f", "x", "eps"]),
    (mg.gradcheck, ["fn", "inputs", "eps", "atol", "rtol", "raise_exception"]),
    (mg.gradgradcheck, ["fn", "inputs", "eps", "atol", "rtol", "raise_exception"]),
    (nn.Linear, ["self", "in_features", "out_features", "bias"]),
    (nn.LeakyReLU, ["self", "negative_slope"]),
    (nn.Dropout, ["self", "p"]),
    (nn.BatchNorm1d, ["self", "num_features", "eps", "momentum"]),
    (F.cross_entropy, ["logits", "target", "reduction", "label_smoothing"]),
    (F.svm_loss, ["scores", "target", "margin", "reduction"]),
    (F.mse_loss, ["input", "target", "reduction"]),
    (F.softmax, ["x", "axis"]),
    (F.log_softmax, ["x", "axis"]),
    (F.dropout, ["x", "p", "training"]),
    (nn.utils.clip_grad_norm_, ["params", "max_norm"]),
    (optim.Optimizer, ["self", "params", "defaults"]),
    (optim.SGD, ["self", "params", "lr", "momentum", "dampening", "nesterov", "weight_decay"]),
    (
        optim.Adagrad,
        ["self", "params", "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    ),
    (optim.Adadelta, ["self", "params", "lr", "rho", "eps", "weight_decay"]),
    (
        optim.RMSprop,
        ["self", "params", "lr", "alpha", "eps", "weight_decay", "momentum", "centered"],
    ),
    (optim.Adam, ["self", "params", "lr", "betas", "eps", "weight_decay", "amsgrad"]),
    (optim.AdamW, ["self", "params", "lr", "betas", "eps", "weight_decay", "amsgrad"]),
    (optim.LBFGS, ["self", "params", "lr", "max_iter"]),
    (optim.lr_scheduler.StepLR, ["self", "optimizer", "step_size", "gamma"]),
    (optim.lr_scheduler.ExponentialLR, ["self", "optimizer", "gamma"]),
    (optim.lr_scheduler.CosineAnnealingLR, ["self", "optimizer", "T_max", "eta_min"]),
    (
        optim.lr_scheduler.LinearLR,
        ["self", "optimizer", "start_factor", "end_factor", "total_iters"],
    ),
    (optim.lr_scheduler.SequentialLR, ["self", "optimizer", "schedulers", "milestones"]),
    (optim.lr_scheduler.OneCycleLR, ["self", "optimizer", "max_lr", "total_steps"]),
    (DataLoader, ["self", "dataset", "batch_size", "shuffle", "drop_last", "seed", "transform"]),
    (mg.save, ["state_dict", "path"]),
    (mg.load, ["path"]),
]


@pytest.mark.parametrize(
    ("obj", "expected"), SIGNATURES, ids=lambda v: getattr(v, "__qualname__", "")
)
def test_signature_starts_with_the_documented_parameters(obj, expected):
    # optional names may follow (e.g. rng=), but the documented ones come first, in order
    assert params_of(obj)[: len(expected)] == expected


DEFAULTS = [
    (mg.gradcheck, {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3, "raise_exception": True}),
    (nn.LeakyReLU, {"negative_slope": 0.01}),
    (nn.Dropout, {"p": 0.5}),
    (nn.BatchNorm1d, {"eps": 1e-5, "momentum": 0.1}),
    (F.cross_entropy, {"reduction": "mean", "label_smoothing": 0.0}),
    (F.svm_loss, {"margin": 1.0, "reduction": "mean"}),
    (optim.Adagrad, {"lr": 0.01, "lr_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10}),
    (optim.Adadelta, {"lr": 1.0, "rho": 0.9, "eps": 1e-6}),
    (optim.RMSprop, {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False}),
    (optim.Adam, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}),
    (optim.AdamW, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2}),
    (optim.LBFGS, {"lr": 1, "max_iter": 20, "history_size": 100, "line_search_fn": None}),
    (optim.lr_scheduler.StepLR, {"gamma": 0.1}),
    (optim.lr_scheduler.CosineAnnealingLR, {"eta_min": 0.0}),
    (
        DataLoader,
        {"batch_size": 1, "shuffle": False, "drop_last": False, "seed": None, "transform": None},
    ),
]


@pytest.mark.parametrize(
    ("obj", "expected"), DEFAULTS, ids=lambda v: getattr(v, "__qualname__", "")
)
def test_documented_defaults(obj, expected):
    got = defaults_of(obj)
    for name, value in expected.items():
        assert got[name] == value, name


def test_load_state_dict_takes_the_dict_then_strict():
    # API.md writes load_state_dict(d, strict=True); the first parameter keeps PyTorch's name
    assert params_of(nn.Module.load_state_dict)[2] == "strict"
    assert defaults_of(nn.Module.load_state_dict) == {"strict": True}


MG_NAMES = (
    "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "maximum", "minimum", "where",
    "logsumexp", "concatenate", "stack", "zeros", "ones", "randn", "rand", "zeros_like",
    "ones_like", "no_grad", "grad", "tensor", "Tensor", "numerical_grad", "gradcheck",
    "gradgradcheck", "GradcheckError", "set_default_dtype", "save", "load", "manual_seed",
)  # fmt: skip


def test_names_exist():
    for name in MG_NAMES:
        assert callable(getattr(mg, name)), name
        assert name in mg.__all__, name
    for name in (
        "ReLU",
        "Sigmoid",
        "Tanh",
        "Identity",
        "Flatten",
        "Sequential",
        "Module",
        "Parameter",
        "CrossEntropyLoss",
        "SVMLoss",
        "MSELoss",
    ):
        assert hasattr(nn, name), name
    for name in ("linear", "relu", "leaky_relu", "sigmoid", "tanh", "l1_penalty", "l2_penalty"):
        assert callable(getattr(F, name)), name
    for name in (
        "kaiming_uniform_",
        "kaiming_normal_",
        "xavier_uniform_",
        "xavier_normal_",
        "zeros_",
        "ones_",
    ):
        assert callable(getattr(nn.init, name)), name
    for name in ("step", "get_last_lr", "state_dict", "load_state_dict"):
        assert hasattr(optim.lr_scheduler.OneCycleLR, name)
    from minigrad import viz

    assert callable(viz.to_dot) and callable(viz.draw_graph)
    assert issubclass(TensorDataset, Dataset)


def test_linear_layout_matches_pytorch():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert list(dict(layer.named_parameters())) == ["weight", "bias"]
    x = mg.tensor(np.ones((4, 3), np.float32))
    np.testing.assert_allclose(
        layer(x).data, x.data @ layer.weight.data.T + layer.bias.data, rtol=1e-6
    )


def test_sequential_names_children_by_index():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert isinstance(model[0], nn.Linear) and len(list(model)) == 3


def test_sweep_api_and_command_options():
    import minigrad.sweep as sweep
    from minigrad.cli import build_parser

    assert callable(sweep.run_sweep) and callable(sweep.build_config)
    args = build_parser().parse_args(
        ["sweep", "--trials", "3", "--workers", "2", "--storage", "sqlite:///sweep.db"]
    )
    assert (args.trials, args.workers, args.storage) == (3, 2, "sqlite:///sweep.db")


def test_train_api_and_model_summary():
    import dataclasses

    from minigrad.train import DivergedError, TrainConfig, TrainedModel, fit, load_model

    params = inspect.signature(fit).parameters
    assert list(params)[:2] == ["config", "out_dir"]
    for name in ("resume", "force", "callbacks", "stop_after", "log", "stream"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    assert list(inspect.signature(load_model).parameters) == ["path"]
    assert issubclass(DivergedError, RuntimeError)
    assert {"model", "config", "metrics", "run_dir"} <= {
        f.name for f in dataclasses.fields(TrainedModel)
    }
    assert callable(TrainedModel.predict)
    assert all("help" in f.metadata for f in dataclasses.fields(TrainConfig))
    assert TrainConfig.from_dict(TrainConfig().to_dict()) == TrainConfig()
    assert list(inspect.signature(nn.summary).parameters)[:2] == ["model", "input_shape"]
