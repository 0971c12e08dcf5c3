"""ONNX export of a trained classifier: onnxruntime on the exported file agrees with
`TrainedModel.predict` on the same raw inputs (digits; CIFAR-shaped with per-channel
normalisation and with ZCA whitening), every layer the training app builds, clear errors."""

import dataclasses
import json
import os
import sys

import numpy as np
import pytest
from train_helpers import fake_cifar, no_network, quiet, small  # noqa: F401

import minigrad.nn as nn
from minigrad.cli import main
from minigrad.data.datasets import load_cifar10, load_digits, make_spiral
from minigrad.train import TrainConfig, export_onnx, fit, load_model
from minigrad.train.onnx_export import UnsupportedLayerError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run_onnx(path, x):
    runtime = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return runtime.run(["logits"], {"x": x})[0]


def _assert_agrees(trained, path, x):
    logits = _run_onnx(path, x)
    expected, classes = trained.predict(x)
    assert logits.dtype == np.float32 and logits.shape == expected.shape
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(logits.argmax(axis=1), classes)


@pytest.mark.parametrize(
    "options",
    [
        dict(hidden=(24, 12), batch_norm=True, dropout=0.1, activation="leaky_relu"),
        dict(hidden=(16,), batch_norm=False, activation="relu"),
        dict(hidden=(16, 8), batch_norm=True, activation="tanh"),
        dict(hidden=(16,), batch_norm=False, dropout=0.2, activation="sigmoid"),
    ],
    ids=["bn-leaky-dropout", "relu", "bn-tanh", "sigmoid-dropout"],
)
def test_digits_model_agrees_with_predict(tmp_path, options):
    trained = fit(small(**options), tmp_path / "run", log=quiet)
    path = export_onnx(trained, tmp_path / "digits.onnx")
    x, _ = load_digits()
    _assert_agrees(trained, path, x[:300])


def test_spiral_points_model_agrees_with_predict(tmp_path):
    trained = fit(small(dataset="spiral", hidden=(16,), activation="tanh"), tmp_path, log=quiet)
    x, _ = make_spiral(n_per_class=50, seed=3)
    assert x.dtype == np.float32 and x.shape == (150, 2)
    _assert_agrees(trained, export_onnx(trained, tmp_path / "spiral.onnx"), x)


def _cifar_run(tmp_path, **options):
    """A tiny fit on fake CIFAR-10 data (random uint8 images)."""
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    cfg = TrainConfig(
        dataset="cifar10", data_dir=str(tmp_path / "data"), epochs=1, hidden=(16,), val_size=32
    )
    return fit(dataclasses.replace(cfg, **options), tmp_path / "run", log=quiet)


@pytest.mark.parametrize(
    "zca, pca", [(0.0, 0), (0.1, 0), (0.1, 64)], ids=["per-channel", "zca", "zca-pca"]
)
def test_cifar_shaped_model_takes_uint8_images_and_agrees_with_predict(tmp_path, zca, pca):
    trained = _cifar_run(tmp_path, zca=zca, pca=pca, tta="none")
    assert (trained.preprocess.whitening is not None) == bool(zca)
    assert trained.model[0].out_features == (pca or 16)
    path = export_onnx(trained, tmp_path / "cifar.onnx")
    images = load_cifar10(tmp_path / "data").x_train[:20]
    assert images.dtype == np.uint8 and images.shape == (20, 3, 32, 32)
    _assert_agrees(trained, path, images)


def test_test_time_views_stay_in_python_and_the_command_says_so(tmp_path, capsys):
    trained = _cifar_run(tmp_path, tta="flip")
    assert main(["export-onnx", str(tmp_path / "run")]) == 0
    assert "--tta flip" in capsys.readouterr().out
    plain = dataclasses.replace(trained, config=dataclasses.replace(trained.config, tta="none"))
    _assert_agrees(plain, tmp_path / "run" / "model.onnx", load_cifar10(tmp_path / "data").x_train)


def test_the_file_names_its_classes_and_input_and_passes_the_checker(tmp_path):
    trained = fit(small(epochs=1), tmp_path / "run", log=quiet)
    model = onnx.load(export_onnx(trained, tmp_path / "m.onnx"))
    onnx.checker.check_model(model, full_check=True)
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["class_names"]) == [str(d) for d in range(10)]
    assert json.loads(props["input_shape"]) == [8, 8]
    (x,) = model.graph.input
    dims = [d.dim_param or d.dim_value for d in x.type.tensor_type.shape.dim]
    assert dims == ["N", 64]
    names = {t.name for t in model.graph.initializer}
    assert {"0.weight", "1.running_var", "pre/mean", "pre/std"} <= names


@pytest.mark.parametrize(
    "layers, message",
    [
        ([nn.Linear(64, 10), nn.Softmax(dim=1)], "layer '1' is Softmax"),
        ([nn.Linear(64, 10), nn.Flatten(0)], "layer '1' is Flatten"),
        ([nn.Linear(64, 8), nn.BatchNorm1d(8, track_running_stats=False)], "running statistics"),
    ],
    ids=["softmax", "flatten-axis-0", "batchnorm-without-running-stats"],
)
def test_an_unsupported_layer_is_named(tmp_path, layers, message):
    trained = fit(small(epochs=1), tmp_path / "run", log=quiet)
    strange = dataclasses.replace(trained, model=nn.Sequential(*layers))
    with pytest.raises(UnsupportedLayerError, match=message):
        export_onnx(strange, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_nested_sequentials_and_identity_export(tmp_path):
    trained = fit(small(epochs=1, hidden=(16,), batch_norm=False), tmp_path / "run", log=quiet)
    first, act, last = trained.model
    nested = nn.Sequential(nn.Sequential(first, nn.Identity(), act), nn.Flatten(), last)
    trained = dataclasses.replace(trained, model=nested.eval())
    _assert_agrees(trained, export_onnx(trained, tmp_path / "m.onnx"), load_digits()[0][:50])


def test_missing_onnx_says_what_to_install(tmp_path, monkeypatch):
    trained = fit(small(epochs=1), tmp_path / "run", log=quiet)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "minigrad\[onnx\]"'):
        export_onnx(trained, tmp_path / "m.onnx")


def test_export_replaces_a_file_atomically(tmp_path):
    trained = fit(small(epochs=1), tmp_path / "run", log=quiet)
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "m.onnx"
    path.write_bytes(b"an older export")
    export_onnx(trained, path)
    assert os.listdir(tmp_path / "out") == ["m.onnx"]
    assert onnx.load(path).producer_name == "minigrad"


def test_command_writes_model_onnx_into_the_run_folder(tmp_path, capsys):
    run = tmp_path / "run"
    fit(small(epochs=1), run, log=quiet)
    assert main(["export-onnx", str(run)]) == 0
    assert f"wrote {run / 'model.onnx'}" in capsys.readouterr().out
    assert (
        main(["export-onnx", str(run / "checkpoint.npz"), "--out", str(tmp_path / "x.onnx")]) == 0
    )
    x = load_digits()[0][:10]
    np.testing.assert_allclose(
        _run_onnx(tmp_path / "x.onnx", x), load_model(run).predict(x)[0], rtol=1e-5, atol=1e-5
    )


def test_command_reports_a_missing_run(tmp_path, capsys):
    assert main(["export-onnx", str(tmp_path / "nowhere")]) == 1
    assert "minigrad export-onnx: error: no run folder" in capsys.readouterr().err
