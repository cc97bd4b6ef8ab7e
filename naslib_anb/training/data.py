"""ImageNet-style data: an ImageFolder tree (torchvision) and a generator for test trees.

The train transform is RandomResizedCrop + horizontal flip (p*), optionally timm's
RandAugment / colour jitter / random erasing (reference recipe). The validation transform is a
centre crop with ratio ``val_crop_ratio`` resized to ``val_res`` (p*: 256 px, ratio 224/256).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from naslib_anb.errors import DataError
from naslib_anb.training.config import TrainConfig

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def make_image_folder(
    root: Any,
    num_classes: int = 4,
    train_per_class: int = 8,
    val_per_class: int = 4,
    size: tuple[int, int] = (32, 48),
    seed: int = 0,
    fmt: str = "png",
) -> Path:
    """Write a small, learnable ImageFolder tree (``root/train/<class>/*.png``, ``root/val/...``).

    Each class has its own colour and stripe orientation plus noise, so a network can learn it
    in a few steps. Image sizes vary in ``size`` like real photos. Deterministic from ``seed``.
    """
    from PIL import Image

    root = Path(root)
    rng = np.random.default_rng(seed)
    base = rng.uniform(40, 215, size=(num_classes, 3))
    for split, n in (("train", train_per_class), ("val", val_per_class)):
        for c in range(num_classes):
            d = root / split / f"class_{c:03d}"
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                h, w = (int(x) for x in rng.integers(size[0], size[1] + 1, size=2))
                yy, xx = np.mgrid[0:h, 0:w]
                phase = (xx if c % 2 == 0 else yy) * (1 + c // 2) / 4.0
                stripes = 40 * np.sin(phase)[..., None]
                img = base[c] + stripes + rng.normal(0, 20, size=(h, w, 3))
                Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(d / f"img_{i:04d}.{fmt}")
    return root


def train_transform(cfg: TrainConfig, res: int):
    """timm's ``create_transform`` (as upstream's training scripts built it): RandomResizedCrop +
    flip (p*), optionally RandAugment, colour jitter (off under RandAugment, as timm) and random
    erasing (pixel mode). Colour jitter 0 adds no op (timm would add an identity ColorJitter that
    still draws random numbers)."""
    from timm.data import create_transform

    return create_transform(res, is_training=True, scale=tuple(cfg.rrc_scale), ratio=tuple(cfg.rrc_ratio),
                            hflip=cfg.hflip, vflip=0.0, color_jitter=cfg.color_jitter or None,
                            auto_augment=cfg.auto_augment, interpolation=cfg.train_interpolation, mean=MEAN, std=STD,
                            re_prob=cfg.re_prob, re_mode="pixel", re_count=1)


def val_resize(res: int, crop_ratio: float) -> int:
    """Shorter side before the centre crop: ``res / crop_ratio`` (p*: 256 / (224/256) = 293)."""
    return int(round(res / crop_ratio))


def center_crop_transform(res: int, crop_ratio: float, interpolation: str = "bilinear"):
    """The one validation view (training, DALI's resize, the profiler's upstream loader): resize the
    shorter side to :func:`val_resize`, centre crop ``res``, ImageNet-normalise."""
    from torchvision import transforms as T

    interp = T.InterpolationMode.BICUBIC if interpolation == "bicubic" else T.InterpolationMode.BILINEAR
    return T.Compose([T.Resize(val_resize(res, crop_ratio), interpolation=interp, antialias=True),
                      T.CenterCrop(res), T.ToTensor(), T.Normalize(MEAN, STD)])


def val_transform(cfg: TrainConfig):
    return center_crop_transform(cfg.val_res, cfg.val_crop_ratio, cfg.val_interpolation)


def image_folder(cfg: TrainConfig, split: str, transform):
    from torchvision.datasets import ImageFolder

    if cfg.data_dir is None:
        raise DataError("TrainConfig.data_dir is not set; point it at an ImageFolder root with train/ and val/")
    path = Path(cfg.data_dir) / split
    if not path.is_dir():
        raise DataError(f"ImageFolder split {str(path)!r} does not exist (expected {cfg.data_dir}/{split}/<class>/*)")
    ds = ImageFolder(str(path), transform=transform)
    if cfg.num_classes is not None and len(ds.classes) > cfg.num_classes:
        raise DataError(f"ImageFolder {str(path)!r} has {len(ds.classes)} class folders but num_classes is "
                        f"{cfg.num_classes}; valid: num_classes >= {len(ds.classes)} or None (count the folders)")
    return ds


class ShardSampler:
    """Rank ``r`` of ``w`` takes indices r, r+w, ... with no padding, so validation counts each image once."""

    def __init__(self, n: int, rank: int, world: int):
        self.idx = list(range(rank, n, world))

    def __iter__(self):
        return iter(self.idx)

    def __len__(self) -> int:
        return len(self.idx)


def _seed_worker(worker_id: int) -> None:
    import random

    import torch

    s = torch.initial_seed() % 2**32
    np.random.seed(s)  # noqa: NPY002 - third-party transforms read the global generators
    random.seed(s)


def train_loader(cfg: TrainConfig, dataset, epoch: int, rank: int, world: int, pin: bool):
    """A fresh loader per epoch: workers see the epoch's resolution; order depends on (seed, epoch)."""
    import torch
    from torch.utils.data import DataLoader, DistributedSampler

    from naslib_anb.training.order import epoch_seed

    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=cfg.seed,
                                 drop_last=cfg.drop_last)
    sampler.set_epoch(epoch)
    g = torch.Generator()
    g.manual_seed(epoch_seed(cfg.seed, epoch, rank))  # worker augmentation seeds
    if cfg.drop_last and len(sampler) < cfg.batch_size:
        raise DataError(f"rank {rank} gets {len(sampler)} training images, fewer than one batch of "
                        f"{cfg.batch_size}; lower batch_size or set drop_last false")
    return DataLoader(dataset, batch_size=cfg.batch_size, sampler=sampler, num_workers=cfg.num_workers,
                      pin_memory=pin, drop_last=cfg.drop_last, generator=g, worker_init_fn=_seed_worker,
                      persistent_workers=False)


def val_loader(cfg: TrainConfig, dataset, rank: int, world: int, pin: bool):
    from torch.utils.data import DataLoader

    return DataLoader(dataset, batch_size=cfg.val_batch_size, sampler=ShardSampler(len(dataset), rank, world),
                      num_workers=cfg.num_workers, pin_memory=pin, drop_last=False)


def num_classes_of(cfg: TrainConfig) -> Optional[int]:
    p = Path(cfg.data_dir or ".") / cfg.train_split
    if not p.is_dir():
        return None
    return sum(1 for d in p.iterdir() if d.is_dir())
