"""`naslib-anb space` and `naslib-anb data`, through the real console entry point."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "naslib_anb.cli.main", *args], capture_output=True,
                          text=True, env=env)


def test_space_json():
    p = _run("space", "--json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    assert info["size"] == 104_485_552_128
    assert info["choices"]["block5_l"] == [1, 2, 3, 4]
    assert info["choices"]["block0_se"] == [True, False]


def test_space_describes_one_arch():
    p = _run("space", "e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1", "--json")
    info = json.loads(p.stdout)
    assert info["params_m"] == 5.288548
    assert round(info["macs_m"], 3) == 415.145


def test_bad_arch_is_one_line_and_exit_2():
    p = _run("space", "e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l9s1-e6k3l1s1")
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0
    assert "stage 5 field 'l' is 9" in p.stderr and "[1, 2, 3, 4]" in p.stderr


def test_data_json(anb_data_path, tmp_path):
    env = dict(os.environ, NASLIB_ANB_DATA=str(anb_data_path))
    p = _run("data", "--json", "--csv", str(tmp_path / "anb.csv"), env=env)
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    assert info["records"] == 5138
    assert info["unique_architectures"] == 5125
    assert info["default_split"] == {"train": 4100, "val": 512, "test": 512}
    assert (tmp_path / "anb.csv").read_text().count("\n") == 5139


def test_data_missing_is_exit_2(tmp_path):
    env = dict(os.environ, NASLIB_ANB_DATA=str(tmp_path / "nowhere"))
    p = _run("data", env=env)
    assert p.returncode == 2 and "does not exist" in p.stderr
