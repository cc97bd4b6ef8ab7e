"""ONNX export of any architecture, for toolchains this package does not drive (TPU, FPGA, TensorRT).

Measure the exported model with the vendor tool and bring the numbers back with
``naslib-anb profile import`` (see :mod:`naslib_anb.profiling.importer`).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Optional

from naslib_anb.errors import ConfigError
from naslib_anb.space.arch import Arch

log = logging.getLogger(__name__)


def export_onnx(arch: Any, path: str | Path, resolution: int = 224, batch_size: int = 1,
                dynamic_batch: bool = True, opset: int = 17, activation: str = "relu",
                num_classes: int = 1000, check: bool = True, model_factory: Optional[str] = None,
                on_step: Optional[Callable[[str], None]] = None) -> Path:
    """Write ``arch``'s network (eval mode, fp32, random init) as ONNX with input ``images``
    of shape (N, 3, resolution, resolution) and output ``logits``; returns the path.

    The TorchScript-based exporter is used (``dynamo=False``): it needs no extra packages
    and gives a single self-contained file. With ``check`` the file is loaded and verified
    with ``onnx.checker``. ``on_step`` hears the name of each step (an export takes ~20 s on a CPU).
    """
    step = on_step or (lambda text: None)
    step("importing torch")
    import torch

    from naslib_anb.io import atomic_write_bytes
    from naslib_anb.profiling.worker import load_factory

    arch = Arch.parse(arch)
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"--out {str(target)!r} is a directory; valid: a new file path, e.g. {str(target / 'model.onnx')!r}")
    if target.exists() or target.is_symlink():
        raise ConfigError(f"--out {str(target)!r} already exists and is never overwritten; valid: a new file path")
    from naslib_anb.io import ensure_writable_dir

    ensure_writable_dir(target.parent)
    if resolution < 16 or batch_size < 1:
        raise ConfigError(f"export_onnx: resolution={resolution!r} (>= 16) / batch_size={batch_size!r} (>= 1)")
    step(f"building {arch}")
    factory = load_factory(model_factory or "naslib_anb.models:build_model")
    model = factory(arch, activation=activation, num_classes=num_classes, drop_rate=0.0, drop_path_rate=0.0).eval()
    x = torch.randn(batch_size, 3, resolution, resolution)
    import io
    import warnings

    buf = io.BytesIO()
    step(f"tracing to ONNX (opset {opset})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation notice for dynamo=False
        torch.onnx.export(
            model, (x,), buf, input_names=["images"], output_names=["logits"], opset_version=opset,
            dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}} if dynamic_batch else None,
            dynamo=False, do_constant_folding=True,
        )
    out = atomic_write_bytes(path, buf.getvalue())
    if check:
        step("checking the ONNX file")
        check_onnx(out)
    log.info("exported %s to %s", arch, out)
    return out


def check_onnx(path: str | Path) -> Any:
    """Load and verify an ONNX file; returns the model proto."""
    import onnx

    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    return model
