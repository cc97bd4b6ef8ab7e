"""Train one architecture under a recipe: DDP, AMP, channels_last, per-step LR, progressive resizing,
validation over the last epochs, an atomic checkpoint after every epoch and exact resume.

Files in ``out_dir`` (written by rank 0, atomically):

- ``checkpoint.pt``  model, optimizer, scaler, EMA, next epoch, curve so far, elapsed time, recipe, world size
  (removed once the result is written, unless ``keep_checkpoint``)
- ``curve.json``     the learning curve so far (see :func:`curve_json`)
- ``config.yaml``    the resolved recipe (written when a fresh run starts, never by a resume)
- ``result.json``    the ANB-schema record, written last: its presence means "done"
- ``model.pt``       final weights (state dict), only when ``save_weights``
- ``skipped.json``   instead of a result, when the memory filter rejects the architecture
"""
from __future__ import annotations

import copy
import io
import json
import logging
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.io import atomic_write_bytes, atomic_write_json
from naslib_anb.space.arch import Arch
from naslib_anb.training import distributed as D
from naslib_anb.training.config import TrainConfig
from naslib_anb.training.order import epoch_seed
from naslib_anb.training.schedule import lr_at, resolution_at

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
RESULT = "result.json"
CURVE = "curve.json"
SKIPPED = "skipped.json"

#: TrainConfig fields that do not change what is trained (paths, loader workers, logging, eval batch,
#: cuDNN autotuning); they may differ between a run and its resume. Every other field is the recipe.
NON_RECIPE_FIELDS = ("data_dir", "num_workers", "log_every", "val_batch_size", "cudnn_benchmark")


def recipe_key(cfg: TrainConfig) -> dict[str, Any]:
    """The part of ``cfg`` a checkpoint or a finished result must match to be reused."""
    return {k: v for k, v in cfg.to_dict().items() if k not in NON_RECIPE_FIELDS}


def _check_same_recipe(stored: Any, cfg: TrainConfig, where: Path) -> None:
    """ConfigError naming every recipe key where ``stored`` (a recipe_key/to_dict) differs from ``cfg``."""
    if not isinstance(stored, dict):
        raise ConfigError(f"{where} records no training recipe, so it cannot be reused safely; "
                          "use a new output directory")
    now = recipe_key(cfg)
    old = {k: v for k, v in stored.items() if k not in NON_RECIPE_FIELDS}
    diff = sorted(k for k in set(now) | set(old) if now.get(k) != old.get(k))
    if diff:
        detail = ", ".join(f"{k}: {old.get(k)!r} there, {now.get(k)!r} now" for k in diff)
        raise ConfigError(f"{where} was trained under a different recipe ({detail}); "
                          "use a new output directory or the original recipe")


@dataclass
class EpochLog:
    """One point of the learning curve (upstream never released these)."""

    epoch: int
    resolution: int
    lr_last: float
    steps: int
    images: int
    train_loss: float
    train_top1: float
    epoch_time_s: float
    val_top1: Optional[float] = None
    val_top5: Optional[float] = None
    val_loss: Optional[float] = None
    val_time_s: Optional[float] = None


@dataclass
class TrainResult:
    arch: str
    status: str  # "done" | "skipped_memory"
    val_top1: Optional[float] = None
    val_top5: Optional[float] = None
    train_time: Optional[float] = None  # s, wall clock of all epochs incl. validation
    best_epoch: Optional[int] = None
    world_size: int = 1
    global_batch: int = 0
    curve: list[dict] = field(default_factory=list)
    peak_memory_gb: Optional[float] = None
    out_dir: str = ""

    def record_json(self, cfg: TrainConfig, device: str) -> dict[str, Any]:
        """ANB schema (``Record.to_json``) plus a ``training`` provenance block the readers ignore."""
        from naslib_anb.data.records import Record
        from naslib_anb.space.cost import arch_cost

        arch = Arch.parse(self.arch)
        cost = arch_cost(arch)  # schema: thop-convention MACs @224 and params of the 1000-class net
        rec = Record(name=f"result_{arch}", arch=arch, val_top1=float(self.val_top1),
                     val_top5=float(self.val_top5), train_time=float(self.train_time),
                     macs_m=cost.macs_m, params_m=cost.params_m)
        obj = rec.to_json()
        obj["training"] = {"recipe": cfg.name, "recipe_config": recipe_key(cfg), "seed": cfg.seed, "epochs": cfg.epochs,
                           "world_size": self.world_size, "global_batch": self.global_batch,
                           "best_epoch": self.best_epoch, "device": device,
                           "train_time_gpu_hours": self.train_time * self.world_size / 3600.0,
                           "peak_memory_gb": self.peak_memory_gb}
        return obj


