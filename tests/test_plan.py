"""Plan files: the hand-over from `propose` to `collect --plan`, validated whole."""
import json

import pytest

from naslib_anb.errors import ConfigError
from naslib_anb.plan import PLAN_FORMAT, Plan, read_plan, write_plan
from naslib_anb.space import EFFICIENTNET_B0, sample


def test_round_trip_keeps_order_and_meta(tmp_path):
    archs = sample(3, 5)
    path = write_plan(tmp_path / "plan.json", Plan(tuple(archs), {"seed": 3}))
    back = read_plan(path)
    assert [str(a) for a in back.archs] == [str(a) for a in archs]
    assert back.meta == {"seed": 3}


def test_never_overwrites(tmp_path):
    write_plan(tmp_path / "p.json", Plan((EFFICIENTNET_B0,)))
    with pytest.raises(ConfigError, match="never overwritten"):
        write_plan(tmp_path / "p.json", Plan((EFFICIENTNET_B0,)))


@pytest.mark.parametrize("archs, match", [
    (["e1k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1"] * 2, "twice"),
    (["e9k3l1s1-e6k3l2s1-e6k5l2s1-e6k3l3s1-e6k5l3s1-e6k5l4s1-e6k3l1s1"], "entry 0"),
    ([], "no architectures"),
])
def test_bad_plans_are_one_line_errors(tmp_path, archs, match):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": PLAN_FORMAT, "archs": archs}))
    with pytest.raises(ConfigError, match=match) as e:
        read_plan(path)
    assert "\n" not in str(e.value)


def test_foreign_json_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"archs": [str(EFFICIENTNET_B0)]}))
    with pytest.raises(ConfigError, match="not a plan file"):
        read_plan(path)
    with pytest.raises(ConfigError, match="not found"):
        read_plan(tmp_path / "missing.json")
