"""Training-step throughput on synthetic GPU data: our loop's step versus a minimal timm step.

    python -m naslib_anb.training.bench --batch 512 --res 224 --amp-dtype float16

Both sides use SGD (momentum 0.9, wd 1e-4), label smoothing 0.1, autocast + GradScaler and
channels_last; the input tensors are created once on the device, so the data pipeline is not
measured. Warm-up steps are excluded; the device is synchronised before and after the timed steps.
"""
from __future__ import annotations

import argparse
import json
import time
from typing import Any, Optional, Sequence


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_steps(step, n_warm: int, n_iter: int, batch: int, device) -> dict[str, float]:
    for _ in range(n_warm):
        step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(n_iter):
        step()
    _sync(device)
    dt = time.perf_counter() - t0
    return {"img_per_s": n_iter * batch / dt, "ms_per_step": 1000 * dt / n_iter}


def bench_ours(arch: Any, activation: str, batch: int, res: int, amp_dtype: str, n_warm: int, n_iter: int,
               device: str = "cuda") -> dict:
    import torch

    from naslib_anb.models import build_model
    from naslib_anb.training.config import TrainConfig
    from naslib_anb.training.engine import make_optimizer, train_step

    dev = torch.device(device)
    gpu = dev.type == "cuda"
    cfg = TrainConfig(batch_size=batch, amp_dtype=amp_dtype, activation=activation, amp=gpu, channels_last=gpu)
    torch.manual_seed(0)
    model = build_model(arch, activation=activation).to(dev)
    if gpu:
        model = model.to(memory_format=torch.channels_last)
    opt = make_optimizer(cfg, model)
    scaler = torch.amp.GradScaler("cuda", enabled=gpu and amp_dtype == "float16")
    crit = torch.nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    x = torch.randn(batch, 3, res, res, device=dev)
    y = torch.randint(0, 1000, (batch,), device=dev)
    for g in opt.param_groups:
        g["lr"] = 0.1
    model.train()
    return _time_steps(lambda: train_step(cfg, model, model, x, y, opt, scaler, crit, gpu), n_warm, n_iter,
                       batch, dev)


def bench_timm_minimal(batch: int, res: int, amp_dtype: str, n_warm: int, n_iter: int) -> dict:
    """timm.create_model('efficientnet_b0') + a plain SGD/AMP step, as timm's train loop does it."""
    import timm
    import timm.loss
    import timm.optim
    import torch

    dev = torch.device("cuda")
    torch.manual_seed(0)
    model = timm.create_model("efficientnet_b0", drop_rate=0.2, drop_path_rate=0.2).to(dev)
    model = model.to(memory_format=torch.channels_last)
    opt = timm.optim.create_optimizer_v2(model, "sgd", lr=0.1, weight_decay=1e-4, momentum=0.9)
    dt = torch.float16 if amp_dtype == "float16" else torch.bfloat16
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == "float16")
    crit = timm.loss.LabelSmoothingCrossEntropy(0.1)
    x = torch.randn(batch, 3, res, res, device=dev).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch,), device=dev)
    model.train()

    def step():
        with torch.autocast("cuda", dtype=dt):
            loss = crit(model(x), y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    return _time_steps(step, n_warm, n_iter, batch, dev)


def main(argv: Optional[Sequence[str]] = None) -> int:
    import torch

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--res", type=int, default=224)
    p.add_argument("--amp-dtype", default="float16", choices=["float16", "bfloat16"])
    p.add_argument("--warm", type=int, default=15)
    p.add_argument("--iters", type=int, default=40)
    p.add_argument("--cpu", action="store_true", help="fp32 on the CPU, our step only (no AMP, no channels_last)")
    args = p.parse_args(argv)
    import timm

    if args.cpu:
        from naslib_anb.space import EFFICIENTNET_B0

        r = bench_ours(EFFICIENTNET_B0, "relu", args.batch, args.res, args.amp_dtype, args.warm, args.iters, "cpu")
        print(json.dumps({"device": "cpu", "threads": torch.get_num_threads(), "torch": torch.__version__,
                          **vars(args), "results": {"ours_b0_relu_hardsigmoid_fp32": r}}, indent=1))
        return 0
    if not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device"}))
        return 2

    from naslib_anb.space import EFFICIENTNET_B0

    torch.backends.cudnn.benchmark = True
    common = dict(batch=args.batch, res=args.res, amp_dtype=args.amp_dtype, n_warm=args.warm, n_iter=args.iters)
    rows = {}
    for name, fn in (("ours_b0_silu", lambda: bench_ours(EFFICIENTNET_B0, "silu", **common)),
                     ("ours_b0_relu_hardsigmoid", lambda: bench_ours(EFFICIENTNET_B0, "relu", **common)),
                     ("timm_minimal_efficientnet_b0", lambda: bench_timm_minimal(**common))):
        try:
            rows[name] = fn()
        except Exception as exc:  # noqa: BLE001 - a failed row is reported, the others still run
            rows[name] = {"error": repr(exc)}
        print(name, rows[name], flush=True)
    print(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
                      "timm": timm.__version__, **vars(args), "results": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