def _seed_all(seed: int) -> None:
    import torch

    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - torchvision/timm transforms read the global generators
    random.seed(seed)


def param_groups(model, weight_decay: float) -> list[dict[str, Any]]:
    """Weight decay on >= 2-D weights only; biases and norm parameters get none (as p*): timm's
    ``param_groups_weight_decay``, the decayed group first (the order checkpoints were saved in)."""
    from timm.optim import param_groups_weight_decay

    groups = param_groups_weight_decay(model, weight_decay)
    return sorted(groups, key=lambda g: g["weight_decay"] == 0.0)


def make_optimizer(cfg: TrainConfig, model):
    import torch

    groups = param_groups(model, cfg.weight_decay)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    from timm.optim import RMSpropTF

    return RMSpropTF(groups, lr=cfg.lr, alpha=0.9, eps=cfg.opt_eps, momentum=cfg.momentum)


def _amp_dtype(cfg: TrainConfig):
    import torch

    return torch.float16 if cfg.amp_dtype == "float16" else torch.bfloat16


def probe_memory_gb(cfg: TrainConfig, model, device, num_classes: int) -> float:
    """Peak GPU memory (GB, 1e9 bytes) of one AMP train step at the probe batch and resolution.

    The step runs in train mode and so updates BatchNorm running statistics: pass a copy of the
    model that is trained afterwards (:func:`train_memory_gb` does).
    """
    import torch

    torch.cuda.reset_peak_memory_stats(device)
    x = torch.randn(cfg.memory_probe_batch, 3, cfg.memory_probe_res, cfg.memory_probe_res, device=device)
    y = torch.randint(0, num_classes, (cfg.memory_probe_batch,), device=device)
    if cfg.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.autocast("cuda", dtype=_amp_dtype(cfg), enabled=cfg.amp):
        loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    model.zero_grad(set_to_none=True)
    peak = torch.cuda.max_memory_allocated(device) / 1e9
    del x, y, loss
    torch.cuda.empty_cache()
    return peak


def train_memory_gb(cfg: TrainConfig, model, env: D.DistEnv, num_classes: int) -> Optional[float]:
    """Mean over ranks of the probe's peak memory (inf on OOM), or None where no probe applies
    (no ``max_train_memory_gb``, or not on CUDA). Probes a deep copy, so ``model`` is unchanged."""
    import torch

    if cfg.max_train_memory_gb is None or env.device.type != "cuda":
        return None
    probe = copy.deepcopy(model)
    try:
        peak = probe_memory_gb(cfg, probe, env.device, num_classes)
    except torch.cuda.OutOfMemoryError:
        peak = math.inf
    finally:
        del probe
        torch.cuda.empty_cache()
    return D.all_sum(env, [peak])[0] / env.world  # the same decision on every rank (inf stays inf)


def curve_json(arch: Arch, cfg: TrainConfig, curve: list[dict], world: int, complete: bool) -> dict[str, Any]:
    return {"architecture": arch.to_dict(), "arch": str(arch), "recipe": cfg.name, "seed": cfg.seed,
            "world_size": world, "global_batch": cfg.batch_size * world, "complete": complete, "epochs": curve}


def _accuracy(out, y, k: int) -> tuple[float, float]:
    """Correct top-1 and top-k counts of a batch (timm's ``accuracy``, which gives percentages)."""
    from timm.utils import accuracy

    return tuple(float(round(float(a) * len(y) / 100.0)) for a in accuracy(out, y, topk=(1, k)))


