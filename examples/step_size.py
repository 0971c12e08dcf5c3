"""Step size on a quadratic: gradient descent on f(w) = w^2 with rates that converge, oscillate
and diverge.

    python examples/step_size.py
    python examples/step_size.py --quick

One step is w <- w - lr * 2w = (1 - 2 lr) w, so |w| shrinks when |1 - 2 lr| < 1 (0 < lr < 1),
flips sign every step when lr > 0.5, and grows without bound when lr > 1. The data flag is
accepted for symmetry with the other experiments and ignored.
"""

import numpy as np
from _common import parse_args, pyplot, save

import minigrad as mg
from minigrad import optim

RATES = (0.1, 0.4, 0.6, 0.9, 1.2)
COLORS = ("C2", "C0", "C1", "C4", "C3")


def descend(lr, w0, steps):
    """The iterates w_0..w_steps of SGD on f(w) = w^2, gradients from minigrad."""
    w = mg.tensor(np.array(w0, np.float64), requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    path = [w.item()]
    for _ in range(steps):
        opt.zero_grad()
        (w * w).backward()
        opt.step()
        path.append(w.item())
    return np.array(path)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    steps = 8 if args.quick else 12
    paths = {lr: descend(lr, 1.0, steps) for lr in RATES}
    for lr, p in paths.items():
        kind = "diverges" if abs(p[-1]) > 1 else ("oscillates" if p[1] < 0 else "converges")
        print(f"lr {lr}: factor 1 - 2 lr = {1 - 2 * lr:+.1f}, w_{steps} = {p[-1]:+.3g} ({kind})")
    plot(paths, args.out)
    return {lr: float(p[-1]) for lr, p in paths.items()}


def plot(paths, out):
    """Two rows of three, readable at page width: each rate's steps, then |w| on a log scale."""
    plt = pyplot()
    with plt.rc_context({"font.size": 12, "axes.titlesize": 12}):
        fig, grid_axes = plt.subplots(2, 3, figsize=(11, 7), layout="constrained")
        axes = grid_axes.ravel()
        for ax, (lr, p), color in zip(axes, paths.items(), COLORS):
            descent(ax, lr, p, color)
        for ax in grid_axes[:, 0]:
            ax.set_ylabel("f(w) = w^2")
        ax = axes[-1]
        for (lr, p), color in zip(paths.items(), COLORS):
            style = "o--" if lr > 0.5 else "o-"  # 0.6 and 0.9 overlap 0.4 and 0.1 in |w|
            ax.semilogy(np.abs(p), style, color=color, ms=3, label=f"lr = {lr}")
        ax.set(title="|w| against step", xlabel="step", ylabel="|w|")
        ax.legend()
        fig.suptitle("Gradient descent on f(w) = w^2 from w = 1")
        save(fig, out, "step_size.png", dpi=100)


def descent(ax, lr, p, color):
    """The steps `p` of one rate over the parabola."""
    grid = np.linspace(-2.2, 2.2, 200)
    ax.plot(grid, grid**2, color="0.6")
    inside = np.cumprod(np.abs(p) <= 2.2).astype(bool)
    shown = p[inside]
    ax.plot(shown, shown**2, "o-", color=color, ms=4, lw=1)
    if not inside.all():
        ax.text(0, 4.3, "... then off the plot", ha="center", color=color)
    ax.annotate("start", (p[0], p[0] ** 2), textcoords="offset points", xytext=(-30, 5))
    ax.set(title=f"lr = {lr}  (w <- {1 - 2 * lr:+.1f} w)", xlabel="w", ylim=(-0.2, 5))


if __name__ == "__main__":
    main()
