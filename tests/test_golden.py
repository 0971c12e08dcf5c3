"""PyTorch parity without PyTorch: every op-table entry and edge point against PyTorch's
recorded answers (outputs, gradients, Hessian-vector products, in float64).

The answers live in `tests/golden/*.npz`, written by `python tests/golden/generate.py`
where PyTorch 2.13 is installed; layers and losses are compared in `test_golden_nn.py`,
optimizers and schedules in `test_golden_optim.py`. An op-table entry without a record
fails here, unless `golden/cases.py` says why PyTorch has no counterpart.
"""

import numpy as np
import pytest
from golden import cases, store
from op_table import FINITE_EDGES, INFINITE_EDGES, OPS

import minigrad as mg

RECORDS, META = store.read("ops")
CASES = [(spec, shapes) for spec in OPS for shapes in spec.shapes]
IDS = [f"{spec.name}-{'x'.join(map(str, shapes))}" for spec, shapes in CASES]
COMPARED = [(c, i) for c, i in zip(CASES, IDS) if c[0].name not in cases.NO_TORCH_COUNTERPART]
RTOL, ATOL = 1e-10, 1e-12

# Edge points where minigrad does not give PyTorch's answer yet, and why (strict expected
# failures: remove an entry once minigrad agrees).
KNOWN_DIFFERENCES = {}


def regenerate_hint():
    return (
        f"the golden files were made by PyTorch {META['torch']}; if the op table changed, "
        f"rerun `{META['command']}` where PyTorch is installed"
    )


def check_op(fn, record, rtol=RTOL, atol=ATOL, second_order=True):
    """Run `fn` on the recorded inputs; compare output, gradients and (where recorded and
    asked for) Hessian-vector products with PyTorch's."""
    n = sum(1 for k in record if k[0] == "x" and k[1:].isdigit())
    xs = [mg.tensor(record[f"x{i}"].copy(), requires_grad=True) for i in range(n)]
    out = fn(*xs)
    close = dict(rtol=rtol, atol=atol)
    np.testing.assert_allclose(out.data, record["out"], **close, err_msg="output")
    second = second_order and "h0" in record
    grads = mg.grad(out, xs, grad_outputs=record["gy"], create_graph=second)
    for i, g in enumerate(grads):
        got = np.zeros_like(record[f"x{i}"]) if g is None else g.data
        np.testing.assert_allclose(got, record[f"g{i}"], **close, err_msg=f"gradient of x{i}")
    if second:
        pairs = [(g, record[f"v{i}"]) for i, g in enumerate(grads) if g is not None]
        pairs = [(g, v) for g, v in pairs if g.requires_grad]
        hs = [None] * n
        if pairs:
            gs, vs = zip(*pairs)
            hs = mg.grad(list(gs), xs, grad_outputs=list(vs))
        for i, h in enumerate(hs):
            got = np.zeros_like(record[f"x{i}"]) if h is None else h.data
            np.testing.assert_allclose(got, record[f"h{i}"], **close, err_msg=f"d2 wrt x{i}")


@pytest.mark.parametrize(("case", "case_id"), COMPARED, ids=[i for _, i in COMPARED])
def test_op_matches_pytorch(case, case_id):
    spec, _ = case
    if case_id not in RECORDS:
        pytest.fail(f"no golden record for {case_id!r}: {regenerate_hint()}")
    check_op(spec.fn, RECORDS[case_id])


EDGES = [(e, False) for e in FINITE_EDGES] + [(e, True) for e in INFINITE_EDGES]
EDGE_PARAMS = [
    pytest.param(
        edge,
        infinite,
        id=edge.name,
        marks=[pytest.mark.xfail(reason=KNOWN_DIFFERENCES[edge.name], strict=True)]
        if edge.name in KNOWN_DIFFERENCES
        else [],
    )
    for edge, infinite in EDGES
]


@pytest.mark.parametrize(("edge", "infinite"), EDGE_PARAMS)
def test_edge_point_matches_pytorch(edge, infinite):
    record = RECORDS.get("edge: " + edge.name)
    if record is None:
        pytest.fail(f"no golden record for the edge point {edge.name!r}: {regenerate_hint()}")
    for i, x in enumerate(edge.inputs):
        np.testing.assert_array_equal(record[f"x{i}"], x, err_msg=regenerate_hint())
    # Where PyTorch's answer is infinite, NumPy warns of the division by zero that makes it.
    with np.errstate(divide="ignore" if infinite else "warn"):
        check_op(edge.fn, record, second_order=False)


def test_every_op_table_entry_has_a_golden_record_or_a_stated_reason():
    missing = [case_id for _, case_id in COMPARED if case_id not in RECORDS]
    assert not missing, (
        f"no PyTorch record for {missing}: give each a PyTorch counterpart in "
        "tests/golden/generate.py (torch_ops) and regenerate, or say in "
        f"tests/golden/cases.py (NO_TORCH_COUNTERPART) why there is none; {regenerate_hint()}"
    )


def test_golden_files_hold_no_stale_records():
    expected = {i for _, i in COMPARED} | {"edge: " + e.name for e, _ in EDGES}
    stale = sorted(set(RECORDS) - expected)
    assert not stale, f"records of cases that no longer exist: {stale}; {regenerate_hint()}"


def test_entries_without_counterpart_name_real_ops_or_modules():
    listed_ops = {n for n in cases.NO_TORCH_COUNTERPART if not n.startswith("nn.")}
    assert listed_ops <= {spec.name for spec in OPS}, listed_ops


def test_known_differences_name_edge_points():
    assert set(KNOWN_DIFFERENCES) <= {e.name for e, _ in EDGES}


def test_golden_files_stay_small():
    sizes = {s: store.path_of(s).stat().st_size for s in store.SECTIONS}
    assert sum(sizes.values()) < 3 * 2**20, sizes


def test_golden_files_come_from_pytorch_2_13():
    for section in store.SECTIONS:
        _, meta = store.read(section)
        assert meta["torch"].startswith("2.13."), (section, meta)
