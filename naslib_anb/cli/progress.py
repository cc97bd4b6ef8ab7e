"""A line per step for commands that run for seconds before their first output.

Only on a terminal: in a pipe or a log the lines would sit between a command and its one-line error.
"""
from __future__ import annotations

import sys


def interactive() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def step(command: str, text: str) -> None:
    if interactive():
        print(f"{command}: {text} ...", file=sys.stderr, flush=True)
