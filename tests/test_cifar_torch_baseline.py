"""benchmarks/cifar_torch_baseline.py: the PyTorch side of the recipe takes the recipe's
options (EMA, mixup, CutMix, test-time views, matmul precision) and scores the validation
split or the official test batch. Tiny fake CIFAR-10 copies, a small network, no whitening."""

import importlib.util
import json
from pathlib import Path

import pytest
from train_helpers import fake_cifar, no_network  # noqa: F401

from minigrad.train import defaults

torch = pytest.importorskip("torch")
SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "cifar_torch_baseline.py"


@pytest.fixture
def baseline(monkeypatch):
    spec = importlib.util.spec_from_file_location("cifar_torch_baseline", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    small = {**defaults.DATASET_DEFAULTS["cifar10"], "hidden": (16,), "zca": 0.0}
    monkeypatch.setitem(defaults.DATASET_DEFAULTS, "cifar10", small)
    previous = torch.get_float32_matmul_precision()  # the script sets the recipe's
    yield module
    torch.set_float32_matmul_precision(previous)


def _result(capsys):
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def test_scores_the_validation_split_with_the_recipes_options(baseline, tmp_path, capsys):
    fake_cifar(tmp_path / "cifar-10-batches-py", n=1020, with_test=True)  # 5,100 images
    args = ["--data-dir", str(tmp_path), "--epochs", "2", "--ema", "0.9", "--mixup", "0.4"]
    baseline.main([*args, "--cutmix", "1.0", "--tta", "dense", "--threads", "1"])
    result = _result(capsys)
    assert result["split"] == "val" and 0 <= result["heldout_accuracy"] <= 1
    assert result["options"] == {
        "ema": 0.9,
        "mixup": 0.4,
        "cutmix": 1.0,
        "distill": 0.0,
        "tta": "dense",
        "matmul_precision": "medium",  # the recipe's default
    }
    assert torch.get_float32_matmul_precision() == "medium"


def test_distills_from_its_own_snapshots_as_minigrad_train(baseline, tmp_path, capsys):
    fake_cifar(tmp_path / "cifar-10-batches-py", n=1020)
    args = ["--data-dir", str(tmp_path), "--epochs", "4", "--distill", "0.5", "--threads", "1"]
    baseline.main([*args, "--tta", "flip"])
    result = _result(capsys)
    assert result["options"]["distill"] == 0.5 and 0 <= result["heldout_accuracy"] <= 1


def test_scores_the_test_batch_when_the_copy_has_one(baseline, tmp_path, capsys):
    fake_cifar(tmp_path / "with" / "cifar-10-batches-py", with_test=True)
    baseline.main(["--data-dir", str(tmp_path / "with"), "--epochs", "1", "--split", "test"])
    result = _result(capsys)
    assert result["split"] == "test" and 0 <= result["test_accuracy"] <= 1
    fake_cifar(tmp_path / "without" / "cifar-10-batches-py")
    with pytest.raises(SystemExit):
        baseline.main(["--data-dir", str(tmp_path / "without"), "--epochs", "1", "--split", "test"])
    assert "has no test_batch" in capsys.readouterr().err


def test_the_torch_average_follows_minigrads_warmed_up_formula(baseline):
    from minigrad.train.averaging import ema_decay

    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    fn = baseline.ema_multi_avg_fn(torch, 0.9)
    average = torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=fn, use_buffers=True)
    average.update_parameters(model)
    expected = model[0].weight.detach().clone()
    for t in range(1, 6):
        with torch.no_grad():
            model[0].weight.add_(1.0)
        model(torch.randn(4, 3))
        average.update_parameters(model)
        d = ema_decay(0.9, t)
        expected = d * expected + (1 - d) * model[0].weight.detach()
    torch.testing.assert_close(average.module[0].weight, expected)
    assert int(average.module[1].num_batches_tracked) == 5
