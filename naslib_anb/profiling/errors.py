"""Errors of the profiler (all under :class:`naslib_anb.errors.ANBError`)."""
from __future__ import annotations

from naslib_anb.errors import ANBError


class DeviceUnavailableError(ANBError, RuntimeError):
    """The requested device, library or counter (CUDA, NVML, an energy counter) is not there."""

    def __init__(self, what: str, reason: str, hint: str = ""):
        self.what, self.reason = what, reason
        msg = f"{what} is not available: {reason}"
        if hint:
            msg += f". {hint}"
        super().__init__(msg)


class InjectedFailure(RuntimeError):
    """Raised inside a worker on purpose (``fail_archs``), to test that a sweep survives."""
