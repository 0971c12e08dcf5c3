"""minigrad.train.mixing (`--mixup`, `--cutmix`): the blends, their labels and weights, the
loss, and runs that mix and resume bit for bit."""

import numpy as np
import pytest
from train_helpers import fake_cifar, no_network, quiet, small  # noqa: F401

from minigrad import Tensor
from minigrad.train import TrainConfig, fit
from minigrad.train.checkpoint import load_checkpoint
from minigrad.train.config import ConfigError
from minigrad.train.loop import loss_function, mixed_loss
from minigrad.train.mixing import MixedBatch, Mixer, mixing_rng

SHAPE = (3, 8, 8)


def _batch(n=16):
    rng = np.random.default_rng(5)
    return rng.standard_normal((n, 3 * 8 * 8)).astype(np.float32), np.arange(n) % 10


def test_mixup_blends_each_image_with_its_partner_by_lam():
    x, y = _batch()
    out = Mixer(0.4, 0.0)(x, y, np.random.default_rng(1))
    rng = np.random.default_rng(1)
    perm = rng.permutation(len(x))
    lam = rng.beta(0.4, 0.4)
    assert out.lam == pytest.approx(lam)
    np.testing.assert_allclose(out.x, lam * x + (1 - lam) * x[perm], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out.y_other, y[perm])
    assert out.x.dtype == np.float32 and out.y is y


def test_cutmix_pastes_one_box_of_the_partner_and_lam_is_the_part_left():
    x, y = _batch()
    for seed in range(20):
        out = Mixer(0.0, 1.0, SHAPE)(x, y, np.random.default_rng(seed))
        perm = np.random.default_rng(seed).permutation(len(x))
        images, partner = out.x.reshape(-1, *SHAPE), x.reshape(-1, *SHAPE)[perm]
        pasted = np.all(images == partner, axis=(0, 1)) & ~np.all(
            images == x.reshape(-1, *SHAPE), axis=(0, 1)
        )
        kept = np.all(images == x.reshape(-1, *SHAPE), axis=(0, 1))
        assert (pasted | kept).all()  # each pixel is either the image's or its partner's
        rows, cols = np.flatnonzero(pasted.any(1)), np.flatnonzero(pasted.any(0))
        if len(rows):  # the pasted pixels form one box
            assert pasted[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].all()
        assert out.lam == pytest.approx(1 - pasted.sum() / 64)
        np.testing.assert_array_equal(out.y_other, y[perm])


def test_with_both_each_batch_takes_one_at_random():
    x, y = _batch()
    mixer, rng = Mixer(0.4, 1.0, SHAPE), np.random.default_rng(0)
    kinds = []
    for _ in range(20):
        replay = np.random.default_rng(0)
        replay.bit_generator.state = rng.bit_generator.state
        cut = replay.random() < 0.5  # the draw that picks one
        perm = replay.permutation(len(x))
        out = mixer(x, y, rng)
        pixels_of_either = np.all((out.x == x) | (out.x == x[perm]))
        assert pixels_of_either == cut
        kinds.append(cut)
    assert 0 < sum(kinds) < 20


def test_the_training_accuracy_counts_the_label_of_the_larger_share():
    y, other = np.array([1, 2]), np.array([3, 4])
    assert MixedBatch(np.zeros((2, 1)), y, other, 0.7).main_labels is y
    assert MixedBatch(np.zeros((2, 1)), y, other, 0.3).main_labels is other


def test_the_mixed_loss_is_cross_entropy_against_the_blended_smoothed_targets():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 10))
    y, other, lam = rng.integers(0, 10, 6), rng.integers(0, 10, 6), 0.3
    loss_fn = loss_function(TrainConfig(label_smoothing=0.1))
    got = mixed_loss(loss_fn, Tensor(logits), MixedBatch(np.zeros((6, 1)), y, other, lam))
    eye = np.eye(10)
    target = torch.tensor(lam * eye[y] + (1 - lam) * eye[other])
    want = torch.nn.functional.cross_entropy(torch.tensor(logits), target, label_smoothing=0.1)
    assert got.item() == pytest.approx(want.item(), rel=1e-12)


def test_mixing_draws_depend_on_seed_and_epoch_only():
    a, b = mixing_rng(0, 3).random(4), mixing_rng(0, 3).random(4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, mixing_rng(0, 4).random(4))
    assert not np.array_equal(a, mixing_rng(1, 3).random(4))


def test_settings_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="--mixup"):
        TrainConfig(mixup=-1.0).validate()
    with pytest.raises(ConfigError, match="--cutmix.*CIFAR-10, not digits"):
        fit(small(cutmix=1.0), tmp_path, log=quiet)
    with pytest.raises(ValueError, match="CutMix needs images"):
        Mixer(0.0, 1.0, (64,))


def test_a_mixed_cifar_run_resumes_bit_for_bit(tmp_path):
    fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    cfg = dict(data_dir=str(tmp_path / "data"), hidden=(8,), val_size=32, epochs=2, zca=0)
    cfg |= dict(mixup=0.4, cutmix=1.0, ema=0.9, batch_size=64)
    straight = fit(TrainConfig(**cfg), tmp_path / "a", log=quiet)
    fit(TrainConfig(**cfg), tmp_path / "b", stop_after=1, log=quiet)
    resumed = fit(TrainConfig(), tmp_path / "b", resume=True, log=quiet)
    a = load_checkpoint(tmp_path / "a" / "checkpoint.npz")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.npz")
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value, b["model"][name], err_msg=name)
    for name, value in a["ema"]["model"].items():
        np.testing.assert_array_equal(value, b["ema"]["model"][name], err_msg=name)
    losses = [h["train_loss"] for h in a["history"]]
    assert losses == [h["train_loss"] for h in b["history"]]
    assert straight.metrics["heldout_accuracy"] == resumed.metrics["heldout_accuracy"]
    plain = fit(TrainConfig(**(cfg | dict(mixup=0.0, cutmix=0.0))), tmp_path / "c", log=quiet)
    assert plain.metrics["history"][0]["train_loss"] != losses[0]  # the mixing changed it
