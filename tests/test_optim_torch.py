"""Parity with torch.optim: the same gradients give the same weights, step for step.

Every optimizer and option runs ~20 steps on random data in float64 in both frameworks and
the weights must agree to float64 precision. Gradients are computed in NumPy and handed to
both, so these tests check the optimizers alone.
"""

import numpy as np
import pytest
from golden import cases

import minigrad as mg
from minigrad import optim

torch = pytest.importorskip("torch")

STEPS = 20
RTOL = 1e-12

OPTIMIZER_CASES = cases.OPTIMIZER_CASES


def make_problem(seed=0):
    """Initial weights and a gradient function `grads(step, ws)` (a noisy quadratic)."""
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (3,), (2, 2)]
    init = [rng.standard_normal(s) for s in shapes]
    n = sum(int(np.prod(s)) for s in shapes[:2])
    a = rng.standard_normal((n, n))
    hessian = a @ a.T / n + np.eye(n)
    noise = rng.standard_normal((STEPS + 1, n))

    def grads(step, ws):
        flat = np.concatenate([w.reshape(-1) for w in ws[:2]])
        g = hessian @ flat - noise[step] + 0.5 * np.sin(flat)
        return [g[:12].reshape(4, 3), g[12:], None]  # the last parameter never has a grad

    return init, grads


def run_minigrad(name, kwargs, init, grads, groups=False):
    params = [mg.tensor(w.copy(), requires_grad=True) for w in init]
    opt = getattr(optim, name)(_groups(params, groups), **kwargs)
    history = []
    for step in range(STEPS):
        for p, g in zip(params, grads(step, [p.data for p in params])):
            p.grad = None if g is None else mg.tensor(g)
        opt.step()
        history.append([p.data.copy() for p in params])
    return history


def run_torch(name, kwargs, init, grads, groups=False):
    params = [torch.tensor(w.copy(), requires_grad=True) for w in init]
    opt = getattr(torch.optim, name)(_groups(params, groups), **kwargs)
    history = []
    for step in range(STEPS):
        for p, g in zip(params, grads(step, [p.detach().numpy() for p in params])):
            p.grad = None if g is None else torch.tensor(g)
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def _groups(params, groups):
    if not groups:
        return params
    return [{"params": params[:1], "lr": 0.02}, {"params": params[1:]}]


def _case_id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=[_case_id(c) for c in OPTIMIZER_CASES])
def test_optimizer_matches_torch_for_twenty_steps(case):
    name, kwargs = case
    init, grads = make_problem()
    ours = run_minigrad(name, kwargs, init, grads)
    theirs = run_torch(name, kwargs, init, grads)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for w_ours, w_torch in zip(a, b):
            np.testing.assert_allclose(w_ours, w_torch, rtol=RTOL, atol=1e-14, err_msg=f"{step}")
    np.testing.assert_array_equal(ours[-1][2], init[2])  # never had a grad: untouched


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_parameter_groups_match_torch(name):
    init, grads = make_problem(seed=1)
    kwargs = dict(lr=0.01, momentum=0.9) if name != "Adam" else dict(lr=0.01)
    ours = run_minigrad(name, kwargs, init, grads, groups=True)
    theirs = run_torch(name, kwargs, init, grads, groups=True)
    for w_ours, w_torch in zip(ours[-1], theirs[-1]):
        np.testing.assert_allclose(w_ours, w_torch, rtol=RTOL, atol=1e-14)


def _make_logistic_regression(seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((40, 5)), (rng.random(40) < 0.5).astype(float)
    return lambda w: cases.logistic_loss_and_grad(w, x, y)


def _lbfgs_run(module, make_tensor, to_numpy, set_grad, f, kwargs, outer_steps=5):
    x = make_tensor(np.array([-1.2, 1.0, -0.5, 0.8, 1.3]))
    opt = module.LBFGS([x], **kwargs)

    def closure():
        loss, g = f(to_numpy(x).copy())
        set_grad(x, g)
        return loss

    trace = []
    for _ in range(outer_steps):
        loss = opt.step(closure)
        trace.append((float(loss), to_numpy(x).copy()))
    return trace


def _lbfgs_both(f, kwargs):
    def mg_grad(x, g):
        x.grad = mg.tensor(g)

    def torch_grad(x, g):
        x.grad = torch.tensor(g)

    def make_mg(a):
        return mg.tensor(a, requires_grad=True)

    def make_torch(a):
        return torch.tensor(a, requires_grad=True)

    ours = _lbfgs_run(optim, make_mg, lambda t: t.data, mg_grad, f, kwargs)
    theirs = _lbfgs_run(
        torch.optim, make_torch, lambda t: t.detach().numpy(), torch_grad, f, kwargs
    )
    return ours, theirs


LBFGS_CASES = [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, max_iter=5, history_size=3),
    dict(max_iter=7, history_size=2, line_search_fn="strong_wolfe"),
    dict(lr=0.1, max_iter=4, max_eval=6, tolerance_change=1e-5),
]


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[str(c) for c in LBFGS_CASES])
def test_lbfgs_matches_torch_on_logistic_regression(kwargs):
    ours, theirs = _lbfgs_both(_make_logistic_regression(), kwargs)
    for (loss_a, x_a), (loss_b, x_b) in zip(ours, theirs):
        np.testing.assert_allclose(loss_a, loss_b, rtol=RTOL)
        np.testing.assert_allclose(x_a, x_b, rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("kwargs", LBFGS_CASES[1::2], ids=[str(c) for c in LBFGS_CASES[1::2]])
def test_lbfgs_strong_wolfe_matches_torch_on_rosenbrock(kwargs):
    # Rosenbrock makes the line search bracket and zoom many times. Its valley amplifies
    # last-bit differences (BLAS dot products sum in another order), hence the looser rtol.
    ours, theirs = _lbfgs_both(cases.rosenbrock_loss_and_grad, kwargs)
    for (loss_a, x_a), (loss_b, x_b) in zip(ours, theirs):
        np.testing.assert_allclose(loss_a, loss_b, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(x_a, x_b, rtol=1e-8, atol=1e-10)
