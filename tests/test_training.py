"""The training runner on CPU: recipe config, schedules, one- and two-process runs, exact resume, kill."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _proc import kill_when

from naslib_anb.errors import ConfigError
from naslib_anb.training import TrainConfig, load_config, lr_at, parse_overrides, resolution_at

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "train" / "tiny_cpu.yaml"
ARCH = "e1k3l1s0-e4k3l1s1-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0"


def test_p_star_yaml_is_the_default_recipe():
    """configs/train/p_star.yaml spells out exactly the TrainConfig defaults."""
    assert load_config(REPO / "configs/train/p_star.yaml") == TrainConfig()
    ref = load_config(REPO / "configs/train/reference.yaml")
    assert ref.epochs == 450 and ref.optimizer == "rmsproptf" and ref.ema_decay == 0.9999


def test_config_roundtrip_and_errors(tmp_path):
    cfg = TrainConfig(epochs=4, batch_size=16, rrc_scale=(0.2, 1.0))
    cfg.save(tmp_path / "c.yaml")
    assert load_config(tmp_path / "c.yaml") == cfg
    assert load_config(None, parse_overrides(["epochs=3", "auto_augment=null"])).epochs == 3
    with pytest.raises(ConfigError, match="optimizer"):
        TrainConfig(optimizer="adamw")
    with pytest.raises(ConfigError, match="min_res"):
        TrainConfig(min_res=256, max_res=192)
    with pytest.raises(ConfigError, match="batchsize"):
        TrainConfig.from_dict({"batchsize": 3})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_p_star_schedules_match_upstream():
    """160 px for epochs 0-11, 192 px for 12-15 (176 rounds half-to-even up); triangle peaking at epoch 2."""
    cfg = TrainConfig()
    assert [resolution_at(cfg, e) for e in range(16)] == [160] * 12 + [192] * 4
    assert lr_at(cfg, 2.0, 2048) == pytest.approx(0.425)
    assert lr_at(cfg, 0.0, 2048) == pytest.approx(0.425e-4)
    assert lr_at(cfg, 9.0, 2048) == pytest.approx(0.425 * 7 / 14)
    assert lr_at(cfg, 16.0, 2048) == 0.0
    assert lr_at(cfg, 2.0, 512) == pytest.approx(0.425 / 4)  # linear scaling with the global batch
    assert [cfg.validate_epoch(e) for e in range(16)] == [False] * 13 + [True] * 3
    ref = load_config(REPO / "configs/train/reference.yaml")
    assert lr_at(ref, 0.0, 192) == pytest.approx(1e-6)
    assert lr_at(ref, 5.0, 192) == pytest.approx(0.024 * 0.97 ** 2)
    assert lr_at(ref, 5.9, 192) == lr_at(ref, 5.0, 192)  # per epoch, as timm


def test_reference_recipe_is_pinned_to_how_upstream_ran_it():
    """r as upstream's timm script ran it: lr 0.024 per process on any GPU count, no colour jitter
    under RandAugment, random train / bicubic eval interpolation, warm-up and decay once per epoch."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("timm")
    from timm.data.auto_augment import RandAugment
    from timm.data.transforms import RandomResizedCropAndInterpolation
    from timm.scheduler import StepLRScheduler
    from torchvision import transforms as T

    from naslib_anb.training.data import train_transform, val_transform

    ref = load_config(REPO / "configs/train/reference.yaml")
    for gpus in (1, 4, 8):
        assert ref.peak_lr(192 * gpus) == pytest.approx(0.024)  # per-process LR: not N times larger
    assert TrainConfig().peak_lr(4 * 512) == pytest.approx(0.425)  # p*: anchored at upstream's 4 x 512
    ops = train_transform(ref, 224).transforms
    assert not any(isinstance(o, T.ColorJitter) for o in ops) and any(isinstance(o, RandAugment) for o in ops)
    rrc = ops[0]
    assert isinstance(rrc, RandomResizedCropAndInterpolation)
    assert set(rrc.interpolation) == {T.InterpolationMode.BILINEAR, T.InterpolationMode.BICUBIC}  # "random"
    resize = val_transform(ref).transforms[0]
    assert resize.interpolation == T.InterpolationMode.BICUBIC and resize.size == 256  # 224 / 0.875
    with pytest.raises(ConfigError, match="color_jitter"):
        ref.replace(color_jitter=0.4)
    # timm's StepLRScheduler as timm's train.py builds it (create_scheduler: warmup_prefix off unless
    # --warmup-prefix), stepped per epoch, gives the LR of every step of that epoch
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=ref.peak_lr(192))
    sched = StepLRScheduler(opt, decay_t=ref.decay_epochs, decay_rate=ref.decay_rate, warmup_t=ref.warmup_epochs,
                            warmup_lr_init=ref.warmup_lr, warmup_prefix=False, t_in_epochs=True)
    for epoch in range(12):
        sched.step(epoch)
        expected = opt.param_groups[0]["lr"]
        for frac in (0.0, 0.37, 0.99):
            assert lr_at(ref, epoch + frac, 192 * 4) == pytest.approx(expected, rel=1e-12)


