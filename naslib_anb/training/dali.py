"""NVIDIA DALI loader for the recipe's training and validation data (``loader: dali``, extra ``[dali]``).

JPEG decoding runs on the GPU (nvJPEG through the ``mixed`` decoder) fused with the random crop,
so the CPU only reads files; without a GPU the same pipeline runs on the CPU (libjpeg-turbo),
which is what the tests and ``benchmarks/bench_loader.py`` use here. Same augmentation as p*:
RandomResizedCrop (scale ``rrc_scale``, ratio ``rrc_ratio``) resized to the epoch's resolution of
the progressive-resizing schedule, horizontal flip with ``hflip``, ImageNet normalisation;
validation: resize the shorter side to ``val_res / val_crop_ratio``, centre crop ``val_res``.
Training order: each epoch reads an explicit file list, the rank's shard of the set in a fresh
seeded order (:func:`naslib_anb.training.order.epoch_shard`: a new permutation every epoch and
seed, shards rotating across ranks); DALI's own ``random_shuffle`` (a small shuffle buffer over a
fixed order) is not used. Augmentation is seeded from (seed, epoch, rank). timm's extra
augmentations (RandAugment, colour jitter, random erasing) exist only in the torchvision loader.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional

from naslib_anb.errors import ConfigError, DataError
from naslib_anb.training.config import TrainConfig
from naslib_anb.training.data import MEAN, STD, val_resize
from naslib_anb.training.order import epoch_seed, epoch_shard

_INTERP = {"bilinear": "INTERP_LINEAR", "bicubic": "INTERP_CUBIC"}


def _dali():
    try:
        import nvidia.dali as dali
        from nvidia.dali import fn, types
    except ImportError as exc:
        raise ConfigError(f"loader 'dali' needs NVIDIA DALI ({exc}); valid: pip install 'naslib_anb[dali]', "
                          "or loader 'torchvision'") from None
    return dali, fn, types


def check_dali_recipe(cfg: TrainConfig) -> None:
    """The DALI pipeline implements p*'s augmentation; refuse recipe parts it does not have."""
    extra = [k for k, v in (("auto_augment", cfg.auto_augment), ("color_jitter", cfg.color_jitter),
                            ("re_prob", cfg.re_prob)) if v]
    if extra or cfg.train_interpolation == "random":
        what = extra + (["train_interpolation 'random'"] if cfg.train_interpolation == "random" else [])
        raise ConfigError(f"loader 'dali' implements RandomResizedCrop + flip (p*), not {', '.join(what)}; "
                          "valid: loader 'torchvision' for this recipe")


def _listing(cfg: TrainConfig, split: str) -> tuple[str, list[str], list[int]]:
    """(root, relative paths, labels) of a split: a prepared ``<split>_files.txt`` list (``path label``
    per line), else the ImageFolder tree with torchvision's labels (sorted class folders)."""
    if cfg.data_dir is None:
        raise DataError("TrainConfig.data_dir is not set; point it at an ImageFolder root with train/ and val/")
    root = Path(cfg.data_dir)
    if not (root / split).is_dir():
        raise DataError(f"ImageFolder split {str(root / split)!r} does not exist")
    listing = root / f"{split}_files.txt"
    if listing.is_file():
        rows = [line.rsplit(None, 1) for line in listing.read_text().splitlines() if line.strip()]
        return str(root / split), [r[0] for r in rows], [int(r[1]) for r in rows]
    classes = sorted(c.name for c in (root / split).iterdir() if c.is_dir())
    files, labels = [], []
    for i, c in enumerate(classes):
        for f in sorted((root / split / c).iterdir()):
            files.append(f"{c}/{f.name}")
            labels.append(i)
    if not files:
        raise DataError(f"ImageFolder split {str(root / split)!r} has no images")
    return str(root / split), files, labels


