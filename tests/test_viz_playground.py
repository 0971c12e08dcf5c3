"""The optimizer playground: its paths are minigrad.optim's own steps, its widget reruns them,
and its saved page, driven in headless Chromium, draws the same numbers as its sliders move."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim, viz
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim import lr_scheduler
from minigrad.viz import surfaces
from minigrad.viz.trajectories import SCHEDULES, gradients, settings


def by_hand(surface, make, start, steps, schedule=None, max_norm=0.0, closure_step=False):
    """The textbook loop, written out: the points an optimizer visits."""
    w = mg.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = make([w])
    sched = schedule(opt) if schedule else None

    def closure():
        opt.zero_grad()
        loss = surface.f(w[0], w[1])
        loss.backward()
        if max_norm:
            clip_grad_norm_([w], max_norm)
        return loss

    points = [w.data.copy()]
    for k in range(steps):
        if closure_step:
            opt.step(closure)
        else:
            closure()
            opt.step()
        if sched and k < steps - 1:
            sched.step()
        points.append(w.data.copy())
    return np.array(points)


CASES = {  # settings (the lr is the surface's), the same optimizer built by hand, the loop
    "sgd": ({"optimizer": "SGD"}, lambda p, lr: optim.SGD(p, lr=lr), {}),
    "nesterov": (
        {"optimizer": "SGD", "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
        lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True, weight_decay=0.1),
        {},
    ),
    "adagrad": ({"optimizer": "Adagrad"}, lambda p, lr: optim.Adagrad(p, lr=lr), {}),
    "adadelta": ({"optimizer": "Adadelta"}, lambda p, lr: optim.Adadelta(p, lr=lr), {}),
    "rmsprop": (
        {"optimizer": "RMSprop", "momentum": 0.5},
        lambda p, lr: optim.RMSprop(p, lr=lr, momentum=0.5),
        {},
    ),
    "adam_cosine": (
        {"optimizer": "Adam", "betas": [0.8, 0.99], "schedule": "cosine"},
        lambda p, lr: optim.Adam(p, lr=lr, betas=(0.8, 0.99)),
        {"schedule": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=40)},
    ),
    "adamw_clipped": (
        {"optimizer": "AdamW", "max_norm": 0.5},
        lambda p, lr: optim.AdamW(p, lr=lr),
        {"max_norm": 0.5},
    ),
    "sgd_onecycle": (
        {"optimizer": "SGD", "momentum": 0.9, "schedule": "onecycle"},
        lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
        {"schedule": "onecycle"},
    ),
    "lbfgs": (
        {"optimizer": "LBFGS"},
        lambda p, lr: optim.LBFGS(p, lr=lr, max_iter=1, max_eval=25, line_search_fn="strong_wolfe"),
        {"closure_step": True},
    ),
}


@pytest.mark.parametrize("surface", ["bowl", "rosenbrock", "cliff", "l1"])
@pytest.mark.parametrize("case", list(CASES))
def test_paths_are_the_optimizers_own_steps(surface, case):
    given, make, loop = CASES[case]
    s = surfaces.get_surface(surface)
    lr = s.lrs[given["optimizer"]] * (0.1 if given.get("momentum") == 0.9 else 1.0)
    given = dict(given, lr=lr)
    if loop.get("schedule") == "onecycle":
        loop = dict(loop, schedule=lambda o: lr_scheduler.OneCycleLR(o, max_lr=lr, total_steps=40))
    start = (0.7 * s.start[0], 0.9 * s.start[1])
    path = viz.trajectory(s, settings(given, s), start, 40)
    expected = by_hand(s, lambda p: make(p, lr), start, 40, **loop)
    assert path.diverged is None
    np.testing.assert_array_equal(path.points, expected)
    with mg.no_grad():
        losses = [s.f(mg.tensor(p[0]), mg.tensor(p[1])).item() for p in expected]
    np.testing.assert_allclose(path.losses, losses, rtol=1e-12)


def test_learning_rates_per_step_follow_the_schedule():
    s = surfaces.get_surface("bowl")
    rates = {}
    for kind in SCHEDULES:
        given = settings({"optimizer": "SGD", "lr": 0.2, "schedule": kind}, s)
        rates[kind] = viz.trajectory(s, given, s.start, 30).lrs
    assert np.all(rates["constant"] == 0.2)
    np.testing.assert_allclose(rates["step"][[0, 9, 10, 20]], [0.2, 0.2, 0.02, 0.002])
    np.testing.assert_allclose(rates["exponential"][-1], 0.2 * 0.01 ** (29 / 30))
    np.testing.assert_allclose(rates["cosine"][15], 0.1)
    # PyTorch: the warm-up ends at step pct_start * total_steps - 1
    assert rates["onecycle"].argmax() == 0.3 * 30 - 1 and rates["onecycle"].max() == pytest.approx(
        0.2
    )


def test_the_digits_slice_is_a_trained_networks_loss():
    s = surfaces.get_surface("digits")
    centre = s.f(mg.tensor(np.float64(0.0)), mg.tensor(np.float64(0.0))).item()
    assert centre < 0.1 < s.f(mg.tensor(np.float64(0.5)), mg.tensor(np.float64(0.5))).item()
    given, make, _ = CASES["nesterov"]
    path = viz.trajectory(s, settings(dict(given, lr=0.01), s), s.start, 5)
    np.testing.assert_array_equal(path.points, by_hand(s, lambda p: make(p, 0.01), s.start, 5))


def test_a_diverging_path_stops_and_keeps_finite_points():
    s = surfaces.get_surface("bowl")
    path = viz.trajectory(s, settings({"optimizer": "SGD", "lr": 0.6}, s), s.start, 2000)
    assert path.diverged is not None and path.diverged < 2000
    assert len(path.points) == path.diverged + 1 and np.isfinite(path.points).all()


@pytest.mark.parametrize("name", [*surfaces.SURFACES, "digits"])
def test_numerical_and_analytic_gradients_agree_on_every_surface(name):
    s = surfaces.get_surface(name)
    g = gradients(s, (0.6 * s.start[0] + 0.01, 0.6 * s.start[1] + 0.01))
    np.testing.assert_allclose(g["analytic"], g["numerical"], rtol=1e-5, atol=1e-7)


def test_a_surface_that_ignores_its_point_is_named_instead_of_a_none_error():
    other = mg.tensor(1.0, requires_grad=True)
    flat = surfaces.Surface("flat", "Flat", lambda x, y: other * 2, (-1, 1, -1, 1), (0, 0), 0, "")
    with pytest.raises(ValueError, match="surface 'flat': backward.. left no gradient"):
        gradients(flat, (0.5, 0.5))
    with pytest.raises(ValueError, match="surface 'flat'"):
        viz.trajectory(flat, settings({"optimizer": "SGD"}, flat), flat.start, 3)


def test_minima_are_where_the_surfaces_say():
    for name, point in [("bowl", (0, 0)), ("rosenbrock", (1, 1)), ("saddle", (0, 1))]:
        s = surfaces.SURFACES[name]
        assert s.f(mg.tensor(np.float64(point[0])), mg.tensor(np.float64(point[1]))).item() == 0
    for name, point in [("l1", (0.5, 0.0)), ("l2", (0.75, 1 / 6))]:
        s = surfaces.SURFACES[name]
        grid = s.values(201)
        assert grid.min() >= s.f_min - 1e-12
        x = mg.tensor(np.array(point), requires_grad=True)
        assert s.f(x[0], x[1]).item() == pytest.approx(s.f_min, abs=1e-12)


def test_bad_settings_say_what_to_choose():
    with pytest.raises(ValueError, match="unknown optimizer 'Adamm': choose one of SGD"):
        viz.playground("bowl", ["Adamm"])
    with pytest.raises(ValueError, match="unknown schedule 'linear'"):
        viz.playground("bowl", [{"optimizer": "SGD", "schedule": "linear"}])
    with pytest.raises(ValueError, match=r"unknown settings \['rho'\]"):
        viz.playground("bowl", [{"optimizer": "Adadelta", "rho": 0.5}])
    with pytest.raises(ValueError, match="unknown surface 'hill': choose one of bowl"):
        viz.playground("hill")
    with pytest.raises(ValueError, match="steps must be a whole number"):
        viz.playground("bowl", steps=0)


def test_import_needs_numpy_only_and_the_widget_names_what_to_install():
    code = (
        "import sys; sys.modules['anywidget'] = None\n"
        "import minigrad.viz as viz\n"
        "pg = viz.playground('saddle', ['SGD'], steps=5)\n"
        "print(pg.paths()[0].points.shape, 'traitlets' in sys.modules)\n"
        "try:\n    pg.widget()\nexcept ImportError as e:\n    print(e)\n"
        "print(pg._repr_mimebundle_()['text/plain'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "(6, 2) False"
    assert "pip install anywidget" in lines[1] and lines[2] == lines[1]


def test_widget_reruns_the_optimizers_when_its_state_changes():
    pytest.importorskip("anywidget")
    pg = viz.playground("saddle", ["SGD", "Adam"], steps=30)
    widget = pg.widget()
    first = widget.result["paths"][0]["points"]
    np.testing.assert_array_equal(first, pg.paths()[0].points)
    state = json.loads(json.dumps(widget.result["state"]))  # as the page sends it back
    state["optimizers"][0].update(lr=0.3, momentum=0.5)
    widget.state = state
    s = surfaces.SURFACES["saddle"]
    expected = by_hand(s, lambda p: optim.SGD(p, lr=0.3, momentum=0.5), s.start, 30)
    np.testing.assert_array_equal(widget.result["paths"][0]["points"], expected)
    widget.state = {**state, "surface": "l2", "start": None, "optimizers": [{"optimizer": "SGD"}]}
    assert widget.result["state"]["start"] == list(surfaces.SURFACES["l2"].start)
    assert widget.result["state"]["optimizers"][0]["lr"] == surfaces.SURFACES["l2"].lrs["SGD"]
    widget.state = {**widget.result["state"], "steps": 0}
    assert "steps must be" in widget.result["error"]


def test_saved_page_is_one_self_contained_file(tmp_path):
    path = viz.playground("saddle", ["SGD"], steps=20).save(tmp_path / "play.html")
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text.replace("http://www.w3.org/", "")
    assert "https://" not in text and "<script src" not in text
    assert not (tmp_path / "play.html.tmp").exists()


# In the browser

POINTS = "(r) => JSON.parse(document.querySelector(`polyline[data-runner='${r}']`).dataset.points)"
# The polyline's own pixel coordinates mapped back through the plot's frame and box.
DRAWN = """(r) => {
    const svg = document.querySelector('svg.mgp-contour');
    const [x0, x1, y0, y1] = JSON.parse(svg.dataset.box);
    const [l, r_, b, t] = JSON.parse(svg.dataset.frame);
    const line = document.querySelector(`polyline[data-runner='${r}']`);
    return line.getAttribute('points').trim().split(' ').map(p => p.split(',').map(Number))
        .map(([px, py]) => [x0 + (px - l) / (r_ - l) * (x1 - x0),
                            y0 + (b - py) / (b - t) * (y1 - y0)]);
}"""


def assert_drawn(page, runner, expected, box):
    # the saved page keeps 6 significant digits
    np.testing.assert_allclose(page.evaluate(POINTS, runner), expected, rtol=1e-5, atol=1e-12)
    drawn = np.array(page.evaluate(DRAWN, runner))
    span = np.array([box[1] - box[0], box[3] - box[2]])
    clipped = np.abs(expected).max(axis=1) < 10 * span.max()  # far points: pixels overflow
    assert np.all(np.abs(drawn - expected)[clipped] <= span * 1e-3)


def press(page, selector, key, times=1):
    page.focus(selector)
    for _ in range(times):
        page.keyboard.press(key)


@pytest.fixture
def saved(tmp_path, open_page):
    pg = viz.playground("bowl", ["SGD", {"optimizer": "Adam", "lr": 0.5}, "LBFGS"], steps=60)
    path = pg.save(tmp_path / "bowl.html", surfaces=["bowl", "rosenbrock"])
    page = open_page(path.as_uri(), width=1000, height=1150)
    page.wait_for_selector("polyline.mgp-path")
    return pg, page, tmp_path


def test_saved_page_draws_minigrads_paths_and_sliders_move_them(saved):
    pg, page, out = saved
    s = pg.surface
    page.screenshot(path=out / "playground_start.png")
    for i, path in enumerate(pg.paths()):
        assert_drawn(page, i, path.points, s.box)
    sgd_lr = "fieldset[data-runner='0'] input[name='lr']"
    press(page, sgd_lr, "ArrowLeft", 2)  # two grid values down: lr 0.4 / 4
    shown = float(page.inner_text("fieldset[data-runner='0'] output"))
    assert shown == 0.1
    expected = by_hand(s, lambda p: optim.SGD(p, lr=0.1), s.start, 60)
    assert_drawn(page, 0, expected, s.box)
    press(page, "fieldset[data-runner='0'] input[name='momentum']", "ArrowRight", 2)
    expected = by_hand(s, lambda p: optim.SGD(p, lr=0.1, momentum=0.9), s.start, 60)
    assert_drawn(page, 0, expected, s.box)
    press(page, "fieldset[data-runner='1'] input[name='beta1']", "Home")
    expected = by_hand(s, lambda p: optim.Adam(p, lr=0.5, betas=(0.0, 0.999)), s.start, 60)
    assert_drawn(page, 1, expected, s.box)
    assert "SGD lr 0.1, momentum 0.9: loss" in page.inner_text("fieldset[data-runner='0']")
    page.screenshot(path=out / "playground_moved.png")
    print(f"screenshots: {out / 'playground_start.png'}, {out / 'playground_moved.png'}")
    assert page.problems == []


def test_saved_page_switches_surface_and_shows_both_gradients(saved):
    pg, page, out = saved
    page.select_option("select[name='surface']", "rosenbrock")
    rosen = surfaces.SURFACES["rosenbrock"]
    lr = rosen.lrs["SGD"]
    expected = by_hand(rosen, lambda p: optim.SGD(p, lr=lr), rosen.start, 60)
    assert_drawn(page, 0, expected, rosen.box)
    assert page.inner_text(".mgp-text") == rosen.text
    cells = page.locator("table.mgp-grad tr").all_inner_texts()
    g = gradients(rosen, rosen.start)
    analytic = [float(v) for v in cells[1].split("\t")[1:]]
    numerical = [float(v) for v in cells[2].split("\t")[1:]]
    np.testing.assert_allclose(analytic, g["analytic"], rtol=1e-6)
    np.testing.assert_allclose(numerical, g["numerical"], rtol=1e-6)
    page.screenshot(path=out / "playground_rosenbrock.png")
    assert page.problems == []


def test_the_docs_example_saves_the_page_it_describes(tmp_path, monkeypatch):
    examples = Path(__file__).resolve().parent.parent / "examples"
    monkeypatch.syspath_prepend(str(examples))
    spec = importlib.util.spec_from_file_location(
        "optimizer_playground", examples / "optimizer_playground.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--quick", "--no-show", "--out", str(tmp_path)])
    text = result["page"].read_text()
    data = json.loads(text.split('id="playground-data">')[1].split("</script>")[0])
    assert sorted(data["surfaces"]) == ["bowl", "cliff"]
    grid = data["surfaces"]["bowl"]["grids"][0]  # SGD: 7 rates x 4 momenta
    assert len(grid["lrs"]) == 7 and grid["knobs"] == [0.0, 0.5, 0.9, 0.99]
    assert len(grid["runs"]) == 7 and len(grid["runs"][0]) == 4