def test_typed_config_values_are_refused_with_the_field_named(tmp_path):
    with pytest.raises(ConfigError, match="amp is 'maybe'; valid: true or false"):
        load_config(None, parse_overrides(["amp=maybe"]))
    from naslib_anb.training.cli import main

    assert main(["--arch", ARCH, "--out", str(tmp_path / "o"), "--set", "amp=maybe"]) == 2
    assert main(["--arch", ARCH, "--out", "/proc/no/such/dir", "--set", "epochs=1"]) == 2


@pytest.fixture(scope="module")
def image_root(tmp_path_factory):
    pytest.importorskip("torchvision")
    from naslib_anb.training import make_image_folder

    return make_image_folder(tmp_path_factory.mktemp("imgs"), num_classes=4, train_per_class=8, val_per_class=4)


def _cfg(root, **kw):
    return load_config(TINY, {"data_dir": str(root), **kw})


def test_train_writes_anb_record_and_curve(image_root, tmp_path):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from naslib_anb.data import load_dataset
    from naslib_anb.training import train_arch

    res = train_arch(_cfg(image_root), ARCH, tmp_path / "run")
    assert res.status == "done" and 0 <= res.val_top1 <= 100 and res.train_time > 0
    curve = json.loads((tmp_path / "run" / "curve.json").read_text())
    assert [e["epoch"] for e in curve["epochs"]] == [0, 1] and curve["complete"]
    assert [e["resolution"] for e in curve["epochs"]] == [32, 48]
    assert all(e["val_top1"] is not None for e in curve["epochs"])
    rec = json.loads((tmp_path / "run" / "result.json").read_text())
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "result_x.json").write_text(json.dumps(rec))
    ds = load_dataset(tmp_path / "ds")
    assert str(ds[0].arch) == ARCH and ds[0].val_top1 == res.val_top1
    from naslib_anb.space import Arch, arch_cost

    assert ds[0].params_m == arch_cost(Arch.parse(ARCH)).params_m
    # idempotent: a finished run directory is not trained again
    t = (tmp_path / "run" / "result.json").stat().st_mtime_ns
    assert train_arch(_cfg(image_root), ARCH, tmp_path / "run").val_top1 == res.val_top1
    assert (tmp_path / "run" / "result.json").stat().st_mtime_ns == t


