"""The digits ImageFolder: real sklearn images, deterministic stratified split, idempotent, typed errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("PIL")

from naslib_anb.errors import ConfigError  # noqa: E402


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png"))


def test_split_is_stratified_deterministic_and_disjoint():
    from sklearn.datasets import load_digits

    from naslib_anb.training.digits import split_indices

    y = load_digits().target
    tr, va = split_indices(y, 0.2, seed=0)
    assert len(tr) + len(va) == 1797 and not set(tr) & set(va)
    for c in range(10):
        n_c = int((y == c).sum())
        assert int((y[va] == c).sum()) == round(0.2 * n_c)
    tr2, va2 = split_indices(y, 0.2, seed=0)
    np.testing.assert_array_equal(va, va2)
    assert not np.array_equal(va, split_indices(y, 0.2, seed=1)[1])


def test_write_digits_image_folder(tmp_path):
    from PIL import Image

    from naslib_anb.training.digits import write_digits

    meta = write_digits(tmp_path / "d", size=16, per_class=10, val_fraction=0.3, seed=3)
    assert meta["images"] == {"train": 70, "val": 30} and meta["classes"] == [str(c) for c in range(10)]
    root = tmp_path / "d"
    assert sorted(p.name for p in (root / "train").iterdir()) == [str(c) for c in range(10)]
    img = Image.open(next((root / "val" / "7").glob("*.png")))
    assert img.size == (16, 16) and np.asarray(img).max() > 100  # a real, visible stroke
    # idempotent with the same spec, refused with another
    before = _files(root)
    assert write_digits(root, size=16, per_class=10, val_fraction=0.3, seed=3) == meta
    assert _files(root) == before
    with pytest.raises(ConfigError, match=r"holds digits written with .*'size': 16"):
        write_digits(root, size=32, per_class=10, val_fraction=0.3, seed=3)
    # the same seed writes the same split elsewhere
    write_digits(tmp_path / "e", size=16, per_class=10, val_fraction=0.3, seed=3)
    assert _files(tmp_path / "e") == before


@pytest.mark.parametrize("kw, match", [({"size": 4}, r"size is 4; valid: an int in 8..512"),
                                       ({"val_fraction": 1.5}, r"val_fraction is 1.5; valid: a number in \(0, 1\)"),
                                       ({"per_class": 1}, r"per_class is 1; valid: None \(all\) or an int >= 2")])
def test_bad_digits_arguments(tmp_path, kw, match):
    from naslib_anb.training.digits import write_digits

    with pytest.raises(ConfigError, match=match):
        write_digits(tmp_path / "d", **kw)
    assert not (tmp_path / "d").exists()


def test_digits_cli(tmp_path, capsys):
    from naslib_anb.cli.main import main

    assert main(["digits", "--out", str(tmp_path / "d"), "--size", "8", "--per-class", "4"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["images"] == {"train": 30, "val": 10} and out["spec"]["size"] == 8
    assert main(["digits", "--out", str(tmp_path / "x"), "--size", "3"]) == 2
