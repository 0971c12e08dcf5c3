"""Draw the computation graph of a two-layer net's loss, after backward, to SVG and PNG.

    python examples/draw_graph.py                      # mlp_graph.{svg,png} here
    python examples/draw_graph.py --out docs/figures   # the docs' drawing
    python examples/draw_graph.py --show-data --out /tmp

The loss is softmax cross-entropy plus an L2 penalty `0.5 * reg * sum(W**2)` on the
weights, for a (64 -> 16 -> 10) net on a batch of 8 bundled digits. `backward` runs with
`retain_graph=True`, because a plain `backward()` frees the graph it walked. In the
drawing, leaves carry their parameter names (green; the data is a grey, dashed box),
every box shows its output shape, dtype and gradient norm, and each weight feeds both its
layer and the penalty, so its gradient is the sum of two paths.
Needs the graphviz package and its `dot` program.
"""

import argparse

import numpy as np
from _common import checked_args, output_args

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.data.datasets import load_digits


def mlp_loss(batch=8, hidden=16, reg=1e-3, seed=0):
    """(model, x, loss) for a two-layer net on `batch` digits; the graph is not run yet."""
    x, y = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(y), size=batch, replace=False)
    x = mg.tensor(x[pick] / 16.0)
    model = nn.Sequential(
        nn.Linear(x.shape[1], hidden, rng=seed), nn.ReLU(), nn.Linear(hidden, 10, rng=seed + 1)
    )
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    loss = F.cross_entropy(model(x), y[pick]) + 0.5 * reg * F.l2_penalty(weights)
    return model, x, loss


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    output_args(parser)
    parser.add_argument("--show-data", action="store_true", help="add value statistics")
    args = checked_args(parser, argv)
    model, x, loss = mlp_loss()
    loss.backward(retain_graph=True)
    # the parameters are named as the model names them; params= names the batch too
    graph = viz.draw_graph(loss, params={"x": x}, show_data=args.show_data)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = [viz.render(graph, args.out / f"mlp_graph.{ext}") for ext in ("svg", "png")]
    print(f"loss {loss.item():.4f}; {len(viz.graph_nodes(loss))} nodes")
    for name, p in model.named_parameters():
        print(f"  {name:9s} {str(p.shape):9s} grad norm {np.linalg.norm(p.grad.data):.4g}")
    for path in paths:
        print(f"wrote {path}")
    return {"paths": paths, "loss": loss.item()}


if __name__ == "__main__":
    main()
