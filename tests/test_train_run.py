"""minigrad.train.run (`fit`): a run's files, resume bit for bit, no overwritten run,
callbacks, divergence, interruption, dataset resolution and time limits."""

import csv
import json

import numpy as np
import pytest
from train_helpers import fake_cifar, no_network, quiet, small  # noqa: F401

from minigrad.train import (
    DivergedError,
    RunExistsError,
    TrainConfig,
    TrainedModel,
    fit,
    load_model,
)
from minigrad.train import data as tdata
from minigrad.train.checkpoint import load_checkpoint, save_checkpoint

TIMING_KEYS = ("epoch_seconds", "samples_per_second", "data_wait_seconds")


def test_digits_run_writes_its_files_and_returns_the_trained_model(tmp_path):
    result = fit(small(), tmp_path / "run", log=quiet)
    out = tmp_path / "run"
    assert isinstance(result, TrainedModel) and result.run_dir == out
    assert not result.model.training and result.config.lr == 3e-3
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"] == "digits" and config["hidden"] == [32] and config["lr"] == 3e-3
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["test_accuracy"] == result.metrics["test_accuracy"] > 0.5
    assert saved["train_seconds"] > 0 and len(saved["history"]) == 2
    assert saved["stopped_early"] is False
    assert {"train_loss", "train_accuracy", "val_accuracy", "epoch_seconds", "lr_start"} <= set(
        saved["history"][0]
    )
    with open(out / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[1]["val_accuracy"]) == saved["history"][1]["val_accuracy"]
    assert (out / "checkpoint.npz").is_file()
    for png in ("curves.png", "confusion.png", "weights.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG", png


def test_no_figures_skips_the_pictures_and_only_them(tmp_path):
    lines = []
    drawn = fit(small(), tmp_path / "drawn", log=quiet)
    bare = fit(small(figures=False), tmp_path / "bare", log=lines.append)
    pictures = {"curves.png", "confusion.png", "weights.png"}
    drawn_files = {p.name for p in (tmp_path / "drawn").iterdir()}
    bare_files = {p.name for p in (tmp_path / "bare").iterdir()}
    assert pictures <= drawn_files and bare_files == drawn_files - pictures
    saved = json.loads((tmp_path / "bare" / "metrics.json").read_text())
    assert saved["confusion_matrix"] == drawn.metrics["confusion_matrix"]
    assert saved["test_accuracy"] == drawn.metrics["test_accuracy"]
    assert any(line.startswith("per-class accuracy") for line in lines)
    assert not any(line.startswith("figures:") for line in lines)
    assert bare.metrics == saved


def test_resume_may_switch_the_figures_either_way(tmp_path):
    fit(small(figures=False), tmp_path / "a", stop_after=1, log=quiet)
    resumed = fit(TrainConfig(), tmp_path / "a", resume=True, log=quiet)
    assert resumed.config.figures is True and (tmp_path / "a" / "confusion.png").is_file()
    fit(small(), tmp_path / "b", stop_after=1, log=quiet)  # draws the curves so far
    assert (tmp_path / "b" / "curves.png").is_file()
    lines = []
    resumed = fit(small(figures=False), tmp_path / "b", resume=True, log=lines.append)
    assert resumed.config.figures is False
    assert not any((tmp_path / "b" / png).exists() for png in ("curves.png", "confusion.png"))
    assert any(line.startswith("removed curves.png") for line in lines)


def test_final_report_confusion_matrix_matches_the_test_accuracy(tmp_path):
    metrics = fit(small(), tmp_path, log=quiet).metrics
    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 359 and metrics["scored_split"] == "test"
    assert np.trace(matrix) / matrix.sum() == pytest.approx(metrics["test_accuracy"])
    per_class = np.diag(matrix) / matrix.sum(axis=1)
    np.testing.assert_allclose(metrics["per_class_accuracy"], per_class)
    assert metrics["class_names"] == [str(d) for d in range(10)]


def test_spiral_run_with_svm_loss_and_no_batch_norm(tmp_path):
    cfg = TrainConfig(dataset="spiral", epochs=3, loss="svm", batch_norm=False, optimizer="sgd")
    result = fit(cfg, tmp_path, log=quiet)
    assert 0.0 <= result.metrics["test_accuracy"] <= 1.0
    assert json.loads((tmp_path / "config.json").read_text())["label_smoothing"] == 0.0
    assert not (tmp_path / "weights.png").exists()  # points, not images


def _without_timings(history):
    return [{k: v for k, v in h.items() if k not in TIMING_KEYS} for h in history]


@pytest.mark.parametrize("extra", [{}, {"ema": 0.95}, {"mixup": 0.4}])
def test_resume_continues_with_identical_results(tmp_path, extra):
    cfg = dict(hidden=(32, 16), dropout=0.2, epochs=2, **extra)
    straight = fit(small(**cfg), tmp_path / "a", log=quiet)
    first = fit(small(**cfg), tmp_path / "b", stop_after=1, log=quiet)
    assert "test_accuracy" not in first.metrics and first.metrics["epochs_completed"] == 1
    resumed = fit(TrainConfig(), tmp_path / "b", resume=True, log=quiet)
    a = load_checkpoint(tmp_path / "a" / "checkpoint.npz")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.npz")
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value, b["model"][name], err_msg=name)
    for name, value in a["optimizer"]["state"]["0"].items():
        np.testing.assert_array_equal(value, b["optimizer"]["state"]["0"][name])
    assert _without_timings(a["history"]) == _without_timings(b["history"])
    assert straight.metrics["test_accuracy"] == resumed.metrics["test_accuracy"]
    assert ("ema" in a) is ("ema" in extra)
    if "ema" in extra:
        assert a["ema"]["steps"] == b["ema"]["steps"] > 0
        for name, value in a["ema"]["model"].items():
            np.testing.assert_array_equal(value, b["ema"]["model"][name], err_msg=name)


