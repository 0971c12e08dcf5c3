"""mg.manual_seed and the default generator that layers, dropout, DataLoader and randn use."""

import runpy
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.data import DataLoader, TensorDataset
from minigrad.random import default_generator, generator

TRAIN_SCRIPT = textwrap.dedent(
    """
    import sys

    import numpy as np

    import minigrad as mg
    import minigrad.nn as nn
    import minigrad.nn.functional as F
    from minigrad import optim
    from minigrad.data import DataLoader, TensorDataset

    def train(seed):
        if seed is not None:
            mg.manual_seed(seed)
        data = np.linspace(-1, 1, 48 * 5).reshape(48, 5)
        labels = np.arange(48) % 3
        model = nn.Sequential(
            nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3)
        )
        noise = mg.randn(3)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loader = DataLoader(TensorDataset(data, labels), batch_size=8, shuffle=True)
        for _ in range(3):
            for x, y in loader:
                opt.zero_grad()
                F.cross_entropy(model(x), y.data).backward()
                opt.step()
        state = model.state_dict()
        state["noise"] = noise.data
        return state

    if __name__ == "__main__":
        seed = None if sys.argv[1] == "none" else int(sys.argv[1])
        mg.save(train(seed), sys.argv[2])
    """
)


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "train_tiny.py"
    path.write_text(TRAIN_SCRIPT)
    return path


def run_script(script, seed, out):
    subprocess.run([sys.executable, str(script), str(seed), str(out)], check=True, timeout=120)
    return mg.load(out)


def assert_same(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k].tobytes() == b[k].tobytes(), k


def differs(a, b):
    return any(a[k].tobytes() != b[k].tobytes() for k in a)


def test_two_runs_of_a_training_script_with_the_same_seed_agree_bit_for_bit(script, tmp_path):
    first = run_script(script, 0, tmp_path / "a.npz")
    second = run_script(script, 0, tmp_path / "b.npz")
    assert_same(first, second)


def test_different_seeds_and_no_seed_give_different_runs(script):
    train = runpy.run_path(str(script))["train"]
    seeded = train(0)
    assert_same(seeded, train(0))  # in one process too
    assert differs(seeded, train(1))
    assert differs(train(None), train(None))


def test_manual_seed_returns_the_default_generator_reseeded_in_place():
    gen = default_generator()
    assert mg.manual_seed(5) is gen
    first = gen.random(3)
    mg.manual_seed(5)
    np.testing.assert_array_equal(gen.random(3), first)
    np.testing.assert_array_equal(first, np.random.default_rng(5).random(3))


def test_randn_and_rand_follow_the_seed():
    mg.manual_seed(3)
    a, b = mg.randn(4), mg.rand(2, 2)
    mg.manual_seed(3)
    np.testing.assert_array_equal(mg.randn(4).data, a.data)
    np.testing.assert_array_equal(mg.rand(2, 2).data, b.data)
    assert not np.array_equal(mg.randn(4).data, a.data)


def test_init_functions_follow_the_seed():
    w = nn.Parameter(np.zeros((4, 3)))
    mg.manual_seed(2)
    nn.init.xavier_normal_(w)
    first = w.data.copy()
    mg.manual_seed(2)
    nn.init.xavier_normal_(w)
    np.testing.assert_array_equal(w.data, first)


def test_dropout_built_before_the_seed_follows_it():
    drop = nn.Dropout(0.5)
    x = mg.ones(50)
    mg.manual_seed(11)
    first = drop(x).data
    mg.manual_seed(11)
    np.testing.assert_array_equal(drop(x).data, first)
    assert not np.array_equal(drop(x).data, first)


def test_loader_without_seed_draws_its_seed_from_the_default_generator():
    ds = TensorDataset(np.arange(20))
    mg.manual_seed(4)
    a = DataLoader(ds, batch_size=5, shuffle=True)
    mg.manual_seed(4)
    b = DataLoader(ds, batch_size=5, shuffle=True)
    assert a.seed == b.seed
    assert [t.data.tolist() for (t,) in a] == [t.data.tolist() for (t,) in b]
    assert DataLoader(ds, batch_size=5, shuffle=True).seed != a.seed


def test_explicit_rng_and_seed_ignore_and_leave_the_default_generator():
    mg.manual_seed(0)
    state = default_generator().bit_generator.state
    reference = nn.Linear(3, 2, rng=7).weight.data.copy()
    loader = DataLoader(TensorDataset(np.arange(6)), shuffle=True, seed=9)
    nn.Dropout(0.5, rng=1)(mg.ones(5))
    mg.randn(3, rng=np.random.default_rng(2))
    assert default_generator().bit_generator.state == state
    mg.manual_seed(123)
    np.testing.assert_array_equal(nn.Linear(3, 2, rng=7).weight.data, reference)
    assert loader.seed == 9


def test_numpy_global_seed_is_neither_used_nor_touched():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    mg.manual_seed(1)
    a = nn.Linear(4, 4).weight.data.copy()
    np.random.seed(0)
    mg.manual_seed(2)
    assert not np.array_equal(nn.Linear(4, 4).weight.data, a)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_generator_normalises_what_rng_arguments_accept():
    gen = np.random.default_rng(0)
    assert generator(gen) is gen
    assert generator(None) is default_generator()
    np.testing.assert_array_equal(generator(3).random(2), np.random.default_rng(3).random(2))


@pytest.mark.parametrize(
    ("seed", "error", "match"),
    [
        (1.5, TypeError, "must be an int, got float"),
        ("0", TypeError, "must be an int, got str"),
        (True, TypeError, "must be an int, got bool"),
        (-1, ValueError, "non-negative, got -1"),
    ],
)
def test_bad_seed_is_a_clear_error(seed, error, match):
    with pytest.raises(error, match=match):
        mg.manual_seed(seed)


def test_numpy_integer_seed_is_accepted():
    mg.manual_seed(np.int64(6))
    a = mg.rand(3).data
    mg.manual_seed(6)
    np.testing.assert_array_equal(mg.rand(3).data, a)
