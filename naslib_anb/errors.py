"""One exception hierarchy for the whole package.

Every error names the offending value and, where there is a finite set of valid
choices, lists them, so a user never has to read the source to fix a call.
"""
from __future__ import annotations

from typing import Iterable


def _fmt_choices(choices: Iterable[object]) -> str:
    return ", ".join(repr(c) for c in choices)


class ANBError(Exception):
    """Root of every error raised on purpose by naslib_anb."""


class InvalidArchitectureError(ANBError, ValueError):
    """An architecture (string, dict, list, Configuration) is not a member of the space."""

    def __init__(self, arch: object, reason: str):
        self.arch = arch
        self.reason = reason
        super().__init__(f"invalid architecture {arch!r}: {reason}")


class UnknownChoiceError(ANBError, KeyError):
    """A name (device, metric, target, optimizer, ...) is not one of the registered ones."""

    kind = "name"

    def __init__(self, value: object, choices: Iterable[object], hint: str = ""):
        self.value = value
        self.choices = tuple(choices)
        msg = f"unknown {self.kind} {value!r}; valid: {_fmt_choices(self.choices)}"
        if hint:
            msg += f". {hint}"
        self.message = msg
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


class UnknownDeviceError(UnknownChoiceError):
    kind = "device"


class UnknownMetricError(UnknownChoiceError):
    kind = "metric"


class UnknownTargetError(UnknownChoiceError):
    kind = "target"


class UnknownOptionError(UnknownChoiceError):
    kind = "option"


class DataError(ANBError):
    """The benchmark data cannot be found, read, or trusted."""


class DataNotFoundError(DataError, FileNotFoundError):
    """No dataset at any of the places we look."""


class CorruptDataError(DataError, ValueError):
    """A data file exists but is truncated, unreadable or violates the schema."""


class ChecksumMismatchError(DataError, ValueError):
    """A file's sha256 differs from the one it is pinned to."""

    def __init__(self, path: object, expected: str, actual: str):
        self.path, self.expected, self.actual = path, expected, actual
        super().__init__(f"sha256 mismatch for {path}: expected {expected}, got {actual}")


class ModelFileError(DataError):
    """A surrogate model file is missing, tampered with, or from an incompatible version."""


class ConfigError(ANBError, ValueError):
    """A run configuration holds an invalid value."""


class InfeasibleArchitectureError(ANBError, ValueError):
    """A feasible architecture was asked for where none can be made (e.g. every neighbour too large)."""

    def __init__(self, arch: object, reason: str):
        self.arch = arch
        self.reason = reason
        super().__init__(f"{arch}: {reason}")


class OutputBusyError(ANBError, RuntimeError):
    """Another live process is writing the same output directory."""
