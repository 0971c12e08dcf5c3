"""PyTorch parity: a PyTorch MLP's state_dict loads unchanged and gives the same numbers."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")


def _torch_mlp():
    torch.manual_seed(0)
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Linear(5, 8),
        tnn.BatchNorm1d(8, momentum=0.3),
        tnn.ReLU(),
        tnn.Linear(8, 6),
        tnn.LeakyReLU(0.1),
        tnn.Linear(6, 4),
    ).double()


def _our_mlp():
    f64 = np.float64
    return nn.Sequential(
        nn.Linear(5, 8, rng=1, dtype=f64),
        nn.BatchNorm1d(8, momentum=0.3, dtype=f64),
        nn.ReLU(),
        nn.Linear(8, 6, rng=2, dtype=f64),
        nn.LeakyReLU(0.1),
        nn.Linear(6, 4, rng=3, dtype=f64),
    )


def _as_arrays(sd):
    return {k: v.detach().numpy().copy() for k, v in sd.items()}


def _batch(n=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)), rng.integers(0, 4, n)


def test_state_dict_names_order_and_shapes_match_pytorch():
    ours, theirs = _our_mlp().state_dict(), _torch_mlp().state_dict()
    assert list(ours) == list(theirs)
    for k in ours:
        assert ours[k].shape == tuple(theirs[k].shape), k
    assert ours["1.num_batches_tracked"].dtype == np.int64


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
def test_mlp_loss_and_gradients_match_pytorch_in_train_mode(reduction, label_smoothing):
    tmodel = _torch_mlp().train()
    model = _our_mlp()
    model.load_state_dict(_as_arrays(tmodel.state_dict()))
    x, y = _batch()

    tloss = torch.nn.functional.cross_entropy(
        tmodel(torch.tensor(x)),
        torch.tensor(y),
        reduction=reduction,
        label_smoothing=label_smoothing,
    )
    (tloss.sum() if reduction == "none" else tloss).backward()
    loss = F.cross_entropy(model(mg.tensor(x)), y, reduction, label_smoothing)
    (loss.sum() if reduction == "none" else loss).backward()

    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-10)
    for (name, p), (tname, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-8, atol=1e-12)
    for k, v in _as_arrays(tmodel.state_dict()).items():
        np.testing.assert_allclose(model.state_dict()[k], v, rtol=1e-10, err_msg=k)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
def test_cross_entropy_on_class_probabilities_matches_pytorch(reduction, label_smoothing):
    """An MLP's loss against soft targets (rows not summing to 1, one row one-hot): the
    loss, the parameter gradients and the gradient of the target itself."""
    tmodel = _torch_mlp().train()
    model = _our_mlp()
    model.load_state_dict(_as_arrays(tmodel.state_dict()))
    x, y = _batch()
    q = np.random.default_rng(5).uniform(0.0, 0.6, (7, 4))
    q[0] = np.eye(4)[y[0]]
    tq = torch.tensor(q, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(
        tmodel(torch.tensor(x)), tq, reduction=reduction, label_smoothing=label_smoothing
    )
    (tloss.sum() if reduction == "none" else tloss).backward()
    mq = mg.tensor(q, requires_grad=True)
    loss = nn.CrossEntropyLoss(reduction, label_smoothing)(model(mg.tensor(x)), mq)
    (loss.sum() if reduction == "none" else loss).backward()

    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(mq.grad.data, tq.grad.numpy(), rtol=1e-10, atol=1e-14)
    for (name, p), tp in zip(model.named_parameters(), tmodel.parameters()):
        np.testing.assert_allclose(
            p.grad.data, tp.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=name
        )


def test_batchnorm_running_stats_and_eval_outputs_match_pytorch():
    tmodel, model = _torch_mlp(), _our_mlp()
    model.load_state_dict(_as_arrays(tmodel.state_dict()))
    for seed in range(3):
        x, _ = _batch(seed=seed)
        tmodel(torch.tensor(x))
        model(mg.tensor(x))
    tmodel.eval()
    model.eval()
    x, _ = _batch(n=4, seed=9)
    with torch.no_grad():
        expected = tmodel(torch.tensor(x)).numpy()
    np.testing.assert_allclose(model(mg.tensor(x)).data, expected, rtol=1e-10)
    sd = model.state_dict()
    for k, v in _as_arrays(tmodel.state_dict()).items():
        np.testing.assert_allclose(sd[k], v, rtol=1e-10, err_msg=k)


def test_batchnorm1d_on_three_dimensional_input_matches_pytorch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    tbn = torch.nn.BatchNorm1d(3).double()
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    xt = torch.tensor(x, requires_grad=True)
    xm = mg.tensor(x, requires_grad=True)
    w = rng.standard_normal((4, 3, 5))
    (tbn(xt) * torch.tensor(w)).sum().backward()
    (bn(xm) * mg.tensor(w)).sum().backward()
    np.testing.assert_allclose(xm.grad.data, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(bn.weight.grad.data, tbn.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.running_var.data, tbn.running_var.numpy(), rtol=1e-10)


def test_our_weights_load_into_pytorch_and_agree():
    model = _our_mlp().eval()
    tmodel = _torch_mlp().eval()
    tmodel.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    x, _ = _batch()
    with torch.no_grad():
        expected = tmodel(torch.tensor(x)).numpy()
    np.testing.assert_allclose(model(mg.tensor(x)).data, expected, rtol=1e-10)


def test_svm_loss_is_pytorch_multi_margin_loss_times_classes():
    rng = np.random.default_rng(0)
    s, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    ts = torch.tensor(s, requires_grad=True)
    (torch.nn.functional.multi_margin_loss(ts, torch.tensor(y)) * 4).backward()
    ms = mg.tensor(s, requires_grad=True)
    loss = F.svm_loss(ms, y)
    loss.backward()
    assert loss.item() == pytest.approx(
        4 * torch.nn.functional.multi_margin_loss(ts, torch.tensor(y)).item()
    )
    np.testing.assert_allclose(ms.grad.data, ts.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_pytorch(reduction):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    expected = torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b), reduction=reduction)
    np.testing.assert_allclose(F.mse_loss(mg.tensor(a), b, reduction).data, expected.numpy())


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_match_pytorch(axis):
    x = np.random.default_rng(0).standard_normal((3, 4, 2)) * 30
    t = torch.tensor(x)
    np.testing.assert_allclose(F.softmax(mg.tensor(x), axis).data, torch.softmax(t, axis).numpy())
    np.testing.assert_allclose(
        F.log_softmax(mg.tensor(x), axis).data, torch.log_softmax(t, axis).numpy(), rtol=1e-12
    )


def test_clip_grad_norm_matches_pytorch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    params = [nn.Parameter(np.zeros(g.shape)) for g in grads]
    for tp, p, g in zip(tparams, params, grads):
        tp.grad = torch.tensor(g)
        p.grad = mg.tensor(g.copy())
    for norm_type in (2.0, 1.0, float("inf")):
        expected = torch.nn.utils.clip_grad_norm_(tparams, 0.5, norm_type=norm_type)
        total = nn.utils.clip_grad_norm_(params, 0.5, norm_type=norm_type)
        assert total.item() == pytest.approx(expected.item(), rel=1e-10)
        for tp, p in zip(tparams, params):
            np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-10)


def test_linear_default_init_bounds_match_pytorch():
    torch.manual_seed(0)
    tlin = torch.nn.Linear(300, 200)
    lin = nn.Linear(300, 200, rng=0)
    for ours, theirs in ((lin.weight, tlin.weight), (lin.bias, tlin.bias)):
        t = theirs.detach().numpy()
        assert abs(np.abs(ours.data).max() - np.abs(t).max()) < 1e-3
        assert abs(ours.data.std() - t.std()) / t.std() < 0.05
