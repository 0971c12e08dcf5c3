"""The `minigrad sweep` subcommand: its own flags and what it does with them. The training
options (`--dataset`, `--epochs`, ...) that fix a setting in every trial are the ones
`minigrad train` takes; `minigrad.cli` adds them to this parser from `TrainConfig`.

    minigrad sweep --dataset digits --epochs 5 \\
        --param 'lr = { low = 1e-4, high = 1e-1, log = true }' --trials 30
    minigrad sweep sweep.toml --storage postgresql://user:pw@db-host/sweeps   # on each machine
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing

from minigrad.sweep.config import SweepConfig, build_config, parse_assignment
from minigrad.sweep.space import SpaceError
from minigrad.sweep.storage import SweepError
from minigrad.train import config_from_options

__all__ = ["add_arguments", "run"]

EPILOG = """\
A range on an integer field samples integers: --param 'batch_size = {low = 32, high = 512,
log = true}'. A list is a choice: --param 'hidden = [[256], [512, 256]]'. Run the same command
again to add trials to the same study; run it on several machines with one --storage
(PostgreSQL, MySQL) to share the search."""


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The sweep's flags: a sweep file, --param lines, --out, one flag per SweepConfig field."""
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument(
        "file", nargs="?", help="a sweep file (TOML) with [sweep], [train] and [space] tables"
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="'NAME = RANGE'",
        help="search a TrainConfig field: a TOML line, e.g. "
        "'lr = { low = 1e-4, high = 1e-1, log = true }' or 'optimizer = [\"adamw\", \"sgd\"]'",
    )
    p.add_argument("--out", help="the sweep folder (default sweeps/<study>)")
    group = p.add_argument_group("sweep")
    hints = typing.get_type_hints(SweepConfig)
    for f in dataclasses.fields(SweepConfig):
        if not f.metadata:
            continue
        kinds = set(typing.get_args(hints[f.name]) or (hints[f.name],)) - {type(None)}
        kind = next(iter(kinds)) if len(kinds) == 1 else _number
        group.add_argument(
            "--" + f.name.replace("_", "-"),
            type=kind,
            choices=f.metadata.get("choices"),
            default=None,
            help=f.metadata["help"] + ("" if f.default is None else f" (default {f.default})"),
        )


def _config(args: argparse.Namespace) -> SweepConfig:
    settings = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(SweepConfig)
        if f.metadata and getattr(args, f.name) is not None
    }
    fixed = config_from_options(args)
    space: dict[str, object] = {}
    for line in args.param:
        space |= parse_assignment(line, "--param")
    return build_config(args.file, settings, fixed, space)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the sweep the flags describe; returns the exit status."""
    from minigrad.sweep.run import run_sweep

    try:
        config = _config(args)
    except (SpaceError, ValueError) as err:
        parser.exit(2, f"{parser.prog}: error: {err}\n")  # without the (long) usage
    try:
        run_sweep(config, args.out, log=lambda line: print(line, flush=True))
    except SweepError as err:
        print(f"minigrad sweep: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "\ninterrupted: finished trials are kept in the study and the running ones are "
            "marked failed; run the same command to add trials",
            file=sys.stderr,
        )
        return 130
    return 0