def test_resume_is_exact(image_root, tmp_path):
    """Stop after epoch 0, resume: the final weights equal those of an uninterrupted run."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from naslib_anb.training import train_arch

    cfg = _cfg(image_root)
    full = train_arch(cfg, ARCH, tmp_path / "full", save_weights=True)
    part = train_arch(cfg, ARCH, tmp_path / "resumed", stop_after_epoch=0)
    assert part.status == "partial" and not (tmp_path / "resumed" / "result.json").exists()
    assert (tmp_path / "resumed" / "checkpoint.pt").is_file()
    again = train_arch(cfg, ARCH, tmp_path / "resumed", save_weights=True)
    assert not (tmp_path / "resumed" / "checkpoint.pt").exists()  # finished: removed (keep_checkpoint keeps it)
    a = torch.load(tmp_path / "full" / "model.pt")
    b = torch.load(tmp_path / "resumed" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert again.val_top1 == full.val_top1
    ca = json.loads((tmp_path / "full" / "curve.json").read_text())["epochs"]
    cb = json.loads((tmp_path / "resumed" / "curve.json").read_text())["epochs"]
    assert [c["train_loss"] for c in ca] == [c["train_loss"] for c in cb]


def _torchrun(args, nproc=2):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
            "-m", "naslib_anb.training", *args], env


@pytest.mark.slow
def test_two_process_gloo_kill_and_resume(image_root, tmp_path):
    """torchrun, 2 ranks (gloo): kill the job after the first checkpoint, rerun, nothing lost or repeated."""
    pytest.importorskip("torch")
    out = tmp_path / "ddp"
    cmd, env = _torchrun(["--config", str(TINY), "--data", str(image_root), "--arch", ARCH, "--out", str(out),
                          "--set", "epochs=6", "val_last_epochs=1"])
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    kill_when(p, (out / "curve.json").exists, timeout=120)
    first = json.loads((out / "curve.json").read_text())
    assert not first["complete"] and not (out / "result.json").exists()
    # resume through the launcher the proxy search and the collector use
    from naslib_anb.training.launch import run_torchrun

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    run_torchrun(_cfg(image_root, epochs=6, val_last_epochs=1), ARCH, out, nproc=2, timeout=180)
    curve = json.loads((out / "curve.json").read_text())
    assert [e["epoch"] for e in curve["epochs"]] == list(range(6)) and curve["world_size"] == 2
    assert curve["epochs"][: len(first["epochs"])] == first["epochs"]  # kept, not re-run
    rec = json.loads((out / "result.json").read_text())
    assert rec["training"]["world_size"] == 2 and rec["training"]["global_batch"] == 16
    assert curve["epochs"][0]["images"] == 32  # 2 ranks x 2 steps x 8 images: every training image once
    assert sorted(p.name for p in out.iterdir()) == ["config.yaml", "curve.json", "result.json"]  # no tmp, no ckpt


def test_reference_recipe_paths_run(image_root, tmp_path):
    """The reference recipe's extra parts (RMSpropTF, step LR with warm-up, RandAugment, colour jitter,
    random erasing, EMA) run end to end at toy scale."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from naslib_anb.training import train_arch

    cfg = load_config(REPO / "configs/train/reference.yaml", {
        "data_dir": str(image_root), "batch_size": 8, "val_batch_size": 16, "epochs": 2, "val_last_epochs": 1,
        "min_res": 32, "max_res": 32, "val_res": 32, "num_workers": 0, "warmup_epochs": 1.0, "ema_decay": 0.9,
        "amp": False, "channels_last": False})
    res = train_arch(cfg, ARCH, tmp_path / "ref", save_weights=False)
    assert res.status == "done" and res.curve[-1]["val_top1"] is not None
    assert res.curve[0]["lr_last"] < res.curve[1]["lr_last"]  # still warming up in epoch 0


def test_resume_and_finished_run_refuse_another_recipe(image_root, tmp_path):
    """A checkpoint or result.json of another recipe or GPU count is refused, naming what differs;
    config.yaml is written only by a fresh run; a finished run reports its own world size."""
    torch = pytest.importorskip("torch")
    from naslib_anb.training import train_arch
    from naslib_anb.training.engine import recipe_key

    cfg = _cfg(image_root)
    run = tmp_path / "ck"
    run.mkdir()
    (run / "config.yaml").write_text("original\n")
    torch.save({"arch": ARCH, "config": cfg.replace(lr=0.1).to_dict(), "world_size": 1}, run / "checkpoint.pt")
    with pytest.raises(ConfigError, match=r"different recipe \(lr: 0\.1 there"):
        train_arch(cfg, ARCH, run)
    assert (run / "config.yaml").read_text() == "original\n"  # a resume never rewrites it
    torch.save({"arch": ARCH, "config": cfg.replace(data_dir="/elsewhere", num_workers=3).to_dict(),
                "world_size": 2}, run / "checkpoint.pt")  # paths/workers may differ, the GPU count not
    with pytest.raises(ConfigError, match="world_size 2"):
        train_arch(cfg, ARCH, run)

    done = tmp_path / "done"
    done.mkdir()
    rec = {"metrics": {"val_top1": 50.0, "val_top5": 90.0, "train_time": 10.0},
           "training": {"recipe_config": recipe_key(cfg.replace(epochs=3)), "world_size": 4, "global_batch": 32}}
    (done / "result.json").write_text(json.dumps(rec))
    with pytest.raises(ConfigError, match=r"different recipe \(epochs: 3 there, 2 now"):
        train_arch(cfg, ARCH, done)
    rec["training"]["recipe_config"] = recipe_key(cfg.replace(data_dir="/elsewhere"))
    (done / "result.json").write_text(json.dumps(rec))
    res = train_arch(cfg, ARCH, done)
    assert res.val_top1 == 50.0 and res.world_size == 4 and res.global_batch == 32
    assert not (done / "config.yaml").exists()


