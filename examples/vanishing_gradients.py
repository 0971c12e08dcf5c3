"""Vanishing gradients: per-layer gradient norms of a 10-layer MLP with four activations.

    python examples/vanishing_gradients.py            # CIFAR-10 if found, else digits
    python examples/vanishing_gradients.py --quick

Ten Linear layers (width 100) with sigmoid, tanh, ReLU or LeakyReLU between them, all
initialised the same way (He/Kaiming normal, std = sqrt(2 / fan_in), zero biases). Backprop
multiplies the gradient by W^T diag(act'(z)) at every layer; sigmoid' <= 1/4 makes it shrink
geometrically on the way down to the first layer.
"""

import numpy as np
from _common import batches, data_note, load_data, mlp, parse_args, pyplot, save

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import optim

ACTIVATIONS = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "ReLU": nn.ReLU,
    "LeakyReLU": nn.LeakyReLU,
}


def build(dim, act, depth, width, seed):
    model = mlp([dim] + [width] * (depth - 1) + [10], act, rng=seed)
    rng = np.random.default_rng(seed)
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", rng=rng)
            nn.init.zeros_(layer.bias)
    return model


def grad_norms(model, x, y):
    """||dL/dW|| of each Linear layer's weight, first layer first."""
    model.zero_grad()
    F.cross_entropy(model(mg.tensor(x)), y).backward()
    return [float(np.linalg.norm(m.weight.grad.data)) for m in model if isinstance(m, nn.Linear)]


def train(model, data, steps, rng):
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    losses = []
    while len(losses) < steps:
        for idx in batches(len(data.x_train), 128, rng):
            opt.zero_grad()
            loss = F.cross_entropy(model(mg.tensor(data.x_train[idx])), data.y_train[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return losses


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    steps = 30 if args.quick else 100
    data = load_data(
        args.data, n_train=600 if args.quick else 10000, seed=args.seed, data_dir=args.data_dir
    )
    print(data_note(data), f"; {steps} SGD steps (lr 0.01, momentum 0.9, batch 128)")
    probe = np.random.default_rng(args.seed).choice(len(data.x_train), 256, replace=False)
    xp, yp = data.x_train[probe], data.y_train[probe]
    results = {}
    for name, act in ACTIVATIONS.items():
        model = build(data.dim, act, 10, 100, args.seed)
        before = grad_norms(model, xp, yp)
        losses = train(model, data, steps, np.random.default_rng(args.seed))
        after = grad_norms(model, xp, yp)
        results[name] = (before, after, losses)
        print(
            f"{name:>9}: layer-1 / layer-10 gradient norm {before[0] / before[-1]:.1e} at "
            f"init, {after[0] / after[-1]:.1e} after training; final loss {losses[-1]:.3f}"
        )
    plot(results, data, args.out)
    return {
        name: {"first_init": r[0][0], "last_init": r[0][-1], "first_trained": r[1][0]}
        for name, r in results.items()
    }


def plot(results, data, out):
    plt = pyplot()
    fig, grid = plt.subplots(2, 2, figsize=(9.5, 7.5), layout="constrained")
    axes = list(grid.flat)  # two columns: readable at page width
    axes[3].set_axis_off()
    layers = np.arange(1, 11)
    for (name, (before, after, losses)), c in zip(results.items(), ("C3", "C1", "C0", "C2")):
        axes[0].semilogy(layers, before, "o-", color=c, label=name)
        axes[1].semilogy(layers, after, "o-", color=c, label=name)
        smooth = np.convolve(losses, np.ones(10) / 10, mode="valid")
        axes[2].plot(np.arange(len(smooth)) + 10, smooth, color=c, label=name)
    for ax, title in zip(axes[:2], ("at initialisation", "after training")):
        ax.set(xlabel="layer (1 = input side)", ylabel="||dL/dW||", title=title, xticks=layers)
    axes[2].set(xlabel="step", ylabel="training loss (10-step mean)", title="training loss")
    axes[0].legend()
    fig.suptitle(f"10-layer MLP, Kaiming-normal init, {data_note(data)}")
    save(fig, out, "vanishing_gradients.png")


if __name__ == "__main__":
    main()
