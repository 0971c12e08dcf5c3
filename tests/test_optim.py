"""Two-step trajectories of every optimizer and option on a tiny quadratic, computed by hand.

The loss is `f(w) = 0.5 * sum(a * w**2)` with `a = [1, 4]`, so `g = a * w`. Expected
weights are written in the course's notation (velocities, bias-corrected moments), which also
checks that the implemented forms described in the docstrings are equivalent.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

A = np.array([1.0, 4.0])
W0 = np.array([1.0, -0.5])


def run(make_optimizer, steps=2):
    """Weights after each of `steps` steps, gradients from backward of the quadratic."""
    w = mg.tensor(W0.copy(), requires_grad=True)
    opt = make_optimizer([w])
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * (mg.tensor(A) * w * w).sum()
        loss.backward()
        opt.step()
        trajectory.append(w.data.copy())
    return trajectory


def check(make_optimizer, w1, w2):
    got1, got2 = run(make_optimizer)
    np.testing.assert_allclose(got1, w1, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(got2, w2, rtol=1e-14, atol=1e-15)


def test_sgd_plain_is_geometric_decay():
    lr = 0.1
    check(lambda p: optim.SGD(p, lr=lr), W0 * (1 - lr * A), W0 * (1 - lr * A) ** 2)


def test_sgd_weight_decay_adds_to_curvature():
    lr, wd = 0.1, 0.5
    shrink = 1 - lr * (A + wd)
    check(lambda p: optim.SGD(p, lr=lr, weight_decay=wd), W0 * shrink, W0 * shrink**2)


def test_sgd_momentum_equals_velocity_form():
    lr, rho = 0.1, 0.9
    v1 = -lr * A * W0
    w1 = W0 + v1
    v2 = rho * v1 - lr * A * w1
    check(lambda p: optim.SGD(p, lr=lr, momentum=rho), w1, w1 + v2)


def test_sgd_dampening_scales_new_gradients_after_the_first_step():
    lr, mu, damp = 0.1, 0.9, 0.3
    w1 = W0 - lr * A * W0
    b2 = mu * A * W0 + (1 - damp) * A * w1
    check(lambda p: optim.SGD(p, lr=lr, momentum=mu, dampening=damp), w1, w1 - lr * b2)


def test_sgd_nesterov_looks_ahead():
    lr, mu = 0.1, 0.9
    g0 = A * W0
    w1 = W0 - lr * (g0 + mu * g0)
    g1 = A * w1
    b2 = mu * g0 + g1
    check(lambda p: optim.SGD(p, lr=lr, momentum=mu, nesterov=True), w1, w1 - lr * (g1 + mu * b2))


def test_sgd_momentum_with_weight_decay():
    lr, mu, wd = 0.1, 0.5, 0.2
    g0 = (A + wd) * W0
    w1 = W0 - lr * g0
    b2 = mu * g0 + (A + wd) * w1
    check(lambda p: optim.SGD(p, lr=lr, momentum=mu, weight_decay=wd), w1, w1 - lr * b2)


@pytest.mark.parametrize("lr_decay", [0.0, 0.5])
@pytest.mark.parametrize("init_acc", [0.0, 0.25])
def test_adagrad_divides_by_root_of_summed_squares(lr_decay, init_acc):
    lr, eps, wd = 0.5, 1e-10, 0.0
    g0 = A * W0
    cache = init_acc + g0**2
    w1 = W0 - lr * g0 / (np.sqrt(cache) + eps)
    g1 = A * w1
    cache = cache + g1**2
    w2 = w1 - lr / (1 + lr_decay) * g1 / (np.sqrt(cache) + eps)
    check(
        lambda p: optim.Adagrad(
            p, lr=lr, lr_decay=lr_decay, initial_accumulator_value=init_acc, weight_decay=wd
        ),
        w1,
        w2,
    )


def test_adagrad_weight_decay_and_eps():
    lr, eps, wd = 0.5, 0.1, 0.3
    g0 = (A + wd) * W0
    cache = g0**2
    w1 = W0 - lr * g0 / (np.sqrt(cache) + eps)
    g1 = (A + wd) * w1
    cache = cache + g1**2
    w2 = w1 - lr * g1 / (np.sqrt(cache) + eps)
    check(lambda p: optim.Adagrad(p, lr=lr, eps=eps, weight_decay=wd), w1, w2)


@pytest.mark.parametrize("wd", [0.0, 0.3])
def test_adadelta_uses_ratio_of_running_rms(wd):
    lr, rho, eps = 0.8, 0.6, 1e-2
    w, eg2, edx2, trajectory = W0, 0.0, 0.0, []
    for _ in range(2):
        g = (A + wd) * w
        eg2 = rho * eg2 + (1 - rho) * g**2
        dx = np.sqrt(edx2 + eps) / np.sqrt(eg2 + eps) * g
        edx2 = rho * edx2 + (1 - rho) * dx**2
        w = w - lr * dx
        trajectory.append(w)
    check(lambda p: optim.Adadelta(p, lr=lr, rho=rho, eps=eps, weight_decay=wd), *trajectory)


def test_adadelta_first_step_by_hand():
    # E[g^2] = 0.1 g^2 after one step (rho = 0.9), so dx = sqrt(eps) / sqrt(0.1 g^2 + eps) * g.
    eps = 1e-6
    g0 = A * W0
    w1 = W0 - np.sqrt(eps) / np.sqrt(0.1 * g0**2 + eps) * g0
    got = run(lambda p: optim.Adadelta(p), steps=1)[0]
    np.testing.assert_allclose(got, w1, rtol=1e-14)


def test_rmsprop_plain_first_step_is_scaled_sign():
    lr, alpha, eps = 0.01, 0.99, 1e-8
    g0 = A * W0
    w1 = W0 - lr * g0 / (np.sqrt((1 - alpha) * g0**2) + eps)
    g1 = A * w1
    cache = alpha * (1 - alpha) * g0**2 + (1 - alpha) * g1**2
    check(lambda p: optim.RMSprop(p, lr=lr), w1, w1 - lr * g1 / (np.sqrt(cache) + eps))


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.7])
@pytest.mark.parametrize("wd", [0.0, 0.2])
def test_rmsprop_options(centered, momentum, wd):
    lr, alpha, eps = 0.05, 0.8, 1e-3
    w, sq, mean, buf, trajectory = W0, 0.0, 0.0, 0.0, []
    for _ in range(2):
        g = (A + wd) * w
        sq = alpha * sq + (1 - alpha) * g**2
        mean = alpha * mean + (1 - alpha) * g
        s = np.sqrt(sq - mean**2 if centered else sq) + eps
        buf = momentum * buf + g / s
        w = w - lr * buf
        trajectory.append(w)
    kwargs = dict(lr=lr, alpha=alpha, eps=eps, centered=centered, momentum=momentum)
    check(lambda p: optim.RMSprop(p, weight_decay=wd, **kwargs), *trajectory)


def adam_by_hand(lr, beta1, beta2, eps, wd=0.0, decoupled=False, amsgrad=False):
    """Adam/AdamW in course notation with explicit bias correction."""
    w, m, v, v_max, trajectory = W0, 0.0, 0.0, 0.0, []
    for t in (1, 2):
        g = A * w if decoupled else (A + wd) * w
        if decoupled:
            w = w - lr * wd * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - beta1**t)
        v_hat = (v_max if amsgrad else v) / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(w)
    return trajectory


def test_adam_first_step_moves_each_weight_by_lr():
    got = run(lambda p: optim.Adam(p, lr=0.01), steps=1)[0]
    g0 = A * W0
    np.testing.assert_allclose(got, W0 - 0.01 * g0 / (np.abs(g0) + 1e-8), rtol=1e-14)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("wd", [0.0, 0.3])
def test_adam_matches_bias_corrected_course_form(amsgrad, wd):
    lr, betas, eps = 0.5, (0.9, 0.5), 1e-3
    expected = adam_by_hand(lr, *betas, eps, wd=wd, amsgrad=amsgrad)
    kwargs = dict(lr=lr, betas=betas, eps=eps, weight_decay=wd, amsgrad=amsgrad)
    check(lambda p: optim.Adam(p, **kwargs), *expected)


def test_amsgrad_changes_the_step_when_second_moment_shrinks():
    plain = run(lambda p: optim.Adam(p, lr=0.5, betas=(0.9, 0.5)))[1]
    ams = run(lambda p: optim.Adam(p, lr=0.5, betas=(0.9, 0.5), amsgrad=True))[1]
    assert not np.allclose(plain, ams)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("wd", [0.0, 0.3])
def test_adamw_decays_weights_outside_the_moments(amsgrad, wd):
    lr, betas, eps = 0.5, (0.9, 0.5), 1e-3
    expected = adam_by_hand(lr, *betas, eps, wd=wd, decoupled=True, amsgrad=amsgrad)
    kwargs = dict(lr=lr, betas=betas, eps=eps, weight_decay=wd, amsgrad=amsgrad)
    check(lambda p: optim.AdamW(p, **kwargs), *expected)


def test_adamw_default_weight_decay_is_one_hundredth():
    expected = adam_by_hand(1e-3, 0.9, 0.999, 1e-8, wd=1e-2, decoupled=True)
    check(lambda p: optim.AdamW(p), *expected)


def lbfgs_by_hand(lr):
    """Two L-BFGS iterations without line search: a gradient step, then one curvature pair."""
    g0 = A * W0
    t = min(1.0, 1.0 / np.abs(g0).sum()) * lr
    s = -t * g0
    w1 = W0 + s
    g1 = A * w1
    y = g1 - g0
    rho = 1.0 / (y @ s)
    alpha = rho * (s @ -g1)
    r = (y @ s) / (y @ y) * (-g1 - alpha * y)
    r = r + (alpha - rho * (y @ r)) * s
    return w1, w1 + lr * r


@pytest.mark.parametrize("lr", [1.0, 0.5])
def test_lbfgs_two_iterations_by_hand(lr):
    w = mg.tensor(W0.copy(), requires_grad=True)
    opt = optim.LBFGS([w], lr=lr, max_iter=1)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (mg.tensor(A) * w * w).sum()
        loss.backward()
        return loss

    w1, w2 = lbfgs_by_hand(lr)
    first_loss = opt.step(closure)
    np.testing.assert_allclose(first_loss.item(), 0.5 * np.sum(A * W0**2))
    np.testing.assert_allclose(w.data, w1, rtol=1e-14)
    opt.step(closure)
    np.testing.assert_allclose(w.data, w2, rtol=1e-14)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_solves_a_quadratic(line_search_fn):
    w = mg.tensor(W0.copy(), requires_grad=True)
    # Tight tolerances: the defaults stop once the loss changes by < 1e-9, near |w| ~ 1e-5.
    opt = optim.LBFGS(
        [w], line_search_fn=line_search_fn, tolerance_grad=1e-12, tolerance_change=1e-20
    )

    def closure():
        opt.zero_grad()
        loss = 0.5 * (mg.tensor(A) * w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.data, 0.0, atol=1e-10)


def lbfgs_1d(w0, **kwargs):
    """L-BFGS on f(w) = w**2 (g = 2w) from w0; returns the parameter and the optimizer."""
    w = mg.tensor(np.array([w0]), requires_grad=True)
    opt = optim.LBFGS([w], **kwargs)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w, opt


def test_lbfgs_strong_wolfe_accepts_a_step_meeting_both_conditions():
    # g0 = 6, first t = 1/6, trial w = 3 - 1 = 2: f drops 9 -> 4 and |g.d| = 24 <= 0.9 * 36.
    w, _ = lbfgs_1d(3.0, max_iter=1, max_eval=10, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(w.data, [2.0], rtol=1e-15)
    # The secant pair (s, y) = (-1, -2) gives H = 1/2, so the next iteration lands on 0.
    w, _ = lbfgs_1d(3.0, max_iter=2, max_eval=10, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(w.data, [0.0], atol=1e-15)


def test_lbfgs_strong_wolfe_zooms_back_from_an_overshoot():
    # lr = 10: trial t = 10/6 reaches w = -7 (f = 49 > 9), which brackets the minimum; the
    # cubic through (t=0, f=9, f'=-36) and (t=10/6, f=49, f'=84) is exact for a quadratic:
    # t = 1/2, w = 0.
    w, opt = lbfgs_1d(3.0, lr=10, max_iter=1, max_eval=10, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(w.data, [0.0], atol=1e-15)
    assert opt.state[w]["func_evals"] == 3
    w, _ = lbfgs_1d(3.0, lr=10, max_iter=1)
    np.testing.assert_allclose(w.data, [-7.0], rtol=1e-15)
