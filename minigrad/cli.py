"""The `minigrad` command: `minigrad train [options]` and `minigrad evaluate CHECKPOINT`.

With no options, `minigrad train` trains the tuned CIFAR-10 MLP when a CIFAR-10 copy is
found (or can be downloaded), else a small MLP on the bundled digits in a few seconds.
"""

from __future__ import annotations

import argparse
import sys

from minigrad.training.builders import ACTIVATIONS, OPTIMIZERS, SCHEDULES

__all__ = ["main", "build_parser"]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _size(text: str) -> int | float:
    """A count (`5000`) or a fraction (`0.1`) of the samples."""
    value = float(text)
    if value < 0 or (value >= 1 and not value.is_integer()):
        raise argparse.ArgumentTypeError(f"give a count >= 0 or a fraction in [0, 1), got {text}")
    return int(value) if value >= 1 or value == 0 else value


def _hidden(text: str) -> tuple[int, ...]:
    """`1024,512` -> (1024, 512); `""` or `none` -> () (a linear classifier)."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths like 1024,512, got {text!r}") from None
    if any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"widths must be >= 1, got {text!r}")
    return widths


def _betas(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected two numbers like 0.9,0.999, got {text!r}")
    return float(parts[0]), float(parts[1])


def _add_train_args(p: argparse.ArgumentParser) -> None:
    data = p.add_argument_group("data")
    data.add_argument(
        "--dataset",
        default="auto",
        choices=("auto", "cifar10", "digits", "spiral"),
        help="auto: CIFAR-10 if found or downloadable, else the bundled digits",
    )
    data.add_argument(
        "--data-dir",
        help="folder with cifar-10-batches-py/ or the tarball "
        "(default $MINIGRAD_DATA, else ~/.cache/minigrad)",
    )
    data.add_argument(
        "--val-size",
        type=_size,
        help="validation samples, a count or fraction "
        "(CIFAR-10: 5000 without test_batch, else 0; digits/spiral: 0.15)",
    )
    data.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="random crop (pad 4) + horizontal flip (default: on for CIFAR-10)",
    )
    model = p.add_argument_group("model")
    model.add_argument(
        "--hidden",
        type=_hidden,
        help="hidden widths, e.g. 1024,512 "
        "(default: 1024,512 for CIFAR-10, 256 for digits, 100 for spiral)",
    )
    model.add_argument("--activation", default="relu", choices=tuple(ACTIVATIONS))
    model.add_argument(
        "--dropout", type=float, default=0.0, help="dropout after each hidden layer (default 0)"
    )
    model.add_argument(
        "--batch-norm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="BatchNorm1d after each hidden Linear (default on)",
    )
    loss = p.add_argument_group("loss and optimisation")
    loss.add_argument("--loss", default="softmax", choices=("softmax", "svm"))
    loss.add_argument("--label-smoothing", type=float, help="default 0.1 (softmax loss)")
    loss.add_argument(
        "--optimizer",
        default="adamw",
        choices=OPTIMIZERS,
        help="momentum/nesterov are SGD with --momentum (default adamw)",
    )
    loss.add_argument(
        "--lr",
        type=float,
        help="peak learning rate (default 3e-3 for adam/adamw, 5e-3 on CIFAR-10, "
        "0.05 momentum/nesterov, 0.1 sgd, 0.01 adagrad, 1 adadelta, 1e-3 rmsprop)",
    )
    loss.add_argument("--momentum", type=float, default=0.9)
    loss.add_argument("--betas", type=_betas, default=(0.9, 0.999))
    loss.add_argument(
        "--weight-decay",
        type=float,
        default=0.05,
        help="on weight matrices only (decoupled for adamw; default 0.05)",
    )
    loss.add_argument("--schedule", default="cosine", choices=SCHEDULES)
    loss.add_argument(
        "--warmup",
        type=float,
        default=0.05,
        help="linear warm-up, fraction of all steps (onecycle: pct_start)",
    )
    loss.add_argument(
        "--epochs",
        type=_positive_int,
        help="default: 20 digits; CIFAR-10 plans them from --time-limit 780",
    )
    loss.add_argument(
        "--time-limit",
        type=float,
        metavar="SECONDS",
        help="plan the number of epochs to fit this wall-clock budget, data loading "
        "included (default 780 for CIFAR-10)",
    )
    loss.add_argument("--batch-size", type=_positive_int, help="default 512 CIFAR-10, 64 digits")
    run = p.add_argument_group("run")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--out", help="output folder (default runs/<dataset>-<timestamp>)")
    run.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last checkpoint"
    )
    run.add_argument(
        "--stop-after",
        type=_positive_int,
        metavar="EPOCHS",
        help="train at most this many epochs now; continue later with --resume",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigrad", description="Train and evaluate MLP classifiers with minigrad."
    )
    from minigrad import __version__

    parser.add_argument("--version", action="version", version=f"minigrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser(
        "train",
        help="train an MLP (CIFAR-10, digits or spiral)",
        description="Train an MLP classifier; see docs/training.md.",
    )
    _add_train_args(train)
    train.set_defaults(subparser=train)
    ev = sub.add_parser("evaluate", help="score a saved checkpoint")
    ev.add_argument("checkpoint", help="a checkpoint.npz written by minigrad train")
    ev.add_argument("--data-dir", help="where the dataset is, if not where training found it")
    ev.add_argument(
        "--split",
        choices=("test", "val"),
        help="default: test if the dataset has one, else the held-out split",
    )
    return parser


def _config(args):
    from minigrad.train import TrainConfig

    keys = (
        "dataset data_dir hidden activation dropout batch_norm loss label_smoothing optimizer "
        "lr momentum betas weight_decay schedule warmup epochs batch_size augment val_size "
        "seed time_limit"
    ).split()
    return TrainConfig(**{k: getattr(args, k) for k in keys})


def _train(args, parser) -> int:
    from minigrad.data.datasets import DatasetError
    from minigrad.train import fit

    if args.resume and not args.out:
        parser.error("--resume needs --out DIR, the folder of the run to continue")
    config = _config(args)
    try:
        config.validate()
    except ValueError as err:
        parser.error(str(err))
    try:
        fit(config, args.out, resume=args.resume, stop_after=args.stop_after, log=_log)
    except (DatasetError, FileNotFoundError) as err:
        print(f"minigrad train: error: {err}", file=sys.stderr)
        return 1
    except ValueError as err:
        parser.error(str(err))
    except KeyboardInterrupt:
        print(
            "\ninterrupted; finished epochs are saved: continue with "
            "minigrad train --resume --out <the run folder>",
            file=sys.stderr,
        )
        return 130
    return 0


def _evaluate(args) -> int:
    from minigrad.data.datasets import DatasetError
    from minigrad.train import evaluate_checkpoint

    try:
        evaluate_checkpoint(args.checkpoint, args.data_dir, args.split, log=_log)
    except (DatasetError, FileNotFoundError, ValueError) as err:
        print(f"minigrad evaluate: error: {err}", file=sys.stderr)
        return 1
    return 0


def _log(line: str) -> None:
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `minigrad` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train":
        return _train(args, args.subparser)
    return _evaluate(args)
