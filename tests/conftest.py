"""Shared fixtures. The ANB data is read from ``$NASLIB_ANB_DATA`` or the shared folder beside the repo."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_ANB = REPO.parent / "shared" / "anb"


def data_path() -> Path | None:
    env = os.environ.get("NASLIB_ANB_DATA")
    if env and Path(env).exists():
        return Path(env)
    tar = SHARED_ANB / "anb_dataset_jsons.tar.gz"
    return tar if tar.exists() else None


@pytest.fixture(scope="session")
def anb_data_path() -> Path:
    p = data_path()
    if p is None:
        pytest.skip("ANB dataset not found: set NASLIB_ANB_DATA or place it in ../shared/anb/")
    return p


@pytest.fixture(scope="session")
def dataset(anb_data_path):
    from naslib_anb.data import load_dataset

    return load_dataset(anb_data_path)


@pytest.fixture(scope="session")
def shared_split_dir() -> Path:
    if not (SHARED_ANB / "default_split_test.json").exists():
        pytest.skip("shared split files not found")
    return SHARED_ANB


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
