"""``naslib-anb``: one console command, one module per subcommand.

Each subcommand module exposes ``add_parser(subparsers)`` which registers itself and sets
``func(args) -> int``. Usage errors and typed package errors print one line and exit 2.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from typing import Any, Optional, Sequence

from naslib_anb.errors import ANBError

#: Subcommand modules under naslib_anb.cli, in help order. Modules that are missing
#: (features not installed in this checkout) are skipped.
SUBCOMMANDS = ("space", "data", "query", "evaluate", "fit", "search", "compare", "profile")


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naslib-anb",
        description="Accel-NASBench: ImageNet MnasNet-space NAS benchmark with device surrogates.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        try:
            mod = importlib.import_module(f"naslib_anb.cli.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name == f"naslib_anb.cli.{name}_cmd":
                continue
            raise
        mod.add_parser(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except ANBError as exc:
        print(f"naslib-anb {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
