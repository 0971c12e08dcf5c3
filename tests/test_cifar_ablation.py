"""benchmarks/cifar_ablation.py: every row is a command `minigrad` accepts, and `--epochs`
fixes the length of the training rows (not of the rows that only rescore, nor of the
time-limited fast tier)."""

import importlib.util
from pathlib import Path

import pytest

from minigrad.cli import build_parser

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "cifar_ablation.py"


@pytest.fixture(scope="module")
def ablation():
    spec = importlib.util.spec_from_file_location("cifar_ablation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_row_parses_as_a_minigrad_command(ablation, tmp_path):
    (tmp_path / "default").mkdir()
    (tmp_path / "default" / "metrics.json").write_text("{}")
    for row in ablation.ROWS:
        command = ablation.row_command(row, "data", tmp_path, epochs=30)
        assert command[0] == "minigrad"
        args = build_parser().parse_args(command[1:])
        if command[1] == "train":
            fixed = row != "fast"
            assert (getattr(args, "epochs", None) == 30) is fixed, row
            assert (getattr(args, "time_limit", None) == 270) is (row == "fast"), row


def test_rescoring_rows_need_the_default_run(ablation, tmp_path):
    with pytest.raises(SystemExit, match="run --row default first"):
        ablation.row_command("dense-tta", "data", tmp_path)


def test_base_options_come_first_and_the_rows_own_win(ablation, tmp_path):
    base = "--zca 0.1 --tta shift --time-limit 780"
    command = ablation.row_command("zca-0.1", "data", tmp_path, base=base)
    args = build_parser().parse_args(command[1:])
    assert (args.zca, args.tta, args.time_limit) == (0.1, "shift", 780)
    base = "--zca 0.1 --tta shift"  # with --epochs, the rows' length
    command = ablation.row_command("no-zca", "data", tmp_path, epochs=150, base=base)
    args = build_parser().parse_args(command[1:])
    assert (args.zca, args.tta, args.epochs) == (0.0, "shift", 150)
