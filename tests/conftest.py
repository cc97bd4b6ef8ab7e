"""Shared fixtures. The ANB data is found by the library's one rule (naslib_anb.data.source)."""
from __future__ import annotations

from pathlib import Path

import pytest

from naslib_anb.data.source import WHERE_TO_PUT, find_data_path

REPO = Path(__file__).resolve().parents[1]
NO_DATA = f"ANB dataset not found ({WHERE_TO_PUT})"


def data_path() -> Path | None:
    return find_data_path()


@pytest.fixture(scope="session")
def anb_data_path() -> Path:
    p = data_path()
    if p is None:
        pytest.skip(NO_DATA)
    return p


@pytest.fixture(scope="session")
def dataset(anb_data_path):
    from naslib_anb.data import load_dataset

    return load_dataset(anb_data_path)


@pytest.fixture(scope="session")
def shared_split_dir(anb_data_path) -> Path:
    """The upstream split files, which sit beside the tarball."""
    folder = anb_data_path if anb_data_path.is_dir() else anb_data_path.parent
    if not (folder / "default_split_test.json").exists():
        pytest.skip(f"upstream split files not beside the dataset in {folder}")
    return folder


@pytest.fixture(autouse=True)
def _isolated_target_registry():
    """Devices registered by one test (profiling a new device) must not leak into the next."""
    from naslib_anb import targets

    devices, registered = dict(targets.DEVICES), dict(targets.TARGETS)
    yield
    targets.DEVICES.clear()
    targets.DEVICES.update(devices)
    targets.TARGETS.clear()
    targets.TARGETS.update(registered)


def pytest_terminal_summary(terminalreporter):
    """List which documented snippets ran and which were skipped (tests/test_docs_snippets.py)."""
    module = __import__("sys").modules.get("test_docs_snippets")
    report = getattr(module, "REPORT", None)
    if not report:
        return
    terminalreporter.section("documented snippets")
    for block_id, status, reason in report:
        terminalreporter.write_line(f"{status:17s} {block_id}" + (f"  ({reason})" if reason else ""))
