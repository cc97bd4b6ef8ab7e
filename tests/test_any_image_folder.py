"""Any ImageFolder at any resolution and class count: runner flags, head size, few-class init, precise BN."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

from naslib_anb.errors import ConfigError, DataError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARCH = "e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0"


def test_data_overrides():
    from naslib_anb.training.config import TrainConfig, data_overrides

    over = data_overrides("imgs", resolution=64, num_classes=7)
    assert over["data_dir"] == os.path.abspath("imgs") and over["num_classes"] == 7
    cfg = TrainConfig().replace(**over)
    assert (cfg.min_res, cfg.max_res, cfg.val_res, cfg.memory_probe_res) == (64, 64, 64, 64)
    assert data_overrides() == {}  # ImageNet p* stays the default
    with pytest.raises(ConfigError, match=r"resolution is 0; valid: a positive int"):
        data_overrides(resolution=0)
    with pytest.raises(ConfigError, match=r"num_classes is 1; valid: None or an int >= 2"):
        TrainConfig().replace(**data_overrides(num_classes=1))


def test_head_follows_class_count_and_few_class_init():
    from naslib_anb.models import build_model

    for n in (3, 10, 1000):
        m = build_model(ARCH, num_classes=n, init="anb_fanin")
        assert m.classifier.out_features == n
        assert m.classifier.weight.abs().max() <= 1 / math.sqrt(m.classifier.in_features)
    up = build_model(ARCH, num_classes=10, init="anb")  # upstream: U(+-1/sqrt(out)), large for few classes
    assert up.classifier.weight.abs().max() > 0.25
    with pytest.raises(ConfigError, match=r"TrainConfig.init is 'xavier'; valid: 'anb', 'anb_fanin', 'timm'"):
        from naslib_anb.training.config import TrainConfig

        TrainConfig(init="xavier")


def test_more_class_folders_than_num_classes_is_refused(tmp_path):
    from naslib_anb.training.config import TrainConfig
    from naslib_anb.training.data import image_folder, make_image_folder

    make_image_folder(tmp_path, num_classes=4, train_per_class=1, val_per_class=1)
    cfg = TrainConfig(data_dir=str(tmp_path), num_classes=3)
    with pytest.raises(DataError, match=r"has 4 class folders but num_classes is 3; valid: num_classes >= 4"):
        image_folder(cfg, "train", None)


def test_precise_bn_is_an_equal_weight_average_of_the_batches():
    from naslib_anb.training.precise_bn import recalibrate_bn

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1, bias=False), torch.nn.BatchNorm2d(4))
    bn = net[1]
    bn.running_mean.fill_(100.0)
    batches = [(torch.randn(8, 3, 4, 4) + i, None) for i in range(3)]
    assert recalibrate_bn(net, batches, 2, "cpu") == 2
    with torch.no_grad():
        means = [net[0](x).mean(dim=(0, 2, 3)) for x, _ in batches[:2]]
    torch.testing.assert_close(bn.running_mean, (means[0] + means[1]) / 2)
    assert bn.momentum == 0.1 and not net.training


@pytest.mark.slow
def test_train_runner_takes_resolution_and_class_count(tmp_path):
    from naslib_anb.training.data import make_image_folder

    make_image_folder(tmp_path / "imgs", num_classes=3, train_per_class=4, val_per_class=2, size=(20, 24))
    out = tmp_path / "run"
    cmd = [sys.executable, str(REPO / "runners" / "train.py"), "--arch", ARCH, "--out", str(out),
           "--config", str(REPO / "configs" / "train" / "tiny_cpu.yaml"), "--data", str(tmp_path / "imgs"),
           "--resolution", "16", "--num-classes", "3", "--set", "epochs=1", "val_last_epochs=1",
           "start_ramp=0", "end_ramp=0", "bn_recalibration_batches=1", "init=anb_fanin"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rec = json.loads((out / "result.json").read_text())
    cfg = rec["training"]["recipe_config"]
    assert (cfg["min_res"], cfg["max_res"], cfg["val_res"], cfg["num_classes"]) == (16, 16, 16, 3)
    curve = json.loads((out / "curve.json").read_text())
    assert [e["resolution"] for e in curve["epochs"]] == [16]
    assert 0.0 <= rec["metrics"]["val_top1"] <= 100.0
