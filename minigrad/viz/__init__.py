"""Pictures of the graph behind a tensor, and of the backward pass that runs through it.

- `to_dot`, `draw_graph`, `render`: a drawing of the graph (`minigrad.viz.graph`).
- `explore`: the backward-pass explorer, the engine's walk shown step by step in a page
  that displays inline in Jupyter and saves as one self-contained HTML file
  (`minigrad.viz.explorer`).
- `playground`: optimizers racing across 2-D loss surfaces, a widget in Jupyter and a
  self-contained page when saved (`minigrad.viz.playground`, surfaces in
  `minigrad.viz.surfaces`).

Both drawings name each parameter as the model that holds it does (`0.weight`), without being
told (`minigrad.viz.names`). `import minigrad.viz` needs NumPy only; graphviz is imported when
a drawing is made, and anywidget when the playground's widget is shown.
"""

from minigrad.viz.explorer import Explorer, explore
from minigrad.viz.graph import (
    VANISHING_GRAD_NORM,
    DotNotFoundError,
    draw_graph,
    graph_nodes,
    render,
    to_dot,
)
from minigrad.viz.playground import Playground, playground
from minigrad.viz.trajectories import Trajectory, trajectory

__all__ = [
    "VANISHING_GRAD_NORM",
    "DotNotFoundError",
    "Explorer",
    "draw_graph",
    "explore",
    "graph_nodes",
    "playground",
    "Playground",
    "render",
    "to_dot",
    "trajectory",
    "Trajectory",
]
