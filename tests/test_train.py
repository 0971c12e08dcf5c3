"""minigrad.train: quick runs write their files, resume is bit-identical, checkpoints
round-trip, schedules and configs behave, the dataset auto-resolution never hangs."""

import json
import pickle

import numpy as np
import pytest

from minigrad.train import TrainConfig, evaluate_checkpoint, fit
from minigrad.training import data as tdata
from minigrad.training.builders import build_model, build_optimizer, build_scheduler
from minigrad.training.checkpoint import load_checkpoint, pack, unpack

UNREACHABLE = "http://127.0.0.1:9/cifar-10-python.tar.gz"
TIMING_KEYS = ("epoch_seconds", "samples_per_second", "data_wait_seconds")


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """No test may touch the real network or a real CIFAR-10 copy."""
    monkeypatch.setattr(tdata, "DOWNLOAD_URL", UNREACHABLE)
    monkeypatch.setattr(tdata, "NETWORK_TIMEOUT", 2.0)
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("MINIGRAD_DATA", str(empty))


def quiet(line):
    pass


def small(**kw):
    base = dict(dataset="digits", hidden=(32,), epochs=2, batch_size=128)
    return TrainConfig(**{**base, **kw})


def test_digits_run_writes_config_metrics_checkpoint_and_curves(tmp_path):
    metrics = fit(small(), tmp_path / "run", log=quiet)
    out = tmp_path / "run"
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"] == "digits" and config["hidden"] == [32] and config["lr"] == 3e-3
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["test_accuracy"] == metrics["test_accuracy"] > 0.5
    assert saved["train_seconds"] > 0 and len(saved["history"]) == 2
    assert {"train_loss", "train_accuracy", "val_accuracy", "epoch_seconds"} <= set(
        saved["history"][0]
    )
    assert (out / "checkpoint.npz").is_file()
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_spiral_run_with_svm_loss_and_no_batch_norm(tmp_path):
    cfg = TrainConfig(dataset="spiral", epochs=3, loss="svm", batch_norm=False, optimizer="sgd")
    metrics = fit(cfg, tmp_path, log=quiet)
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert json.loads((tmp_path / "config.json").read_text())["label_smoothing"] == 0.0


def _without_timings(history):
    return [{k: v for k, v in h.items() if k not in TIMING_KEYS} for h in history]


def test_resume_continues_with_identical_results(tmp_path):
    cfg = dict(hidden=(32, 16), dropout=0.2, epochs=2)
    straight = fit(small(**cfg), tmp_path / "a", log=quiet)
    first = fit(small(**cfg), tmp_path / "b", stop_after=1, log=quiet)
    assert "test_accuracy" not in first and first["epochs_completed"] == 1
    resumed = fit(TrainConfig(), tmp_path / "b", resume=True, log=quiet)
    a = load_checkpoint(tmp_path / "a" / "checkpoint.npz")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.npz")
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value, b["model"][name], err_msg=name)
    for name, value in a["optimizer"]["state"]["0"].items():
        np.testing.assert_array_equal(value, b["optimizer"]["state"]["0"][name])
    assert _without_timings(a["history"]) == _without_timings(b["history"])
    assert straight["test_accuracy"] == resumed["test_accuracy"]


def test_resume_without_checkpoint_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        fit(TrainConfig(), tmp_path, resume=True, log=quiet)


def test_evaluate_checkpoint_matches_final_test_accuracy(tmp_path):
    metrics = fit(small(), tmp_path, log=quiet)
    split, _, acc, n = evaluate_checkpoint(tmp_path / "checkpoint.npz", log=quiet)
    assert (split, n) == ("test", 359) and acc == metrics["test_accuracy"]


def test_auto_falls_back_to_digits_without_copy_or_network(tmp_path):
    lines = []
    fit(TrainConfig(dataset="auto", epochs=1, hidden=(8,)), tmp_path, log=lines.append)
    assert lines[0].startswith("dataset: digits") and "unreachable" in lines[0]
    assert "127.0.0.1:9" in lines[0]


def test_cifar10_without_copy_or_network_fails_fast_with_instructions(tmp_path):
    from minigrad.data.datasets import DownloadError

    with pytest.raises(DownloadError, match="by hand"):
        fit(TrainConfig(dataset="cifar10", epochs=1), tmp_path, log=quiet)


def _fake_cifar(folder, n=64, with_test=False):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + (["test_batch"] if with_test else [])
    for name in names:
        batch = {
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": list(rng.integers(0, 10, n)),
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))


@pytest.mark.parametrize("with_test", [False, True])
def test_cifar10_reports_heldout_accuracy_unless_test_batch_exists(tmp_path, with_test):
    _fake_cifar(tmp_path / "cifar-10-batches-py", with_test=with_test)
    cfg = TrainConfig(dataset="auto", data_dir=str(tmp_path), epochs=1, hidden=(16,), val_size=32)
    lines = []
    metrics = fit(cfg, tmp_path / "run", log=lines.append)
    assert lines[0].startswith("dataset: cifar10 (auto: found a local copy")
    assert ("test_accuracy" in metrics) is with_test
    assert ("heldout_accuracy" in metrics) is not with_test
    if not with_test:
        assert any("no test_batch" in line for line in lines)


