"""Training data order: a fresh permutation every epoch and seed, shards that rotate across ranks.

Measured on the order the DALI CPU pipeline actually delivers (each image's label is its id), and on
the sampler (naslib_anb.training.order) at a size where a shuffle buffer would show.
"""
from __future__ import annotations

import numpy as np
import pytest

from naslib_anb.errors import ConfigError
from naslib_anb.training.order import epoch_seed, epoch_shard


def _spearman(a, b) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def _positions(order: np.ndarray, n: int) -> np.ndarray:
    pos = np.empty(n)
    pos[order] = np.arange(len(order))
    return pos


def test_epoch_shard_reshuffles_every_epoch_and_seed_on_a_large_set():
    n = 8192
    e0, e1 = epoch_shard(n, 0, 0, 0, 1), epoch_shard(n, 0, 1, 0, 1)
    s1 = epoch_shard(n, 1, 0, 0, 1)
    assert sorted(e0) == list(range(n))
    assert abs(_spearman(_positions(e0, n), _positions(e1, n))) < 0.1
    assert abs(_spearman(_positions(e0, n), _positions(s1, n))) < 0.1
    assert np.array_equal(e0, epoch_shard(n, 0, 0, 0, 1))  # deterministic


@pytest.mark.parametrize("n,world", [(1000, 2), (1001, 4), (7, 3)])
def test_shards_are_disjoint_cover_the_set_and_rotate(n, world):
    for epoch in range(2 * world):
        shards = [epoch_shard(n, 3, epoch, r, world) for r in range(world)]
        assert len({len(s) for s in shards}) == 1  # equal steps on every rank
        assert set(np.concatenate(shards)) == set(range(n))
        assert sum(len(s) for s in shards) - n < world  # padding only
    for r in range(world):
        seen = set(np.concatenate([epoch_shard(n, 3, e, r, world) for e in range(world)]))
        assert seen == set(range(n)), f"rank {r} misses images over {world} epochs"
    # consecutive epochs of one rank read different images (the shard moved)
    if world > 1:
        assert set(epoch_shard(n, 3, 0, 0, world)) != set(epoch_shard(n, 3, 1, 0, world))


def test_epoch_shard_rejects_bad_arguments_and_seed_formula_is_stable():
    with pytest.raises(ConfigError, match="rank"):
        epoch_shard(10, 0, 0, 2, 2)
    assert epoch_seed(0, 0, 0) == 0 and epoch_seed(1, 2, 3) == (1_000_003 + 2 * 7919 + 3 * 104_729) % 2**31


def _id_labelled_tree(root, n: int):
    """An ImageFolder whose ``train_files.txt`` labels every image with its own id."""
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "train" / "c0").mkdir(parents=True)
    (root / "val" / "c0").mkdir(parents=True)
    lines = []
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(root / "train" / "c0" / f"{i:05d}.png")
        lines.append(f"c0/{i:05d}.png {i}")
    (root / "train_files.txt").write_text("\n".join(lines) + "\n")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "val" / "c0" / "v.png")
    return root


def test_dali_pipeline_delivers_a_fresh_order_per_epoch_and_rotating_shards(tmp_path):
    """The order the DALI CPU pipeline yields: Spearman < 0.1 between epochs and between seeds, and
    with 2 ranks each rank reads every image over 2 epochs (rank shards disjoint per epoch)."""
    pytest.importorskip("nvidia.dali")
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from naslib_anb.training import dali as DD
    from naslib_anb.training.config import TrainConfig

    n = 4096  # larger than DALI's shuffle buffer (initial_fill 1,024), where a buffer shuffle shows
    root = _id_labelled_tree(tmp_path / "ids", n)
    cfg = TrainConfig(data_dir=str(root), num_workers=1, batch_size=256, drop_last=True, min_res=8, max_res=8,
                      hflip=0.0, seed=0)

    def order(c, epoch, rank=0, world=1):
        return np.concatenate([y.numpy() for _, y in DD.train_loader(c, epoch, 8, rank, world, torch.device("cpu"))])

    e0, e1 = order(cfg, 0), order(cfg, 1)
    s1 = order(cfg.replace(seed=1), 0)
    assert sorted(e0) == list(range(n))
    assert abs(_spearman(_positions(e0, n), _positions(e1, n))) < 0.1
    assert abs(_spearman(_positions(e0, n), _positions(s1, n))) < 0.1
    r0 = [set(order(cfg, e, 0, 2)) for e in range(2)]
    r1 = [set(order(cfg, e, 1, 2)) for e in range(2)]
    assert all(len(s) == n // 2 for s in r0 + r1)
    assert r0[0].isdisjoint(r1[0]) and r0[1].isdisjoint(r1[1])
    assert r0[0] | r0[1] == set(range(n)) == r1[0] | r1[1]
