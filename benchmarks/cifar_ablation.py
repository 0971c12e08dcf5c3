"""The CIFAR-10 ablation of docs/training.md: the default `minigrad train`, then the default
with one of its tricks removed per row, each a real `minigrad train` command.

    python benchmarks/cifar_ablation.py --data-dir DIR --row default      # one row, <= 15 min
    python benchmarks/cifar_ablation.py --data-dir DIR --row no-zca
    python benchmarks/cifar_ablation.py --table                           # the rows run so far

Run one row at a time on an otherwise quiet machine (each row times itself, and two rows at
once would share the cores). Each row's run folder is `runs/ablation/<row>` (`--out-dir`);
the table reads their `metrics.json`: the held-out (validation) accuracy, the seconds of
training, the epochs the time limit allowed, and the wall time of the whole command.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

# row -> (what is removed, the options that remove it)
ROWS = {
    "default": ("nothing: the default recipe", []),
    "no-shift-tta": ("the shifted test-time views (flip views only)", ["--tta", "flip"]),
    "no-tta": ("test-time augmentation", ["--tta", "none"]),
    "no-zca": ("ZCA whitening (per-channel normalisation instead)", ["--zca", "0"]),
    "no-augment": ("random crops and flips while training", ["--no-augment"]),
    "no-label-smoothing": ("label smoothing", ["--label-smoothing", "0"]),
}


def run_row(row: str, data_dir: str, out_dir: Path) -> dict:
    """Run `minigrad train` for `row` (replacing an earlier run of it); return its summary."""
    out = out_dir / row
    command = ["minigrad", "train", "--data-dir", data_dir, "--out", str(out), "--force"]
    command += ROWS[row][1]
    print("$", " ".join(command), flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - start
    summary = {"row": row, "command": command, "wall_seconds": wall}
    (out / "ablation.json").write_text(json.dumps(summary, indent=1))
    return summary


def table(out_dir: Path) -> str:
    """The markdown table of every row run so far."""
    lines = [
        "| removed | options | held-out accuracy | epochs | training (s) | wall (s) |",
        "|---|---|---|---|---|---|",
    ]
    for row, (removed, options) in ROWS.items():
        folder = out_dir / row
        if not (folder / "ablation.json").is_file():
            continue
        metrics = json.loads((folder / "metrics.json").read_text())
        wall = json.loads((folder / "ablation.json").read_text())["wall_seconds"]
        lines.append(
            f"| {removed} | `{' '.join(options) or '(none)'}` | "
            f"{100 * metrics['heldout_accuracy']:.2f}% | {metrics['epochs_completed']} | "
            f"{metrics['train_seconds']:.0f} | {wall:.0f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", help="the folder holding CIFAR-10 (without its test batch)")
    p.add_argument("--row", choices=list(ROWS), action="append", help="run this row")
    p.add_argument("--out-dir", type=Path, default=Path("runs/ablation"))
    p.add_argument("--table", action="store_true", help="print the table of the rows run")
    args = p.parse_args(argv)
    if args.row and not args.data_dir:
        p.error("--row needs --data-dir")
    for row in args.row or []:
        run_row(row, args.data_dir, args.out_dir)
    if args.table or not args.row:
        print(table(args.out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
