"""minigrad.train.model: a run reloads without knowing its architecture, and predicts on
raw inputs exactly as training scored them."""

import numpy as np
import pytest
from train_helpers import fake_cifar, no_network, quiet, small  # noqa: F401

import minigrad.nn.functional as F
from minigrad import Tensor, no_grad
from minigrad.data.datasets import load_cifar10, load_digits
from minigrad.train import TrainConfig, fit, load_model
from minigrad.train.data import load_raw


def test_load_model_round_trips_a_run_folder_and_a_checkpoint(tmp_path):
    result = fit(small(hidden=(24, 12), dropout=0.1), tmp_path, log=quiet)
    x, _ = load_digits()
    for path in (tmp_path, tmp_path / "checkpoint.npz"):
        trained = load_model(path)
        assert trained.config == result.config and trained.run_dir == tmp_path
        assert not trained.model.training and trained.epochs_completed == 2
        assert trained.metrics["test_accuracy"] == result.metrics["test_accuracy"]
        np.testing.assert_array_equal(trained.predict(x)[0], result.predict(x)[0])


def test_predict_on_raw_test_inputs_reproduces_the_test_accuracy(tmp_path):
    result = fit(small(), tmp_path, log=quiet)
    x_test, y_test = load_raw("digits").test
    logits, classes = result.predict(x_test.reshape(-1, 8, 8))  # images or flat rows
    assert logits.shape == (len(y_test), 10) and logits.dtype == np.float32
    np.testing.assert_array_equal(classes, logits.argmax(axis=1))
    assert np.mean(classes == y_test) == result.metrics["test_accuracy"]


def test_predict_takes_raw_uint8_cifar_images_in_either_layout(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    data = str(tmp_path / "data")
    cfg = TrainConfig(dataset="cifar10", data_dir=data, epochs=1, hidden=(8,), val_size=32)
    trained = load_model(fit(cfg, tmp_path / "r", log=quiet).run_dir)
    assert trained.class_names[0] == "airplane" and trained.preprocess.input_shape == (3, 32, 32)
    images = load_cifar10(tmp_path / "data").x_train[:5]
    logits, classes = trained.predict(images)
    np.testing.assert_array_equal(trained.predict(images.reshape(5, 3072))[0], logits)
    assert images.dtype == np.uint8 and logits.shape == (5, 10)
    with pytest.raises(ValueError, match=r"pixel values 0\.\.255, got floats in \[0, 1\]"):
        trained.predict(images / 255.0)


def test_a_trained_model_summarises_its_layers(tmp_path):
    summary = fit(small(epochs=1, hidden=(32, 16)), tmp_path, log=quiet).summary()
    assert summary.input_shape == ("N", 64) and summary.layers[-1].output_shape == ("N", 10)
    assert summary.total_params == 64 * 32 + 2 * 32 + 32 * 16 + 2 * 16 + 16 * 10 + 10


def test_predict_names_the_expected_shapes_on_wrong_input(tmp_path):
    result = fit(small(epochs=1), tmp_path, log=quiet)
    with pytest.raises(ValueError, match=r"shape \(N, 8, 8\) or \(N, 64\), got \(3, 5\)"):
        result.predict(np.zeros((3, 5)))


def test_load_model_without_a_run_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no run folder or checkpoint"):
        load_model(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_model(tmp_path)


def test_predict_whitens_and_averages_the_mirror_views_as_scoring_did(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    data = str(tmp_path / "data")
    cfg = TrainConfig(data_dir=data, epochs=1, hidden=(8,), val_size=32, zca=0.1, tta="flip")
    result = fit(cfg, tmp_path / "r", log=quiet)
    x_val, y_val = load_raw("cifar10", data, 32).val
    loaded = load_model(tmp_path / "r")
    logits, classes = loaded.predict(x_val)
    assert np.mean(classes == y_val) == result.metrics["heldout_accuracy"]
    assert loaded.config.pca == 512 and not loaded.model[0].weight.requires_grad  # the default
    np.testing.assert_array_equal(loaded.model[0].weight.data, result.preprocess.basis)
    white = result.preprocess(x_val)
    mirrored = white.reshape(-1, 3, 32, 32)[..., ::-1].reshape(len(white), -1)
    with no_grad():
        probs = [F.softmax(result.model(Tensor(v)), axis=1).data for v in (white, mirrored)]
    np.testing.assert_allclose(np.exp(logits), (probs[0] + probs[1]) / 2, rtol=1e-5)


def test_the_spellings_a_newcomer_tries_work_or_say_what_to_write(tmp_path):
    import minigrad as mg

    trained = fit(small(epochs=1), tmp_path, log=quiet)
    x, _ = load_digits()
    with pytest.raises(TypeError, match=r"write `logits, classes = trained.predict\(x\)`"):
        trained(x)
    scaled = r"raw digits pixel values 0\.\.16, got floats in \[0, 1\]"
    with pytest.raises(ValueError, match=scaled):
        trained.predict(x / 16)  # already scaled: would be scaled twice
    with pytest.raises(TypeError, match=r"not a NumPy array of float32: for raw inputs"):
        trained.model(x)  # raw data straight into the network
    with pytest.raises(TypeError, match="not a Tensor of int64"):
        trained.model(mg.tensor(x.astype(np.int64)))
    logits = trained.model(mg.tensor(trained.preprocess(x[:5]))).numpy()
    np.testing.assert_allclose(logits, trained.predict(x[:5])[0], rtol=1e-5)