def test_distillation_takes_its_targets_at_half_and_three_quarters_and_resumes_bit_for_bit(
    tmp_path,
):
    cfg = dict(hidden=(32,), epochs=8, distill=0.5)
    lines = []
    straight = fit(small(**cfg), tmp_path / "a", log=lines.append)
    taken = [line for line in lines if line.startswith("distillation targets")]
    assert [line.split(":")[0] for line in taken] == [
        "distillation targets from the model after epoch 4",
        "distillation targets from the model after epoch 6",
    ]
    fit(small(**cfg), tmp_path / "b", stop_after=5, log=quiet)  # between the two snapshots
    resumed = fit(TrainConfig(), tmp_path / "b", resume=True, log=quiet)
    a = load_checkpoint(tmp_path / "a" / "checkpoint.npz")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.npz")
    assert a["distill"]["snapshots"] == b["distill"]["snapshots"] == 2
    np.testing.assert_array_equal(a["distill"]["targets"], b["distill"]["targets"])
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value, b["model"][name], err_msg=name)
    assert _without_timings(a["history"]) == _without_timings(b["history"])
    assert straight.metrics["test_accuracy"] == resumed.metrics["test_accuracy"]
    plain = fit(small(**(cfg | dict(distill=0.0))), tmp_path / "c", log=quiet).metrics
    # the same batches and bits until the first snapshot, another run after it
    assert _without_timings(plain["history"][:4]) == _without_timings(a["history"][:4])
    assert plain["history"][4]["train_loss"] != a["history"][4]["train_loss"]


def test_a_run_stopped_early_says_how_to_resume_it_naming_its_folder(tmp_path):
    lines = []
    fit(small(epochs=2), tmp_path / "run", stop_after=1, log=lines.append)
    assert lines[-2].startswith("stopped after epoch 1 of 2: ")
    assert lines[-1] == (
        f"continue it with: minigrad train --resume --out {tmp_path / 'run'} "
        "(fit(..., resume=True))"
    )


