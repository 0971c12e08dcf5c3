"""Adam vs SGD with momentum on the same MLP: training loss and validation accuracy.

    python examples/adam_vs_sgd.py            # CIFAR-10 if found, else digits
    python examples/adam_vs_sgd.py --quick

Both start from the same weights of a D-100-10 ReLU MLP and see the same batches (128) in the
same order; only the update rule differs. Each uses its usual rate: Adam lr 1e-3, SGD lr 1e-2
with momentum 0.9.
"""

import numpy as np
from _common import accuracy, batches, data_note, load_data, mlp, parse_args, pyplot, save

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import optim

OPTIMIZERS = {
    "SGD + momentum (lr 1e-2, 0.9)": lambda p: optim.SGD(p, lr=1e-2, momentum=0.9),
    "Adam (lr 1e-3)": lambda p: optim.Adam(p, lr=1e-3),
}


def train(data, make, epochs, seed):
    model = mlp([data.dim, 100, data.n_classes], rng=seed)
    opt = make(model.parameters())
    rng = np.random.default_rng(seed)
    losses, val = [], [accuracy(model, data.x_val, data.y_val)]
    for _ in range(epochs):
        for idx in batches(len(data.x_train), 128, rng):
            opt.zero_grad()
            loss = F.cross_entropy(model(mg.tensor(data.x_train[idx])), data.y_train[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        val.append(accuracy(model, data.x_val, data.y_val))
    return np.array(losses), np.array(val)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    data = load_data(
        args.data, n_train=1000 if args.quick else 10000, seed=args.seed, data_dir=args.data_dir
    )
    epochs = 5 if args.quick else 8
    print(data_note(data), f"; MLP {data.dim}-100-10, {epochs} epochs, batch 128")
    runs = {name: train(data, make, epochs, args.seed) for name, make in OPTIMIZERS.items()}
    for name, (losses, val) in runs.items():
        print(
            f"{name:>30}: final training loss (last 20 steps) {losses[-20:].mean():.3f}, "
            f"val accuracy by epoch " + " ".join(f"{v:.1%}" for v in val[1:])
        )
    plot(runs, epochs, data, args.out)
    return {
        name: {"loss": float(losses[-20:].mean()), "val": float(val[-1])}
        for name, (losses, val) in runs.items()
    }


def plot(runs, epochs, data, out):
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 4), layout="constrained")
    for (name, (losses, val)), c in zip(runs.items(), ("C0", "C3")):
        steps = len(losses) // epochs
        ax1.plot(np.arange(len(losses)) / steps, losses, color=c, alpha=0.25, lw=0.8)
        k = max(1, steps // 4)
        smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
        ax1.plot((np.arange(len(smooth)) + k - 1) / steps, smooth, color=c, label=name)
        ax2.plot(np.arange(epochs + 1), 100 * val, "o-", color=c, label=name)
    ax1.set(xlabel="epoch", ylabel="training loss (faint: per batch)", title="training loss")
    ax2.set(xlabel="epoch", ylabel="validation accuracy (%)", title="validation accuracy")
    ax1.legend()
    fig.suptitle(f"Adam vs SGD with momentum, {data_note(data)}")
    save(fig, out, "adam_vs_sgd.png")


if __name__ == "__main__":
    main()
