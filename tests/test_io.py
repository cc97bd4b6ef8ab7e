"""Atomic writes and the shared YAML/KEY=VALUE readers used by every runner's config."""
from __future__ import annotations

import os

import pytest

from naslib_anb.errors import ConfigError
from naslib_anb.io import atomic_write_json, atomic_write_text, parse_key_values, read_yaml_mapping


def test_atomic_write_leaves_only_the_target(tmp_path):
    p = atomic_write_json(tmp_path / "a" / "r.json", {"x": 1})
    assert p.read_text().strip() == '{\n  "x": 1\n}'
    atomic_write_text(p, "new")
    assert p.read_text() == "new"
    assert [f.name for f in p.parent.iterdir()] == ["r.json"]


def test_read_yaml_mapping(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("epochs: 2\nlr: 0.1\n")
    assert read_yaml_mapping(f) == {"epochs": 2, "lr": 0.1}
    f.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping.*list"):
        read_yaml_mapping(f, "training config")
    f.write_text("a: [1,\n")
    with pytest.raises(ConfigError, match="cannot read it as YAML"):
        read_yaml_mapping(f)
    with pytest.raises(ConfigError, match="does not exist"):
        read_yaml_mapping(tmp_path / "missing.yaml")


def test_parse_key_values_types_and_errors():
    assert parse_key_values(["epochs=2", "amp=null", "name=re", "lr=0.001"]) == {
        "epochs": 2, "amp": None, "name": "re", "lr": 0.001}
    with pytest.raises(ConfigError, match="--opt expects KEY=VALUE, got 'epochs'"):
        parse_key_values(["epochs"], "--opt")


def test_atomic_write_gives_the_mode_open_would(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "result.json", "{}")
    finally:
        os.umask(old)
    assert (path.stat().st_mode & 0o777) == 0o644
