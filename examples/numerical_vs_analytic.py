"""Numerical vs analytic gradient of the SVM loss: time, and relative error against step h.

    python examples/numerical_vs_analytic.py            # CIFAR-10 if found, else digits
    python examples/numerical_vs_analytic.py --quick

The numerical gradient perturbs one weight at a time, (L(W + h e_i) - L(W - h e_i)) / 2h, so it
costs two loss evaluations per weight; backprop gives every weight's derivative in one pass.
"""

import numpy as np
from _common import Timer, data_note, load_data, parse_args, pyplot, save

import minigrad as mg
import minigrad.nn.functional as F


def loss_fn(x, y, w, loss=F.svm_loss):
    return lambda: loss(mg.tensor(x) @ w, y)


def analytic(x, y, w, loss=F.svm_loss):
    w.grad = None
    loss_fn(x, y, w, loss)().backward()
    return w.grad.numpy().astype(np.float64)


def rel_error(a, n):
    """|a - n| / max(|a|, |n|) per coordinate, 0 where both are 0."""
    scale = np.maximum(np.abs(a), np.abs(n))
    return np.divide(np.abs(a - n), scale, out=np.zeros_like(scale), where=scale > 0)


def timing(x, y, dims, rng, repeats=3):
    """Seconds for each method on weights (d, C) for each d in `dims`: the best of
    `repeats` runs, since a run that other programs interrupt only measures them."""
    rows = []
    for d in dims:
        w = mg.tensor(0.01 * rng.standard_normal((d, 10)), requires_grad=True)
        xd = np.ascontiguousarray(x[:, :d])
        ta = best_seconds(repeats, analytic, xd, y, w)
        tn = best_seconds(repeats, mg.numerical_grad, loss_fn(xd, y, w), w, eps=1e-5)
        rows.append((d * 10, ta, tn))
        print(f"{d * 10:6d} weights: analytic {ta * 1e3:8.2f} ms, numerical {tn * 1e3:9.1f} ms")
    return np.array(rows)


def best_seconds(repeats, fn, *args, **kwargs):
    times = []
    for _ in range(repeats):
        with Timer() as t:
            fn(*args, **kwargs)
        times.append(t.seconds)
    return min(times)


def errors_vs_h(x, y, hs, dtype, loss, rng):
    """Median and max relative error of the numerical gradient for each step h."""
    w = mg.tensor((0.01 * rng.standard_normal((x.shape[1], 10))).astype(dtype), requires_grad=True)
    x = np.ascontiguousarray(x, dtype=dtype)
    a = analytic(x, y, w, loss)
    rows = []
    for h in hs:
        n = mg.numerical_grad(loss_fn(x, y, w, loss), w, eps=h)
        err = rel_error(a, n)
        rows.append((np.median(err), err.max()))
    return np.array(rows)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    rng = np.random.default_rng(args.seed)
    n, d_err = (50, 8) if args.quick else (200, 32)
    data = load_data(args.data, n_train=n, n_val=100, seed=args.seed, data_dir=args.data_dir)
    x, y = data.x_train.astype(np.float64), data.y_train
    print(data_note(data), f"(first {n} training images)")
    top = data.dim if not args.quick else 32
    dims = np.unique(np.geomspace(4, min(top, 512), 6).astype(int))
    times = timing(x, y, dims, rng)
    hs = np.logspace(-1, -10, 10)
    cases = {
        "SVM, float64": (np.float64, F.svm_loss),
        "SVM, float32": (np.float32, F.svm_loss),
        "softmax, float64": (np.float64, F.cross_entropy),
    }
    errs = {k: errors_vs_h(x[:, :d_err], y, hs, dt, loss, rng) for k, (dt, loss) in cases.items()}
    for name, e in errs.items():
        best = int(np.argmin(e[:, 0]))
        print(f"{name}: smallest median relative error {e[best, 0]:.1e} at h = {hs[best]:.0e}")
    plot(times, hs, errs, data, args.out)
    speedup = times[-1, 2] / times[-1, 1]
    print(f"at {int(times[-1, 0])} weights backprop is {speedup:.0f}x faster")
    return {
        "speedup": speedup,
        "svm64_best_error": errs["SVM, float64"][:, 0].min(),
        "svm32_best_error": errs["SVM, float32"][:, 0].min(),
        "softmax64_best_error": errs["softmax, float64"][:, 0].min(),
    }


def plot(times, hs, errs, data, out):
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.loglog(times[:, 0], times[:, 2], "o-", label="numerical (2 losses per weight)")
    ax1.loglog(times[:, 0], times[:, 1], "s-", label="analytic (one backward pass)")
    ax1.set(xlabel="number of weights", ylabel="seconds", title="Time for one full gradient")
    ax1.legend()
    for (name, e), color in zip(errs.items(), ("C0", "C3", "C2")):
        ax2.loglog(hs, e[:, 0], "o-", color=color, label=f"{name}: median")
        ax2.loglog(hs, e[:, 1], "--", color=color, alpha=0.6, label=f"{name}: max")
    ax2.invert_xaxis()
    ax2.set(
        xlabel="step h",
        ylabel="relative error |a - n| / max(|a|, |n|)",
        title="Numerical vs analytic gradient",
    )
    ax2.axhspan(1e-16, 1e-7, color="g", alpha=0.08)
    ax2.legend(fontsize=8)
    fig.suptitle(f"Gradient of a linear classifier's loss, {data.name}")
    save(fig, out, "numerical_vs_analytic.png")


if __name__ == "__main__":
    main()
