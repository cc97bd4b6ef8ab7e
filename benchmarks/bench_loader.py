"""Training-loader speed per CPU core: torchvision (PIL) against NVIDIA DALI, in one run.

Writes a synthetic ImageFolder of full-size photos-like JPEGs (default 500 x 375 .. 800 x 600,
like ImageNet's typical 400-500 px short side), prepares it as upstream's training saw it
(``naslib_anb.training.prepare``: longest side 400, JPEG q90), then times p*'s training transform
(RandomResizedCrop to 160 px + flip + normalise, batch 256) over the same images with

- torchvision on the original full-size JPEGs (the loader before preparation),
- torchvision on the prepared images,
- DALI on the prepared images: its CPU pipeline here (libjpeg-turbo), or ``--gpu`` for the
  ``mixed`` nvJPEG decoder (then the CPU only reads files).

Each loader runs with ``--workers`` worker processes / threads, pinned to that many cores; img/s
per core = img/s / workers. Prints one JSON line per loader and the ratios to the first.

    python benchmarks/bench_loader.py [--images 1024] [--workers 2] [--res 160] [--batch 256] [--gpu]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def write_photos(root: Path, n: int, classes: int = 8, seed: int = 0) -> Path:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for i in range(n):
        w, h = int(rng.integers(500, 801)), int(rng.integers(375, 601))
        d = root / "train" / f"c{i % classes:02d}"
        d.mkdir(parents=True, exist_ok=True)
        # smooth gradients plus noise: compresses like a photo, not like flat colour
        yy, xx = np.mgrid[0:h, 0:w]
        img = np.stack([(xx * (c + 1) / w * 255) % 255 for c in range(3)], -1) + rng.normal(0, 25, (h, w, 3))
        Image.fromarray(np.clip(img, 0, 255).astype("uint8")).save(d / f"{i:05d}.jpg", quality=90)
    (root / "val").mkdir(exist_ok=True)
    return root


def time_torchvision(cfg, epochs: int) -> float:
    from naslib_anb.training import data as DL

    ds = DL.image_folder(cfg, "train", DL.train_transform(cfg, cfg.min_res))
    best = 0.0
    for e in range(epochs):
        loader = DL.train_loader(cfg, ds, e, 0, 1, False)
        n, t0 = 0, time.perf_counter()
        for x, _ in loader:
            n += len(x)
        best = max(best, n / (time.perf_counter() - t0))
    return best


def time_dali(cfg, workers: int, epochs: int, gpu: bool) -> float:
    import torch

    from naslib_anb.training import dali as DD

    device = torch.device("cuda", 0) if gpu else torch.device("cpu")
    best = 0.0
    for e in range(epochs):
        loader = DD.train_loader(cfg, e, cfg.min_res, 0, 1, device, num_threads=workers)
        n, t0 = 0, time.perf_counter()
        for x, _ in loader:
            n += len(x)
        if gpu:
            torch.cuda.synchronize()
        best = max(best, n / (time.perf_counter() - t0))
    return best


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--images", type=int, default=1024)
    p.add_argument("--workers", type=int, default=2, help="loader processes/threads = cores used")
    p.add_argument("--res", type=int, default=160)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--epochs", type=int, default=2, help="passes per loader; the best is reported")
    p.add_argument("--gpu", action="store_true", help="DALI with GPU decoding")
    p.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
    args = p.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))[: args.workers]
        os.sched_setaffinity(0, cores)

    from naslib_anb.training import load_config
    from naslib_anb.training.prepare import PrepareSpec, prepare_dataset

    tmp = tempfile.TemporaryDirectory() if args.dir is None else None
    work = Path(args.dir or tmp.name)
    src = work / "src"
    if not (src / "train").is_dir():
        write_photos(src, args.images)
    prep = work / "prepared"
    prepare_dataset(src, prep, PrepareSpec(splits=("train",)), workers=args.workers)
    common = {"batch_size": args.batch, "min_res": args.res, "max_res": args.res, "num_workers": args.workers,
              "drop_last": True, "seed": 0}
    rows = []
    for name, root, kind in (("torchvision, original JPEGs", src, "tv"), ("torchvision, prepared", prep, "tv"),
                             (f"dali ({'gpu' if args.gpu else 'cpu'}), prepared", prep, "dali")):
        cfg = load_config(None, {**common, "data_dir": str(root), "loader": "dali" if kind == "dali" else "torchvision"})
        try:
            ips = time_torchvision(cfg, args.epochs) if kind == "tv" else \
                time_dali(cfg, args.workers, args.epochs, args.gpu)
        except Exception as exc:  # noqa: BLE001 - report a loader that cannot run here, keep the others
            rows.append({"loader": name, "error": repr(exc)[:300]})
            continue
        rows.append({"loader": name, "img_per_s": round(ips, 1), "img_per_s_per_core": round(ips / args.workers, 1)})
    base = rows[0].get("img_per_s")
    for r in rows:
        if base and "img_per_s" in r:
            r["ratio_vs_first"] = round(r["img_per_s"] / base, 2)
        print(json.dumps({**r, "workers": args.workers, "res": args.res, "batch": args.batch,
                          "images": args.images}))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