def test_time_limit_plans_and_records_the_epochs(tmp_path):
    lines = []
    fit(small(epochs=None, time_limit=1.5), tmp_path, log=lines.append)
    planned = json.loads((tmp_path / "config.json").read_text())["epochs"]
    assert planned >= 1 and any(line.startswith("time limit:") for line in lines)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(epochs=0), "--epochs"),
        (dict(dropout=1.0), "--dropout"),
        (dict(loss="svm", label_smoothing=0.1), "softmax only"),
        (dict(optimizer="lbfgs"), "--optimizer"),
        (dict(epochs=3, time_limit=10.0), "not both"),
        (dict(lr=-1.0), "--lr"),
        (dict(warmup=1.0), "--warmup"),
    ],
)
def test_config_validation_names_the_setting(kw, message):
    with pytest.raises(ValueError, match=message):
        small(**kw).validate()


def test_augment_on_non_image_data_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="needs images"):
        fit(small(augment=True), tmp_path, log=quiet)


@pytest.mark.parametrize("schedule", ["cosine", "step", "exponential", "onecycle", "constant"])
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"])
def test_every_schedule_runs_its_steps_with_every_optimizer(schedule, optimizer):
    cfg = small(schedule=schedule, optimizer=optimizer).resolved("digits")
    model = build_model(cfg, 4, 3)
    opt = build_optimizer(cfg, model)
    sched = build_scheduler(cfg, opt, total_steps=20)
    rates = []
    for _ in range(20):
        opt.step()
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    assert max(rates) <= cfg.lr * (1 + 1e-9) and all(r >= 0 for r in rates)


def test_weight_decay_applies_to_weight_matrices_only():
    cfg = small(hidden=(8,)).resolved("digits")
    groups = build_optimizer(cfg, build_model(cfg, 4, 3)).param_groups
    assert [p.ndim for p in groups[0]["params"]] == [2, 2] and groups[0]["weight_decay"] == 0.05
    assert all(p.ndim == 1 for p in groups[1]["params"]) and groups[1]["weight_decay"] == 0.0


def test_pack_round_trips_nested_state():
    state = {
        "a": np.arange(3.0),
        "b": {0: [1, 2.5, None, "x"], "c": (0.1, True)},
        "n": np.float32(1.5),
    }
    back = unpack(pack(state))
    np.testing.assert_array_equal(back["a"], state["a"])
    assert back["b"] == {"0": [1, 2.5, None, "x"], "c": [0.1, True]} and back["n"] == 1.5


def test_cifar10_default_length_is_a_time_limit_that_epochs_replace():
    assert TrainConfig().resolved("cifar10").time_limit == 780.0
    assert TrainConfig().resolved("cifar10").epochs is None
    explicit = TrainConfig(epochs=3).resolved("cifar10")
    assert (explicit.epochs, explicit.time_limit) == (3, None)
    assert TrainConfig().resolved("digits").epochs == 20
    assert (TrainConfig().resolved("cifar10").lr, TrainConfig().resolved("digits").lr) == (
        5e-3,
        3e-3,
    )
    assert TrainConfig(optimizer="sgd").resolved("cifar10").lr == 0.1


def test_prefetch_keeps_order_and_raises_the_producers_error():
    from minigrad.training.loop import prefetch

    assert list(prefetch(iter(range(50)))) == list(range(50))

    def broken():
        yield 1
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(prefetch(broken()))
    early = prefetch(iter(range(1000)), depth=1)
    assert next(early) == 0
    early.close()  # leaving mid-way stops the thread


def test_progress_uses_tqdm_on_a_terminal_and_plain_lines_elsewhere():
    import io

    from minigrad.training.report import EpochProgress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    bar = EpochProgress(3, "epoch 1/1", tty)
    for _ in range(3):
        bar.update(10, 5.0, 7)
    bar.close()
    assert bar.bar is not None and "epoch 1/1" in tty.getvalue()
    assert bar.status().startswith("loss 0.5000 acc 70.00%")
    plain = io.StringIO()
    lines = EpochProgress(3, "epoch 1/1", plain, interval=0.0)
    lines.update(10, 5.0, 7)
    assert lines.bar is None and plain.getvalue().startswith("epoch 1/1 1/3 loss 0.5000")


def test_no_png_without_matplotlib(tmp_path, monkeypatch):
    import sys

    from minigrad.training.report import plot_curves

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    history = [{"epoch": 1, "train_loss": 1.0, "train_accuracy": 0.5}]
    assert plot_curves(history, tmp_path / "c.png") is False
    assert not (tmp_path / "c.png").exists()


def test_auto_falls_back_to_digits_when_the_download_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(tdata, "_unreachable", lambda url, timeout: None)
    lines = []
    fit(TrainConfig(dataset="auto", epochs=1, hidden=(8,)), tmp_path, log=lines.append)
    assert lines[0].startswith("dataset: cifar10 (auto: no copy")
    assert lines[1].startswith("CIFAR-10 download failed") and "bundled digits" in lines[1]
    assert json.loads((tmp_path / "config.json").read_text())["dataset"] == "digits"


def test_resume_of_a_time_limited_cifar_run_keeps_its_data_dir_and_plan(tmp_path):
    _fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    cfg = TrainConfig(data_dir=str(tmp_path / "data"), hidden=(8,), val_size=32, time_limit=1.0)
    fit(cfg, tmp_path / "run", stop_after=1, log=quiet)
    planned = json.loads((tmp_path / "run" / "config.json").read_text())["epochs"]
    metrics = fit(TrainConfig(), tmp_path / "run", resume=True, log=quiet)
    assert metrics["epochs_completed"] == metrics["epochs"] == planned
    assert "heldout_accuracy" in metrics
