import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="graphviz's `dot` binary is not installed (apt-get install graphviz); "
    ".ci/run installs it, so these run in CI",
)


def _mlp_loss(seed=0):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
    x = mg.tensor(rng.normal(size=(5, 4)).astype(np.float32))
    loss = F.cross_entropy(model(x), np.array([0, 1, 2, 0, 1]))
    return model, x, loss


def _node_line(dot, text):
    """The one node statement whose label contains `text`."""
    lines = [ln for ln in dot.splitlines() if "label=<" in ln and text in ln and "->" not in ln]
    assert len(lines) == 1, (text, lines)
    return lines[0]


def _norm(t):
    return f"grad norm {np.linalg.norm(t.astype(np.float64)):.3g}"


def test_to_dot_has_one_node_per_op_with_name_shape_and_dtype():
    model, x, loss = _mlp_loss()
    dot = viz.to_dot(loss, params=dict(model.named_parameters()))
    assert dot.startswith("digraph minigrad {") and dot.rstrip().endswith("}")
    assert dot.count("<B>linear</B>") == 2
    assert "<B>relu</B><BR/>(5, 8) float32" in dot
    assert "<B>cross_entropy</B><BR/>() float32" in dot
    for name, shape in [("0.weight", "(8, 4)"), ("0.bias", "(8,)"), ("2.weight", "(3, 8)")]:
        assert f"<B>{name}</B><BR/>{shape} float32" in dot
    assert len(re.findall(r"^\s+n\d+ \[", dot, re.M)) == 9
    assert dot.count("->") == 8


def test_leaves_are_told_apart_parameters_data_and_named_tensors():
    w = mg.tensor(np.ones(3), requires_grad=True)
    c = mg.tensor(np.full(3, 2.0))
    dot = viz.to_dot((w * c).sum())
    assert "<B>parameter</B>" in _node_line(dot, "<B>parameter</B>")
    data = _node_line(dot, "<B>data</B>")
    assert "dashed" in data
    assert re.search(r'n1 -> n2 \[style="dashed"', dot)  # no gradient flows into it
    assert "name it with params={&quot;w&quot;: w}" in dot  # the drawing says how to name w
    named = viz.to_dot((w * c).sum(), params={"w": w, "c": c})
    assert "<B>w</B>" in named and "<B>c (data)</B>" in named
    assert "name it with" not in named


def test_a_models_parameters_are_named_without_params():
    model, x, loss = _mlp_loss()
    dot = viz.to_dot(loss)
    assert dot == viz.to_dot(loss, params=model)
    for name, p in model.named_parameters():
        assert f"<B>{name}</B><BR/>{_shape(p.shape)} float32" in dot
    assert "<B>data</B><BR/>(5, 4) float32" in dot  # the input batch
    assert "parameter" not in dot and "input" not in dot


def test_parameters_are_named_from_the_outermost_model_and_params_wins():
    inner = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh())

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = inner
            self.head = nn.Linear(3, 1, rng=1)

        def forward(self, x):
            return self.head(self.body(x))

    net = Net()
    loss = net(mg.ones((4, 2))).sum()
    dot = viz.to_dot(loss, show_grad=False)
    for name in ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]:
        assert f"<B>{name}</B>" in dot
    own = viz.to_dot(loss, params={"W1": inner[0].weight}, show_grad=False)
    assert "<B>W1</B>" in own and "<B>head.weight</B>" in own
    assert "body.0.weight" not in own


def test_a_model_that_is_gone_leaves_its_parameters_unnamed():
    layer = nn.Linear(2, 1, rng=0)
    w = layer.weight
    del layer  # w lives on, the model that named it does not
    dot = viz.to_dot((w * 2).sum(), show_grad=False)
    assert "<B>parameter</B>" in dot


