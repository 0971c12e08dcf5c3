"""The CIFAR-10 ablation of docs/training-recipe.md: the default `minigrad train`, then the
default with one of its tricks removed, or one candidate trick added, per row.

    python benchmarks/cifar_ablation.py --data-dir DIR --row default      # one row, <= 15 min
    python benchmarks/cifar_ablation.py --data-dir DIR --row no-zca
    python benchmarks/cifar_ablation.py --data-dir DIR --row no-tta       # about a minute
    python benchmarks/cifar_ablation.py --table                           # the rows run so far
    python benchmarks/cifar_ablation.py --data-dir DIR --epochs 30 --row default --row ema

With `--epochs N` every training row trains exactly N epochs instead of filling the time
limit (into `runs/ablation-eN`): the rows then compare what a trick does per epoch, whatever
else the machine is doing, and the wall column says what the epochs cost.

A training row is a real `minigrad train` command. Run one at a time on an otherwise quiet
machine (each row times itself, and two rows at once would share the cores); its run folder
is `runs/ablation/<row>` (`--out-dir`). Test-time views change only the scoring, so a view
row scores the default row's own weights again (`minigrad evaluate --tta ...`; run the
default row first). The table reads each row's numbers: the held-out (validation) accuracy,
the seconds of training, the epochs the time limit allowed, and the wall time of the command.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

# row -> (what changes, the options that change it)
ROWS = {
    "default": ("nothing: the default recipe", []),
    "fast": ("a 270 s budget (the five-minute tier)", ["--time-limit", "270"]),
    "shift-tta": (
        "18 test-time views (moves of 2 pixels) instead of the grid's 50",
        ["--tta", "shift"],
    ),
    "no-shift-tta": ("without the shifted test-time views (flip views only)", ["--tta", "flip"]),
    "no-tta": ("without test-time augmentation", ["--tta", "none"]),
    "zca-0.1": ("weaker whitening, eps 0.1 (the default before)", ["--zca", "0.1"]),
    "no-zca": ("without ZCA whitening (per-channel normalisation instead)", ["--zca", "0"]),
    "no-pca": ("all 3072 whitened pixels into the first layer (no PCA projection)", ["--pca", "0"]),
    "pca-768": ("768 principal directions instead of 512", ["--pca", "768"]),
    "no-augment": ("without random crops and flips while training", ["--no-augment"]),
    "no-label-smoothing": ("without label smoothing", ["--label-smoothing", "0"]),
    "dense-tta": ("34 test-time views (1 and 2 pixel moves)", ["--tta", "dense"]),
    "ema": ("plus weight averaging", ["--ema", "0.998"]),
    "mixup": ("plus mixup", ["--mixup", "0.2"]),
    "cutmix": ("plus CutMix", ["--cutmix", "1.0"]),
    "affine": ("crops also turned up to 10 degrees, scaled 0.9-1.1", ["--affine", "10,0.1"]),
    "affine-strong": ("crops turned up to 15 degrees, scaled 0.85-1.15", ["--affine", "15,0.15"]),
    "dropout": ("plus dropout 0.2 after each hidden layer", ["--dropout", "0.2"]),
    "weight-decay": ("twice the weight decay (0.1)", ["--weight-decay", "0.1"]),
    "distill": ("plus self-distillation from its own snapshots (weight 0.5)", ["--distill", "0.5"]),
    "deeper": ("three hidden layers of 1024", ["--hidden", "1024,1024,1024"]),
    "wider": ("hidden layers of 2048 and 1024", ["--hidden", "2048,1024"]),
}


def rescored_views(row: str) -> str | None:
    """The `--tta` views of a row that changes only the scoring (it rescores the default
    row's weights), else None."""
    options = ROWS[row][1]
    return options[1] if options[:1] == ["--tta"] else None


def row_command(
    row: str, data_dir: str, out_dir: Path, epochs: int | None = None, base: str = ""
) -> list[str]:
    """The command of `row`: `minigrad evaluate` of the default run for a view row,
    `minigrad train` (replacing an earlier run of the row) otherwise, with the options
    `base` first (the row's own come after them, so they win)."""
    if rescored_views(row):
        default = out_dir / "default"
        if not (default / "metrics.json").is_file():
            raise SystemExit(f"row {row} rescores the default run: run --row default first")
        split = ["--split", "val"]  # the held-out split that metrics.json scores
        return ["minigrad", "evaluate", str(default), "--data-dir", data_dir, *split, *ROWS[row][1]]
    out = out_dir / row
    train = ["minigrad", "train", "--data-dir", data_dir, "--out", str(out), "--force"]
    length = [] if epochs is None or row == "fast" else ["--epochs", str(epochs)]
    return train + shlex.split(base) + ROWS[row][1] + length


def run_row(
    row: str, data_dir: str, out_dir: Path, epochs: int | None = None, base: str = ""
) -> dict:
    """Run the command of `row`; return its summary (also written to `<row>.json`)."""
    command = row_command(row, data_dir, out_dir, epochs, base)
    print("$", " ".join(command), flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - start
    summary = {"row": row, "command": command, "wall_seconds": wall}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{row}.json").write_text(json.dumps(summary, indent=1))
    return summary


def row_numbers(row: str, out_dir: Path) -> tuple[float, int, str]:
    """(held-out accuracy, epochs, seconds of training or "-") of a row that has run."""
    views = rescored_views(row)
    if views:
        scored = out_dir / "default" / f"evaluate-val-{views}.json"
        numbers = json.loads(scored.read_text())
        return numbers["accuracy"], numbers["epochs_completed"], "-"
    metrics = json.loads((out_dir / row / "metrics.json").read_text())
    train = f"{metrics['train_seconds']:.0f}"
    return metrics["heldout_accuracy"], metrics["epochs_completed"], train


def table(out_dir: Path) -> str:
    """The markdown table of every row run so far."""
    lines = [
        "| change | options | held-out accuracy | epochs | training (s) | wall (s) |",
        "|---|---|---|---|---|---|",
    ]
    for row, (change, options) in ROWS.items():
        summary = out_dir / f"{row}.json"
        if not summary.is_file():
            continue
        wall = json.loads(summary.read_text())["wall_seconds"]
        accuracy, epochs, train = row_numbers(row, out_dir)
        lines.append(
            f"| {change} | `{' '.join(options) or '(none)'}` | {100 * accuracy:.2f}% | "
            f"{epochs} | {train} | {wall:.0f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", help="the folder holding CIFAR-10 (without its test batch)")
    p.add_argument("--row", choices=list(ROWS), action="append", help="run this row")
    p.add_argument("--out-dir", type=Path, help="default: runs/ablation (runs/ablation-eN)")
    p.add_argument("--epochs", type=int, help="train every row exactly this many epochs")
    p.add_argument(
        "--base",
        default="",
        help="options every training row adds, e.g. the earlier recipe's "
        '"--zca 0.1 --tta shift --pca 0 --time-limit 780"',
    )
    p.add_argument("--table", action="store_true", help="print the table of the rows run")
    args = p.parse_args(argv)
    if args.row and not args.data_dir:
        p.error("--row needs --data-dir")
    out_dir = args.out_dir or Path("runs/ablation" + (f"-e{args.epochs}" if args.epochs else ""))
    for row in args.row or []:
        run_row(row, args.data_dir, out_dir, args.epochs, args.base)
    if args.table or not args.row:
        print(table(out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
