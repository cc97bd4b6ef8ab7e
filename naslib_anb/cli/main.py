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
SUBCOMMANDS = ("space", "data", "query", "evaluate", "fit", "search", "compare", "propose", "profile", "digits")


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naslib-anb",
        description="Accel-NASBench: ImageNet MnasNet-space NAS benchmark with device surrogates.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            mod = importlib.import_module(f"naslib_anb.cli.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name == f"naslib_anb.cli.{name}_cmd":
                continue
            raise
        mod.add_parser(sub)
    return parser


def _version() -> str:
    from naslib_anb import __version__

    return __version__


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `naslib-anb`: the help, not a usage error
        parser.print_help()
        return 0
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
    try:
        rc = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe surfaces here, not at interpreter exit
        return rc
    except ANBError as exc:
        print(f"naslib-anb {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except OSError as exc:  # a path the user gave that the OS refuses (permissions, full disk, ...)
        where = f": {exc.filename}" if exc.filename else ""
        print(f"naslib-anb {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _quiet_broken_pipe() -> int:
    """The reader went away (``naslib-anb data | head -2``): stop quietly, as coreutils do."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not raise again
    except (OSError, ValueError):  # stdout without a file descriptor (captured in tests)
        pass
    return 141 if os.name == "posix" else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
