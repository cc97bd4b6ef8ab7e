"""torchrun environment: rank, world size, device, and a process group when there is more than one rank."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DistEnv:
    rank: int
    local_rank: int
    world: int
    device: Any  # torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def setup() -> DistEnv:
    """Read torchrun's variables; init NCCL on GPU, gloo on CPU. One process without torchrun is rank 0 of 1."""
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local % torch.cuda.device_count())
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DistEnv(rank, local, world, device)


def barrier(env: DistEnv) -> None:
    if env.distributed:
        import torch.distributed as dist

        dist.barrier()


def all_sum(env: DistEnv, values: list[float]) -> list[float]:
    """Sum a list of floats over ranks (float64 on the reduction device)."""
    if not env.distributed:
        return list(values)
    import torch
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64, device=env.device)
    dist.all_reduce(t)
    return t.tolist()


def broadcast_buffers(env: DistEnv, module) -> None:
    """Give every rank rank 0's buffers (BN running statistics drift per rank after the last step)."""
    if not env.distributed:
        return
    import torch.distributed as dist

    for b in module.buffers():
        dist.broadcast(b, src=0)


def teardown(env: DistEnv) -> None:
    if env.distributed:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
