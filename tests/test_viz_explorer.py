"""The backward-pass explorer: its trace data, and its page driven in headless Chromium
(stepping follows the engine's order, leaf gradients equal .grad, a wrong op is coloured)."""

import shutil

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.autograd import trace_backward
from minigrad.tensor import record

pytest.importorskip("graphviz")
pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="graphviz's `dot` binary is not installed (apt-get install graphviz); CI installs it",
)


def two_layer_net(seed=0):
    """A 3-4-2 ReLU net on 5 examples: every leaf small enough to show all its entries."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))
    x = mg.tensor(rng.normal(size=(5, 3)).astype(np.float32))
    y = np.array([0, 1, 0, 1, 1])
    return model, x, y


def cube(x):
    """y = x**3; dy/dx = 3 x**2 (the backward below gets it wrong on purpose: 2 x**2)."""

    def backward(gy, x):
        return (gy * 2 * x * x,)

    return record(x.data**3, "cube", (x,), backward)


def node_ids(root):
    """tensor id -> the explorer's node id (graph order, as in the SVG)."""
    return {id(t): f"n{i}" for i, t in enumerate(viz.graph_nodes(root))}


def test_trace_lists_every_step_in_the_engines_order_and_changes_nothing():
    model, x, y = two_layer_net()
    loss = F.cross_entropy(model(x), y)
    expected = [node_ids(loss)[id(s.node)] for s in trace_backward(loss)]
    ex = viz.explore(loss, params=model)
    assert [s["node"] for s in ex.trace["steps"]] == expected
    assert all(p.grad is None for p in model.parameters())
    loss.backward()  # the graph is still there
    leaves = {n["id"]: n["title"] for n in ex.trace["nodes"] if n["kind"] == "param"}
    assert sorted(leaves[i] for i in ex.trace["leaves"]) == sorted(
        name for name, _ in model.named_parameters()
    )


def test_explore_of_a_models_output_names_its_parameters_and_data():
    model, x, y = two_layer_net()
    ex = viz.explore(F.cross_entropy(model(x), y))
    leaves = [(n["title"], n["kind"]) for n in ex.trace["nodes"] if n["kind"] != "op"]
    params = [(name, "param") for name, _ in model.named_parameters()]
    assert sorted(leaves) == sorted([("data", "data"), *params])
    assert ex.trace["note"] == ""


def test_explore_says_how_to_name_a_parameter_of_no_model():
    w = mg.tensor(np.ones(3), requires_grad=True)
    ex = viz.explore((w * w).sum())
    assert [n["title"] for n in ex.trace["nodes"] if n["kind"] == "param"] == ["parameter"]
    assert 'params={"w": w}' in ex.trace["note"]
    assert "params=" not in ex.svg  # said once, on the page, not in the drawing too
    named = viz.explore((w * w).sum(), params={"w": w})
    assert [n["title"] for n in named.trace["nodes"] if n["kind"] == "param"] == ["w"]
    assert named.trace["note"] == ""


def test_leaf_gradients_in_the_trace_equal_grad():
    model, x, y = two_layer_net()
    loss = F.cross_entropy(model(x), y)
    ex = viz.explore(loss, params=model)
    loss.backward()
    by_title = {n["id"]: n["title"] for n in ex.trace["nodes"]}
    params = dict(model.named_parameters())
    for step in ex.trace["steps"]:
        if step["node"] in ex.trace["leaves"]:
            grad = params[by_title[step["node"]]].grad.numpy()
            np.testing.assert_allclose(step["grad"]["values"], grad.reshape(-1), rtol=1e-6)


def test_broadcast_reduction_and_accumulation_are_shown():
    x = mg.tensor(np.ones((4, 3)), requires_grad=True)
    b = mg.tensor(np.arange(3.0), requires_grad=True)
    h = x + b  # b is stretched over 4 rows: its gradient is summed over axis 0
    loss = (h * h).sum()  # h feeds mul twice: the second contribution is added (+=)
    ex = viz.explore(loss, params={"x": x, "b": b})
    ids = node_ids(loss)
    sends = [(s["node"], send) for s in ex.trace["steps"] for send in s["sends"]]
    to_b = [send for _, send in sends if send["parent"] == ids[id(b)]]
    assert to_b[0]["summed"] == [0] and to_b[0]["raw"]["shape"] == [4, 3]
    assert to_b[0]["grad"]["shape"] == [3]
    to_h = [send for _, send in sends if send["parent"] == ids[id(h)]]
    assert [send["accumulated"] for send in to_h] == [False, True]
    np.testing.assert_allclose(to_h[1]["total"]["values"], (2 * h.data).reshape(-1))


def test_each_op_node_shows_its_docstring_rule():
    model, x, y = two_layer_net()
    ex = viz.explore(F.cross_entropy(model(x), y), params=model)
    rules = {n["op"]: n["rule"] for n in ex.trace["nodes"] if n["kind"] == "op"}
    assert rules["relu"].startswith("y = max(x, 0); dy/dx = 1 where x > 0")
    assert "dx = dy @ W" in rules["linear"]
    assert "softmax(logits_i) - q_i" in rules["cross_entropy"]


def test_check_colours_only_the_wrong_custom_op():
    x = mg.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    ex = viz.explore(lambda: (cube(x) * 2.0).sum(), params={"x": x}, check=True)
    ids = {n["op"]: n["id"] for n in ex.trace["nodes"]}
    verdicts = {k: v["verdict"] for k, v in ex.trace["check"].items()}
    assert verdicts.pop(ids["cube"]) == "wrong"
    assert set(verdicts.values()) == {"good"}


