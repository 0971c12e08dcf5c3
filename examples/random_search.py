"""Random search vs random local search vs gradient descent for a linear SVM classifier.

    python examples/random_search.py            # CIFAR-10 if found ($MINIGRAD_DATA), else digits
    python examples/random_search.py --quick    # a few seconds

The classifier is scores = x @ W (a bias row folded into W), trained on the multiclass SVM loss.
Random search draws W at random and keeps the best; random local search perturbs the best W and
keeps the perturbation if the loss drops; gradient descent follows -dL/dW from minigrad.
"""

import numpy as np
from _common import Timer, data_note, load_data, parse_args, pyplot, save

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import optim


def with_bias(x):
    """x (N, D) -> (N, D + 1) with a trailing column of ones (the bias trick)."""
    return np.hstack([x, np.ones((len(x), 1), x.dtype)])


def svm(x, y, w):
    """Mean SVM loss of scores x @ w, without recording a graph."""
    with mg.no_grad():
        return F.svm_loss(mg.tensor(x @ w), y).item()


def accuracy(x, y, w):
    return float(((x @ w).argmax(axis=1) == y).mean())


def random_search(x, y, shape, tries, scale, rng):
    best_w, best, curve = None, np.inf, []
    for _ in range(tries):
        w = (scale * rng.standard_normal(shape)).astype(np.float32)
        loss = svm(x, y, w)
        if loss < best:
            best_w, best = w, loss
        curve.append(best)
    return best_w, curve


def random_local_search(x, y, shape, tries, scale, step, rng):
    w = (scale * rng.standard_normal(shape)).astype(np.float32)
    best, curve = svm(x, y, w), []
    for _ in range(tries):
        trial = w + (step * rng.standard_normal(shape)).astype(np.float32)
        loss = svm(x, y, trial)
        if loss < best:
            w, best = trial, loss
        curve.append(best)
    return w, curve


def gradient_descent(x, y, shape, steps, scale, lr, batch, rng):
    w = mg.tensor((scale * rng.standard_normal(shape)).astype(np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    curve = []
    for _ in range(steps):
        idx = rng.integers(0, len(x), batch)
        opt.zero_grad()
        F.svm_loss(mg.tensor(x[idx]) @ w, y[idx]).backward()
        opt.step()
        curve.append(svm(x, y, w.data))
    return w.data, curve


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    rng = np.random.default_rng(args.seed)
    n_train, tries = (300, 60) if args.quick else (2000, 1000)
    data = load_data(args.data, n_train=n_train, n_val=1000, seed=args.seed)
    x, xv = with_bias(data.x_train), with_bias(data.x_val)
    y, yv = data.y_train, data.y_val
    shape = (x.shape[1], data.n_classes)
    print(data_note(data))

    runs = {}
    with Timer() as t:
        runs["random search"] = random_search(x, y, shape, tries, 1e-3, rng)
    print(f"random search: {tries} tries in {t.seconds:.1f} s")
    with Timer() as t:
        runs["random local search"] = random_local_search(x, y, shape, tries, 1e-3, 1e-3, rng)
    print(f"random local search: {tries} tries in {t.seconds:.1f} s")
    with Timer() as t:
        runs["gradient descent"] = gradient_descent(x, y, shape, tries, 1e-3, 0.01, 200, rng)
    print(f"gradient descent: {tries} steps in {t.seconds:.1f} s")

    result = {}
    for name, (w, curve) in runs.items():
        result[name] = accuracy(xv, yv, w)
        print(f"{name:>20}: train loss {curve[-1]:.3f}, val accuracy {result[name]:.1%}")
    plot(runs, result, data, args.out)
    return result


def plot(runs, acc, data, out):
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for name, (_, curve) in runs.items():
        ax1.plot(np.arange(1, len(curve) + 1), curve, label=name)
    ax1.set(xlabel="iteration (one loss evaluation or one step)", ylabel="training SVM loss")
    ax1.set_title("Best loss so far")
    ax1.legend()
    names = list(acc)
    bars = ax2.bar(names, [100 * acc[n] for n in names], color=["C0", "C1", "C2"])
    ax2.bar_label(bars, fmt="%.1f%%")
    ax2.set_xticks(range(len(names)), [n.replace(" ", "\n") for n in names])
    ax2.axhline(100 / data.n_classes, color="k", ls="--", lw=1, label="chance")
    ax2.set(ylabel="validation accuracy (%)", title="Validation accuracy")
    ax2.legend()
    fig.suptitle(f"Linear SVM classifier on {data_note(data)}")
    save(fig, out, "random_search.png")


if __name__ == "__main__":
    main()
