"""One-off preparation of an ImageFolder the way upstream's training saw it, for fast loading.

Upstream wrote ImageNet to FFCV files with ``write_imagenet.sh 400 0.50 90``: every image resized
so that its longest side is at most 400 px (never enlarged), stored as JPEG at quality 90 with
probability ``compress_probability`` and raw otherwise (the file name says 0.50, the README text
says all JPEG). Decoding a 400 px JPEG costs a fraction of a full-size one, which is most of what
made upstream's loader keep up. This writes the same images as a new ImageFolder tree (JPEG q90;
the uncompressed share as lossless PNG) plus ``<split>_files.txt`` lists (``relative/path label``,
the ``file_list`` format of DALI's file reader), which both the torchvision and the DALI loader
read. Resumable: an image whose output exists is skipped; outputs are written atomically.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

from naslib_anb.errors import ConfigError, DataError
from naslib_anb.io import atomic_write_bytes, atomic_write_json, atomic_write_text

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class PrepareSpec:
    """Upstream's FFCV settings by default (``write_imagenet.sh 400 <p> 90``)."""

    max_side: int = 400  #: longest side after resizing (images are never enlarged)
    jpeg_quality: int = 90
    compress_probability: float = 1.0  #: share stored as JPEG; the rest lossless PNG (upstream file name: 0.5)
    splits: tuple[str, ...] = ("train", "val")
    seed: int = 0  #: which images are compressed is a function of (seed, path)

    def __post_init__(self) -> None:
        if isinstance(self.max_side, bool) or not isinstance(self.max_side, int) or self.max_side < 16:
            raise ConfigError(f"max_side is {self.max_side!r}; valid: an int >= 16 (upstream: 400)")
        if isinstance(self.jpeg_quality, bool) or not isinstance(self.jpeg_quality, int) or not 1 <= self.jpeg_quality <= 100:
            raise ConfigError(f"jpeg_quality is {self.jpeg_quality!r}; valid: an int in 1..100 (upstream: 90)")
        if not isinstance(self.compress_probability, (int, float)) or not 0 <= self.compress_probability <= 1:
            raise ConfigError(f"compress_probability is {self.compress_probability!r}; valid: a number in [0, 1]")


def _compressed(spec: PrepareSpec, rel: str) -> bool:
    h = hashlib.sha256(f"{spec.seed}:{rel}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < spec.compress_probability


def _encode(src: Path, spec: PrepareSpec, jpeg: bool) -> bytes:
    import io

    from PIL import Image

    with Image.open(src) as im:
        im = im.convert("RGB")
        w, h = im.size
        scale = spec.max_side / max(w, h)
        if scale < 1:
            im = im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        if jpeg:
            im.save(buf, "JPEG", quality=spec.jpeg_quality)
        else:
            im.save(buf, "PNG")
    return buf.getvalue()


def prepare_dataset(src: Any, dest: Any, spec: Optional[PrepareSpec] = None, *, workers: int = 1,
                    progress: bool = False) -> dict[str, Any]:
    """Write ``src`` (ImageFolder root with ``<split>/<class>/*``) to ``dest`` as described above;
    return counts per split. Classes are numbered in sorted order, as torchvision's ImageFolder does."""
    spec = spec or PrepareSpec()
    src, dest = Path(src), Path(dest)
    if src.resolve() == dest.resolve():
        raise ConfigError(f"dest {str(dest)!r} is the source; valid: a new directory")
    from naslib_anb.io import ensure_writable_dir

    for split in spec.splits:
        if not (src / split).is_dir():
            raise DataError(f"split {str(src / split)!r} does not exist; valid: an ImageFolder root with "
                            f"{{{','.join(spec.splits)}}}/<class>/<image>")
    ensure_writable_dir(dest, "dest")
    summary: dict[str, Any] = {"spec": asdict(spec), "splits": {}}
    for split in spec.splits:
        root = src / split
        classes = sorted(d.name for d in root.iterdir() if d.is_dir())
        jobs = []
        for label, c in enumerate(classes):
            for f in sorted((root / c).iterdir()):
                if f.suffix.lower() in IMAGE_SUFFIXES:
                    rel = f"{c}/{f.stem}"
                    jpeg = _compressed(spec, f"{split}/{rel}")
                    jobs.append((f, dest / split / f"{rel}{'.jpg' if jpeg else '.png'}", jpeg, label))
        if not jobs:
            raise DataError(f"split {str(root)!r} has no images")

        def work(job: tuple) -> None:
            f, out, jpeg, _ = job
            if not out.exists():
                atomic_write_bytes(out, _encode(f, spec, jpeg))

        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as ex:  # PIL releases the GIL while decoding/encoding
                list(ex.map(work, jobs))
        else:
            for j in jobs:
                work(j)
        lines = [f"{out.relative_to(dest / split)} {label}" for _, out, _, label in jobs]
        atomic_write_text(dest / f"{split}_files.txt", "\n".join(lines) + "\n")
        summary["splits"][split] = {"images": len(jobs), "classes": len(classes),
                                    "jpeg": sum(1 for j in jobs if j[2])}
    atomic_write_json(dest / "prepared.json", summary)
    return summary


def main(argv: Any = None) -> int:
    """``python -m naslib_anb.training.prepare SRC DEST``: see the module docstring."""
    import argparse
    import sys

    from naslib_anb.errors import ANBError

    p = argparse.ArgumentParser(prog="prepare", description=__doc__.split("\n")[0])
    p.add_argument("src")
    p.add_argument("dest")
    p.add_argument("--max-side", type=int, default=400)
    p.add_argument("--jpeg-quality", type=int, default=90)
    p.add_argument("--compress-probability", type=float, default=1.0)
    p.add_argument("--workers", type=int, default=1)
    args = p.parse_args(argv)
    try:
        out = prepare_dataset(args.src, args.dest, PrepareSpec(args.max_side, args.jpeg_quality,
                                                               args.compress_probability), workers=args.workers)
    except ANBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out["splits"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
