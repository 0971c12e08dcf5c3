"""Optimizer race: minigrad's optimizers on four 2-D surfaces, paths over contours and loss.

One row per surface: each optimizer's path over the contours (an x where it ended), then its
loss against the step.

    python examples/optimizer_race.py
    python examples/optimizer_race.py --quick

Surfaces: an ill-conditioned valley, a saddle point, Rosenbrock's banana and a double well
with a local minimum. Every optimizer starts at the same point of each surface and takes the
same number of steps; gradients come from minigrad's autograd and updates from minigrad.optim.
The data flag is accepted for symmetry with the other experiments and ignored.
"""

from dataclasses import dataclass, field

import numpy as np
from _common import parse_args, pyplot, save

import minigrad as mg
from minigrad import optim


@dataclass
class Surface:
    name: str
    f: object  # f(x, y) on floats, ndarrays or 0-d Tensors alike
    start: tuple
    box: tuple  # (xmin, xmax, ymin, ymax)
    lr: dict = field(default_factory=dict)  # learning rate per optimizer name
    f_min: float | None = None  # global minimum, for the loss gap (None: plot f itself)
    log_contours: bool = False
    steps: int = 300


def valley(x, y):
    return 0.02 * x**2 + 2.0 * y**2


def saddle(x, y):
    return x**2 - 0.1 * y**2


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def double_well(x, y):
    return (x**2 - 1) ** 2 + 0.3 * x + 0.5 * y**2


OPTIMIZERS = {
    "SGD": lambda p, lr: optim.SGD(p, lr=lr),
    "Momentum": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
    "Nesterov": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "AdaGrad": lambda p, lr: optim.Adagrad(p, lr=lr),
    "Adadelta": lambda p, lr: optim.Adadelta(p, lr=lr),
    "RMSProp": lambda p, lr: optim.RMSprop(p, lr=lr),
    "Adam": lambda p, lr: optim.Adam(p, lr=lr),
    "AdamW": lambda p, lr: optim.AdamW(p, lr=lr),
}


def rates(sgd, adaptive, adagrad, adadelta=10.0, rmsprop=None):
    """One learning rate per optimizer: the SGD family, Adadelta, AdaGrad, the Adam family."""
    out = {"SGD": sgd, "Momentum": sgd / 10, "Nesterov": sgd / 10, "Adadelta": adadelta}
    out.update({"AdaGrad": adagrad, "RMSProp": rmsprop or adaptive})
    out.update({"Adam": adaptive, "AdamW": adaptive})
    return out


SURFACES = [
    Surface(
        "ill-conditioned valley",
        valley,
        (-9.0, 1.5),
        (-10, 10, -2, 2),
        rates(0.4, 0.1, adagrad=1.0),
        0.0,
    ),
    Surface("saddle point", saddle, (1.5, 1e-3), (-2, 2, -2, 2), rates(0.05, 0.02, adagrad=0.3)),
    Surface(
        "Rosenbrock",
        rosenbrock,
        (-1.5, 2.0),
        (-2, 2, -1, 3),
        rates(1.5e-3, 0.1, adagrad=1.0, rmsprop=0.01),
        0.0,
        log_contours=True,
        steps=1000,
    ),
    Surface(
        "double well (local minimum)",
        double_well,
        (2.0, 1.5),
        (-2, 2.3, -2, 2),
        rates(0.05, 0.05, adagrad=0.5),
        0.0,
    ),
]


def race(surface, make, lr, steps):
    """Iterates (steps + 1, 2) and losses (steps + 1,) of one optimizer on one surface."""
    p = mg.tensor(np.array(surface.start, np.float64), requires_grad=True)
    opt = make([p], lr)
    path = [p.data.copy()]
    for _ in range(steps):
        opt.zero_grad()
        surface.f(p[0], p[1]).backward()
        opt.step()
        path.append(p.data.copy())
    path = np.array(path)
    return path, surface.f(path[:, 0], path[:, 1])


def global_min(surface, n):
    x0, x1, y0, y1 = surface.box
    xs, ys = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return float(surface.f(xs, ys).min())


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    results = {}
    for s in SURFACES:
        steps = s.steps // 3 if args.quick else s.steps
        s.f_min = global_min(s, 201 if args.quick else 801) if s.f_min is not None else None
        results[s.name] = {}
        print(f"{s.name} from {s.start} ({steps} steps): final loss")
        for name, make in OPTIMIZERS.items():
            path, loss = race(s, make, s.lr[name], steps)
            results[s.name][name] = (path, loss)
            print(
                f"  {name:>9} lr {s.lr[name]:<7g} f = {loss[-1]:+.4g} at "
                f"({path[-1, 0]:+.3f}, {path[-1, 1]:+.3f})"
            )
    plot(results, args.out)
    return {s: {n: float(r[1][-1]) for n, r in opt.items()} for s, opt in results.items()}


def plot(results, out):
    """One row per surface, readable at page width: paths over contours, then the loss."""
    plt = pyplot()
    with plt.rc_context({"font.size": 13, "axes.titlesize": 14, "legend.fontsize": 12}):
        fig, axes = plt.subplots(
            len(SURFACES), 2, figsize=(9.5, 3.8 * len(SURFACES)), layout="constrained"
        )
        colors = {name: f"C{i}" for i, name in enumerate(OPTIMIZERS)}
        for row, s in zip(axes, SURFACES):
            paths(row[0], s, results[s.name], colors)
            losses(row[1], s, results[s.name], colors)
        handles = [plt.Line2D([], [], color=c, lw=2.5) for c in colors.values()]
        fig.legend(handles, list(colors), loc="outside upper center", ncols=4)
        save(fig, out, "optimizer_race.png", dpi=100)


def paths(ax, s, runs, colors):
    x0, x1, y0, y1 = s.box
    xs, ys = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    z = s.f(xs, ys)
    z = np.log10(z + 1e-3) if s.log_contours else z
    ax.contour(xs, ys, z, levels=25, cmap="Greys", linewidths=0.6)
    for name, (path, _loss) in runs.items():
        ax.plot(path[:, 0], path[:, 1], "-", color=colors[name], lw=1.4)
        ax.plot(*path[-1], "x", color=colors[name], ms=9, mew=2)
    ax.plot(*s.start, "ko", ms=7)
    title = f"{s.name}: paths from the black dot"
    ax.set(xlim=(x0, x1), ylim=(y0, y1), title=title, xlabel="x", ylabel="y")


def losses(ax, s, runs, colors):
    for name, (_path, loss) in runs.items():
        if s.f_min is None:
            ax.plot(loss, color=colors[name], lw=1.6)
        else:
            ax.semilogy(np.maximum(loss - s.f_min, 1e-12), color=colors[name], lw=1.6)
    label = "f" if s.f_min is None else "f - f_min"
    ax.set(xlabel="step", ylabel=label, xlim=(0, len(loss) - 1), title=f"{s.name}: loss")
    if s.f_min is None:
        ax.set_ylim(-0.5, loss[0] * 1.05)
    ax.grid(alpha=0.3)


if __name__ == "__main__":
    main()
