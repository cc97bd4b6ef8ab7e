"""A small real image dataset with no download: scikit-learn's handwritten digits as an ImageFolder.

``load_digits`` ships 1,797 real 8x8 grey-level scans (10 classes). They are upsampled
(bicubic) to ``size`` px and written as PNGs under ``out/train/<digit>/`` and ``out/val/<digit>/``
with a stratified split drawn from ``seed``, so the whole benchmark-building chain (proxy search,
collection, fitting, search) can run on real data on a laptop CPU.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from naslib_anb.errors import ConfigError

N_IMAGES = 1797
N_CLASSES = 10


@dataclass(frozen=True)
class DigitsSpec:
    """What a digits ImageFolder was written with (stored as ``digits.json`` beside it)."""

    size: int = 32
    val_fraction: float = 0.2
    seed: int = 0
    per_class: Optional[int] = None  #: keep only this many images of each class (smoke tests); None: all

    def __post_init__(self) -> None:
        if self.per_class is not None and (isinstance(self.per_class, bool) or not isinstance(self.per_class, int)
                                           or self.per_class < 2):
            raise ConfigError(f"digits per_class is {self.per_class!r}; valid: None (all) or an int >= 2")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 8 <= self.size <= 512:
            raise ConfigError(f"digits size is {self.size!r}; valid: an int in 8..512 (pixels)")
        if not isinstance(self.val_fraction, (int, float)) or not 0.0 < float(self.val_fraction) < 1.0:
            raise ConfigError(f"digits val_fraction is {self.val_fraction!r}; valid: a number in (0, 1)")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"digits seed is {self.seed!r}; valid: an int >= 0")


def split_indices(labels: np.ndarray, val_fraction: float, seed: int,
                  per_class: Optional[int] = None) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, val) indices: ``round(val_fraction * n_c)`` of each class go to val
    (at least one), drawn from ``seed``; ``per_class`` keeps a seeded subset of each class first."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))][:per_class]
        k = max(1, int(round(val_fraction * len(idx))))
        val.extend(idx[:k].tolist())
        train.extend(idx[k:].tolist())
    return np.sort(np.asarray(train)), np.sort(np.asarray(val))


def write_digits(out: Any, size: int = 32, val_fraction: float = 0.2, seed: int = 0,
                 per_class: Optional[int] = None) -> dict[str, Any]:
    """Write the digits ImageFolder under ``out`` (idempotent: an identical existing tree is kept).

    Returns a summary: the spec, image counts per split and the class names. A tree written with
    another spec is refused (ConfigError) rather than mixed.
    """
    from PIL import Image
    from sklearn.datasets import load_digits

    spec = DigitsSpec(size, val_fraction, seed, per_class)
    root = Path(out)
    meta_path = root / "digits.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta.get("spec") != asdict(spec):
            raise ConfigError(f"{root} holds digits written with {meta.get('spec')}, not {asdict(spec)}; "
                              "use another directory")
        return meta
    d = load_digits()
    images = np.asarray(d.images, dtype=np.float64)  # (1797, 8, 8), values 0..16
    labels = np.asarray(d.target)
    train, val = split_indices(labels, spec.val_fraction, spec.seed, spec.per_class)
    counts = {}
    for split, idx in (("train", train), ("val", val)):
        for c in range(N_CLASSES):
            (root / split / str(c)).mkdir(parents=True, exist_ok=True)
        for i in idx:
            img = Image.fromarray(np.clip(images[i] * (255.0 / 16.0), 0, 255).astype(np.uint8), mode="L")
            img = img.resize((spec.size, spec.size), Image.BICUBIC)
            img.save(root / split / str(int(labels[i])) / f"{int(i):04d}.png")
        counts[split] = len(idx)
    meta = {"spec": asdict(spec), "images": counts, "classes": [str(c) for c in range(N_CLASSES)],
            "source": "sklearn.datasets.load_digits (UCI optical recognition of handwritten digits)"}
    from naslib_anb.io import atomic_write_json

    atomic_write_json(meta_path, meta)  # written last: its presence means the tree is complete
    return meta
