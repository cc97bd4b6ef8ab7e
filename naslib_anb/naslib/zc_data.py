"""Data for NASLib's zero-cost proxies on the ANB space: an ImageNet folder, or a labelled synthetic batch.

NASLib's proxies take one mini-batch from a loader (``get_some_data``). With an ImageNet tree
(``<root>/train/<class>/*.JPEG`` or ``<root>/<class>/*.JPEG``) configured, :func:`make_zc_loader`
reads it with the usual centre-crop preprocessing at ``resolution``. Without one it returns a
**synthetic** batch (seeded N(0, 1) images, labels from ``synthetic_classes`` classes) whose
dataset says so (``loader.dataset.synthetic is True`` and its ``describe()``). That is enough for
the proxies that are data-free by construction: params and flops read the architecture, synflow
feeds an all-ones input of the batch's shape, zen Gaussian inputs, l2_norm reads the weights. The
others read the batch: snip, grad_norm, fisher, grasp and plain back-propagate the loss of its
images against its labels, jacov and nwot look at how the network responds to its images, epe_nas
groups those responses by label. On the synthetic batch they score the network on noise and made-up
labels, a different experiment from scoring it on ImageNet; the kind of batch is logged when the
loader is made and recorded with every result.

Needs the ``train`` extra (torch, torchvision); imported only when a proxy runs.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

from naslib_anb.errors import ConfigError, DataNotFoundError

#: under NASLib's ``naslib`` logger, so the line reaches the log NASLib's ``setup_logger`` writes
logger = logging.getLogger("naslib.anb_mnas")

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ZCDataConfig:
    """What feeds the proxies; recorded beside every score."""

    data_path: Optional[str] = None  # an ImageNet-style folder; None = synthetic batch
    resolution: int = 224
    batch_size: int = 64
    synthetic_classes: int = 8  # repeated labels, so per-class proxies (epe_nas) are defined
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("resolution", "batch_size", "synthetic_classes"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < (32 if name == "resolution" else 2):
                raise ConfigError(f"zero-cost data {name} is {v!r}; valid: an int >= "
                                  f"{32 if name == 'resolution' else 2}")

    def describe(self) -> str:
        if self.data_path:
            return f"ImageNet folder {self.data_path}, {self.batch_size} images at {self.resolution} px"
        return (f"SYNTHETIC batch: {self.batch_size} N(0,1) images at {self.resolution} px, labels from "
                f"{self.synthetic_classes} classes, seed {self.seed} (no ImageNet configured)")

    @property
    def kind(self) -> str:
        """``"SYNTHETIC"`` or ``"IMAGENET_FOLDER"``: what the proxies' batch is, in every record."""
        return "IMAGENET_FOLDER" if self.data_path else "SYNTHETIC"

    def to_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self), "synthetic": not self.data_path,
                "description": self.describe()}


class SyntheticImageNetBatch:
    """A map-style dataset of seeded noise images; ``synthetic`` marks it for every consumer."""

    synthetic = True

    def __init__(self, cfg: ZCDataConfig):
        import torch

        g = torch.Generator().manual_seed(int(cfg.seed))
        self.images = torch.randn(cfg.batch_size, 3, cfg.resolution, cfg.resolution, generator=g)
        self.labels = torch.randint(0, cfg.synthetic_classes, (cfg.batch_size,), generator=g)
        self.cfg = cfg

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.images[i], int(self.labels[i])

    def describe(self) -> str:
        return self.cfg.describe()


def _image_folder(cfg: ZCDataConfig) -> Any:
    from torchvision import datasets, transforms

    root = Path(str(cfg.data_path)).expanduser()
    for candidate in (root / "train", root):
        if candidate.is_dir() and any(p.is_dir() for p in candidate.iterdir()):
            tf = transforms.Compose([
                transforms.Resize(int(round(cfg.resolution / 0.875))),
                transforms.CenterCrop(cfg.resolution),
                transforms.ToTensor(),
                transforms.Normalize(MEAN, STD),
            ])
            ds = datasets.ImageFolder(str(candidate), transform=tf)
            ds.synthetic = False
            ds.describe = cfg.describe
            return ds
    raise DataNotFoundError(f"no ImageNet-style folder (class sub-folders) at {root} or {root / 'train'}")


def make_zc_loader(cfg: Optional[ZCDataConfig] = None, **kw: Any) -> Any:
    """A torch DataLoader for NASLib's proxies (see the module docstring); seeded shuffling."""
    import torch

    cfg = cfg or ZCDataConfig(**kw)
    ds = _image_folder(cfg) if cfg.data_path else SyntheticImageNetBatch(cfg)
    if cfg.data_path:
        logger.info("zero-cost proxies read %s", cfg.describe())
    else:
        logger.warning("zero-cost proxies score %s: data-dependent proxies (snip, grad_norm, fisher, jacov, "
                       "nwot, ...) then rank networks on noise; set anb.zc_data.data_path to an ImageNet "
                       "folder", cfg.describe())
    g = torch.Generator().manual_seed(int(cfg.seed))
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg.batch_size, shuffle=bool(cfg.data_path),
                                         generator=g, drop_last=False, num_workers=0)
    loader.zc_data = cfg
    return loader
