"""The optimizer playground: minigrad's optimizers racing across 2-D loss surfaces.

`playground(surface, optimizers)` returns a `Playground`. In Jupyter it displays a widget
(anywidget): the surface as contours with each optimizer's path over it, the loss per step
(log scale) and the learning rate per step beside it, and controls for the surface, the
optimizers and their settings (`lr`, `momentum`, `nesterov`, `betas`, `weight_decay`, a
schedule, `max_norm` for gradient clipping), the start point and the number of steps. Every
change reruns the real `minigrad.optim` classes on a minigrad Tensor (`trajectory`, in
`minigrad.viz.trajectories`), so the paths drawn are what the code does. The numerical and
analytic gradients at the start point are shown side by side (`mg.numerical_grad` against
`backward()`).

`Playground.save(path)` writes one self-contained HTML page (no network when viewed) whose
`lr` and momentum sliders move over a grid of settings computed in advance (`static_data`).
The page and the widget share one script, `playground.js` beside this file.
"""

import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.viz import pages
from minigrad.viz.surfaces import SURFACES, Surface, get_surface
from minigrad.viz.trajectories import (
    OPTIMIZERS,
    SCHEDULES,
    TAKES,
    Trajectory,
    gradients,
    settings,
    trajectory,
)

__all__ = ["Playground", "playground", "static_data"]

SURFACE_NAMES = (*SURFACES, "digits")
GRID_N = 81  # contour grid points per side
STATIC_LR_FACTORS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
STATIC_MOMENTA = (0.0, 0.5, 0.9, 0.99)


