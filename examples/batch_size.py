"""Batch size: full-batch gradient descent vs minibatch SGD vs single-sample SGD.

    python examples/batch_size.py            # CIFAR-10 if found, else digits
    python examples/batch_size.py --quick

The same softmax classifier (a linear layer) is trained from the same start with batches of
all N samples, of 64, and of 1 (single-sample SGD takes a 10x smaller rate: its gradient is
far noisier). The loss over the whole training set is measured a few times per epoch;
measuring is left out of the wall-clock time.
"""

import time

import numpy as np
from _common import batches, data_note, load_data, mean_loss, mlp, parse_args, pyplot, save

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import optim


def run(data, batch, lr, epochs, seed, evals_per_epoch=8):
    """(epochs, seconds, losses) measured `evals_per_epoch` times per epoch."""
    model = mlp([data.dim, data.n_classes], rng=seed)
    opt = optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    n = len(data.x_train)
    steps_per_epoch = n // batch
    every = max(1, steps_per_epoch // evals_per_epoch)
    ep, secs, losses = [0.0], [0.0], [mean_loss(model, data.x_train, data.y_train)]
    clock, step = 0.0, 0
    for _ in range(epochs):
        for idx in batches(n, batch, rng):
            t0 = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(model(mg.tensor(data.x_train[idx])), data.y_train[idx]).backward()
            opt.step()
            clock += time.perf_counter() - t0
            step += 1
            if step % every == 0:
                ep.append(step / steps_per_epoch)
                secs.append(clock)
                losses.append(mean_loss(model, data.x_train, data.y_train))
    return np.array(ep), np.array(secs), np.array(losses)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    data = load_data(
        args.data, n_train=300 if args.quick else 2000, seed=args.seed, data_dir=args.data_dir
    )
    epochs = 3 if args.quick else 10
    n = len(data.x_train)
    lr = 0.1 if data.name == "CIFAR-10" else 0.2
    settings = {
        f"full batch ({n})": (n, lr),
        "minibatch (64)": (64, lr),
        "single sample (1)": (1, lr / 10),
    }
    print(data_note(data), f"; softmax classifier, {epochs} epochs")
    runs = {}
    for name, (batch, rate) in settings.items():
        runs[name] = run(data, batch, rate, epochs, args.seed)
        ep, secs, losses = runs[name]
        print(
            f"{name:>20}: lr {rate:g}, {n // batch * epochs} steps in {secs[-1]:.2f} s, "
            f"final training loss {losses[-1]:.3f}"
        )
    plot(runs, data, args.out)
    return {name: float(r[2][-1]) for name, r in runs.items()}


def plot(runs, data, out):
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 4), layout="constrained")
    for (name, (ep, secs, losses)), c in zip(runs.items(), ("C0", "C1", "C3")):
        ax1.plot(ep, losses, "o-", ms=3, color=c, label=name)
        ax2.semilogx(secs[1:], losses[1:], "o-", ms=3, color=c, label=name)
    ax1.set(
        xlabel="epoch (passes over the training set)",
        ylabel="training loss",
        title="loss against epochs",
    )
    ax2.set(
        xlabel="wall-clock seconds (training only, log scale)",
        ylabel="training loss",
        title="loss against time",
    )
    ax1.legend()
    fig.suptitle(f"Batch size, softmax classifier on {data_note(data)}")
    save(fig, out, "batch_size.png")


if __name__ == "__main__":
    main()
