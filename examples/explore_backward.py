"""The backward-pass explorer on a two-layer net written out as in cs231n's assignment.

    python examples/explore_backward.py                  # explore_backward.html, opened
    python examples/explore_backward.py --screenshots --out docs/figures   # the docs' pictures

scores = relu(X W1 + b1) W2 + b2 on 4 spiral points (2 inputs, 5 hidden units, 3 classes),
loss = softmax cross-entropy + 0.5 reg (sum W1**2 + sum W2**2). Written with plain ops rather
than nn.Linear, so the walk shows what the fused layer hides: the bias added by broadcasting
(its gradient summed over the batch axis) and each weight feeding two consumers, the scores
and the penalty (its two gradients added with +=).

A second page, explore_backward_check.html, runs the numerical check of every node on the
same net with a ReLU whose backward forgets the incoming gradient: that node turns red.
`--screenshots` takes pictures of both pages in headless Chromium (the system's, found on
PATH; Playwright drives it).
"""

import argparse
import webbrowser

import numpy as np
from _common import checked_args, headless_chromium, output_args, shrink_png

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.data.datasets import make_spiral
from minigrad.tensor import record

REG = 0.1


def parameters(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W1": mg.tensor(rng.normal(scale=0.5, size=(2, 5)), requires_grad=True),
        "b1": mg.tensor(rng.normal(scale=0.1, size=5), requires_grad=True),
        "W2": mg.tensor(rng.normal(scale=0.5, size=(5, 3)), requires_grad=True),
        "b2": mg.tensor(rng.normal(scale=0.1, size=3), requires_grad=True),
    }


def two_layer_loss(p, x, y, relu=mg.relu):
    """cs231n's two-layer net and its loss, one op at a time."""
    hidden = relu(x @ p["W1"] + p["b1"])
    scores = hidden @ p["W2"] + p["b2"]
    penalty = 0.5 * REG * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    return F.cross_entropy(scores, y) + penalty


def careless_relu(x):
    """y = max(x, 0); dy/dx = 1 where x > 0, else 0 (the backward below forgets gy)."""

    def backward(gy, x):
        return ((x > 0).astype(x.dtype),)  # should be gy * (x > 0)

    return record(np.maximum(x.data, 0), "careless_relu", (x,), backward)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    output_args(parser)
    parser.add_argument("--screenshots", action="store_true", help="PNG pictures of the pages")
    args = checked_args(parser, argv)
    points, labels = make_spiral(n_per_class=100, n_classes=3, seed=0)
    pick = [60, 160, 260, 90]  # one point from each arm, then a second from the first
    x, y = mg.tensor(points[pick].astype(np.float64)), labels[pick]
    p = parameters()
    names = dict(p, X=x)
    title = "A two-layer net's backward pass"
    walk = viz.explore(two_layer_loss(p, x, y), params=names, title=title)
    careless = viz.explore(
        lambda: two_layer_loss(p, x, y, relu=careless_relu),
        params=names,
        check=True,
        title="The numerical check finds a wrong backward",
    )
    args.out.mkdir(parents=True, exist_ok=True)
    pages = [walk.save(args.out / "explore_backward.html")]
    pages.append(careless.save(args.out / "explore_backward_check.html"))
    for page in pages:
        print(f"wrote {page}")
    if args.screenshots:
        shots = [(pages[0], name, step) for name, step in pictures(walk.trace)]
        wrong = next(n["id"] for n in careless.trace["nodes"] if n["op"] == "careless_relu")
        step = 1 + [s["node"] for s in careless.trace["steps"]].index(wrong)
        shots.append((pages[1], "explore_backward_check.png", step))
        for path in screenshot(shots, args.out):
            print(f"wrote {path}")
    elif not args.no_show and not args.quick:
        webbrowser.open(pages[0].resolve().as_uri())
    return {"walk": walk, "careless": careless, "pages": pages}


def pictures(trace):
    """(file name, step) of the docs' pictures: the start, the first step, the step that
    sums b1's broadcast gradient, the step whose gradient is added (+=) into W1, the end."""
    steps = trace["steps"]
    title = {n["id"]: n["title"] for n in trace["nodes"]}

    def first(test):
        return 1 + next(i for i, s in enumerate(steps) for send in s["sends"] if test(send))

    return [
        ("explore_backward_start.png", 0),
        ("explore_backward_first.png", 1),
        ("explore_backward_broadcast.png", first(lambda s: title[s["parent"]] == "b1")),
        ("explore_backward_accumulate.png", first(lambda s: s["accumulated"])),
        ("explore_backward_end.png", len(steps)),
    ]


def screenshot(shots, out):
    """Open each page in headless Chromium, go to the step, and save a PNG."""
    paths = []
    with headless_chromium() as browser:
        # The docs page shows a picture about 700 pixels wide: a narrow window keeps its
        # text readable there, and twice the pixels keep it sharp.
        page = browser.new_page(viewport={"width": 960, "height": 1000}, device_scale_factor=2)
        for html, name, step in shots:
            page.goto(html.resolve().as_uri())
            page.select_option("#jump", str(step))
            paths.append(out / name)
            page.screenshot(path=str(paths[-1]))
            shrink_png(paths[-1])
    return paths


if __name__ == "__main__":
    main()