def test_prepare_writes_the_dataset_as_upstream_saw_it(tmp_path):
    """Longest side <= max_side (never enlarged), JPEG at the given quality for the compressed share,
    lossless PNG for the rest, file lists with ImageFolder's labels; a rerun skips finished images."""
    pytest.importorskip("PIL")
    from PIL import Image

    from naslib_anb.training import make_image_folder
    from naslib_anb.training.prepare import PrepareSpec, prepare_dataset

    src = make_image_folder(tmp_path / "src", num_classes=3, train_per_class=6, val_per_class=2, size=(40, 300))
    spec = PrepareSpec(max_side=100, jpeg_quality=90, compress_probability=0.5, seed=1)
    out = prepare_dataset(src, tmp_path / "prep", spec)
    assert out["splits"]["train"]["images"] == 18 and 0 < out["splits"]["train"]["jpeg"] < 18
    lines = (tmp_path / "prep" / "train_files.txt").read_text().split("\n")[:-1]
    assert len(lines) == 18
    for line in lines:
        rel, label = line.rsplit(" ", 1)
        f = tmp_path / "prep" / "train" / rel
        orig = next((src / "train" / Path(rel).parent).glob(Path(rel).stem + ".*"))
        with Image.open(f) as im, Image.open(orig) as o:
            assert max(im.size) == min(100, max(o.size))  # shrunk to the max side, small ones kept
            assert im.format == ("JPEG" if f.suffix == ".jpg" else "PNG")
        assert int(label) == int(Path(rel).parent.name[-3:])  # class_000 -> 0, sorted as ImageFolder
    stamp = {p: p.stat().st_mtime_ns for p in (tmp_path / "prep").rglob("*.jpg")}
    prepare_dataset(src, tmp_path / "prep", spec)  # resumable: nothing rewritten
    assert stamp == {p: p.stat().st_mtime_ns for p in (tmp_path / "prep").rglob("*.jpg")}
    with pytest.raises(ConfigError, match="jpeg_quality"):
        PrepareSpec(jpeg_quality=0)


def test_dali_loader_trains_p_star_on_cpu(tmp_path):
    """loader: dali (CPU pipeline here): p*'s progressive resizing per epoch, labels as ImageFolder's,
    every validation image once; recipes with timm-only augmentation are refused."""
    pytest.importorskip("nvidia.dali")
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from naslib_anb.training import dali as DD
    from naslib_anb.training import make_image_folder, train_arch
    from naslib_anb.training.prepare import PrepareSpec, prepare_dataset

    src = make_image_folder(tmp_path / "src", num_classes=4, train_per_class=8, val_per_class=3, size=(40, 120))
    prep = prepare_dataset(src, tmp_path / "prep", PrepareSpec(max_side=64))
    assert prep["splits"]["val"]["images"] == 12
    cfg = load_config(TINY, {"data_dir": str(tmp_path / "prep"), "loader": "dali", "epochs": 3, "start_ramp": 0,
                             "end_ramp": 2, "val_last_epochs": 1})
    for epoch in range(3):
        res = resolution_at(cfg, epoch)
        batches = list(DD.train_loader(cfg, epoch, res, 0, 1, torch.device("cpu")))
        assert len(batches) == 4 and all(x.shape == (8, 3, res, res) for x, _ in batches)
    labels = sorted(int(v) for _, y in DD.val_loader(cfg, 0, 1, torch.device("cpu")) for v in y)
    assert labels == sorted([0, 1, 2, 3] * 3)
    res = train_arch(cfg, ARCH, tmp_path / "run")
    curve = json.loads((tmp_path / "run" / "curve.json").read_text())["epochs"]
    expected = [resolution_at(cfg, e) for e in range(3)]
    assert [e["resolution"] for e in curve] == expected == [32, 32, 48] and res.val_top1 is not None
    with pytest.raises(ConfigError, match="loader 'torchvision'"):
        train_arch(cfg.replace(auto_augment="rand-m9-mstd0.5"), ARCH, tmp_path / "run2")