def test_resume_without_checkpoint_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        fit(TrainConfig(), tmp_path / "run", resume=True, log=quiet)
    assert not (tmp_path / "run").exists()


def test_resume_of_a_checkpoint_from_before_the_closed_form_schedule_says_what_to_do(tmp_path):
    fit(small(), tmp_path, stop_after=1, log=quiet)
    state = load_checkpoint(tmp_path / "checkpoint.npz")
    state["scheduler"] = state.pop("schedule")
    save_checkpoint(state, tmp_path / "checkpoint.npz")
    with pytest.raises(ValueError, match="written by an earlier minigrad.*--config"):
        fit(TrainConfig(), tmp_path, resume=True, log=quiet)
    assert load_model(tmp_path).epochs_completed == 1


def test_resume_keeps_config_json_as_the_run_wrote_it(tmp_path):
    fit(small(figures=False), tmp_path, stop_after=1, log=quiet)
    before = (tmp_path / "config.json").read_bytes()
    fit(TrainConfig(figures=True, data_dir=str(tmp_path)), tmp_path, resume=True, log=quiet)
    assert (tmp_path / "config.json").read_bytes() == before


def test_resume_with_contradicting_settings_lists_them_and_agreeing_ones_pass(tmp_path):
    fit(small(), tmp_path, stop_after=1, log=quiet)
    with pytest.raises(ValueError) as err:
        fit(small(lr=0.5, activation="tanh"), tmp_path, resume=True, log=quiet)
    message = str(err.value)
    assert "lr (--lr): saved 0.003, given 0.5" in message
    assert "activation (--activation): saved 'relu', given 'tanh'" in message
    assert "hidden" not in message and "epochs" not in message
    resumed = fit(small(lr=3e-3), tmp_path, resume=True, log=quiet)
    assert resumed.metrics["epochs_completed"] == 2


def test_a_folder_holding_a_run_is_refused_unless_forced(tmp_path):
    fit(small(epochs=1), tmp_path, log=quiet)
    before = (tmp_path / "checkpoint.npz").read_bytes()
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunExistsError, match="--resume.*--force"):
        fit(small(epochs=1, seed=1), tmp_path, log=quiet)
    assert (tmp_path / "checkpoint.npz").read_bytes() == before
    fit(small(epochs=1, seed=1), tmp_path, force=True, log=quiet)
    assert (tmp_path / "checkpoint.npz").read_bytes() != before
    assert (tmp_path / "notes.txt").read_text() == "mine"  # force deletes only run files


def test_the_first_line_names_the_run_folder_also_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = []
    result = fit(small(epochs=1), log=lines.append)
    assert result.run_dir.parent.name == "runs" and result.run_dir.name.startswith("digits-")
    assert lines[0] == f"run folder: {result.run_dir}" and lines[1] == "dataset: digits"


def test_callbacks_get_each_epoch_and_true_stops_the_run_normally(tmp_path):
    seen = []

    def stop_at_two(entry):
        seen.append(entry)
        return entry["epoch"] == 2

    result = fit(small(epochs=5), tmp_path, callbacks=[stop_at_two], log=quiet)
    assert [e["epoch"] for e in seen] == [1, 2]
    assert {"train_loss", "val_accuracy", "lr_start", "epoch_seconds"} <= set(seen[0])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["stopped_early"] is True and saved["epochs_completed"] == 2
    assert "test_accuracy" in saved and (tmp_path / "confusion.png").is_file()
    assert result.metrics == saved


def test_a_callbacks_exception_propagates_after_the_epoch_is_saved(tmp_path):
    class Pruned(Exception):
        pass

    def prune(entry):
        if entry["epoch"] == 2:
            raise Pruned

    with pytest.raises(Pruned):
        fit(small(epochs=4), tmp_path, callbacks=[prune], log=quiet)
    assert load_checkpoint(tmp_path / "checkpoint.npz")["epoch"] == 2
    assert json.loads((tmp_path / "metrics.json").read_text())["epochs_completed"] == 2


