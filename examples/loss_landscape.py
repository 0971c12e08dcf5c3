"""Slices of the multiclass SVM loss landscape of a linear classifier, as in cs231n.

    python examples/loss_landscape.py            # CIFAR-10 if found, else digits
    python examples/loss_landscape.py --quick

From a random W we walk along random directions W1 and W2: the 1-D slice L(W + a W1) and the
2-D slice L(W + a W1 + b W2), for one example and for the average over many. Scores are linear
in (a, b), so each example's loss is piecewise linear and convex; the average is a bowl made of
many small facets.
"""

import numpy as np
from _common import data_note, load_data, parse_args, pyplot, save

import minigrad as mg
import minigrad.nn.functional as F


def slice_losses(s0, s1, s2, y, a, b):
    """Per-example SVM losses (len(b), len(a), N) at scores s0 + a s1 + b s2, each (N, C)."""
    out = np.empty((len(b), len(a), len(y)))
    with mg.no_grad():
        for i, bi in enumerate(b):
            scores = s0[None] + a[:, None, None] * s1[None] + bi * s2[None]
            flat = mg.tensor(scores.reshape(-1, s0.shape[1]))
            per = F.svm_loss(flat, np.tile(y, len(a)), reduction="none")
            out[i] = per.data.reshape(len(a), len(y))
    return out


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    rng = np.random.default_rng(args.seed)
    n, grid = (100, 41) if args.quick else (500, 161)
    data = load_data(args.data, n_train=n, n_val=100, seed=args.seed, data_dir=args.data_dir)
    x = np.hstack([data.x_train, np.ones((n, 1), np.float32)]).astype(np.float64)
    y = data.y_train
    print(data_note(data), f"(the first {n} training examples)")
    shape = (x.shape[1], data.n_classes)
    w, w1, w2 = (rng.standard_normal(shape) / np.sqrt(shape[0]) for _ in range(3))
    s0, s1, s2 = x @ w, x @ w1, x @ w2
    # Scale the directions so that a in [-1, 1] moves the scores by about +-2 margins.
    unit = 2.0 / np.abs(s1).mean()
    a = np.linspace(-1, 1, grid)
    line = slice_losses(s0, s1 * unit, 0 * s2, y, a, np.zeros(1))[0]
    plane = slice_losses(s0, s1 * unit, s2 * unit, y, a, a)
    one_line, avg_line = line[:, 0], line.mean(axis=1)
    kinks = int((np.abs(np.diff(avg_line, 2)) > 1e-9).sum())
    print(f"1-D slice, one example: loss from {one_line.min():.2f} to {one_line.max():.2f}")
    print(
        f"1-D slice, mean of {n}: loss from {avg_line.min():.2f} to {avg_line.max():.2f}, "
        f"slope changes at {kinks} of {grid - 2} grid points"
    )
    convex = bool((np.diff(avg_line, 2) >= -1e-9).all())
    print(f"second differences of the mean slice all >= 0 (convex): {convex}")
    plot(a, one_line, avg_line, plane[:, :, 0], plane.mean(axis=2), data, n, args.out)
    return {"convex": convex, "kinks": kinks, "min_mean_loss": float(avg_line.min())}


def plot(a, one_line, avg_line, one_plane, avg_plane, data, n, out):
    plt = pyplot()
    fig, grid = plt.subplots(2, 2, figsize=(9.5, 7.5), layout="constrained")
    axes = list(grid.flat)  # two columns: readable at page width
    axes[0].plot(a, one_line, color="C3")
    axes[0].set(title="1-D slice, one example", xlabel="a", ylabel="L(W + a W1)")
    axes[1].plot(a, avg_line, color="C0")
    axes[1].set(title=f"1-D slice, mean of {n} examples", xlabel="a")
    for ax, z, title in ((axes[2], one_plane, "one example"), (axes[3], avg_plane, "mean")):
        im = ax.imshow(z, extent=(a[0], a[-1], a[0], a[-1]), origin="lower", cmap="jet")
        ax.contour(a, a, z, levels=12, colors="k", linewidths=0.4)
        ax.set(title=f"2-D slice, {title}", xlabel="a", ylabel="b")
        ax.grid(False)
        fig.colorbar(im, ax=ax, shrink=0.9)
    fig.suptitle(f"Multiclass SVM loss of a linear classifier on random slices ({data.name})")
    save(fig, out, "loss_landscape.png")


if __name__ == "__main__":
    main()