def test_check_needs_the_function_and_a_repeatable_one():
    model, x, y = two_layer_net()
    with pytest.raises(ValueError, match="explore\\(fn, \\*inputs, check=True\\)"):
        viz.explore(F.cross_entropy(model(x), y), check=True)
    net = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Dropout(0.5))
    with pytest.raises(ValueError, match="deterministic"):
        viz.explore(lambda: net(x).sum(), check=True)


def test_explore_after_backward_freed_the_graph_says_so():
    model, x, y = two_layer_net()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        viz.explore(loss)


def test_saved_page_is_one_self_contained_file(tmp_path):
    model, x, y = two_layer_net()
    path = viz.explore(F.cross_entropy(model(x), y), params=model).save(tmp_path / "walk.html")
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    assert "http://" not in text.replace("http://www.w3.org/", "")
    assert "https://" not in text and "<script src" not in text
    assert not (tmp_path / "walk.html.tmp").exists()


# In the browser

CURRENT = "() => [...document.querySelectorAll('#graph g.node.current')].map(g => g.id)"
LEAF_CELLS = """() => Object.fromEntries(
    [...document.querySelectorAll('table.leaves > tbody > tr')].map(tr => [
        tr.dataset.node, [...tr.querySelectorAll('.matrix td')].map(td => td.textContent)
    ]))"""


@pytest.fixture
def net_page(tmp_path, open_page):
    model, x, y = two_layer_net()
    loss = F.cross_entropy(model(x), y)
    ex = viz.explore(loss)  # as a newcomer types it: the parameters are named all the same
    expected = [node_ids(loss)[id(s.node)] for s in trace_backward(loss)]
    page = open_page(ex.save(tmp_path / "walk.html").as_uri())
    return page, expected, model, loss, ex


def test_page_steps_forward_and_back_in_the_engines_order(net_page):
    page, expected, *_ = net_page
    assert page.evaluate(CURRENT) == []
    for node in expected:
        page.click("#forward")
        assert page.evaluate(CURRENT) == [node]
    assert page.is_disabled("#forward")
    assert page.inner_text("#counter") == f"step {len(expected)} of {len(expected)}"
    page.click("#back")
    assert page.evaluate(CURRENT) == [expected[-2]]
    page.keyboard.press("Home")
    assert page.evaluate(CURRENT) == []
    page.keyboard.press("ArrowRight")
    assert page.evaluate(CURRENT) == [expected[0]]
    assert page.problems == []


def test_page_shows_leaf_gradients_equal_to_grad(net_page):
    page, expected, model, loss, ex = net_page
    page.click("#last")
    cells = page.evaluate(LEAF_CELLS)
    loss.backward()
    titles = {n["id"]: n["title"] for n in ex.trace["nodes"]}
    params = dict(model.named_parameters())
    assert sorted(titles[i] for i in cells) == sorted(params)
    for node, shown in cells.items():
        grad = params[titles[node]].grad.numpy().reshape(-1)
        np.testing.assert_allclose([float(v) for v in shown], grad, rtol=1e-5, atol=1e-8)
    assert page.problems == []


def test_page_names_a_models_parameters_and_only_tells_how_when_needed(
    net_page, tmp_path, open_page
):
    page, expected, model, loss, ex = net_page
    page.click("#last")
    shown = page.inner_text("#leaves")
    assert all(name in shown for name, _ in model.named_parameters())
    assert page.inner_text("#names") == ""
    w = mg.tensor(np.ones(3), requires_grad=True)
    lone = open_page(viz.explore((w * w).sum()).save(tmp_path / "w.html").as_uri())
    assert 'name it with params={"w": w}' in lone.inner_text("#names")
    assert page.problems == [] and lone.problems == []


def test_page_jumps_to_a_node_and_plays(net_page):
    page, expected, *_ = net_page
    page.select_option("#jump", "3")
    assert page.evaluate(CURRENT) == [expected[2]]
    page.click(f"#graph g.node#{expected[4]}")
    assert page.evaluate(CURRENT) == [expected[4]]
    page.click("#play")
    page.wait_for_function(f"() => document.getElementById('jump').value === '{len(expected)}'")
    assert page.evaluate(CURRENT) == [expected[-1]]
    assert "play" in page.inner_text("#play")
    assert page.problems == []


def test_page_colours_a_wrong_backward(tmp_path, open_page):
    x = mg.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    ex = viz.explore(lambda: (cube(x) * 2.0).sum(), params={"x": x}, check=True)
    page = open_page(ex.save(tmp_path / "wrong.html").as_uri())
    cube_id = next(n["id"] for n in ex.trace["nodes"] if n["op"] == "cube")
    wrong = page.evaluate("() => [...document.querySelectorAll('g.node.wrong')].map(g => g.id)")
    assert wrong == [cube_id]
    page.click(f"#graph g.node#{cube_id}")
    assert "wrong" in page.inner_text("#step")
    assert "y = x**3; dy/dx = 3 x**2" in page.inner_text("#step")
    assert page.problems == []


def test_inline_display_runs_inside_its_iframe(open_page):
    model, x, y = two_layer_net()
    loss = F.cross_entropy(model(x), y)
    expected = [node_ids(loss)[id(s.node)] for s in trace_backward(loss)]
    page = open_page("about:blank")
    page.set_content(viz.explore(loss, params=model)._repr_html_())
    frame = page.frame_locator("iframe")
    frame.locator("#forward").click()
    frame.locator("#forward").click()
    current = frame.locator("#graph g.node.current")
    assert current.count() == 1 and current.get_attribute("id") == expected[1]
    assert page.problems == []
