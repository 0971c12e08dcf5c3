"""Regularisation: L1 vs L2 penalties on the same MLP, against the penalty strength.

    python examples/regularization.py            # CIFAR-10 if found, else digits
    python examples/regularization.py --quick

A one-hidden-layer MLP is trained on a small training set (so that it overfits) with loss
cross_entropy + lam * penalty(weights), penalty = F.l2_penalty (sum of squares) or
F.l1_penalty (sum of absolute values). L1's gradient lam * sign(w) pushes every weight toward 0
at the same speed, so small weights end up at (or dithering around) zero: a sparse model. L2's
gradient 2 lam w shrinks weights in proportion, so they get small but not zero.
"""

import numpy as np
from _common import accuracy, batches, data_note, load_data, mlp, parse_args, pyplot, save

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import optim

PENALTIES = {"L2": F.l2_penalty, "L1": F.l1_penalty}
ZERO = 1e-3  # |w| below this counts as zero


def train(data, penalty, lam, epochs, seed):
    model = mlp([data.dim, 64, data.n_classes], rng=seed)
    weights = [m.weight for m in model if hasattr(m, "weight")]
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for idx in batches(len(data.x_train), 50, rng):
            opt.zero_grad()
            loss = F.cross_entropy(model(mg.tensor(data.x_train[idx])), data.y_train[idx])
            if lam:
                loss = loss + lam * penalty(weights)
            loss.backward()
            opt.step()
    first = model[0].weight.numpy().ravel()
    return {
        "train": accuracy(model, data.x_train, data.y_train),
        "val": accuracy(model, data.x_val, data.y_val),
        "sparsity": float((np.abs(first) < ZERO).mean()),
        "weights": first,
    }


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    quick = args.quick
    data = load_data(
        args.data, n_train=300 if quick else 500, n_val=1000, seed=args.seed, data_dir=args.data_dir
    )
    epochs = 15 if quick else 20
    if quick:
        lams = {"L2": [1e-4, 1e-2, 1e-1], "L1": [1e-5, 1e-4, 1e-2]}
    else:
        lams = {"L2": [1e-4, 1e-3, 1e-2, 3e-2, 1e-1], "L1": [1e-5, 3e-5, 1e-4, 1e-3, 1e-2]}
    print(data_note(data), f"; MLP {data.dim}-64-10, {epochs} epochs of SGD")
    base = train(data, None, 0.0, epochs, args.seed)
    print(
        f"no penalty: train {base['train']:.1%}, val {base['val']:.1%}, "
        f"|w| < {ZERO}: {base['sparsity']:.1%}"
    )
    runs = {}
    for kind, penalty in PENALTIES.items():
        runs[kind] = [train(data, penalty, lam, epochs, args.seed) for lam in lams[kind]]
        for lam, r in zip(lams[kind], runs[kind]):
            print(
                f"{kind} lam {lam:.0e}: train {r['train']:.1%}, val {r['val']:.1%}, "
                f"gap {r['train'] - r['val']:+.1%}, |w| < {ZERO}: {r['sparsity']:.1%}"
            )
    plot(base, runs, lams, data, args.out)
    best = {k: max(r["sparsity"] for r in runs[k]) for k in runs}
    return {
        "base": base["sparsity"],
        "l1_sparsity": best["L1"],
        "l2_sparsity": best["L2"],
        "base_gap": base["train"] - base["val"],
    }


def plot(base, runs, lams, data, out):
    plt = pyplot()
    fig, grid = plt.subplots(2, 2, figsize=(9.5, 7.5), layout="constrained")
    axes = list(grid.flat)  # two columns: readable at page width
    axes[3].set_axis_off()
    ax = axes[0]
    mid = {"L2": len(lams["L2"]) // 2, "L1": len(lams["L1"]) // 2}
    edge = np.abs(base["weights"]).max()
    bins = np.linspace(-edge, edge, 121)
    ax.hist(base["weights"], bins=bins, histtype="step", color="0.4", lw=1.5, label="no penalty")
    for kind, c in (("L2", "C0"), ("L1", "C3")):
        r, lam = runs[kind][mid[kind]], lams[kind][mid[kind]]
        ax.hist(
            r["weights"],
            bins=bins,
            histtype="step",
            color=c,
            lw=1.5,
            label=f"{kind}, lam = {lam:.0e}",
        )
    ax.set_yscale("log")
    ax.set(xlabel="first-layer weight", ylabel="count", title="weight histograms")
    ax.legend(fontsize=8)
    for kind, c in (("L2", "C0"), ("L1", "C3")):
        sp = [r["sparsity"] for r in runs[kind]]
        gap = [r["train"] - r["val"] for r in runs[kind]]
        val = [r["val"] for r in runs[kind]]
        axes[1].semilogx(lams[kind], np.array(sp) * 100, "o-", color=c, label=kind)
        axes[2].semilogx(lams[kind], np.array(gap) * 100, "o-", color=c, label=f"{kind}: gap")
        axes[2].semilogx(
            lams[kind],
            np.array(val) * 100,
            "s--",
            color=c,
            alpha=0.6,
            label=f"{kind}: val accuracy",
        )
    axes[1].axhline(base["sparsity"] * 100, color="0.4", ls=":", label="no penalty")
    axes[1].set(xlabel="strength lam", ylabel=f"% first-layer |w| < {ZERO}", title="sparsity")
    axes[1].legend()
    axes[2].axhline(
        (base["train"] - base["val"]) * 100, color="0.4", ls=":", label="no penalty: gap"
    )
    axes[2].set(xlabel="strength lam", ylabel="%", title="train - val gap, and val accuracy")
    axes[2].legend(fontsize=8)
    fig.suptitle(f"L1 vs L2 penalty, {data_note(data)}")
    save(fig, out, "regularization.png")


if __name__ == "__main__":
    main()
