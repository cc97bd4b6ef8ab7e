"""What training really keeps for backward: PyTorch's own count, the reference for the analytic memory."""
from __future__ import annotations


def autograd_saved_bytes(arch, batch: int, resolution: int) -> int:
    """Bytes of the tensors autograd saves in one AMP-like forward pass, parameters excluded.

    The real timm model runs on the ``meta`` device in fp16 (autocast makes conv/linear outputs
    fp16 and BatchNorm keeps the input dtype), so no memory is allocated and any architecture can
    be counted; each saved storage is counted once.
    """
    import torch

    from naslib_anb.models.builder import build_model

    model = build_model(arch, device="meta", init="timm").to(torch.float16).train()
    params = {p.untyped_storage()._cdata for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(t):
        saved[t.untyped_storage()._cdata] = t.untyped_storage().nbytes()
        return t

    x = torch.empty(batch, 3, resolution, resolution, device="meta", dtype=torch.float16)
    target = torch.zeros(batch, dtype=torch.long, device="meta")
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logits = model(x)
        torch.nn.functional.cross_entropy(logits.float(), target, label_smoothing=0.1)
    return sum(n for k, n in saved.items() if k not in params)
