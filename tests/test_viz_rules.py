"""The explorer's local rule of every node is the `dy/dx` text of its op's docstring."""

import numpy as np
import pytest
from op_table import OPS

import minigrad as mg
from minigrad.tensor import record
from minigrad.viz import graph_nodes, rules

CASES = [(spec, spec.shapes[0]) for spec in OPS]


@pytest.mark.parametrize(("spec", "shapes"), CASES, ids=[spec.name for spec in OPS])
def test_every_op_in_the_table_has_a_documented_rule(spec, shapes):
    arrays = spec.make_inputs(np.random.default_rng(0), shapes)
    out = spec.fn(*[mg.tensor(a, requires_grad=True) for a in arrays])
    for node in graph_nodes(out):
        if not node.is_leaf:
            fn = rules.op_function(node)
            assert fn is not None and rules.rule_of(fn), node.op


def test_the_rule_is_the_derivative_paragraph_of_the_docstring():
    x = mg.tensor(np.ones(3), requires_grad=True)
    assert rules.rule_of(rules.op_function(x.tanh())).startswith("y = tanh(x); dy/dx = 1 - y**2")
    assert rules.rule_of(rules.op_function(x * 3.0)) == "y = a * b; dy/da = b, dy/db = a."
    matrix = mg.tensor(np.ones((2, 3)), requires_grad=True)
    matmul = rules.rule_of(rules.op_function(matrix @ mg.tensor(np.ones((3, 2)))))
    assert "da = dy @ b.T, db = a.T @ dy" in matmul and "`" not in matmul


def softsign(x):
    """y = x / (1 + |x|); dy/dx = 1 / (1 + |x|)**2."""

    def backward(gy, x):
        return (gy / (1 + np.abs(x)) ** 2,)

    return record(x.data / (1 + np.abs(x.data)), "softsign", (x,), backward)


def test_a_custom_op_is_found_through_its_backward_closure():
    node = softsign(mg.tensor(np.ones(2), requires_grad=True))
    assert rules.op_function(node) is softsign
    assert rules.rule_of(softsign) == "y = x / (1 + |x|); dy/dx = 1 / (1 + |x|)**2."
    assert rules.summary_of(softsign) == rules.rule_of(softsign)


def test_an_op_without_a_documented_rule_has_none():
    def backward(gy, x):
        return (gy,)

    node = record(np.ones(2), "mystery", (mg.tensor(np.ones(2), requires_grad=True),), backward)
    assert rules.op_function(node) is None
    assert rules.op_function(mg.tensor(1.0)) is None  # a leaf