class Playground:
    """Optimizers racing on one surface: `surface`, `optimizers` (a list of complete
    `settings` dicts), `start` and `steps`. `paths()` runs them; in Jupyter it displays the
    widget (`widget()`); `save(path)` writes the static page."""

    def __init__(
        self,
        surface: str,
        optimizers: Iterable[str | dict],
        start: Sequence[float] | None,
        steps: int,
    ) -> None:
        self._views: dict[str, dict] = {}
        self.set_state(
            {"surface": surface, "optimizers": list(optimizers), "start": start, "steps": steps}
        )

    def state(self) -> dict[str, Any]:
        """The settings as the page keeps them (JSON-ready)."""
        return {
            "surface": self.surface.name,
            "start": list(self.start),
            "steps": self.steps,
            "optimizers": [dict(s) for s in self.optimizers],
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Change any of `surface`, `optimizers`, `start` (`None`: the surface's own) and
        `steps`. An optimizer given without `lr` gets the surface's rate for it."""
        new = {**(self.state() if hasattr(self, "surface") else {}), **state}
        surface = get_surface(new["surface"])
        steps = new["steps"]
        if not (isinstance(steps, int | float) and steps == int(steps) and 1 <= steps <= 10_000):
            raise ValueError(f"steps must be a whole number from 1 to 10000, got {steps!r}")
        if not new["optimizers"]:
            raise ValueError("give at least one optimizer, e.g. ['SGD', 'Adam']")
        start = surface.start if new["start"] is None else new["start"]
        optimizers = [settings(s, surface) for s in new["optimizers"]]
        self.surface, self.optimizers, self.steps = surface, optimizers, int(steps)
        self.start = (float(start[0]), float(start[1]))

    def paths(self) -> list[Trajectory]:
        """Each optimizer's `Trajectory` from `start`, in order."""
        return [trajectory(self.surface, s, self.start, self.steps) for s in self.optimizers]

    def result(self) -> dict[str, Any]:
        """What the page draws for the current settings (JSON-ready)."""
        return {
            "view": self.view(self.surface),
            "paths": [_path_json(p) for p in self.paths()],
            "gradient": gradients(self.surface, self.start),
            "state": self.state(),
            "meta": _meta(SURFACE_NAMES),
        }

    def view(self, surface: Surface) -> dict[str, Any]:
        """The surface as the page draws it: box, contour grid and levels, texts."""
        if surface.name not in self._views:
            z = surface.values(GRID_N)
            self._views[surface.name] = {
                "name": surface.name,
                "title": surface.title,
                "text": surface.text,
                "box": list(surface.box),
                "n": GRID_N,
                "z": _rounded(z.reshape(-1), 5),
                "levels": _levels(z, surface),
                "f_min": surface.f_min,
                "start": list(surface.start),
            }
        return self._views[surface.name]

    def html(self, surfaces: Sequence[str] | str | None = None) -> str:
        """The self-contained page (see `save`)."""
        data = json.dumps(static_data(self, surfaces), separators=(",", ":"), allow_nan=False)
        return pages.fill("playground", f"Optimizer playground: {self.surface.title}", data)

    def save(self, path: str | os.PathLike, surfaces: Sequence[str] | str | None = None) -> Path:
        """Write the page to `path` (atomically) and return it as a `pathlib.Path`.

        The page works without a kernel or a network: for each surface in `surfaces`
        (default: this one; `"all"` for every one) and each optimizer, the paths for
        `lr` times each of `STATIC_LR_FACTORS` and, where the optimizer has one, each
        momentum (`beta1` for Adam) in `STATIC_MOMENTA` are computed now and stored in it.
        The other settings stay as they are set here.
        """
        return pages.write(self.html(surfaces), path)

    def widget(self) -> Any:
        """The live widget (an `anywidget.AnyWidget`): every control reruns the optimizers."""
        return _widget_class()(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        try:
            bundle = self.widget()._repr_mimebundle_(**kwargs)
        except ImportError as e:
            return {"text/plain": str(e)}
        bundle = bundle[0] if isinstance(bundle, tuple) else bundle
        bundle["text/plain"] = NOT_LIVE_NOTE
        return bundle


NOT_LIVE_NOTE = (
    "The optimizer playground is a live widget: run this cell in Jupyter to use it "
    "(or open a page saved with playground(...).save(path))."
)


def playground(
    surface: str = "bowl",
    optimizers: Iterable[str | dict] = ("SGD", "Adam"),
    start: Sequence[float] | None = None,
    steps: int = 100,
) -> Playground:
    """Optimizers racing from `start` across `surface`; displays as a widget in Jupyter.

    Args:
        surface: one of `"bowl"`, `"rosenbrock"`, `"saddle"`, `"cliff"`, `"l1"`, `"l2"`,
            `"digits"` (see `minigrad.viz.surfaces`).
        optimizers: names from `OPTIMIZERS` or settings dicts, e.g.
            `["SGD", {"optimizer": "SGD", "momentum": 0.9}, "Adam"]`; a missing `lr` is
            the surface's rate for that optimizer.
        start: the start point `(x, y)`; default the surface's.
        steps: steps each optimizer takes.

    `playground(...).paths()` gives the trajectories as arrays; `.save(path)` the page.
    """
    return Playground(surface, optimizers, start, steps)


def static_data(pg: Playground, surfaces: Sequence[str] | str | None = None) -> dict:
    """The data of the saved page: per surface, per optimizer, a grid of paths."""
    names = SURFACE_NAMES if surfaces == "all" else surfaces or [pg.surface.name]
    here = pg.state()
    out = {"state": here, "surfaces": {}}
    for name in names:
        if name == here["surface"]:
            pg.set_state(here)
        else:  # the surface's own start and rates
            without_lr = [{k: v for k, v in s.items() if k != "lr"} for s in here["optimizers"]]
            pg.set_state({"surface": name, "start": None, "optimizers": without_lr})
        out["surfaces"][name] = _static_surface(pg)
    pg.set_state(here)
    out["meta"] = _meta(names)
    return out


def _static_surface(pg: Playground) -> dict:
    """Per optimizer: the `lrs` and `knobs` of its grid, the path (`points` to 6 significant
    digits, `losses` to 5) for each pair in `runs[lr][knob]`, and the rate per step for
    each lr in `rates` (a schedule's rates depend on the lr alone)."""
    grids = []
    for s in pg.optimizers:
        knob = _knob(s)
        lrs = sorted({float(f"{s['lr'] * f:.4g}") for f in STATIC_LR_FACTORS} | {s["lr"]})
        knobs = sorted(set(STATIC_MOMENTA) | {_knob_value(s, knob)}) if knob else [None]
        runs, rates = [], []
        for lr in lrs:
            paths = [
                trajectory(pg.surface, _with(s, lr, knob, m), pg.start, pg.steps) for m in knobs
            ]
            runs.append([_path_json(p, digits=6, loss_digits=5, rates=False) for p in paths])
            rates.append(_rounded(paths[0].lrs, 6))
        grids.append({"lrs": lrs, "knob": knob, "knobs": knobs, "runs": runs, "rates": rates})
    return {
        "view": pg.view(pg.surface),
        "start": list(pg.start),
        "optimizers": [dict(s) for s in pg.optimizers],
        "grids": grids,
        "gradient": gradients(pg.surface, pg.start),
    }


def _meta(names: Iterable[str]) -> dict[str, Any]:
    """What the controls offer: surfaces `(name, title)`, optimizers and the settings each
    takes, schedules."""
    return {
        "surfaces": [(n, get_surface(n).title) for n in names],
        "optimizers": list(OPTIMIZERS),
        "takes": TAKES,
        "schedules": list(SCHEDULES),
    }


def _knob(s: dict) -> str | None:
    """The second setting the saved page varies: `momentum`, or `beta1` for Adam."""
    takes = TAKES[s["optimizer"]]
    return "momentum" if "momentum" in takes else "beta1" if "betas" in takes else None


def _knob_value(s: dict, knob: str) -> float:
    return float(s["momentum"] if knob == "momentum" else s["betas"][0])


def _with(s: dict, lr: float, knob: str | None, value: float | None) -> dict:
    out: dict[str, Any] = dict(s, lr=lr)
    if knob == "momentum":
        out["momentum"] = value
    elif knob == "beta1":
        out["betas"] = [value, s["betas"][1]]
    return out


def _path_json(p: Trajectory, digits: int = 17, loss_digits: int = 17, rates: bool = True) -> dict:
    out = {
        "points": _rounded(p.points, digits),
        "losses": _rounded(p.losses, loss_digits),
        "diverged": p.diverged,
    }
    if rates:
        out["lrs"] = _rounded(p.lrs, digits)
    return out


def _rounded(a: np.ndarray, digits: int) -> list:
    """Nested lists of floats to `digits` significant digits (inf and NaN as `None`)."""

    def one(v: float) -> float | None:
        return float(f"{v:.{digits}g}") if math.isfinite(v) else None

    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        return [one(v) for v in a.tolist()]
    return [_rounded(row, digits) for row in a]


def _levels(z: np.ndarray, surface: Surface, n: int = 16) -> list[float]:
    """Contour levels: logarithmic in `f - f_min` (or even quantiles without one)."""
    gap = z - surface.f_min
    lo, hi = np.quantile(gap, 0.002), np.quantile(gap, 0.98)
    if surface.log_levels and hi > 0:
        lo = max(lo, hi * 1e-6)
        levels = surface.f_min + np.geomspace(lo, hi, n)
    else:
        levels = np.quantile(z, np.linspace(0.01, 0.95, n))
    return _rounded(levels, 6)


_WIDGET: list[type] = []


def _widget_class() -> type:
    """The anywidget class, defined on first use (`import minigrad.viz` needs NumPy only)."""
    if _WIDGET:
        return _WIDGET[0]
    try:
        import anywidget
        import traitlets
    except ImportError as e:
        raise ImportError(
            "the playground's widget needs anywidget: pip install anywidget "
            "(or pip install 'minigrad[notebooks]'); playground(...).save(path) needs nothing"
        ) from e

    class PlaygroundWidget(anywidget.AnyWidget):
        """The playground in Jupyter: `state` comes from the page, `result` goes to it."""

        _esm = pages.asset("playground.js")
        _css = pages.asset("playground.css")
        state = traitlets.Dict().tag(sync=True)
        result = traitlets.Dict().tag(sync=True)

        def __init__(self, pg: Playground) -> None:
            super().__init__()
            self.playground = pg
            self.result = pg.result()
            self.state = pg.state()
            self.observe(self._rerun, names="state")

        def _rerun(self, change: dict) -> None:
            try:
                self.playground.set_state(change["new"])
                self.result = self.playground.result()
            except (ValueError, TypeError) as e:
                self.result = dict(self.result, error=str(e))

    _WIDGET.append(PlaygroundWidget)
    return PlaygroundWidget
