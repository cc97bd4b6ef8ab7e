"""Typed, YAML-loadable training recipes.

Every hyperparameter of a run is a field of :class:`TrainConfig`; ``configs/train/p_star.yaml``
is the p* recipe behind the benchmark's ``val_top1`` and ``configs/train/reference.yaml`` a
full-length reference recipe. The resolved config is written next to every result.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping, Optional

from naslib_anb.errors import ConfigError
from naslib_anb.io import parse_key_values, read_yaml_mapping

OPTIMIZERS = ("sgd", "rmsproptf")
SCHEDULES = ("triangular", "step")
LOADERS = ("torchvision", "dali")
AMP_DTYPES = ("float16", "bfloat16")
ACTIVATIONS = ("relu", "silu")
LR_SCALINGS = ("global_batch", "per_process")
TRAIN_INTERPOLATIONS = ("bilinear", "bicubic", "random")
VAL_INTERPOLATIONS = ("bilinear", "bicubic")
INITS = ("anb", "anb_fanin", "timm")


@dataclass(frozen=True)
class TrainConfig:
    """One training recipe. Defaults are p* (``DC:configs/conf_local.cfg``)."""

    # -- data ------------------------------------------------------------------------
    data_dir: Optional[str] = None  #: ImageFolder root holding train/ and val/
    train_split: str = "train"
    val_split: str = "val"
    loader: str = "torchvision"  #: "dali": GPU JPEG decoding (naslib_anb.training.dali), p*'s augmentation
    num_workers: int = 8
    batch_size: int = 512  #: per process; the global batch is batch_size * world size
    val_batch_size: int = 128  #: per process
    drop_last: bool = True
    # -- length and resolution (the six proxy knobs: batch_size, epochs, start_ramp, end_ramp, min_res, max_res)
    epochs: int = 16
    min_res: int = 160
    max_res: int = 192
    start_ramp: int = 11  #: epochs <= start_ramp train at min_res
    end_ramp: int = 13  #: epochs >= end_ramp train at max_res
    res_multiple: int = 32  #: the ramp is rounded to a multiple of this (np.round, as upstream)
    # -- augmentation ------------------------------------------------------------------
    rrc_scale: tuple[float, float] = (0.08, 1.0)
    rrc_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    hflip: float = 0.5
    auto_augment: Optional[str] = None  #: timm RandAugment string, e.g. "rand-m9-mstd0.5"
    color_jitter: float = 0.0
    re_prob: float = 0.0  #: timm random erasing probability
    train_interpolation: str = "bilinear"  #: RandomResizedCrop resampling; "random": bilinear or bicubic per image (timm)
    # -- validation ----------------------------------------------------------------------
    val_res: int = 256
    val_crop_ratio: float = 224 / 256
    val_last_epochs: int = 3  #: validate after each of the last N epochs (upstream: epoch > epochs - 4)
    val_interpolation: str = "bilinear"
    # -- optimisation --------------------------------------------------------------------
    optimizer: str = "sgd"
    lr: float = 0.425  #: peak learning rate at global batch ``lr_ref_batch``
    lr_ref_batch: int = 2048  #: lr is scaled linearly: lr * batch / lr_ref_batch (batch: see lr_scaling)
    #: "global_batch": batch = per-process batch x processes (p*: 0.425 at 4 x 512);
    #: "per_process": batch = per-process batch, so the LR does not grow with the GPU count (timm
    #: scripts with a hard-coded lr, as upstream ran the reference recipe)
    lr_scaling: str = "global_batch"
    momentum: float = 0.9
    nesterov: bool = False
    opt_eps: float = 1e-3  #: rmsproptf only
    weight_decay: float = 1e-4  #: applied to >=2-D weights only (biases, BN get 0)
    schedule: str = "triangular"
    lr_peak_epoch: float = 2.0  #: triangular: peak epoch
    lr_start_factor: float = 1e-4  #: triangular: LR at epoch 0 is lr * this
    warmup_epochs: float = 0.0  #: step: linear warm-up from warmup_lr, updated once per epoch (timm)
    warmup_lr: float = 1e-6
    decay_epochs: float = 2.4  #: step: decay every N epochs, updated once per epoch (timm)
    decay_rate: float = 0.97
    label_smoothing: float = 0.1
    ema_decay: Optional[float] = None  #: model EMA (evaluated instead of the raw model when set)
    bn_recalibration_batches: int = 0  #: >0: precise BN over this many training batches before validating
    grad_clip: Optional[float] = None
    # -- model ---------------------------------------------------------------------------
    activation: str = "relu"
    drop_rate: float = 0.2
    drop_path_rate: float = 0.2
    init: str = "anb"  #: "anb" upstream; "anb_fanin" the same with a U(+-1/sqrt(in)) classifier (few classes)
    num_classes: Optional[int] = None  #: None: the number of class folders
    # -- hardware and precision ----------------------------------------------------------
    amp: bool = True  #: autocast + GradScaler, only on CUDA
    amp_dtype: str = "float16"
    channels_last: bool = True  #: only on CUDA
    cudnn_benchmark: bool = True
    max_train_memory_gb: Optional[float] = None  #: skip archs whose probe needs more (upstream: 22.0)
    memory_probe_batch: int = 512
    memory_probe_res: int = 192
    # -- bookkeeping ---------------------------------------------------------------------
    seed: int = 0
    max_steps_per_epoch: Optional[int] = None  #: cap for smoke runs and benchmarks
    log_every: int = 50
    name: str = "p_star"

    def __post_init__(self) -> None:
        self._check_types()
        self._check_ranges()

    def _bad(self, name: str, valid: str) -> ConfigError:
        return ConfigError(f"TrainConfig.{name} is {getattr(self, name)!r}; valid: {valid}")

    def _check_types(self) -> None:
        """Choices, ints, booleans and non-negative numbers, each named with its valid values."""
        bad = self._bad
        for name, choices in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("loader", LOADERS),
                              ("amp_dtype", AMP_DTYPES), ("activation", ACTIVATIONS), ("init", INITS),
                              ("lr_scaling", LR_SCALINGS), ("train_interpolation", TRAIN_INTERPOLATIONS),
                              ("val_interpolation", VAL_INTERPOLATIONS)):
            if getattr(self, name) not in choices:
                raise bad(name, ", ".join(repr(c) for c in choices))
        for name in ("batch_size", "val_batch_size", "epochs", "min_res", "max_res", "val_res", "res_multiple",
                     "lr_ref_batch", "memory_probe_batch", "memory_probe_res", "log_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise bad(name, "a positive int")
        for name in ("num_workers", "start_ramp", "end_ramp", "val_last_epochs", "bn_recalibration_batches"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise bad(name, "an int >= 0")
        for name in ("amp", "drop_last", "nesterov", "channels_last", "cudnn_benchmark"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "true or false")
        for name in ("lr", "momentum", "weight_decay", "lr_start_factor", "warmup_lr", "decay_rate",
                     "label_smoothing", "hflip", "color_jitter", "re_prob", "warmup_epochs", "opt_eps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise bad(name, "a number >= 0")

    def _check_ranges(self) -> None:
        """Ranges and relations between fields (run after the types are known to be right)."""
        bad = self._bad
        if self.auto_augment and self.color_jitter > 0:
            raise ConfigError(f"TrainConfig.color_jitter is {self.color_jitter!r} with auto_augment "
                              f"{self.auto_augment!r}: timm turns colour jitter off under RandAugment; "
                              "valid: color_jitter 0 with auto_augment, or auto_augment null")
        if self.min_res > self.max_res:
            raise ConfigError(f"TrainConfig.min_res {self.min_res} > max_res {self.max_res}")
        if self.start_ramp > self.end_ramp:
            raise ConfigError(f"TrainConfig.start_ramp {self.start_ramp} > end_ramp {self.end_ramp}")
        if self.val_last_epochs > self.epochs:
            raise bad("val_last_epochs", f"0..epochs ({self.epochs})")
        if self.val_last_epochs == 0:
            raise bad("val_last_epochs", ">= 1 (a run must be validated at least once)")
        for name in ("label_smoothing", "drop_rate", "drop_path_rate"):
            if not 0 <= getattr(self, name) < 1.0:
                raise bad(name, "a number in [0, 1)")
        for name in ("hflip", "re_prob"):
            if not 0 <= getattr(self, name) <= 1.0:
                raise bad(name, "a probability in [0, 1]")
        if not 0 < self.val_crop_ratio <= 1:
            raise bad("val_crop_ratio", "a number in (0, 1]")
        if not 0 <= self.lr_peak_epoch <= self.epochs:
            raise bad("lr_peak_epoch", f"0..epochs ({self.epochs})")
        if self.decay_epochs <= 0:
            raise bad("decay_epochs", "> 0")
        for name in ("rrc_scale", "rrc_ratio"):
            v = getattr(self, name)
            if len(v) != 2 or not 0 < v[0] <= v[1]:
                raise bad(name, "two numbers 0 < lo <= hi")
        self._check_optional()

    def _check_optional(self) -> None:
        bad = self._bad
        if self.num_classes is not None and (not isinstance(self.num_classes, int) or self.num_classes < 2):
            raise bad("num_classes", "None or an int >= 2")
        if self.max_steps_per_epoch is not None and self.max_steps_per_epoch < 1:
            raise bad("max_steps_per_epoch", "None or >= 1")
        if self.max_train_memory_gb is not None and self.max_train_memory_gb <= 0:
            raise bad("max_train_memory_gb", "None or > 0")
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise bad("ema_decay", "None or in (0, 1)")

    # -- derived -----------------------------------------------------------------------
    def peak_lr(self, global_batch: int) -> float:
        """Linear scaling rule: the configured lr holds at ``lr_ref_batch`` images per step
        (``global_batch``) or per process (``per_process``: independent of the process count)."""
        batch = global_batch if self.lr_scaling == "global_batch" else self.batch_size
        return self.lr * batch / self.lr_ref_batch

    def validate_epoch(self, epoch: int) -> bool:
        """0-based epoch; upstream validates when ``epoch > epochs - 4`` (the last three)."""
        return epoch >= self.epochs - self.val_last_epochs

    # -- (de)serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TrainConfig":
        if not isinstance(d, Mapping):
            raise ConfigError(f"a training config must be a mapping, got {type(d).__name__}")
        names = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise ConfigError(f"unknown TrainConfig fields {unknown}; valid: {sorted(names)}")
        kw = {}
        for k, v in d.items():
            if k in ("rrc_scale", "rrc_ratio"):
                v = tuple(float(x) for x in v)
            elif isinstance(names[k].default, float) and isinstance(v, int) and not isinstance(v, bool):
                v = float(v)
            kw[k] = v
        return cls(**kw)

    def replace(self, **changes: Any) -> "TrainConfig":
        return self.from_dict({**self.to_dict(), **changes})

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def save(self, path: Any) -> Path:
        from naslib_anb.io import atomic_write_text

        return atomic_write_text(path, self.to_yaml())


def load_config(path: Any = None, overrides: Optional[Mapping[str, Any]] = None) -> TrainConfig:
    """Read a YAML recipe (None: the p* defaults) and apply ``overrides`` on top."""
    base: dict[str, Any] = dict(read_yaml_mapping(path, "training config")) if path is not None else {}
    base.update(overrides or {})
    return TrainConfig.from_dict(base)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["epochs=2", "auto_augment=null"]`` -> typed dict (values parsed as YAML scalars)."""
    return parse_key_values(items, "override")


def data_overrides(data: Any = None, resolution: Optional[int] = None,
                   num_classes: Optional[int] = None) -> dict[str, Any]:
    """Recipe fields for "this ImageFolder, at this resolution, with this many classes" (runner flags).

    ``resolution`` trains and validates at one size (``min_res = max_res = val_res``, and the memory
    probe at it); None keeps the recipe's (ImageNet: progressive 160 -> 192, validation at 256).
    ``num_classes`` sizes the classifier head; None counts the class folders of ``train/``.
    """
    import os

    over: dict[str, Any] = {}
    if data is not None:
        over["data_dir"] = os.path.abspath(str(data))
    if resolution is not None:
        if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
            raise ConfigError(f"resolution is {resolution!r}; valid: a positive int (pixels)")
        over.update(min_res=resolution, max_res=resolution, val_res=resolution, memory_probe_res=resolution)
    if num_classes is not None:
        over["num_classes"] = num_classes  # validated by TrainConfig
    return over
