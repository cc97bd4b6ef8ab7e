"""RAPL zones are chosen by name: packages (and DRAM when asked), never psys or other top-level zones."""
from __future__ import annotations

from pathlib import Path

import pytest

from naslib_anb.profiling.errors import DeviceUnavailableError
from naslib_anb.profiling.rapl import RaplPackages

TOP = 2**32 - 1


def _zone(path: Path, name: str, energy_uj: int) -> None:
    path.mkdir(parents=True)
    (path / "name").write_text(name + "\n")
    (path / "energy_uj").write_text(f"{energy_uj}\n")
    (path / "max_energy_range_uj").write_text(f"{TOP}\n")


def _client_cpu_tree(root: Path) -> Path:
    """A laptop-style powercap tree: package-0 (core, uncore, dram sub-zones) and psys as intel-rapl:1."""
    _zone(root / "intel-rapl:0", "package-0", 0)
    _zone(root / "intel-rapl:0" / "intel-rapl:0:0", "core", 0)
    _zone(root / "intel-rapl:0" / "intel-rapl:0:1", "uncore", 0)
    _zone(root / "intel-rapl:0" / "intel-rapl:0:2", "dram", 0)
    _zone(root / "intel-rapl:1", "psys", 0)
    return root



def test_psys_is_not_added_to_the_package(tmp_path):
    """3.0 J of psys + package: the package used 1.0 J, and that is what is reported."""
    root = _client_cpu_tree(tmp_path / "powercap")
    rapl = RaplPackages(root)
    assert rapl.names == ["package-0"] and rapl.method == "rapl_package_energy_counter"
    before = rapl.read_uj()
    (root / "intel-rapl:0" / "energy_uj").write_text("1000000\n")  # package: 1.0 J
    (root / "intel-rapl:1" / "energy_uj").write_text("2000000\n")  # psys: 2.0 J (contains the package)
    (root / "intel-rapl:0" / "intel-rapl:0:2" / "energy_uj").write_text("250000\n")  # dram 0.25 J
    assert rapl.joules(before, rapl.read_uj()) == pytest.approx(1.0)


def test_dram_zone_counts_only_when_asked(tmp_path):
    root = _client_cpu_tree(tmp_path / "powercap")
    rapl = RaplPackages(root, dram=True)
    assert rapl.names == ["package-0", "dram"] and rapl.method == "rapl_package_dram_energy_counter"
    before = rapl.read_uj()
    (root / "intel-rapl:0" / "energy_uj").write_text("1000000\n")
    (root / "intel-rapl:1" / "energy_uj").write_text("2000000\n")
    (root / "intel-rapl:0" / "intel-rapl:0:2" / "energy_uj").write_text("250000\n")
    assert rapl.joules(before, rapl.read_uj()) == pytest.approx(1.25)


def test_zones_are_found_by_name_not_by_position(tmp_path):
    """psys first (intel-rapl:0) and the package second: still only the package."""
    root = tmp_path / "powercap"
    _zone(root / "intel-rapl:0", "psys", 0)
    _zone(root / "intel-rapl:1", "package-0", 0)
    rapl = RaplPackages(root)
    assert [z.name for z in rapl.zones] == ["intel-rapl:1"]
    only_psys = tmp_path / "psys_only"
    _zone(only_psys / "intel-rapl:0", "psys", 0)
    with pytest.raises(DeviceUnavailableError, match="package-N"):
        RaplPackages(only_psys)
    with pytest.raises(DeviceUnavailableError, match="no dram sub-zone"):
        RaplPackages(root, dram=True)
