"""The `minigrad` command: `minigrad train [options]`, `minigrad evaluate RUN`,
`minigrad sweep` (whose own options live in `minigrad.sweep.cli`) and `minigrad export-onnx RUN`.

Each subcommand is an `_add_<name>(subparsers)` function that builds its parser and sets
the function that runs it. The training options come from `TrainConfig`'s fields
(`minigrad.train.add_config_options`); `minigrad train` hands them to `fit` and says in a
sentence what went wrong, if anything did.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import typing
from pathlib import Path

from minigrad import __version__
from minigrad.data.datasets import DatasetError
from minigrad.sweep import cli as sweep_cli
from minigrad.sweep.config import TRIAL_SETTINGS
from minigrad.train import (
    TTA,
    DivergedError,
    RunExistsError,
    TrainConfig,
    add_config_options,
    config_from_options,
    evaluate_run,
    export_onnx,
    fit,
    load_model,
)

__all__ = ["main", "build_parser"]

Subparsers = argparse._SubParsersAction  # what `add_subparsers` returns


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigrad", description="Train and evaluate MLP classifiers with minigrad."
    )
    parser.add_argument("--version", action="version", version=f"minigrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_evaluate(sub)
    _add_sweep(sub)
    _add_export_onnx(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `minigrad` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, args.subparser)
    except BrokenPipeError:
        # The reader went away (`minigrad evaluate run | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _fail(parser: argparse.ArgumentParser, message: str) -> typing.NoReturn:
    """Exit with status 2 and `message`, as argparse does for bad options, without
    repeating the (long) usage."""
    parser.exit(2, f"{parser.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _add_train(sub: Subparsers) -> None:
    p = sub.add_parser(
        "train",
        help="train an MLP (CIFAR-10, digits or spiral)",
        description="Train an MLP classifier. With no options: CIFAR-10 if a copy is found or "
        "can be downloaded (170 MB), else the bundled digits.",
    )
    run = add_config_options(p)["run"]
    run.add_argument(
        "--config",
        metavar="FILE",
        help="rerun the settings of a saved config.json; options given with it override them",
    )
    run.add_argument("--out", metavar="DIR", help="run folder (default runs/<dataset>-<time>)")
    run.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its checkpoint"
    )
    run.add_argument(
        "--force", action="store_true", help="replace the run that --out already holds"
    )
    run.add_argument(
        "--stop-after",
        type=_positive_int,
        metavar="EPOCHS",
        help="train at most this many epochs now; continue later with --resume",
    )
    p.set_defaults(handler=_train, subparser=p)


def _add_sweep(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sweep",
        help="search hyperparameters (Optuna): random search, pruning, many machines",
        description="Search TrainConfig settings; the training options below fix a setting "
        "in every trial. See docs/sweep.md.",
    )
    sweep_cli.add_arguments(p)
    add_config_options(p, exclude=TRIAL_SETTINGS)
    p.set_defaults(handler=sweep_cli.run, subparser=p)


def _add_evaluate(sub: Subparsers) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score a trained model: accuracy, per-class accuracy, confusion matrix",
        description="Score the model of a run folder (or its checkpoint.npz) on the test "
        "split, or the held-out split without one; writes evaluate-<split>.json and "
        "confusion-<split>.png into the run folder.",
    )
    p.add_argument("run", help="a run folder written by minigrad train, or its checkpoint.npz")
    p.add_argument("--data-dir", help="where the dataset is, if not where training found it")
    p.add_argument(
        "--split",
        choices=("test", "val"),
        help="default: test if the dataset has one, else the held-out validation split",
    )
    p.add_argument(
        "--tta",
        choices=TTA,
        help="score with these test-time views instead of the run's own (CIFAR-10)",
    )
    p.set_defaults(handler=_evaluate, subparser=p)


def _train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`minigrad train`: the options as a `TrainConfig` (over a `--config` file's settings),
    handed to `fit`, which decides everything else (resuming included)."""
    given = config_from_options(args)
    if args.resume and args.config:
        _fail(parser, "--resume continues with the run's own saved settings: drop --config")
    if args.resume and not args.out:
        _fail(parser, "--resume needs --out DIR, the folder of the run to continue")
    config = _config_file(args.config, parser) if args.config else TrainConfig()
    try:
        fit(
            config.with_overrides(given),
            args.out,
            resume=args.resume,
            force=args.force,
            stop_after=args.stop_after,
            log=_log,
            given=given if args.resume else None,
        )
    except RunExistsError as err:
        _fail(parser, str(err))
    except DivergedError as err:
        out = err.run_dir
        print(
            f"minigrad train: error: {err}\nto train again in {out} from the start: "
            f"minigrad train --force --out {out} --lr LOWER_RATE (and the other options)",
            file=sys.stderr,
        )
        return 1
    except (DatasetError, FileNotFoundError, ImportError) as err:
        print(f"minigrad train: error: {err}", file=sys.stderr)
        return 1
    except ValueError as err:
        _fail(parser, str(err))
    except KeyboardInterrupt as err:
        out, saved = getattr(err, "run_dir", None), getattr(err, "epochs_saved", 0)
        if out is not None and saved:
            hint = f"continue with: minigrad train --resume --out {out}"
        else:
            hint = "no epoch had finished, so there is nothing to resume"
        print(f"\ninterrupted; {hint}", file=sys.stderr)
        return 130
    return 0


def _config_file(path: str, parser: argparse.ArgumentParser) -> TrainConfig:
    """The settings of a saved `config.json` (`--config`)."""
    try:
        with open(path) as f:
            return TrainConfig.from_dict(json.load(f))
    except (OSError, ValueError, ImportError) as err:  # JSONDecodeError is a ValueError
        _fail(parser, f"--config {path}: {err}")


def _evaluate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        evaluate_run(args.run, args.data_dir, args.split, args.tta, log=_log)
    except (DatasetError, FileNotFoundError, ValueError, ImportError) as err:
        print(f"minigrad evaluate: error: {err}", file=sys.stderr)
        return 1
    return 0


def _log(line: str) -> None:
    print(line, flush=True)


def _add_export_onnx(sub: Subparsers) -> None:
    p = sub.add_parser(
        "export-onnx",
        help="write a trained model as ONNX: raw inputs in, logits out (onnxruntime)",
        description="Write the model of a run folder (or its checkpoint.npz), with its input "
        "preprocessing, as one ONNX file. Needs the onnx package. See docs/saving-and-export.md.",
    )
    p.add_argument("run", help="a run folder written by minigrad train, or its checkpoint.npz")
    p.add_argument("--out", metavar="FILE", help="default: model.onnx in the run folder")
    p.set_defaults(handler=_export_onnx, subparser=p)


def _export_onnx(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        trained = load_model(args.run)
        out = args.out or Path(trained.run_dir or ".") / "model.onnx"
        path = export_onnx(trained, out)
    except (FileNotFoundError, ImportError, TypeError, ValueError) as err:
        print(f"minigrad export-onnx: error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path}: raw inputs in, logits out")
    if trained.config.tta not in (None, "none"):
        print(
            f"note: the run scores with test-time views (--tta {trained.config.tta}); the "
            "ONNX model gives the logits of the plain inputs"
        )
    return 0