def test_ctrl_c_names_the_run_folder_and_the_epochs_saved(tmp_path):
    def interrupt(entry):
        if entry["epoch"] == 2:
            raise KeyboardInterrupt

    lines = []
    with pytest.raises(KeyboardInterrupt) as err:
        fit(small(epochs=4), tmp_path, callbacks=[interrupt], log=lines.append)
    assert err.value.run_dir == tmp_path and err.value.epochs_saved == 2
    assert lines[-1] == f"interrupted: 2 finished epoch(s) saved in {tmp_path}"


def test_a_non_finite_loss_raises_diverged_error_naming_epoch_and_step(tmp_path):
    """...and no NumPy overflow warnings before it (warnings are errors in the tests)."""
    cfg = small(optimizer="sgd", lr=1e12, batch_norm=False, schedule="constant", warmup=0.0)
    with pytest.raises(DivergedError, match=r"epoch 1, step \d+ of 10") as err:
        fit(cfg, tmp_path, log=quiet)
    assert issubclass(DivergedError, RuntimeError) and err.value.run_dir == tmp_path


def test_auto_falls_back_to_digits_without_copy_or_network(tmp_path):
    lines = []
    fit(TrainConfig(dataset="auto", epochs=1, hidden=(8,)), tmp_path, log=lines.append)
    assert lines[1].startswith("dataset: digits") and "unreachable" in lines[1]
    assert "127.0.0.1:9" in lines[1]


def test_auto_falls_back_to_digits_when_the_download_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(tdata, "_unreachable", lambda url, timeout: None)
    lines = []
    fit(TrainConfig(dataset="auto", epochs=1, hidden=(8,)), tmp_path, log=lines.append)
    assert lines[1].startswith("dataset: cifar10 (auto: no copy")
    assert lines[2].startswith("CIFAR-10 download failed") and "bundled digits" in lines[2]
    assert json.loads((tmp_path / "config.json").read_text())["dataset"] == "digits"


def test_cifar10_without_copy_or_network_fails_fast_with_instructions(tmp_path):
    from minigrad.data.datasets import DownloadError

    with pytest.raises(DownloadError, match="by hand"):
        fit(TrainConfig(dataset="cifar10", epochs=1), tmp_path, log=quiet)


@pytest.mark.parametrize("with_test", [False, True])
def test_cifar10_reports_heldout_accuracy_unless_test_batch_exists(tmp_path, with_test):
    fake_cifar(tmp_path / "cifar-10-batches-py", with_test=with_test)
    cfg = TrainConfig(dataset="auto", data_dir=str(tmp_path), epochs=1, hidden=(16,), val_size=32)
    lines = []
    metrics = fit(cfg, tmp_path / "run", log=lines.append).metrics
    assert lines[1].startswith("dataset: cifar10 (auto: found a local copy")
    assert ("test_accuracy" in metrics) is with_test
    assert ("heldout_accuracy" in metrics) is not with_test
    assert metrics["scored_split"] == ("test" if with_test else "val")
    assert metrics["class_names"][0] == "airplane"
    if not with_test:
        assert any("no test_batch" in line for line in lines)


def test_the_final_cifar10_score_names_the_test_time_views_that_made_it(tmp_path):
    fake_cifar(tmp_path / "cifar-10-batches-py", with_test=True)
    cfg = TrainConfig(data_dir=str(tmp_path), epochs=1, hidden=(8,), zca=0, tta="shift")
    lines = []
    fit(cfg, tmp_path / "run", log=lines.append)
    final = next(line for line in lines if line.startswith("test accuracy"))
    assert final.endswith(
        "(64 test samples, each scored as the average of 18 views (the image and its mirror "
        "image, as they are and moved 2 pixels in the 8 directions) (--tta shift; the epoch "
        "lines score the images alone))"
    )