def validate(cfg: TrainConfig, model, loader, env: D.DistEnv, num_classes: int) -> tuple[float, float, float]:
    """Top-1, top-5 (%), loss over the whole validation set, each image counted once across ranks."""
    import torch

    model.eval()
    k = min(5, num_classes)
    s = [0.0, 0.0, 0.0, 0.0]  # correct1, correct5, loss_sum, n
    use_amp = cfg.amp and env.device.type == "cuda"
    with torch.no_grad():
        for x, y in loader:
            x = x.to(env.device, non_blocking=True)
            y = y.to(env.device, non_blocking=True)
            if cfg.channels_last and env.device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(env.device.type, dtype=_amp_dtype(cfg), enabled=use_amp):
                out = model(x)
            loss = torch.nn.functional.cross_entropy(out.float(), y, reduction="sum")
            c1, c5 = _accuracy(out, y, k)
            s = [s[0] + c1, s[1] + c5, s[2] + float(loss), s[3] + len(y)]
    c1, c5, ls, n = D.all_sum(env, s)
    n = max(n, 1.0)
    return 100.0 * c1 / n, 100.0 * c5 / n, ls / n


def train_step(cfg: TrainConfig, net, model, x, y, opt, scaler, crit, use_amp: bool, ema=None):
    """One optimisation step (shared by the training loop and the throughput benchmark)."""
    import torch

    if cfg.channels_last and x.is_cuda:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.autocast(x.device.type, dtype=_amp_dtype(cfg), enabled=use_amp):
        logits = net(x)
        loss = crit(logits, y)
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    if cfg.grad_clip is not None:
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    scaler.step(opt)
    scaler.update()
    if ema is not None:
        ema.update(model)
    return loss, logits


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    import torch

    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def read_result(out_dir: Any) -> Optional[dict[str, Any]]:
    p = Path(out_dir) / RESULT
    return json.loads(p.read_text()) if p.is_file() else None


def remove_temporaries(out_dir: Path) -> None:
    """Delete ``*.tmp`` files of killed atomic writes; a run directory has one writer (this run)."""
    if out_dir.is_dir():
        for p in out_dir.glob("*.tmp"):
            p.unlink(missing_ok=True)


@dataclass
class _Run:
    """The live objects of one training run (built by :func:`_build_run`)."""

    cfg: TrainConfig
    arch: Arch
    out: Path
    env: Any
    model: Any
    opt: Any
    scaler: Any
    ema: Any
    crit: Any
    use_amp: bool
    num_classes: int
    peak_mem: Optional[float]
    net: Any = None
    start_epoch: int = 0
    curve: list = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def global_batch(self) -> int:
        return self.cfg.batch_size * self.env.world

    @property
    def ckpt_path(self) -> Path:
        return self.out / CHECKPOINT

    @property
    def eval_model(self) -> Any:
        return self.ema.module if self.ema is not None else self.model


def _finished(done: dict[str, Any], cfg: TrainConfig, arch: Arch, out: Path, world: int) -> TrainResult:
    """The TrainResult of a result.json already on disk (ConfigError if it is another recipe's)."""
    tr = done.get("training") or {}
    _check_same_recipe(tr.get("recipe_config"), cfg, out / RESULT)
    rec_world = int(tr.get("world_size", world))  # the GPU count the result was trained with
    return TrainResult(str(arch), "done", done["metrics"]["val_top1"], done["metrics"]["val_top5"],
                       done["metrics"]["train_time"], tr.get("best_epoch"), rec_world,
                       int(tr.get("global_batch", cfg.batch_size * rec_world)),
                       peak_memory_gb=tr.get("peak_memory_gb"), out_dir=str(out))


