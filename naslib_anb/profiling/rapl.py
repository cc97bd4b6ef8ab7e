"""CPU package energy from Linux RAPL counters (``/sys/class/powercap/intel-rapl:N/energy_uj``).

Read directly rather than through zeus or codecarbon: both read these same files, and
codecarbon falls back to a TDP-based *estimate* where RAPL is missing, which would turn an
unavailable measurement into a silently modelled one. Here a missing or unreadable counter is a
:class:`DeviceUnavailableError` that says why. Each package counter wraps at
``max_energy_range_uj``; a window shorter than one wrap period (minutes at full load) is
measured exactly.

Zones are chosen by their ``name`` file, never by position: the package zones (``package-N``) and,
when asked, their ``dram`` sub-zones. Other top-level zones are left out: ``psys`` (platform energy
on many Intel client CPUs, ``intel-rapl:1`` there) already contains the packages, so adding it would
count them twice or more.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from naslib_anb.profiling.errors import DeviceUnavailableError

DEFAULT_ROOT = "/sys/class/powercap"
_TOP_DIR = re.compile(r"^intel-rapl:\d+$")  # top-level zones; sub-zones are intel-rapl:N:M
_SUB_DIR = re.compile(r"^intel-rapl:\d+:\d+$")


def _name(zone: Path) -> str:
    try:
        return (zone / "name").read_text().strip()
    except OSError:
        return ""


def select_zones(root: Path, dram: bool = False) -> list[Path]:
    """Package zones (``name`` package-N) and, with ``dram``, their ``dram`` sub-zones, by name."""
    packages = sorted(p for p in root.iterdir() if _TOP_DIR.match(p.name) and _name(p).startswith("package-"))
    if not dram:
        return packages
    subs = [c for p in packages for c in sorted(p.iterdir()) if _SUB_DIR.match(c.name) and _name(c) == "dram"]
    return packages + subs


def _unavailable(root: Path, reason: str) -> DeviceUnavailableError:
    return DeviceUnavailableError(
        "CPU package energy (RAPL)", reason,
        f"valid: a Linux machine whose {root} exposes intel-rapl package zones with a readable energy_uj "
        "(often root-only), or leave energy out of --measure")


class RaplPackages:
    """The package-level RAPL zones of this machine (one per CPU socket), plus their DRAM zones with
    ``dram`` (then the method says so)."""

    def __init__(self, root: Any = DEFAULT_ROOT, dram: bool = False):
        self.root = Path(root)
        if not self.root.is_dir():
            raise _unavailable(self.root, f"{self.root} does not exist (no powercap driver or not mounted)")
        self.zones = select_zones(self.root, dram)
        if not self.zones:
            raise _unavailable(self.root, f"{self.root} has no intel-rapl:N package zone (a zone named package-N)")
        if dram and not any(_name(z) == "dram" for z in self.zones):
            raise _unavailable(self.root, f"{self.root} has no dram sub-zone under its packages; leave dram out")
        self.method = "rapl_package_dram_energy_counter" if dram else "rapl_package_energy_counter"
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
