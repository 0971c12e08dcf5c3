"""Every course experiment in examples/ runs in its --quick form, writes its figure, and its key
number says what its docs page claims. Run in-process (one interpreter, matplotlib imported
once) on the bundled digits, so the whole file takes seconds and needs no network."""

import importlib.util
import math
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name, tmp_path, args=None):
    """Import examples/<name>.py and call its main() with --quick into tmp_path."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if args is None:
            args = ["--quick", "--no-show", "--data", "digits", "--out", str(tmp_path)]
        result = module.main(args)
    finally:
        sys.path.remove(str(EXAMPLES))
    return result


def assert_png(tmp_path, name):
    path = tmp_path / name
    assert path.is_file(), f"{name} was not written"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size < 200_000


def test_random_search_is_worse_than_gradient_descent(tmp_path):
    acc = run("random_search", tmp_path)
    assert_png(tmp_path, "random_search.png")
    assert acc["random search"] < acc["random local search"] < acc["gradient descent"]
    assert acc["gradient descent"] > 0.5


def test_numerical_gradient_agrees_and_is_slower(tmp_path):
    r = run("numerical_vs_analytic", tmp_path)
    assert_png(tmp_path, "numerical_vs_analytic.png")
    assert r["svm64_best_error"] < 1e-7
    assert r["softmax64_best_error"] < 1e-7
    assert r["svm32_best_error"] > r["svm64_best_error"]
    assert r["speedup"] > 5


def test_svm_loss_slice_is_convex_and_piecewise_linear(tmp_path):
    r = run("loss_landscape", tmp_path)
    assert_png(tmp_path, "loss_landscape.png")
    assert r["convex"] and r["kinks"] > 0


def test_step_size_on_square_converges_oscillates_and_diverges(tmp_path):
    final = run("step_size", tmp_path)
    assert_png(tmp_path, "step_size.png")
    assert abs(final[0.4]) < 1e-3 and abs(final[0.6]) < 1e-3
    assert abs(final[1.2]) > 10


def test_optimizer_race_momentum_escapes_local_minimum(tmp_path):
    final = run("optimizer_race", tmp_path)
    assert_png(tmp_path, "optimizer_race.png")
    well = final["double well (local minimum)"]
    assert well["Momentum"] < 0 < well["SGD"]
    assert all(math.isfinite(v) for v in final["ill-conditioned valley"].values())
    assert final["saddle point"]["Adam"] < final["saddle point"]["SGD"]


def test_sigmoid_gradients_vanish_in_deep_mlp(tmp_path):
    r = run("vanishing_gradients", tmp_path)
    assert_png(tmp_path, "vanishing_gradients.png")
    assert r["sigmoid"]["first_init"] < 1e-2 * r["ReLU"]["first_init"]
    assert r["sigmoid"]["first_init"] < 1e-3 * r["sigmoid"]["last_init"]


def test_lr_schedules_shapes(tmp_path):
    curves = run("lr_schedules", tmp_path)
    assert_png(tmp_path, "lr_schedules.png")
    for name, lrs in curves.items():
        assert lrs.max() <= 0.1 + 1e-12, name
        assert lrs[-1] < 0.2 * lrs.max(), name
    warm = next(v for k, v in curves.items() if k.startswith("LinearLR"))
    assert warm[0] < warm[1] < warm[2] and warm.argmax() <= len(warm) // 5


def test_l1_makes_weights_sparser_than_l2(tmp_path):
    r = run("regularization", tmp_path)
    assert_png(tmp_path, "regularization.png")
    assert r["l1_sparsity"] > r["l2_sparsity"] > r["base"]


def test_batch_sizes_all_reduce_the_loss(tmp_path):
    final = run("batch_size", tmp_path)
    assert_png(tmp_path, "batch_size.png")
    assert all(v < math.log(10) for v in final.values())
    single = next(v for k, v in final.items() if k.startswith("single"))
    full = next(v for k, v in final.items() if k.startswith("full"))
    assert single < full


def test_adam_and_sgd_both_learn(tmp_path):
    r = run("adam_vs_sgd", tmp_path)
    assert_png(tmp_path, "adam_vs_sgd.png")
    for name, v in r.items():
        assert v["val"] > 0.3, name


def test_figures_go_to_the_working_directory_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("step_size", tmp_path, ["--quick", "--no-show"])
    assert_png(tmp_path, "step_size.png")


def test_quick_never_writes_into_the_docs(tmp_path, capsys):
    docs_figures = EXAMPLES.parent / "docs" / "figures"
    before = {p.name: p.stat().st_mtime_ns for p in docs_figures.iterdir()}
    with pytest.raises(SystemExit):
        run("step_size", tmp_path, ["--quick", "--no-show", "--out", str(docs_figures)])
    assert "never writes into" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in docs_figures.iterdir()} == before