def _build_model(cfg: TrainConfig, arch: Arch, env: Any) -> tuple[Any, int]:
    import torch

    from naslib_anb.models import build_model
    from naslib_anb.training import data as DL

    num_classes = cfg.num_classes or DL.num_classes_of(cfg)
    if not num_classes:
        raise ConfigError(f"TrainConfig.num_classes is None and no class folders were found under "
                          f"{cfg.data_dir}/{cfg.train_split}")
    _seed_all(cfg.seed)
    model = build_model(arch, activation=cfg.activation, drop_rate=cfg.drop_rate,
                        drop_path_rate=cfg.drop_path_rate, num_classes=num_classes, init=cfg.init).to(env.device)
    if cfg.channels_last and env.device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    return model, num_classes


def _build_run(cfg: TrainConfig, arch: Arch, out: Path, env: Any) -> _Run:
    """Model, optimizer, AMP scaler, EMA and loss of a fresh run (before any resume)."""
    import torch

    model, num_classes = _build_model(cfg, arch, env)
    peak_mem = train_memory_gb(cfg, model, env, num_classes)
    use_amp = cfg.amp and env.device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and cfg.amp_dtype == "float16")
    ema = None
    if cfg.ema_decay is not None:
        from timm.utils import ModelEmaV3

        ema = ModelEmaV3(model, decay=cfg.ema_decay)
    crit = torch.nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    return _Run(cfg, arch, out, env, model, make_optimizer(cfg, model), scaler, ema, crit, use_amp, num_classes,
                peak_mem)


def _resume(run: _Run) -> None:
    """Continue from ``checkpoint.pt``: same architecture, recipe and world size, else ConfigError."""
    import torch

    ckpt_path, world = run.ckpt_path, run.env.world
    ck = torch.load(ckpt_path, map_location=run.env.device, weights_only=False)
    if ck.get("arch") != str(run.arch):
        raise ConfigError(f"{ckpt_path} belongs to {ck.get('arch')!r}, not {str(run.arch)!r}")
    _check_same_recipe(ck.get("config"), run.cfg, ckpt_path)
    if ck.get("world_size") != world:
        raise ConfigError(f"{ckpt_path} was trained with world_size {ck.get('world_size')!r} (processes/GPUs), "
                          f"this run has {world}; the global batch and LR would change: resume with "
                          f"{ck.get('world_size')!r} processes or use a new output directory")
    run.model.load_state_dict(ck["model"])
    run.opt.load_state_dict(ck["optimizer"])
    run.scaler.load_state_dict(ck["scaler"])
    if run.ema is not None and ck.get("ema") is not None:
        run.ema.load_state_dict(ck["ema"])
    run.start_epoch, run.curve, run.elapsed = ck["epoch"], ck["curve"], ck["elapsed"]
    log.info("resumed %s at epoch %d", run.arch, run.start_epoch)


class _Loaders:
    """The validation loader, built once, and a training loader per epoch (its resolution)."""

    def __init__(self, cfg: TrainConfig, env: Any):
        from naslib_anb.training import data as DL

        self.cfg, self.env, self.on_cuda = cfg, env, env.device.type == "cuda"
        if cfg.loader == "dali":
            from naslib_anb.training import dali as DD

            DD.check_dali_recipe(cfg)
            self.val = DD.val_loader(cfg, env.rank, env.world, env.device)
        else:
            self.train_set = DL.image_folder(cfg, cfg.train_split, None)
            self.val = DL.val_loader(cfg, DL.image_folder(cfg, cfg.val_split, DL.val_transform(cfg)), env.rank,
                                     env.world, self.on_cuda)

    def train(self, epoch: int, res: int):
        from naslib_anb.training import data as DL

        if self.cfg.loader == "dali":
            from naslib_anb.training import dali as DD

            return DD.train_loader(self.cfg, epoch, res, self.env.rank, self.env.world, self.env.device)
        self.train_set.transform = DL.train_transform(self.cfg, res)
        return DL.train_loader(self.cfg, self.train_set, epoch, self.env.rank, self.env.world, self.on_cuda)


def _sync(env: Any) -> None:
    if env.device.type == "cuda":
        import torch

        torch.cuda.synchronize(env.device)


