"""``runners/collect.py --plan PLAN`` trains exactly the architectures of a ``naslib-anb propose`` plan."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from naslib_anb.plan import Plan, write_plan
from naslib_anb.training.collect import sample_archs

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "train" / "tiny_cpu.yaml"


def _runner():
    from _scripts import load_script

    return load_script("runners/collect.py")


def _one_line_error(capsys, code, msg):
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and msg in err[0], err


def test_collect_plan_trains_exactly_the_plan_and_resumes(tmp_path, capsys):
    pytest.importorskip("torch")
    from naslib_anb.training import make_image_folder

    data = make_image_folder(tmp_path / "data", num_classes=3, train_per_class=4, val_per_class=2)
    archs = [str(a) for a in sample_archs(2, seed=11)]
    plan = write_plan(tmp_path / "plan.json", Plan(tuple(archs), {"command": "propose --n 2", "seed": 11}))
    out = tmp_path / "out"
    args = ["--plan", str(plan), "--config", str(TINY), "--data", str(data), "--out", str(out), "--executor",
            "inline", "--set", "epochs=1", "val_last_epochs=1", "max_steps_per_epoch=1"]
    assert _runner().main(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["done"] == 2 and res["pending"] == 0
    trained = sorted(p.name[len("result_"):-len(".json")] for p in (out / "results").glob("result_*.json"))
    assert trained == sorted(archs)
    rec = json.loads((out / "plan.json").read_text())
    assert rec["archs"] == archs and rec["key"]["sampler"] == "plan"
    assert rec["key"]["plan_file"] == str(plan.resolve())
    assert rec["key"]["plan_sha256"] == hashlib.sha256(plan.read_bytes()).hexdigest()
    assert rec["key"]["plan_meta"] == {"command": "propose --n 2", "seed": 11}
    # resume: the same command trains nothing again
    assert _runner().main(args) == 0
    assert json.loads(capsys.readouterr().out)["done"] == 2
    # a plan file changed under a collection is refused, in one line
    plan.write_text(plan.read_text().replace('"seed": 11', '"seed": 12'))
    _one_line_error(capsys, _runner().main(args), "plan_sha256")


@pytest.mark.parametrize("content,msg", [
    ('{"format": "naslib_anb.plan/1", "archs": ["e9k3l1s1"]}', "entry 0"),
    (None, "twice"),
    ("not json", "not readable JSON"),
])
def test_bad_plan_is_one_line_exit_2(tmp_path, capsys, content, msg):
    a = str(sample_archs(1, seed=0)[0])
    path = tmp_path / "plan.json"
    path.write_text(content if content is not None else
                    json.dumps({"format": "naslib_anb.plan/1", "archs": [a, a]}))
    code = _runner().main(["--plan", str(path), "--out", str(tmp_path / "out"), "--executor", "inline"])
    _one_line_error(capsys, code, msg)
    assert not (tmp_path / "out" / "plan.json").exists()


def test_plan_excludes_n_seed_sampler(tmp_path, capsys):
    plan = write_plan(tmp_path / "plan.json", Plan(tuple(sample_archs(1, seed=0))))
    with pytest.raises(SystemExit) as e:
        _runner().main(["--plan", str(plan), "--n", "3", "--out", str(tmp_path / "o")])
    assert e.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
    code = _runner().main(["--plan", str(plan), "--seed", "4", "--out", str(tmp_path / "o")])
    _one_line_error(capsys, code, "--seed would be ignored")
