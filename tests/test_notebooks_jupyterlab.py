"""The tutorial notebooks as a learner sees them in JupyterLab: a real `jupyter lab` server on
localhost serving copies of the notebooks, each one opened in headless Chromium and run through
the UI (JupyterLab's own "run all cells" command, in quick mode), and its outputs checked in
the page, where they went through JupyterLab's renderers and HTML sanitizer: no errors, the
graph and figures drawn, the reports as tables, tqdm's widget, the explorer stepping inside
its output, and the optimizer playground's widgets rerunning minigrad's optimizers as their
controls move.

The server and its kernels are stopped at the end of the module. Skipped only when Chromium
is missing (the `chromium` fixture says so); CI installs it.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.viz.explorer import UNTRUSTED_NOTE
from minigrad.viz.surfaces import SURFACES

NOTEBOOKS = sorted(
    (Path(__file__).resolve().parent.parent / "examples" / "notebooks").glob("*.ipynb")
)
UNRUN = "unrun_01_autodiff.ipynb"  # a copy opened as saved, never run: untrusted output
START_TIMEOUT = 60  # seconds for the server to write its address
RUN_TIMEOUT_MS = 120_000  # for one notebook to run through (quick mode takes a few seconds)

# The notebook panel showing `path` (JupyterLab exposes its app with expose_app_in_browser).
PANEL = """path => [...window.jupyterapp.shell.widgets('main')]
    .find(w => w.context && w.context.path === path)"""
OPEN = f"""async paths => {{
    const app = window.jupyterapp;
    await app.started;
    await app.restored;
    window.minigradPanel = {PANEL};
    for (const path of paths) {{  // one kernel starting at a time: jupyter_server answers a
        // kernel list asked for while another kernel starts with a 500 (no last_activity yet)
        await app.commands.execute('docmanager:open', {{path}});
        await window.minigradPanel(path).sessionContext.ready;
    }}
}}"""
# Start "Run All Cells" on the notebook (made current), noting every element class that
# appears meanwhile: tqdm's bar closes itself when its epoch ends (leave=False).
RUN_ALL = """path => {
    const panel = window.minigradPanel(path);
    window.jupyterapp.shell.activateById(panel.id);
    window.minigradSeen = new Set();
    new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {
        if (n.getAttribute) window.minigradSeen.add(String(n.getAttribute('class')));
    }))).observe(panel.node, {subtree: true, childList: true});
    window.minigradRan = false;  // the command's promise settles once every cell has run
    window.jupyterapp.commands.execute('notebook:run-all-cells', {widgetId: panel.id})
        .finally(() => { window.minigradRan = true; });
}"""
FINISHED = """path => window.minigradRan
    && window.minigradPanel(path).sessionContext.session.kernel.status === 'idle'"""
# Each code cell's execution count, and whether its outputs are trusted: a saved notebook's
# are not, until the cell runs in this session (then scripts and SVG show).
RUN_STATE = """path => [...window.minigradPanel(path).content.model.cells]
    .filter(c => c.type === 'code').map(c => [c.executionCount, c.trusted])"""
# What each code cell put out, from the notebook model: [output_type, name or ename, text]
OUTPUTS = """path => [...window.minigradPanel(path).content.model.cells]
    .filter(c => c.type === 'code')
    .map(c => c.outputs.toJSON().map(o => [
        o.output_type,
        o.name || o.ename || '',
        [].concat(o.text || o.evalue || (o.data && o.data['text/plain']) || '').join(''),
    ]))"""


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory):
    """The base URL of a `jupyter lab` server (no token, no browser, its own config and
    data folders) whose root holds copies of the notebooks; kernels run in quick mode."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "notebooks"
    root.mkdir()
    for path in NOTEBOOKS:
        shutil.copy(path, root)
    shutil.copy(NOTEBOOKS[0], root / UNRUN)
    runtime = home / "runtime"
    env = dict(
        os.environ,
        MINIGRAD_QUICK="1",
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(runtime),
        IPYTHONDIR=str(home / "ipython"),
    )
    command = [
        *(sys.executable, "-m", "jupyterlab", "--no-browser"),
        *("--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.allow_root=True"),
        *("--IdentityProvider.token=", f"--ServerApp.root_dir={root}"),
        *("--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None"),
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    log = home / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield _server_url(server, runtime, log)
    finally:
        server.terminate()  # the server shuts its kernels down first
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _server_url(server, runtime, log):
    """The URL from the server's info file (written once it listens; port 0 picks a free one)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()}")
        for info in runtime.glob(f"jpserver-{server.pid}.json"):
            return json.loads(info.read_text())["url"]
        time.sleep(0.1)
    pytest.fail(f"jupyter lab did not start within {START_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def notebooks(lab, open_module_page):
    """The JupyterLab page with every notebook run through its UI, one after the other, and
    the copy `UNRUN` only opened. Returns `(page, seen)`: `seen[name]` holds the
    classes of the elements that appeared while that notebook ran."""
    page = open_module_page(lab + "lab?reset")
    page.wait_for_function("() => window.jupyterapp !== undefined")
    names = [p.name for p in NOTEBOOKS]
    page.evaluate(OPEN, [*names, UNRUN])
    seen = {}
    for name in names:
        page.evaluate(RUN_ALL, name)
        page.wait_for_function(FINISHED, arg=name, timeout=RUN_TIMEOUT_MS, polling=200)
        seen[name] = set(" ".join(page.evaluate("() => [...window.minigradSeen]")).split())
    return page, seen


def _panel(page, name):
    """The notebook's panel made current (only the current one is visible), as a locator."""
    panel_id = page.evaluate(
        "p => { const w = window.minigradPanel(p); "
        "window.jupyterapp.shell.activateById(w.id); return w.id; }",
        name,
    )
    return page.locator(f"[id='{panel_id}']")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_cell_runs_in_jupyterlab_with_no_error_or_stderr(notebooks, path):
    page, _ = notebooks
    counts, trusted = zip(*page.evaluate(RUN_STATE, path.name))
    assert counts == tuple(range(1, len(counts) + 1))  # every cell, once, in order
    assert all(trusted)  # run here, not the outputs saved in the file
    outputs = [o for cell in page.evaluate(OUTPUTS, path.name) for o in cell]
    assert [o for o in outputs if o[0] == "error" or o[1] == "stderr"] == []
    panel = _panel(page, path.name)
    assert panel.locator(".jp-InputPrompt", has_text="[*]").count() == 0
    assert panel.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0


def test_graph_drawing_shows_as_an_svg_image(notebooks):
    page, _ = notebooks
    svgs = _panel(page, "01_autodiff.ipynb").locator(".jp-RenderedSVG.jp-mod-trusted img")
    assert svgs.count() == 1
    loaded = svgs.evaluate("img => img.complete && img.naturalWidth > 100 && img.naturalHeight")
    assert loaded
    assert svgs.get_attribute("src").startswith("data:image/svg+xml,")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_matplotlib_figures_show_as_images(notebooks, path):
    page, _ = notebooks
    figures = _panel(page, path.name).locator(".jp-RenderedImage.jp-mod-trusted img")
    assert figures.count() >= 1
    sizes = figures.evaluate_all("imgs => imgs.map(i => i.complete && i.naturalWidth)")
    assert all(width > 100 for width in sizes)


def test_gradient_check_reports_show_as_tables_with_coloured_verdicts(notebooks):
    page, _ = notebooks
    tables = _panel(page, "02_gradient_checking.ipynb").locator(".jp-RenderedHTML table")
    verdicts = tables.evaluate_all(
        """tables => tables.filter(t => t.tHead.textContent.includes('verdict')).map(t => {
            const column = [...t.tHead.rows[0].cells].findIndex(c => c.textContent === 'verdict');
            return [...t.tBodies[0].rows].map(r => {
                const cell = r.cells[column];
                return [cell.textContent, getComputedStyle(cell).backgroundColor];
            });
        })"""
    )
    assert len(verdicts) == 3  # the correct net, the wrong softplus, the fixed one
    colours = {}
    for text, colour in (cell for table in verdicts for cell in table):
        colours.setdefault(text, set()).add(colour)
    assert {"good", "wrong"} <= set(colours)
    assert all(len(c) == 1 and "rgba(0, 0, 0, 0)" not in c for c in colours.values())
    assert colours["good"] != colours["wrong"]
    assert {text for text, _ in verdicts[1]} >= {"wrong"}  # the bug is found
    assert {text for text, _ in verdicts[2]} <= {"good", "ok for kinks"}  # and then gone


def test_model_summary_shows_as_a_table(notebooks):
    page, _ = notebooks
    html = _panel(page, "03_training.ipynb").locator(".jp-RenderedHTML")
    summary = html.filter(has_text="output shape").filter(has_text="parameters")
    assert summary.count() == 1
    head = summary.locator("thead th").all_text_contents()
    assert head == ["layer", "type", "output shape", "params"]
    assert summary.locator("tbody tr").count() >= 3  # Linear, ReLU, Linear, ...


def test_training_progress_shows_as_tqdms_widget(notebooks):
    _, seen = notebooks
    assert {"jupyter-widgets", "widget-hprogress"} <= seen["03_training.ipynb"]


EXPLORER = ".jp-RenderedHTML.jp-mod-trusted iframe"
CURRENT = "#graph g.node.current"


def test_explorer_steps_through_the_backward_pass_inside_its_output(notebooks):
    page, _ = notebooks
    iframes = _panel(page, "01_autodiff.ipynb").locator(EXPLORER)
    assert iframes.count() == 3
    iframes.first.scroll_into_view_if_needed()
    box = iframes.first.bounding_box()
    assert box["width"] > 600 and box["height"] > 500  # sized by the output, not collapsed
    frame = iframes.first.content_frame
    for control in ("#first", "#back", "#play", "#forward", "#last", "#jump"):
        assert frame.locator(control).is_visible()
    total = int(frame.locator("#counter").inner_text().split()[-1])
    assert frame.locator(CURRENT).count() == 0
    walk = []
    for step in range(1, total + 1):
        frame.locator("#forward").click()
        assert frame.locator("#counter").inner_text() == f"step {step} of {total}"
        walk.append(frame.locator(CURRENT).get_attribute("id"))
    assert len(set(walk)) == total  # a new node at every step
    assert frame.locator("#forward").is_disabled()
    leaves = frame.locator("table.leaves tr.ready").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    # the next cell runs L.backward() and shows {name: t.grad.item()}: the same numbers
    grads = next(
        o[2]
        for cell in page.evaluate(OUTPUTS, "01_autodiff.ipynb")
        for o in cell
        if o[2].startswith("{'a': ")
    )
    shown = {name: float(value.split()[-1]) for name, value in leaves}
    assert shown == ast.literal_eval(grads)
    frame.locator("#back").click()
    assert frame.locator(CURRENT).get_attribute("id") == walk[-2]


def test_explorer_colours_the_wrong_backward_inside_its_output(notebooks):
    page, _ = notebooks
    iframes = _panel(page, "02_gradient_checking.ipynb").locator(EXPLORER)
    assert iframes.count() == 1
    frame = iframes.first.content_frame
    wrong = frame.locator("#graph g.node.wrong")
    assert wrong.count() == 1
    assert "softplus" in wrong.text_content()


def test_a_saved_notebook_not_yet_run_says_to_run_the_explorers_cell(notebooks):
    page, _ = notebooks
    assert not any(trusted for _, trusted in page.evaluate(RUN_STATE, UNRUN))
    panel = _panel(page, UNRUN)
    assert panel.locator("iframe").count() == 0  # untrusted: JupyterLab drops the iframes
    notes = panel.locator(".jp-RenderedHTML", has_text=UNTRUSTED_NOTE)
    assert notes.count() == 3


PLAYGROUNDS = "04_optimizers.ipynb"
PLAYGROUND = ".jp-OutputArea-output .mgp"


def test_playground_widgets_draw_surfaces_paths_and_controls(notebooks):
    page, _ = notebooks
    widgets = _panel(page, PLAYGROUNDS).locator(PLAYGROUND)
    assert widgets.count() == 6  # one per surface section
    first = widgets.first
    first.scroll_into_view_if_needed()
    assert first.locator("svg.mgp-contour").bounding_box()["width"] > 400
    assert first.locator("path.mgp-level").count() >= 10
    assert first.locator("polyline.mgp-path").count() == 3
    assert first.locator("fieldset.mgp-runner").count() == 3
    assert first.locator("table.mgp-grad tr").count() == 4  # analytic, numerical, error


def _sgd_path(lr, steps, surface="bowl", start=None):
    """SGD from the surface's start, written out: the path the playground must draw."""
    f = SURFACES[surface]
    w = mg.tensor(np.array(start or f.start, dtype=np.float64), requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    points = [w.data.copy()]
    for _ in range(steps):
        opt.zero_grad()
        f.f(w[0], w[1]).backward()
        opt.step()
        points.append(w.data.copy())
    return np.array(points)


def _wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)  # the kernel reruns the optimizers and sends the new paths
    assert condition()


def _drawn(widget, runner):
    line = widget.locator(f"polyline.mgp-path[data-runner='{runner}']")
    return np.array(json.loads(line.get_attribute("data-points")))


def test_moving_a_playground_slider_reruns_minigrads_optimizer(notebooks, tmp_path):
    page, _ = notebooks
    widget = _panel(page, PLAYGROUNDS).locator(PLAYGROUND).first
    widget.scroll_into_view_if_needed()
    widget.locator(".mgp-main").screenshot(path=tmp_path / "playground_in_jupyterlab.png")
    np.testing.assert_array_equal(_drawn(widget, 0), _sgd_path(SURFACES["bowl"].lrs["SGD"], 100))
    runner = widget.locator("fieldset[data-runner='0']")
    slider = runner.locator("input[name='lr']")  # log10(lr) from -4 to 1
    box = slider.bounding_box()
    slider.click(position={"x": 0.55 * box["width"], "y": box["height"] / 2})
    lr = float(runner.locator("label", has_text="lr").locator("output").inner_text())
    assert 0.01 < lr < 0.3
    status = runner.locator(".mgp-status")
    _wait_for(lambda: f"SGD lr {lr:g}:" in status.inner_text())
    expected = _sgd_path(lr, 100)
    np.testing.assert_array_equal(_drawn(widget, 0), expected)
    # and the line on the screen is at those points: its pixels mapped back through the axes
    svg = widget.locator("svg.mgp-contour")
    x0, x1, y0, y1 = json.loads(svg.get_attribute("data-box"))
    left, right, bottom, top = json.loads(svg.get_attribute("data-frame"))
    drawn = widget.locator("polyline.mgp-path[data-runner='0']").get_attribute("points")
    px, py = np.array([p.split(",") for p in drawn.split()], dtype=float).T
    x = x0 + (px - left) / (right - left) * (x1 - x0)
    y = y0 + (bottom - py) / (bottom - top) * (y1 - y0)
    np.testing.assert_allclose(x, expected[:, 0], atol=1e-3 * (x1 - x0))
    np.testing.assert_allclose(y, expected[:, 1], atol=1e-3 * (y1 - y0))
    widget.locator(".mgp-main").screenshot(path=tmp_path / "playground_in_jupyterlab_moved.png")
    print(f"screenshots in {tmp_path}")


def test_playground_widget_switches_surface_and_starts_where_clicked(notebooks):
    page, _ = notebooks
    widget = _panel(page, PLAYGROUNDS).locator(PLAYGROUND).nth(4)  # the L1 section's
    widget.scroll_into_view_if_needed()
    widget.locator("select[name='surface']").select_option("l2")
    text = widget.locator(".mgp-text")
    _wait_for(lambda: text.inner_text() == SURFACES["l2"].text)
    lr = SURFACES["l2"].lrs["SGD"]
    np.testing.assert_array_equal(_drawn(widget, 0), _sgd_path(lr, 200, "l2"))
    svg = widget.locator("svg.mgp-contour")
    x0, x1, y0, y1 = json.loads(svg.get_attribute("data-box"))
    box = svg.bounding_box()
    svg.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.3})
    _wait_for(lambda: _drawn(widget, 0)[0, 0] < 1.5)  # the start was at x = 2
    start = tuple(_drawn(widget, 0)[0])
    assert x0 < start[0] < x1 and y0 < start[1] < y1
    np.testing.assert_array_equal(_drawn(widget, 0), _sgd_path(lr, 200, "l2", start))
    shown = widget.locator("input[name='start_x'] + output").inner_text()
    assert float(shown) == pytest.approx(start[0], rel=1e-2)


def test_jupyterlab_and_the_explorers_log_no_error_and_fetch_nothing_outside(notebooks):
    page, _ = notebooks  # after the tests above stepped through the explorers
    assert page.problems == []
