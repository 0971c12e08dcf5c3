"""minigrad.nn.summary: output shapes and parameter counts per layer, totals, a table that
prints and displays as HTML, and a model left exactly as it was."""

import doctest

import numpy as np

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn import model_summary


def mlp():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(48, 16, bias=False),
        nn.BatchNorm1d(16),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(16, 3),
    )


def test_summary_gives_each_layers_output_shape_and_parameter_count():
    s = nn.summary(mlp(), (3, 4, 4))
    assert s.input_shape == ("N", 3, 4, 4)
    assert [(layer.name, layer.kind) for layer in s.layers][:2] == [
        ("0", "Flatten"),
        ("1", "Linear"),
    ]
    assert [layer.output_shape for layer in s.layers] == [("N", 48)] + [("N", 16)] * 4 + [("N", 3)]
    assert [layer.params for layer in s.layers] == [0, 768, 32, 0, 0, 51]
    assert (s.total_params, s.trainable_params, s.buffer_values) == (851, 851, 33)


def test_summary_counts_nested_modules_once_in_the_total():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(4, 4)
            self.skip = nn.Identity()

        def forward(self, x):
            return self.inner(x) + self.skip(x)

    shared = nn.Linear(4, 4)
    model = nn.Sequential(Block(), shared, shared)
    s = nn.summary(model, (4,))
    by_name = {layer.name: layer for layer in s.layers}
    assert by_name["0"].params == by_name["0.inner"].params == 20
    assert by_name["0.skip"].output_shape == ("N", 4)
    assert s.total_params == 40


def test_summary_prints_a_table_and_renders_html():
    s = nn.summary(mlp(), (48,))
    text = str(s)
    assert text.splitlines()[0].split() == ["layer", "type", "output", "shape", "params"]
    assert "1      Linear       (N, 16)" in text and text.endswith("33 in buffers")
    assert repr(s) == text
    html = s._repr_html_()
    assert html.startswith("<table>") and "<td>BatchNorm1d</td>" in html and "851" in html


def test_summary_leaves_the_model_its_mode_forward_and_weights():
    model = mlp()
    before = model.state_dict()
    nn.summary(model, (48,))
    assert model.training and "forward" not in model[1].__dict__
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert model(mg.zeros(2, 48)).shape == (2, 3)


def test_the_docstring_example_is_what_summary_prints():
    failures, tried = doctest.testmod(model_summary)
    assert tried and not failures