def _shape(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def test_params_may_be_a_module_or_name_tensor_pairs():
    model, _, loss = _mlp_loss()
    by_dict = viz.to_dot(loss, params=dict(model.named_parameters()))
    assert viz.to_dot(loss, params=model) == by_dict
    assert viz.to_dot(loss, params=list(model.named_parameters())) == by_dict


def test_gradient_norms_after_retained_backward():
    model, _, loss = _mlp_loss()
    loss.backward(retain_graph=True)
    dot = viz.to_dot(loss, params=model)
    for name, p in model.named_parameters():
        assert _norm(p.grad.data) in _node_line(dot, f"<B>{name}</B>")
    # the intermediate's norm equals what retain_grad would have kept
    model2, x2, _ = _mlp_loss()
    h = model2[1](model2[0](x2)).retain_grad()
    F.cross_entropy(model2[2](h), np.array([0, 1, 2, 0, 1])).backward()
    assert _norm(h.grad.data) in _node_line(dot, "<B>relu</B>")
    assert "grad norm 1</I>" in _node_line(dot, "cross_entropy")


def test_fresh_graph_shows_gradients_without_setting_grad_or_freeing_it():
    model, _, loss = _mlp_loss()
    dot = viz.to_dot(loss, params=model)
    assert all(p.grad is None for p in model.parameters())
    loss.backward()  # the graph is still whole
    for name, p in model.named_parameters():
        assert _norm(p.grad.data) in _node_line(dot, f"<B>{name}</B>")


def test_drawing_changes_neither_the_graph_nor_its_grads():
    model, _, loss = _mlp_loss()
    loss.backward(retain_graph=True)
    nodes = viz.graph_nodes(loss)
    before = [(t.grad, None if t.grad is None else t.grad.data.copy(), t._parents) for t in nodes]
    dot = viz.to_dot(loss, params=model, show_data=True)
    viz.draw_graph(loss, params=model)
    after = [(t.grad, t._parents) for t in nodes]
    assert [(g, p) for g, _, p in before] == after
    for (g, data, _), t in zip(before, nodes):
        assert g is None or np.array_equal(t.grad.data, data)
    assert viz.to_dot(loss, params=model, show_data=True) == dot
    loss.backward()  # still backpropagatable: nothing was released


def test_a_graph_freed_by_backward_says_how_to_keep_it():
    _, _, loss = _mlp_loss()
    loss.backward()
    dot = viz.to_dot(loss)
    assert "retain_graph=True" in dot and dot.count("->") == 0


def test_show_data_gives_values_or_summary_statistics():
    a = mg.tensor([1.5, -2.0], dtype=np.float64, requires_grad=True)
    b = mg.tensor(np.arange(10.0), requires_grad=True)
    dot = viz.to_dot((a.sum() + b.sum()), show_data=True)
    assert "[1.5, -2]" in dot
    assert "mean 4.5 std 2.87<BR/>min 0 max 9" in dot
    assert "mean" not in viz.to_dot(a.sum() + b.sum())


def test_nan_and_inf_are_highlighted_in_values_and_gradients():
    x = mg.tensor([-1.0, 0.0, 4.0], dtype=np.float64, requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = mg.sqrt(x)
        dot = viz.to_dot(y.sum(), show_data=True)
    sqrt_node = _node_line(dot, "<B>sqrt</B>")
    assert '<FONT COLOR="#b00000"><B>[nan, 0, 2]</B></FONT>' in sqrt_node
    assert 'fillcolor="#f4a3a3"' in sqrt_node
    leaf = _node_line(dot, "<B>parameter</B>")
    assert "grad norm nan (1 NaN, 1 inf)" in leaf and 'fillcolor="#f4a3a3"' in leaf
    assert 'fillcolor="#f4a3a3"' not in viz.to_dot(mg.sqrt(x + 2.0).sum(), show_data=True)
    big = mg.tensor([np.nan, np.inf, 1.0, 2.0, 3.0], dtype=np.float64)
    big_dot = viz.to_dot(big, show_data=True)
    assert "mean 2 std 0.816</B></FONT><BR/>" in big_dot and "1 NaN, 1 inf" in big_dot
    assert "value 3</I>" not in big_dot and "value 7" in viz.to_dot(mg.tensor(7.0), show_data=True)


def test_vanishing_gradients_are_highlighted_below_the_threshold():
    x = mg.tensor([30.0, 40.0], dtype=np.float64, requires_grad=True)
    dot = viz.to_dot(mg.sigmoid(x).sum())
    leaf = _node_line(dot, "<B>parameter</B>")
    assert 'fillcolor="#ffd98a"' in leaf  # sigmoid'(30) ~ 1e-13
    assert "#ffd98a" not in _node_line(dot, "<B>sigmoid</B>")
    assert "below 1e-06 (vanishing)" in dot
    relaxed = viz.to_dot(mg.sigmoid(x).sum(), vanishing=1e-20)
    assert "#ffd98a" not in _node_line(relaxed, "<B>parameter</B>")


def test_broadcast_edges_name_the_summed_axes():
    a = mg.tensor(np.ones((3, 1)), requires_grad=True)
    b = mg.tensor(np.ones(4), requires_grad=True)
    dot = viz.to_dot((a * b).sum())
    assert re.search(r"n0 -> n2 \[label=\" grad summed over axis 1\"", dot)
    assert re.search(r"n1 -> n2 \[label=\" grad summed over axis 0\"", dot)
    assert "n2 -> n3;" in dot
    m = mg.tensor(np.ones((2, 3, 4)), requires_grad=True)
    w = mg.tensor(np.ones((4, 5)), requires_grad=True)
    dot = viz.to_dot((m @ w).sum())
    assert re.search(r"n1 -> n2 \[label=\" grad summed over axis 0\"", dot)
    assert dot.count("summed") == 1
    c = mg.tensor(np.ones((1, 1)), requires_grad=True)
    dot = viz.to_dot((mg.tensor(np.ones((2, 3, 4))) + c).sum())
    assert "grad summed over axes 0, 1, 2" in dot


def test_the_same_graph_draws_the_same_text_twice():
    model, _, loss = _mlp_loss()
    first = viz.to_dot(loss, params=model, show_data=True)
    assert viz.to_dot(loss, params=model, show_data=True) == first
    model2, _, loss2 = _mlp_loss()
    assert viz.to_dot(loss2, params=model2, show_data=True) == first


def test_labels_are_escaped():
    w = mg.tensor(np.ones(2), requires_grad=True)
    dot = viz.to_dot(w.sum(), params={'<b>&"w"\\': w})
    assert "<B>&lt;b&gt;&amp;&quot;w&quot;\\</B>" in dot
    assert '<b>&"w"' not in dot


def test_ten_thousand_node_graph_draws_without_recursion():
    x = mg.tensor(np.ones(2), dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    dot = viz.to_dot(y.sum())
    assert dot.count("->") == 10_001
    assert len(re.findall(r"^\s+n\d+ \[", dot, re.M)) == 10_002
    assert dot.count("grad norm 1.41") == 10_001  # every node but the root, by mg.grad


def test_draw_graph_needs_the_graphviz_package_and_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    _, _, loss = _mlp_loss()
    assert "digraph" in viz.to_dot(loss)
    with pytest.raises(ImportError, match="pip install graphviz"):
        viz.draw_graph(loss)


def test_draw_graph_builds_a_digraph_with_the_same_nodes():
    graphviz = pytest.importorskip("graphviz")
    model, _, loss = _mlp_loss()
    g = viz.draw_graph(loss, params=model)
    assert isinstance(g, graphviz.Digraph)
    assert "<B>0.weight</B>" in g.source and g.source.count("->") == 8


@needs_dot
def test_render_writes_svg_and_png(tmp_path):
    pytest.importorskip("graphviz")
    model, _, loss = _mlp_loss()
    loss.backward(retain_graph=True)
    svg = viz.render(viz.draw_graph(loss, params=model), tmp_path / "g.svg")
    text = svg.read_text()
    assert "<svg" in text and "0.weight" in text and "cross_entropy" in text
    png = viz.render(loss, tmp_path / "g.png", params=model, show_data=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_dot_parses_escaped_labels(tmp_path):
    pytest.importorskip("graphviz")
    w = mg.tensor(np.ones(2), requires_grad=True)
    out = viz.render(w.sum(), tmp_path / "e.svg", params={'<b>&"w"\\': w})
    assert "&lt;b&gt;&amp;&quot;w&quot;\\" in out.read_text()


def test_render_without_dot_says_how_to_install_it(monkeypatch, tmp_path):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` on PATH
    w = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(viz.DotNotFoundError, match="apt-get install graphviz") as info:
        viz.render(w.sum(), tmp_path / "g.svg")
    assert "brew install graphviz" in str(info.value)
    assert not (tmp_path / "g.svg").exists()


@needs_dot
def test_example_draws_the_mlp_loss_graph(tmp_path, capsys):
    pytest.importorskip("graphviz")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
    try:
        import draw_graph
    finally:
        sys.path.pop(0)
    result = draw_graph.main(["--out", str(tmp_path)])
    svg, png = result["paths"]
    assert (
        svg.suffix == ".svg" and "0.weight" in svg.read_text() and "l2_penalty" in svg.read_text()
    )
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "12 nodes" in capsys.readouterr().out
