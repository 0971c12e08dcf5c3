"""Layers, initialisers and clip_grad_norm_ (PyTorch parity lives in test_nn_torch.py)."""

import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    lin = nn.Linear(400, 300, rng=0)
    bound = 1 / math.sqrt(400)
    for p in (lin.weight, lin.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound
    assert abs(lin.weight.data.std() - bound / math.sqrt(3)) < 0.002


def test_linear_init_is_reproducible_from_a_seed_or_generator():
    a, b = nn.Linear(5, 4, rng=3), nn.Linear(5, 4, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, nn.Linear(5, 4, rng=4).weight.data)


def test_linear_forward_on_batches_of_any_rank():
    lin = nn.Linear(3, 2, rng=0, dtype=np.float64)
    x = np.arange(24.0).reshape(2, 4, 3)
    np.testing.assert_allclose(lin(mg.tensor(x)).data, x @ lin.weight.data.T + lin.bias.data)
    assert nn.Linear(3, 2, bias=False).bias is None


@pytest.mark.parametrize(
    ("module", "fn"),
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.Tanh(), np.tanh),
        (nn.Identity(54, unused=1), lambda x: x),
        (nn.Softmax(dim=0), lambda x: np.exp(x) / np.exp(x).sum(axis=0)),
        (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(axis=1, keepdims=True))),
    ],
)
def test_activation_modules(module, fn):
    x = np.linspace(-2, 2, 9).reshape(3, 3)
    np.testing.assert_allclose(module(mg.tensor(x)).data, fn(x), rtol=1e-12)


def test_flatten_keeps_the_batch_axis():
    x = mg.tensor(np.zeros((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)


def test_flatten_takes_pytorchs_start_dim_and_end_dim():
    x = mg.tensor(np.zeros((2, 3, 4, 5)))
    assert nn.Flatten(start_dim=2)(x).shape == (2, 3, 20)
    assert nn.Flatten(start_dim=0, end_dim=1)(x).shape == (6, 4, 5)
    with pytest.raises(TypeError, match="start_dim"):
        nn.Flatten(2, start_dim=3)


def test_dropout_module_draws_new_masks_and_is_identity_in_eval():
    drop = nn.Dropout(0.5, rng=0)
    x = mg.tensor(np.ones((10, 10)))
    a, b = drop(x).data, drop(x).data
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(nn.Dropout(0.5, rng=0)(x).data, a)
    assert drop.eval()(x) is x
    with pytest.raises(ValueError, match="p must lie in"):
        nn.Dropout(1.2)


def test_batchnorm_running_stats_follow_pytorch_momentum_and_unbiased_var():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm1d(3, momentum=0.2, dtype=np.float64)
    xs = [rng.standard_normal((8, 3)) * 2 + 1 for _ in range(3)]
    rm, rv = np.zeros(3), np.ones(3)
    for x in xs:
        bn(mg.tensor(x))
        rm = 0.8 * rm + 0.2 * x.mean(0)
        rv = 0.8 * rv + 0.2 * x.var(0, ddof=1)
    np.testing.assert_allclose(bn.running_mean.data, rm)
    np.testing.assert_allclose(bn.running_var.data, rv)
    assert int(bn.num_batches_tracked.data) == 3
    bn.eval()
    x = xs[0]
    expected = (x - rm) / np.sqrt(rv + 1e-5)
    np.testing.assert_allclose(bn(mg.tensor(x)).data, expected)
    assert int(bn.num_batches_tracked.data) == 3


def test_batchnorm_momentum_none_is_a_cumulative_average():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(2, momentum=None, dtype=np.float64)
    xs = [rng.standard_normal((5, 2)) for _ in range(4)]
    for x in xs:
        bn(mg.tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([x.mean(0) for x in xs], 0))


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False, dtype=np.float64).eval()
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(bn(mg.tensor(x)).data, [[-1, -1], [1, 1]], atol=1e-4)
    assert list(bn.state_dict()) == []


def test_batchnorm_rejects_wrong_feature_count():
    with pytest.raises(ValueError, match="4 features but"):
        nn.BatchNorm1d(3)(mg.tensor(np.ones((5, 4), np.float32)))


def test_batchnorm_on_a_large_batch_is_fast_enough_to_train_with():
    bn = nn.BatchNorm1d(1024)
    x = mg.tensor(np.random.default_rng(0).standard_normal((256, 1024)).astype(np.float32))
    y = bn(x)
    y.sum().backward()
    assert bn.weight.grad.shape == (1024,)


def test_loss_modules_pass_their_keyword_arguments():
    x = mg.tensor(np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]]))
    t = np.array([0, 2])
    ce = nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1)
    assert ce(x, t).item() == F.cross_entropy(x, t, "sum", 0.1).item()
    svm = nn.SVMLoss(margin=2.0, reduction="none")
    np.testing.assert_array_equal(svm(x, t).data, F.svm_loss(x, t, 2.0, "none").data)
    assert nn.MSELoss("sum")(x, np.zeros((2, 3))).item() == pytest.approx((x.data**2).sum())
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="max")