class DaliLoader:
    """Iterates ``(images, labels)`` torch tensors (on the GPU with ``device_id``, else on the CPU)."""

    def __init__(self, pipe: Any, n: int, batch: int, drop_last: bool, world: int):
        from nvidia.dali.plugin.pytorch import DALIGenericIterator, LastBatchPolicy

        policy = LastBatchPolicy.DROP if drop_last else LastBatchPolicy.PARTIAL
        self._it = DALIGenericIterator([pipe], ["data", "label"], reader_name="Reader", last_batch_policy=policy,
                                       auto_reset=True)
        per_shard = -(-n // world)
        self._len = per_shard // batch if drop_last else -(-per_shard // batch)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        for out in self._it:
            d = out[0]
            yield d["data"], d["label"].reshape(-1).long()


def _pipeline(cfg: TrainConfig, src: dict[str, Any], train: bool, res: int, seed: int, shard: tuple[int, int],
              device_id: Optional[int], num_threads: int) -> Any:
    """A built pipeline over ``src`` (file_root, files, labels); ``shard``: DALI's own (id, count)."""
    dali, fn, types = _dali()
    batch = cfg.batch_size if train else cfg.val_batch_size
    decoder = "mixed" if device_id is not None else "cpu"
    dev = "gpu" if device_id is not None else "cpu"
    interp = getattr(types, _INTERP[cfg.train_interpolation if train else cfg.val_interpolation])

    @dali.pipeline_def(batch_size=batch, num_threads=num_threads, device_id=device_id, seed=seed,
                       prefetch_queue_depth=2)
    def pipe():
        jpegs, labels = fn.readers.file(**src, shard_id=shard[0], num_shards=shard[1], random_shuffle=False,
                                        pad_last_batch=not train, name="Reader")
        if train:
            images = fn.decoders.image_random_crop(jpegs, device=decoder, output_type=types.RGB,
                                                   random_area=list(cfg.rrc_scale),
                                                   random_aspect_ratio=list(cfg.rrc_ratio), num_attempts=10)
            images = fn.resize(images, device=dev, resize_x=res, resize_y=res, interp_type=interp, antialias=True)
            mirror = fn.random.coin_flip(probability=cfg.hflip)
            crop = None
        else:
            images = fn.decoders.image(jpegs, device=decoder, output_type=types.RGB)
            images = fn.resize(images, device=dev, resize_shorter=val_resize(cfg.val_res, cfg.val_crop_ratio),
                               interp_type=interp, antialias=True)
            mirror, crop = 0, (cfg.val_res, cfg.val_res)
        kw = {"crop": crop} if crop else {}
        images = fn.crop_mirror_normalize(images, device=dev, dtype=types.FLOAT, output_layout="CHW",
                                          mean=[255 * m for m in MEAN], std=[255 * s for s in STD],
                                          mirror=mirror, **kw)
        return images, labels.gpu() if device_id is not None else labels

    p = pipe()
    p.build()
    return p


def _device_id(device: Any) -> Optional[int]:
    return None if getattr(device, "type", "cpu") != "cuda" else int(device.index or 0)


def train_loader(cfg: TrainConfig, epoch: int, res: int, rank: int, world: int, device: Any,
                 num_threads: Optional[int] = None) -> DaliLoader:
    """One epoch of training batches at ``res`` px (a fresh pipeline per epoch: progressive resizing),
    reading this rank's shard of the epoch in its seeded order (:func:`order.epoch_shard`)."""
    check_dali_recipe(cfg)
    root, files, labels = _listing(cfg, cfg.train_split)
    idx = epoch_shard(len(files), cfg.seed, epoch, rank, world)
    if cfg.drop_last and len(idx) < cfg.batch_size:
        raise DataError(f"rank {rank} gets fewer than one batch of {cfg.batch_size} training images "
                        f"({len(files)} in all); lower batch_size or set drop_last false")
    src = {"file_root": root, "files": [files[i] for i in idx], "labels": [labels[i] for i in idx]}
    p = _pipeline(cfg, src, True, res, epoch_seed(cfg.seed, epoch, rank), (0, 1), _device_id(device),
                  num_threads or max(1, cfg.num_workers))
    return DaliLoader(p, len(idx), cfg.batch_size, cfg.drop_last, 1)


def val_loader(cfg: TrainConfig, rank: int, world: int, device: Any, num_threads: Optional[int] = None) -> DaliLoader:
    """Every validation image once across ranks, in file order (DALI's sharding, last batch padded)."""
    root, files, labels = _listing(cfg, cfg.val_split)
    src = {"file_root": root, "files": files, "labels": labels}
    p = _pipeline(cfg, src, False, cfg.val_res, cfg.seed, (rank, world), _device_id(device),
                  num_threads or max(1, cfg.num_workers))
    return DaliLoader(p, len(files), cfg.val_batch_size, False, world)
