"""Learning-rate schedules drawn: step decay, exponential, cosine, warm-up then cosine, one-cycle.

    python examples/lr_schedules.py
    python examples/lr_schedules.py --quick

Every curve is read back from `optimizer.param_groups[0]["lr"]` while minigrad's schedulers
step, so the figure shows what training would really use. The data flag is ignored.
"""

import numpy as np
from _common import parse_args, pyplot, save

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler as S

BASE_LR = 0.1


def schedules(epochs):
    """name -> function(optimizer) -> scheduler, all over `epochs` steps."""
    warm = max(1, epochs // 10)
    return {
        f"StepLR(step_size={epochs * 3 // 10}, gamma=0.1)": lambda o: S.StepLR(
            o, step_size=epochs * 3 // 10, gamma=0.1
        ),
        "ExponentialLR(gamma=0.95)": lambda o: S.ExponentialLR(o, gamma=0.95),
        f"CosineAnnealingLR(T_max={epochs})": lambda o: S.CosineAnnealingLR(o, T_max=epochs),
        f"LinearLR warm-up ({warm}) then cosine": lambda o: S.SequentialLR(
            o,
            [
                S.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=warm),
                S.CosineAnnealingLR(o, T_max=epochs - warm),
            ],
            milestones=[warm],
        ),
        f"OneCycleLR(max_lr={BASE_LR}, total_steps={epochs})": lambda o: S.OneCycleLR(
            o, max_lr=BASE_LR, total_steps=epochs
        ),
    }


def trace(make, epochs):
    """The learning rate and momentum used at each of `epochs` steps."""
    w = mg.zeros(1, requires_grad=True)
    opt = optim.SGD([w], lr=BASE_LR, momentum=0.9)
    sched = make(opt)
    lrs, moms = [], []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        w.grad = mg.zeros(1)
        opt.step()
        sched.step()
    return np.array(lrs), np.array(moms)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    epochs = 40 if args.quick else 100
    curves = {name: trace(make, epochs) for name, make in schedules(epochs).items()}
    marks = [0, epochs // 10, epochs // 2, epochs - 1]
    print("step      " + "".join(f"{m:>10d}" for m in marks))
    for name, (lrs, _) in curves.items():
        print(f"{name}\n          " + "".join(f"{lrs[m]:10.4g}" for m in marks))
    plot(curves, epochs, args.out)
    return {name: lrs for name, (lrs, _) in curves.items()}


def plot(curves, epochs, out):
    """Two columns, readable at page width: linear and log scale, OneCycleLR's momentum, and
    the legend in the fourth panel."""
    plt = pyplot()
    with plt.rc_context({"font.size": 12, "axes.titlesize": 13}):
        fig, axes = plt.subplot_mosaic(
            [["linear", "log"], ["momentum", "legend"]], figsize=(10, 7.5), layout="constrained"
        )
        for name, (lrs, moms) in curves.items():
            axes["linear"].plot(lrs, label=name, lw=1.8)
            axes["log"].semilogy(lrs, lw=1.8)
            if name.startswith("OneCycle"):
                axes["momentum"].plot(moms, color="C4", lw=1.8, label="OneCycleLR")
        axes["linear"].set(xlabel="step (epoch or batch)", ylabel="learning rate")
        axes["linear"].set_title("linear scale")
        axes["log"].set(xlabel="step (epoch or batch)", ylabel="learning rate", title="log scale")
        axes["momentum"].axhline(0.9, color="0.5", ls="--", lw=1, label="every other: 0.9")
        axes["momentum"].set(xlabel="step", ylabel="SGD momentum", title="momentum")
        axes["momentum"].legend()
        handles, labels = axes["linear"].get_legend_handles_labels()
        axes["legend"].legend(handles, labels, loc="center", title=f"base lr {BASE_LR}")
        axes["legend"].axis("off")
        fig.suptitle(f"minigrad.optim.lr_scheduler over {epochs} steps")
        save(fig, out, "lr_schedules.png", dpi=100)


if __name__ == "__main__":
    main()
