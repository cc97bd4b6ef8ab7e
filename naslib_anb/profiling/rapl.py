"""CPU package energy from Linux RAPL counters (``/sys/class/powercap/intel-rapl:N/energy_uj``).

Read directly rather than through zeus or codecarbon: both read these same files, and
codecarbon falls back to a TDP-based *estimate* where RAPL is missing, which would turn an
unavailable measurement into a silently modelled one. Here a missing or unreadable counter is a
:class:`DeviceUnavailableError` that says why. Each package counter wraps at
``max_energy_range_uj``; a window shorter than one wrap period (minutes at full load) is
measured exactly.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from naslib_anb.profiling.errors import DeviceUnavailableError

DEFAULT_ROOT = "/sys/class/powercap"
_PACKAGE_DIR = re.compile(r"^intel-rapl:\d+$")  # top-level zones are packages; sub-zones are intel-rapl:N:M


def _unavailable(root: Path, reason: str) -> DeviceUnavailableError:
    return DeviceUnavailableError(
        "CPU package energy (RAPL)", reason,
        f"valid: a Linux machine whose {root} exposes intel-rapl package zones with a readable energy_uj "
        "(often root-only), or leave energy out of --measure")


class RaplPackages:
    """The package-level RAPL zones of this machine (one per CPU socket)."""

    method = "rapl_package_energy_counter"

    def __init__(self, root: Any = DEFAULT_ROOT):
        self.root = Path(root)
        if not self.root.is_dir():
            raise _unavailable(self.root, f"{self.root} does not exist (no powercap driver or not mounted)")
        self.zones = sorted(p for p in self.root.iterdir() if _PACKAGE_DIR.match(p.name))
        if not self.zones:
            raise _unavailable(self.root, f"{self.root} has no intel-rapl:N package zone")
        self.names, self.max_uj = [], []
        for z in self.zones:
            try:
                self.names.append((z / "name").read_text().strip())
                self.max_uj.append(int((z / "max_energy_range_uj").read_text()))
                int((z / "energy_uj").read_text())
            except PermissionError:
                raise _unavailable(self.root, f"{z / 'energy_uj'} is not readable by this user") from None
            except (OSError, ValueError) as exc:
                raise _unavailable(self.root, f"cannot read {z}: {exc}") from None

    def read_uj(self) -> list[int]:
        """Current counter of each package, microjoules."""
        return [int((z / "energy_uj").read_text()) for z in self.zones]

    read = read_uj  # the meter interface of naslib_anb.profiling.energy

    def joules(self, before: list[int], after: list[int]) -> float:
        """Energy between two readings, summed over packages, one wrap per counter allowed."""
        return sum(((b - a) % (m + 1) if b < a else b - a) for a, b, m in zip(before, after, self.max_uj)) / 1e6

    def state(self) -> dict[str, Any]:
        """Counters right now (a meter's state; RAPL has no clocks or temperature to report)."""
        return {"energy_uj": self.read_uj()}

    def info(self) -> dict[str, Any]:
        return {"root": str(self.root), "zones": [z.name for z in self.zones], "names": self.names}