def _train_epoch(run: _Run, loader: Any, epoch: int, res: int) -> EpochLog:
    """One epoch of per-step-LR training; the log holds sums over every rank."""
    import torch

    env, cfg = run.env, run.cfg
    steps = len(loader) if cfg.max_steps_per_epoch is None else min(len(loader), cfg.max_steps_per_epoch)
    run.net.train()
    _sync(env)
    t0 = time.perf_counter()
    loss_sum = torch.zeros((), dtype=torch.float64, device=env.device)
    correct = torch.zeros((), dtype=torch.float64, device=env.device)
    n_img, lr = 0, 0.0
    for step, (x, y) in enumerate(loader):
        if step >= steps:
            break
        lr = lr_at(cfg, epoch + step / steps, run.global_batch)
        for g in run.opt.param_groups:
            g["lr"] = lr
        x = x.to(env.device, non_blocking=True)
        y = y.to(env.device, non_blocking=True)
        loss, logits = train_step(cfg, run.net, run.model, x, y, run.opt, run.scaler, run.crit, run.use_amp, run.ema)
        loss_sum += loss.detach().double() * len(y)
        correct += (logits.detach().argmax(1) == y).sum()
        n_img += len(y)
    _sync(env)
    t_epoch = time.perf_counter() - t0
    ls, cs, ni = D.all_sum(env, [float(loss_sum), float(correct), float(n_img)])
    return EpochLog(epoch, res, lr, steps, int(ni), ls / max(ni, 1), 100.0 * cs / max(ni, 1),
                    max(D.all_sum(env, [t_epoch])[0] / env.world, 0.0))


def _validate_epoch(run: _Run, entry: EpochLog, train_loader: Any, val_loader: Any) -> None:
    t1 = time.perf_counter()
    vmodel = run.eval_model
    if run.cfg.bn_recalibration_batches:  # precise BN (off in p*): statistics of the current weights
        from naslib_anb.training.precise_bn import recalibrate_bn

        recalibrate_bn(vmodel, train_loader, run.cfg.bn_recalibration_batches, run.env.device)
    D.broadcast_buffers(run.env, vmodel)  # validate (and save) rank 0's BN statistics on every rank
    entry.val_top1, entry.val_top5, entry.val_loss = validate(run.cfg, vmodel, val_loader, run.env, run.num_classes)
    entry.val_time_s = time.perf_counter() - t1


def _save_epoch(run: _Run, epoch: int, on_epoch_end: Optional[Callable[[int], None]]) -> None:
    """Rank 0: the checkpoint and the curve so far, atomically; then the epoch hook."""
    if not run.env.is_main:
        return
    state = {"arch": str(run.arch), "model": run.model.state_dict(), "optimizer": run.opt.state_dict(),
             "scaler": run.scaler.state_dict(), "ema": run.ema.state_dict() if run.ema is not None else None,
             "epoch": epoch + 1, "curve": run.curve, "elapsed": run.elapsed,
             "config": run.cfg.to_dict(), "world_size": run.env.world}
    _save_checkpoint(run.ckpt_path, state)
    atomic_write_json(run.out / CURVE, curve_json(run.arch, run.cfg, run.curve, run.env.world,
                                                  complete=epoch + 1 == run.cfg.epochs))
    if on_epoch_end is not None:
        on_epoch_end(epoch)


def _finish(run: _Run, save_weights: bool, keep_checkpoint: bool) -> TrainResult:
    """The best validated epoch as the result; rank 0 files result.json (and weights) last."""
    import torch

    validated = [c for c in run.curve if c["val_top1"] is not None]
    best = max(validated, key=lambda c: c["val_top1"])
    result = TrainResult(str(run.arch), "done", best["val_top1"], max(c["val_top5"] for c in validated), run.elapsed,
                         best["epoch"], run.env.world, run.global_batch, run.curve, run.peak_mem, str(run.out))
    if run.env.is_main:
        if save_weights:
            buf = io.BytesIO()
            torch.save(run.eval_model.state_dict(), buf)
            atomic_write_bytes(run.out / "model.pt", buf.getvalue())
        atomic_write_json(run.out / RESULT, result.record_json(run.cfg, str(run.env.device)))
        if not keep_checkpoint:
            run.ckpt_path.unlink(missing_ok=True)  # the result is filed: the checkpoint is dead weight
    D.barrier(run.env)
    return result