def test_time_limit_plans_the_epochs_and_config_json_keeps_the_limit(tmp_path):
    lines = []
    fit(small(epochs=None, time_limit=1.5), tmp_path, log=lines.append)
    config = json.loads((tmp_path / "config.json").read_text())
    assert (config["epochs"], config["time_limit"]) == (None, 1.5)  # reruns plan again
    planned = json.loads((tmp_path / "metrics.json").read_text())["epochs"]
    assert planned >= 1 and any(line.startswith("time limit:") for line in lines)


def test_a_time_limited_cifar_run_plans_its_distillation_snapshots(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    cfg = dict(data_dir=str(tmp_path / "data"), hidden=(8,), val_size=32, time_limit=3.0)
    lines = []
    metrics = fit(TrainConfig(**cfg, distill=0.3, figures=False), tmp_path, log=lines.append)
    plan = next(line for line in lines if line.startswith("time limit:"))
    assert plan.endswith("s") and ", 2 distillation snapshots at ~" in plan
    assert metrics.metrics["epochs_completed"] == metrics.metrics["epochs"]
    taken = [line for line in lines if line.startswith("distillation targets")]
    # a loaded machine may fit only one epoch in the 3 s, which leaves no time to snapshot
    assert len(taken) <= 2 and (len(taken) >= 1 or metrics.metrics["epochs"] == 1)


def test_resume_of_a_time_limited_cifar_run_keeps_its_data_dir_and_plan(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    cfg = TrainConfig(data_dir=str(tmp_path / "data"), hidden=(8,), val_size=32, time_limit=1.0)
    fit(cfg, tmp_path / "run", stop_after=1, log=quiet)
    planned = json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs"]
    metrics = fit(TrainConfig(), tmp_path / "run", resume=True, log=quiet).metrics
    assert metrics["epochs_completed"] == metrics["epochs"] == planned
    assert "heldout_accuracy" in metrics


def test_a_cifar_run_with_affine_augmentation_resumes_bit_for_bit(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    cfg = dict(data_dir=str(tmp_path / "data"), hidden=(8,), val_size=32, epochs=2, zca=0.1)
    cfg |= dict(affine=(10.0, 0.1), batch_size=64, figures=False)
    lines = []
    straight = fit(TrainConfig(**cfg), tmp_path / "a", log=lines.append)
    assert any("affine 10 degrees, scale 0.1" in line for line in lines)
    fit(TrainConfig(**cfg), tmp_path / "b", stop_after=1, log=quiet)
    resumed = fit(TrainConfig(), tmp_path / "b", resume=True, log=quiet)
    assert resumed.config.affine == (10.0, 0.1)
    a = load_checkpoint(tmp_path / "a" / "checkpoint.npz")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.npz")
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value, b["model"][name], err_msg=name)
    assert _without_timings(a["history"]) == _without_timings(b["history"])
    assert straight.metrics["heldout_accuracy"] == resumed.metrics["heldout_accuracy"]
    plain = fit(TrainConfig(**(cfg | dict(affine=(0.0, 0.0)))), tmp_path / "c", log=quiet)
    assert plain.metrics["history"][0]["train_loss"] != a["history"][0]["train_loss"]


def test_augment_on_non_cifar_data_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="32x32 images"):
        fit(small(augment=True), tmp_path, log=quiet)


def test_the_wall_time_of_a_run_counts_its_final_score(tmp_path, monkeypatch):
    import time

    from minigrad.train import run as run_module

    scored = run_module.score

    def slow_final_score(*args, **kwargs):
        if "views" in kwargs:  # the final score passes the run's views (None here)
            time.sleep(0.5)
        return scored(*args, **kwargs)

    monkeypatch.setattr(run_module, "score", slow_final_score)
    metrics = fit(small(epochs=1), tmp_path, log=quiet).metrics
    assert metrics["wall_seconds_this_run"] >= metrics["train_seconds"] + 0.5


def test_a_cifar_run_saved_before_pca_existed_resumes_without_the_projection(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    cfg = dict(data_dir=str(tmp_path / "data"), hidden=(8,), val_size=32, epochs=2, zca=0.1)
    fit(TrainConfig(**cfg, pca=0, figures=False), tmp_path / "run", stop_after=1, log=quiet)
    state = load_checkpoint(tmp_path / "run" / "checkpoint.npz")
    del state["config"]["pca"]
    save_checkpoint(state, tmp_path / "run" / "checkpoint.npz")
    written = json.loads((tmp_path / "run" / "config.json").read_text())
    del written["pca"]
    (tmp_path / "run" / "config.json").write_text(json.dumps(written))
    resumed = fit(TrainConfig(), tmp_path / "run", resume=True, log=quiet)
    assert resumed.config.pca == 0 and resumed.metrics["epochs_completed"] == 2


def test_an_unfinished_run_checkpoints_lean_and_the_finished_one_holds_everything(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    cfg = dict(data_dir=str(tmp_path / "data"), hidden=(8,), val_size=32, epochs=2, zca=0.1)
    out = tmp_path / "run"
    fit(TrainConfig(**cfg, figures=False), out, stop_after=1, log=quiet)
    assert (out / "preprocess.npz").is_file()
    whitening = load_model(out).preprocess.whitening
    assert whitening is not None and whitening.shape == (3072, 3072)
    assert (out / "checkpoint.npz").stat().st_size < whitening.nbytes  # not in it
    fit(TrainConfig(), out, resume=True, log=quiet)
    assert not (out / "preprocess.npz").exists()
    moved = tmp_path / "elsewhere.npz"
    (out / "checkpoint.npz").rename(moved)  # travels alone
    np.testing.assert_array_equal(load_model(moved).preprocess.whitening, whitening)


def test_matmul_precision_holds_for_the_run_and_is_put_back(tmp_path):
    import minigrad as mg

    during, lines = [], []
    result = fit(
        small(matmul_precision="medium", figures=False),
        tmp_path / "run",
        log=lines.append,
        callbacks=[lambda entry: during.append(mg.get_float32_matmul_precision())],
    )
    assert during == ["medium", "medium"] and mg.get_float32_matmul_precision() == "highest"
    assert result.config.matmul_precision == "medium"
    assert any(line.startswith("matrix products: --matmul-precision medium") for line in lines)
    assert fit(small(figures=False), tmp_path / "plain", log=quiet).config.matmul_precision == (
        "highest"
    )


@pytest.mark.skipif(
    not __import__("minigrad").precision._mkl(), reason="needs bfloat16 products (mkl, AMX)"
)
def test_a_cifar_run_with_bfloat16_products_resumes_bit_for_bit(tmp_path):
    """The fixed projection stays read-only (rounded once) after a resume, and the run
    differs from its float32 twin."""
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    cfg = dict(data_dir=str(tmp_path / "data"), hidden=(8,), val_size=32, epochs=2, zca=0.1)
    cfg |= dict(pca=16, matmul_precision="medium", batch_size=64, figures=False)
    fit(TrainConfig(**cfg), tmp_path / "a", log=quiet)
    fit(TrainConfig(**cfg), tmp_path / "b", stop_after=1, log=quiet)
    resumed = fit(TrainConfig(), tmp_path / "b", resume=True, log=quiet)
    assert not resumed.model[0].weight.data.flags.writeable
    a = load_checkpoint(tmp_path / "a" / "checkpoint.npz")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.npz")
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value, b["model"][name], err_msg=name)
    plain = fit(TrainConfig(**(cfg | dict(matmul_precision="highest"))), tmp_path / "c", log=quiet)
    assert plain.metrics["history"][0]["train_loss"] != a["history"][0]["train_loss"]
