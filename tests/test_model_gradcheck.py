import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.model_gradcheck import KinkCrossingWarning, check_model_gradients, verdict
from minigrad.tensor import record


def _two_layer_net():
    return nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))


def _batch(n=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 3, size=n)


def test_verdicts_follow_the_cs231n_thresholds():
    assert verdict(0.5) == verdict(2e-2) == verdict(float("nan")) == "wrong"
    assert verdict(1e-2) == verdict(1e-3) == "suspicious"
    assert verdict(1e-4) == verdict(1e-5) == verdict(1e-7) == "ok for kinks"
    assert verdict(1e-9) == verdict(0.0) == "good"


@pytest.mark.parametrize("loss_fn", [F.cross_entropy, F.svm_loss])
def test_a_correct_two_layer_net_passes(loss_fn, capsys):
    model = _two_layer_net()
    x, y = _batch()
    report = check_model_gradients(model, loss_fn, x, y, num_coords=6)
    assert report.passed
    assert [r.name for r in report.rows] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [len(r.coords) for r in report.rows] == [6, 6, 6, 3]
    for r in report.rows:
        assert r.verdict == "good" and r.max_error < 1e-7
        assert all(isinstance(c.index, tuple) and not c.kinks for c in r.coords)
    out = capsys.readouterr().out
    assert "gradient check in float64" in out and "0.weight" in out and "good" in out
    assert "> 1e-2 wrong, 1e-4..1e-2 suspicious, 1e-7..1e-4 ok for kinks, < 1e-7 good" in out


def test_the_model_is_left_as_it_was():
    model = _two_layer_net()
    x, y = _batch()
    before = {n: p.data.copy() for n, p in model.named_parameters()}
    marker = mg.tensor(np.ones((8, 4), dtype=np.float32))
    model[0].weight.grad = marker
    check_model_gradients(model, F.cross_entropy, x, y, verbose=False)
    for n, p in model.named_parameters():
        assert p.dtype == np.float32 and np.array_equal(p.data, before[n])
    assert model[0].weight.grad is marker and model[2].weight.grad is None
    assert x.dtype == np.float32


def test_buffers_are_restored():
    # 0.bias feeds BatchNorm, so its true gradient is 0: both values are round-off noise
    model = nn.Sequential(
        nn.Linear(4, 6, rng=0), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, 3, rng=0)
    )
    x, y = _batch(n=8)
    report = check_model_gradients(model, F.cross_entropy, x, y, num_coords=3, verbose=False)
    assert report.passed
    np.testing.assert_array_equal(model[1].running_mean.data, np.zeros(6, np.float32))
    assert model[1].running_mean.dtype == np.float32
    assert int(model[1].num_batches_tracked.data) == 0


def _scaled_linear(x, weight, bias):
    """y = x @ W.T + b with a wrong backward for W: dW is doubled (dx and db are right)."""
    y = x.data @ weight.data.T + bias.data

    need_x = x.requires_grad

    def backward(gy, x, weight, bias):
        gx = gy @ weight if need_x else None
        return gx, (gy.T @ x) * 2.0, gy.sum(axis=0)

    return record(y, "bad_linear", (x, weight, bias), backward)


class BrokenLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        rng = np.random.default_rng(2)
        self.weight = nn.Parameter(rng.normal(size=(n_out, n_in)).astype(np.float32) * 0.3)
        self.bias = nn.Parameter(np.zeros(n_out, np.float32))

    def forward(self, x):
        return _scaled_linear(x, self.weight, self.bias)


def test_a_broken_layer_is_flagged_wrong():
    model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Tanh(), BrokenLinear(8, 3))
    x, y = _batch()
    report = check_model_gradients(model, F.cross_entropy, x, y, verbose=False)
    assert not report.passed
    assert report["2.weight"].verdict == "wrong"
    assert report["2.weight"].max_error == pytest.approx(1 / 2, rel=1e-6)  # |2n - n| / |2n|
    for name in ("0.weight", "0.bias", "2.bias"):
        assert report[name].verdict == "good", name
    assert "wrong" in str(report).splitlines()[4]


def test_in_jupyter_the_report_is_a_table_with_coloured_verdicts():
    model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Tanh(), BrokenLinear(8, 3))
    x, y = _batch()
    page = check_model_gradients(model, F.cross_entropy, x, y, verbose=False)._repr_html_()
    head, *rows = re.findall(r"<tr>(.*?)</tr>", page)
    assert re.findall(r"<th>(.*?)</th>", head)[4] == "verdict"
    verdicts = {}
    for row in rows:
        cells = re.findall(r"<td( style=\"[^\"]*\")?>(.*?)</td>", row)
        verdicts[cells[0][1]] = cells[4]
    assert verdicts["2.weight"][1] == "wrong" and "#a30000" in verdicts["2.weight"][0]
    assert verdicts["0.weight"][1] == "good" and "#1b5e20" in verdicts["0.weight"][0]
    assert "relative error |a-n| / max(|a|,|n|)" in page


def _relu_at_its_kink():
    """relu(w * x + b) with w * x + b = 0 exactly: moving b by +-h crosses the kink."""
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    model[0].weight.data[...] = 1.0
    model[0].bias.data[...] = 0.0
    return model


def test_a_relu_kink_crossing_is_warned_about_and_left_out():
    model = _relu_at_its_kink()
    x = np.zeros((1, 1), np.float32)
    with pytest.warns(KinkCrossingWarning, match=r"0\.bias\[0\] \(relu#1\)"):
        report = check_model_gradients(model, lambda out, y: out.sum(), x, None, verbose=False)
    (coord,) = report["0.bias"].coords
    assert coord.kinks == ("relu#1",)
    assert coord.analytic == 0.0 and coord.numerical == pytest.approx(0.5)
    assert report["0.bias"].verdict == "inconclusive (all kinks)"
    assert report["0.weight"].verdict == "good"  # x = 0: moving w moves nothing
    assert report.kink_crossings == [coord]
    assert "kink crossed at 0.bias[0] by relu#1" in str(report)


def test_a_hinge_kink_crossing_is_warned_about():
    model = nn.Linear(1, 2)
    model.weight.data[...] = 0.0
    model.bias.data[...] = [0.0, -1.0]  # class 1's margin: -1 - 0 + 1 = 0, on the hinge
    x, y = np.ones((1, 1), np.float32), np.array([0])
    with pytest.warns(KinkCrossingWarning):
        report = check_model_gradients(model, F.svm_loss, x, y, verbose=False)
    assert all(c.kinks == ("svm_loss#1",) for c in report.kink_crossings)
    assert {c.param for c in report.kink_crossings} == {"weight", "bias"}


def test_no_parameters_is_an_error():
    with pytest.raises(ValueError, match="no parameter"):
        check_model_gradients(nn.ReLU(), lambda out, y: out.sum(), np.ones((1, 2)), None)
