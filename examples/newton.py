"""Newton's method with Hessian-vector products, against L-BFGS and gradient descent.

The problem is L2-regularised logistic regression with badly scaled features, so its Hessian
is ill-conditioned and plain gradient descent crawls. Newton's method solves `H p = -g`
for the step `p` by conjugate gradient, which needs only products `H v`. Those come
from differentiating the gradient a second time (Pearlmutter's trick)::

    g = df/dw                         (computed with create_graph=True: g is itself a graph)
    H v = d(g . v)/dw = mg.grad(g, w, grad_outputs=v)

so the D x D Hessian is never formed. Each Newton iteration costs a few such products;
L-BFGS instead builds a curvature estimate from past gradients, and gradient descent uses
none. The table shows the gap `f(w_k) - f(w*)` per iteration.

Run: `python examples/newton.py`
"""

import numpy as np

import minigrad as mg
from minigrad import optim

N, D, LAM, ITERS = 500, 20, 1e-3, 25


def make_data(seed=0):
    """Features with scales from 0.1 to 10 (condition number ~1e4) and noisy labels."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * np.logspace(-1, 1, D)
    w_true = rng.standard_normal(D) / np.logspace(-1, 1, D)
    y = (rng.random(N) < 1 / (1 + np.exp(-x @ w_true))).astype(np.float64)
    return mg.tensor(x), mg.tensor(y)


def loss_fn(w, x, y):
    """Mean logistic loss plus `LAM/2 * |w|^2`; softplus(z) = logsumexp([0, z])."""
    z = x @ w
    softplus = mg.logsumexp(mg.stack([mg.zeros_like(z), z]), axis=0)
    return (softplus - y * z).mean() + 0.5 * LAM * (w * w).sum()


def conjugate_gradient(matvec, b, max_iter=50, tol=1e-10):
    """Solve `A x = b` for a symmetric positive definite `A` given only `v -> A v`.

    Returns `x` and the number of products `A v` used.
    """
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rs = r @ r
    for k in range(max_iter):
        if np.sqrt(rs) < tol:
            return x, k
        ap = matvec(p)
        alpha = rs / (p @ ap)
        x += alpha * p
        r -= alpha * ap
        rs, rs_old = r @ r, rs
        p = r + (rs / rs_old) * p
    return x, max_iter


def hessian_times(g, w):
    """`v -> H v` where `g = df/dw` was computed with `create_graph=True`."""

    def matvec(v):
        (hv,) = mg.grad(g, w, grad_outputs=mg.tensor(v), retain_graph=True)
        return hv.data

    return matvec


def newton_cg(x, y, iters):
    """Full Newton steps `w += p` with `H p = -g` solved by CG on Hessian-vector products."""
    w = mg.tensor(np.zeros(D), requires_grad=True)
    losses, products = [], 0
    for _ in range(iters):
        loss = loss_fn(w, x, y)
        (g,) = mg.grad(loss, w, create_graph=True)
        step, used = conjugate_gradient(hessian_times(g, w), -g.data)
        products += used
        losses.append(loss.item())
        w = mg.tensor(w.data + step, requires_grad=True)
    return losses, products


def run_optimizer(make_optimizer, x, y, iters):
    """Loss before each step of a minigrad optimizer (one L-BFGS iteration per step)."""
    w = mg.tensor(np.zeros(D), requires_grad=True)
    opt = make_optimizer([w])

    def closure():
        opt.zero_grad()
        loss = loss_fn(w, x, y)
        loss.backward()
        return loss

    return [opt.step(closure).item() for _ in range(iters)]


def check_hessian_vector_product(x, y):
    """Compare `H v` from double backward with central differences of the gradient."""
    rng = np.random.default_rng(1)
    w0, v, h = rng.standard_normal(D) * 0.1, rng.standard_normal(D), 1e-5

    def gradient(w_array):
        w = mg.tensor(w_array, requires_grad=True)
        return mg.grad(loss_fn(w, x, y), w)[0].data

    w = mg.tensor(w0, requires_grad=True)
    (g,) = mg.grad(loss_fn(w, x, y), w, create_graph=True)
    (hv,) = mg.grad(g, w, grad_outputs=mg.tensor(v))
    numeric = (gradient(w0 + h * v) - gradient(w0 - h * v)) / (2 * h)
    return np.abs(hv.data - numeric).max() / np.abs(numeric).max()


def main():
    x, y = make_data()
    error = check_hessian_vector_product(x, y)
    print(f"Hessian-vector product vs finite differences: rel. error {error:.1e}")
    newton, products = newton_cg(x, y, ITERS)
    best = min(newton_cg(x, y, 30)[0])
    # One L-BFGS iteration per step(); max_eval leaves room for the line search's evaluations
    # (its default, max_iter * 5 // 4 = 1, would allow none).
    lbfgs = run_optimizer(
        lambda p: optim.LBFGS(p, max_iter=1, max_eval=25, line_search_fn="strong_wolfe"),
        x,
        y,
        ITERS,
    )
    smoothness = np.linalg.norm(x.data, 2) ** 2 / (4 * N) + LAM  # largest Hessian eigenvalue
    gd = run_optimizer(lambda p: optim.SGD(p, lr=1 / smoothness), x, y, ITERS)
    print(f"\nf(w_k) - f(w*) on logistic regression, N={N}, D={D}, f(w*) = {best:.6f}")
    print(f"{'iter':>4}  {'Newton-CG':>10}  {'L-BFGS':>10}  {'grad descent':>12}")
    for k, losses in enumerate(zip(newton, lbfgs, gd)):
        gaps = [max(loss - best, 0.0) for loss in losses]
        print(f"{k:>4}  {gaps[0]:>10.2e}  {gaps[1]:>10.2e}  {gaps[2]:>12.2e}")
    print(f"\nNewton-CG used {products} Hessian-vector products in {ITERS} iterations.")


if __name__ == "__main__":
    main()