def _start(cfg: TrainConfig, arch: Arch, out: Path, env: Any, resuming: bool) -> Union[_Run, TrainResult]:
    """Build (and resume) the run, or the "skipped_memory" result when the memory filter rejects it."""
    import torch

    if env.is_main:
        remove_temporaries(out)
        out.mkdir(parents=True, exist_ok=True)
        if not resuming:
            cfg.save(out / "config.yaml")
    if env.device.type == "cuda":
        torch.backends.cudnn.benchmark = cfg.cudnn_benchmark
    run = _build_run(cfg, arch, out, env)
    if run.peak_mem is not None and run.peak_mem > cfg.max_train_memory_gb:
        res = TrainResult(str(arch), "skipped_memory", world_size=env.world, global_batch=run.global_batch,
                          peak_memory_gb=run.peak_mem, out_dir=str(out))
        if env.is_main:
            atomic_write_json(out / SKIPPED, asdict(res))
        return res
    if env.is_main:
        (out / SKIPPED).unlink(missing_ok=True)  # a verdict under an older limit no longer holds
    if resuming:
        _resume(run)
    run.net = run.model
    if env.distributed:
        run.net = torch.nn.parallel.DistributedDataParallel(
            run.model, device_ids=[env.device.index] if env.device.type == "cuda" else None)
    return run


def train_arch(cfg: TrainConfig, arch: Any, out_dir: Any, *, resume: bool = True, save_weights: bool = False,
               keep_checkpoint: bool = False, stop_after_epoch: Optional[int] = None,
               on_epoch_end: Optional[Callable[[int], None]] = None) -> TrainResult:
    """Train ``arch`` under ``cfg`` in the current process group (torchrun) or alone.

    Idempotent: a finished ``out_dir`` returns its result without training (ConfigError if it was
    trained under another recipe; the result reports its own world size). With ``resume`` an
    existing checkpoint is continued, only under the same recipe (:func:`recipe_key`) and world
    size, else ConfigError naming the differing keys. ``stop_after_epoch`` ends the process's work
    after that epoch's checkpoint (used to test resume); the run is then incomplete and returns
    status "partial". ``on_epoch_end(epoch)`` runs on rank 0 after each epoch's checkpoint. The
    checkpoint is removed when the run finishes unless ``keep_checkpoint``; weights are written
    (``model.pt``) only with ``save_weights``.
    """
    arch, out, env = Arch.parse(arch), Path(out_dir), D.setup()
    done = read_result(out)
    if done is not None:
        return _finished(done, cfg, arch, out, env.world)
    run = _start(cfg, arch, out, env, resume and (out / CHECKPOINT).is_file())
    if isinstance(run, TrainResult):
        return run
    loaders = _Loaders(cfg, env)
    for epoch in range(run.start_epoch, cfg.epochs):
        _seed_all(epoch_seed(cfg.seed, epoch, env.rank))  # what makes a resumed run bit-identical
        res = resolution_at(cfg, epoch)
        loader = loaders.train(epoch, res)
        entry = _train_epoch(run, loader, epoch, res)
        if cfg.validate_epoch(epoch):
            _validate_epoch(run, entry, loader, loaders.val)
        run.curve.append(asdict(entry))
        run.elapsed += entry.epoch_time_s + (entry.val_time_s or 0.0)
        _save_epoch(run, epoch, on_epoch_end)
        D.barrier(env)
        log.info("%s epoch %d res %d loss %.4f val_top1 %s (%.1fs)", arch, epoch, res, entry.train_loss,
                 entry.val_top1, entry.epoch_time_s)
        if stop_after_epoch is not None and epoch >= stop_after_epoch and epoch + 1 < cfg.epochs:
            return TrainResult(str(arch), "partial", world_size=env.world, global_batch=run.global_batch,
                               curve=run.curve, out_dir=str(out))
    return _finish(run, save_weights, keep_checkpoint)