def test_nll_and_binary_loss_modules_pass_their_reduction():
    x = mg.tensor(np.array([[-0.1, -2.0, -3.0], [-1.5, -0.4, -2.2]]))
    t = np.array([0, 2])
    assert nn.NLLLoss("sum")(x, t).item() == F.nll_loss(x, t, "sum").item()
    p, q = mg.tensor([0.2, 0.9]), mg.tensor([0.0, 1.0])
    np.testing.assert_array_equal(
        nn.BCELoss(reduction="none")(p, q).data, F.binary_cross_entropy(p, q, "none").data
    )
    assert nn.BCEWithLogitsLoss()(p, q).item() == F.binary_cross_entropy_with_logits(p, q).item()
    assert repr(nn.BCELoss("sum")) == "BCELoss(reduction='sum')"
    assert nn.L1Loss("sum")(p, q).item() == pytest.approx(0.3)
    with pytest.raises(ValueError, match="BCEWithLogitsLoss: reduction"):
        nn.BCEWithLogitsLoss(reduction="max")


@pytest.mark.parametrize(
    ("fn", "kwargs", "std"),
    [
        (nn.init.kaiming_uniform_, {}, math.sqrt(2 / 1.0001) / math.sqrt(200)),
        (nn.init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / 200)),
        (nn.init.xavier_uniform_, {}, math.sqrt(2 / 500)),
        (nn.init.xavier_normal_, {"gain": 2.0}, 2 * math.sqrt(2 / 500)),
    ],
)
def test_initialisers_have_pytorch_scales(fn, kwargs, std):
    w = nn.Parameter(np.zeros((300, 200)))
    v = w._stamp
    assert fn(w, rng=0, **kwargs) is w
    assert w._stamp > v
    assert abs(w.data.std() / std - 1) < 0.02


def test_constant_initialisers_and_fan_errors():
    w = nn.Parameter(np.full((2, 3), 5.0))
    np.testing.assert_array_equal(nn.init.zeros_(w).data, 0)
    np.testing.assert_array_equal(nn.init.ones_(w).data, 1)
    with pytest.raises(ValueError, match=">= 2 dims"):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(3)))


def test_clip_grad_norm_scales_all_gradients_and_returns_the_old_norm():
    a = nn.Parameter(np.zeros(2))
    b = nn.Parameter(np.zeros(1))
    a.grad = mg.tensor(np.array([3.0, 0.0]))
    b.grad = mg.tensor(np.array([4.0]))
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.data, [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.data, [0.8], rtol=1e-5)
    assert nn.utils.clip_grad_norm_([a, b], 10.0).item() == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(b.grad.data, [0.8], rtol=1e-5)
    inf_norm = nn.utils.clip_grad_norm_([a, b], 1.0, norm_type=float("inf"))
    assert inf_norm.item() == pytest.approx(0.8, rel=1e-5)
    assert nn.utils.clip_grad_norm_([nn.Parameter(np.zeros(1))], 1.0).item() == 0.0


@pytest.mark.parametrize(
    ("shape", "axis"), [((5,), 0), ((3, 4), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)]
)
def test_softmax_modules_without_dim_take_pytorchs_implicit_axis(shape, axis):
    x = np.random.default_rng(0).standard_normal(shape)
    expected = np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(nn.Softmax()(mg.tensor(x)).data, expected, rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax()(mg.tensor(x)).data, np.log(expected), rtol=1e-12)
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
