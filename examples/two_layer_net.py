"""A linear classifier and a two-layer net on the cs231n spiral, with each loss.

    python examples/two_layer_net.py

The spiral (three interleaved arms, generated from a seed) is the cs231n "neural network case
study": no straight line separates the arms, so a linear classifier stays near 50% while a
two-layer net with 100 ReLU units passes 95%. Each model is trained full-batch with the
softmax (cross-entropy) loss and with the multiclass SVM loss, plus an L2 penalty
`0.5 * reg * sum(W**2)` on the weights.
"""

import argparse
import time

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import optim
from minigrad.data.datasets import make_spiral

LOSSES = {"softmax": F.cross_entropy, "svm": F.svm_loss}


def train(model, x, y, loss_fn, steps, lr, reg=1e-3):
    """Full-batch SGD on loss_fn(model(x), y) + 0.5 * reg * sum of squared weights."""
    opt = optim.SGD(model.parameters(), lr=lr)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    xt = mg.tensor(x)
    for _ in range(steps):
        loss = loss_fn(model(xt), y) + 0.5 * reg * F.l2_penalty(weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def accuracy(model, x, y):
    with mg.no_grad():
        return float((model(mg.tensor(x)).data.argmax(axis=1) == y).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=100)
    args = parser.parse_args(argv)
    x, y = make_spiral(n_per_class=100, n_classes=3, noise=0.2, seed=args.seed)
    results = {}
    for name, loss_fn in LOSSES.items():
        start = time.perf_counter()
        linear = nn.Linear(2, 3, rng=args.seed)
        train(linear, x, y, loss_fn, steps=200, lr=1.0)
        net = nn.Sequential(
            nn.Linear(2, args.hidden, rng=args.seed + 1),
            nn.ReLU(),
            nn.Linear(args.hidden, 3, rng=args.seed + 2),
        )
        final = train(net, x, y, loss_fn, steps=3000, lr=1.0)
        results[name] = {"linear": accuracy(linear, x, y), "two_layer": accuracy(net, x, y)}
        print(
            f"{name:>7} loss: linear classifier {results[name]['linear']:.1%}, "
            f"2-layer net {results[name]['two_layer']:.1%} (final loss {final:.3f}, "
            f"{time.perf_counter() - start:.1f} s)"
        )
    return results


if __name__ == "__main__":
    main()
