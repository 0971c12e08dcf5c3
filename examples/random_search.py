"""Random search vs random local search vs gradient descent for a linear SVM classifier.

    python examples/random_search.py --data cifar10   # the course notes' setup, minutes
    python examples/random_search.py --quick          # seconds, on the bundled digits

The course notes (cs231n, "Optimization") try three ways to pick the weights W of a linear
classifier s = Wx (a bias folded into W) under the multiclass SVM loss, each allowed 1,000
evaluations of the loss on the whole training set:

- random search: draw W = 0.0001 * N(0, 1) 1,000 times and keep the best (notes: 15.5%);
- random local search: from W = 0.001 * N(0, 1), try W + 0.0001 * N(0, 1) and keep it when
  the loss drops (notes: 21.4%);
- gradient descent: W -= lr * dL/dW from minigrad, on minibatches of 200.

This script uses the notes' setup: pixel values 0..255 with the training images' mean
subtracted (cs231n's preprocessing; the notes do not say, but without it the two searches
reach only about 11% and 15%, see --raw), a bias column of ones, the mean SVM loss (margin
1, no regularisation) over every training image. The bundled digits' pixels (0..16) are
stretched to 0..255 so that the same step sizes apply. One difference: our CIFAR-10 copy
has the five training batches but no test batch, so 10,000 of the 50,000 training images
are held out and the accuracy reported is on them; the loss is scored on the other 40,000
(the notes: all 50,000, accuracy on the test batch).
"""

import numpy as np
from _common import Timer, data_note, load_data, parse_args, pyplot, save

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import optim

SCALE = 1e-4  # random search: W = SCALE * N(0, 1)
START, STEP = 1e-3, 1e-4  # random local search: start and step size
LR, BATCH = 1e-7, 200  # gradient descent on 0..255 pixels: steps of about STEP's size


def with_bias(x):
    """x (N, D) -> (N, D + 1) with a trailing column of ones (the bias trick)."""
    return np.hstack([x, np.ones((len(x), 1), x.dtype)])


def svm(x, y, w):
    """Mean SVM loss of scores x @ w, without recording a graph."""
    with mg.no_grad():
        return F.svm_loss(mg.tensor(x @ w), y).item()


def accuracy(x, y, w):
    return float(((x @ w).argmax(axis=1) == y).mean())


def random_search(x, y, shape, tries, rng):
    """The best of `tries` random W; and the best loss after each try."""
    best_w, best, curve = None, np.inf, []
    for _ in range(tries):
        w = (SCALE * rng.standard_normal(shape)).astype(np.float32)
        loss = svm(x, y, w)
        if loss < best:
            best_w, best = w, loss
        curve.append(best)
    return best_w, np.arange(1, tries + 1), curve


def random_local_search(x, y, shape, tries, rng):
    """W after `tries` random steps, each kept only if it lowers the loss."""
    w = (START * rng.standard_normal(shape)).astype(np.float32)
    best, curve = np.inf, []
    for _ in range(tries):
        trial = w + (STEP * rng.standard_normal(shape)).astype(np.float32)
        loss = svm(x, y, trial)
        if loss < best:
            w, best = trial, loss
        curve.append(best)
    return w, np.arange(1, tries + 1), curve


def gradient_descent(x, y, shape, steps, rng, every=10):
    """W after `steps` minibatch SGD steps; the training loss every `every` steps."""
    w = mg.tensor((START * rng.standard_normal(shape)).astype(np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=LR)
    when, curve = [], []
    for step in range(1, steps + 1):
        idx = rng.integers(0, len(x), BATCH)
        opt.zero_grad()
        F.svm_loss(mg.tensor(x[idx]) @ w, y[idx]).backward()
        opt.step()
        if step % every == 0 or step == steps:
            when.append(step)
            curve.append(svm(x, y, w.data))
    return w.data, when, curve


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, extra=_raw_option)
    rng = np.random.default_rng(args.seed)
    n_train, tries = (300, 200) if args.quick else (None, 1000)
    data = load_data(
        args.data, n_train, n_val=10000, seed=args.seed, data_dir=args.data_dir, raw=True
    )
    stretch = 255 / 16 if data.name == "digits" else 1.0  # digits' 0..16 pixels to 0..255
    mean = 0.0 if args.raw else data.x_train.mean(axis=0)
    x = with_bias((data.x_train - mean) * stretch)
    xv = with_bias((data.x_val - mean) * stretch)
    y, yv = data.y_train, data.y_val
    shape = (x.shape[1], data.n_classes)
    print(f"{data_note(data)}; loss scored on all {len(x)} training images")

    runs = {}
    for name, search in [
        ("random search", lambda: random_search(x, y, shape, tries, rng)),
        ("random local search", lambda: random_local_search(x, y, shape, tries, rng)),
        ("gradient descent", lambda: gradient_descent(x, y, shape, tries, rng)),
    ]:
        with Timer() as t:
            runs[name] = search()
        print(f"{name}: {tries} tries or steps in {t.seconds:.1f} s")

    result = {}
    for name, (w, _, curve) in runs.items():
        result[name] = accuracy(xv, yv, w)
        print(f"{name:>20}: train loss {curve[-1]:.3f}, held-out accuracy {result[name]:.1%}")
    pixels = "raw pixels" if args.raw else "pixels minus their mean"
    plot(runs, result, f"{pixels}, on {data_note(data)}", data.n_classes, args.out)
    return result


def _raw_option(parser):
    parser.add_argument("--raw", action="store_true", help="keep the mean in the pixels")


def plot(runs, acc, note, n_classes, out):
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for name, (_, when, curve) in runs.items():
        ax1.plot(when, curve, label=name)
    ax1.set(xlabel="try (one loss evaluation) or step (one minibatch gradient)")
    ax1.set(ylabel="training SVM loss", yscale="log", title="Loss on all training images")
    ax1.legend()
    names = list(acc)
    bars = ax2.bar(names, [100 * acc[n] for n in names], color=["C0", "C1", "C2"])
    ax2.bar_label(bars, fmt="%.1f%%")
    ax2.set_xticks(range(len(names)), [n.replace(" ", "\n") for n in names])
    ax2.axhline(100 / n_classes, color="k", ls="--", lw=1, label="chance")
    ax2.set(ylabel="held-out accuracy (%)", title="Accuracy on held-out images")
    ax2.legend()
    fig.suptitle(f"Linear SVM classifier, {note}")
    save(fig, out, "random_search.png")


if __name__ == "__main__":
    main()
