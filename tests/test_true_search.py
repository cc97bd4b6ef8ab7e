"""True search: the training-backed Benchmark caches every result, resumes after a kill, refuses bad recipes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("timm")

from naslib_anb.errors import ANBError, ConfigError, DataError, UnknownChoiceError  # noqa: E402
from tests._proc import kill_when  # noqa: E402

ARCHS = [
    "e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0-e1k3l1s0",
    "e4k5l1s1-e1k3l1s0-e4k3l1s0-e1k5l1s0-e1k3l1s1-e4k3l1s0-e1k3l1s0",
]


def tiny_recipe(data_dir: Path, **over):
    from naslib_anb.training.config import TrainConfig

    d = dict(name="tiny_true", data_dir=str(data_dir), num_workers=0, batch_size=8, val_batch_size=32,
             epochs=2, min_res=16, max_res=16, val_res=16, start_ramp=0, end_ramp=0, res_multiple=8,
             val_last_epochs=1, lr=0.1, lr_ref_batch=8, lr_peak_epoch=0.5, amp=False, channels_last=False,
             drop_path_rate=0.0, seed=0)
    d.update(over)
    return TrainConfig.from_dict(d)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    from naslib_anb.training.data import make_image_folder

    return make_image_folder(tmp_path_factory.mktemp("imgs"), num_classes=3, train_per_class=8,
                             val_per_class=4, size=(16, 20))


class _TrainSpy:
    """Counts engine.train_arch calls (in-process executor); optionally forbids them."""

    def __init__(self, monkeypatch, forbid: bool = False):
        from naslib_anb.training import engine

        self.calls: list[str] = []
        orig = engine.train_arch

        def spy(cfg, arch, out_dir, **kw):
            self.calls.append(str(arch))
            if forbid:
                raise AssertionError(f"{arch} was trained again")
            return orig(cfg, arch, out_dir, **kw)

        monkeypatch.setattr(engine, "train_arch", spy)


def test_cache_reuse_second_query_trains_nothing(tmp_path, images, monkeypatch):
    from naslib_anb import load_dataset
    from naslib_anb.benchmark.training import TrainingBenchmark

    spy = _TrainSpy(monkeypatch)
    bench = TrainingBenchmark(tmp_path / "store", tiny_recipe(images))
    first = bench.query_all(ARCHS)
    assert spy.calls == ARCHS and bench.trained == ARCHS
    assert set(first) == {"val_top1", "val_top5", "train_time"}
    for v in first.values():
        assert v.shape == (2,) and np.all(np.isfinite(v))
    assert np.all(first["train_time"] > 0) and np.all((first["val_top1"] >= 0) & (first["val_top1"] <= 100))

    # the same object, a fresh object on the same store (another process, a restart): nothing trains
    monkeypatch.undo()
    _TrainSpy(monkeypatch, forbid=True)
    again = bench.query_all(list(reversed(ARCHS)))
    np.testing.assert_array_equal(again["val_top1"], first["val_top1"][::-1])
    reopened = TrainingBenchmark(tmp_path / "store")  # recipe=None: the store's own
    assert reopened.query(ARCHS[1], "val_top1") == first["val_top1"][1]
    assert reopened.trained == [] and reopened.cached_archs() == sorted(ARCHS)

    # the cache is a dataset: load_dataset reads it with the measured values
    ds = load_dataset(bench.results_dir, allow_download=False)
    got = {str(r.arch): r.val_top1 for r in ds}
    assert got == {a: float(first["val_top1"][i]) for i, a in enumerate(ARCHS)}


def test_search_loop_and_cli_run_unchanged(tmp_path, images):
    from naslib_anb.benchmark.training import TrainingBenchmark
    from naslib_anb.cli.main import main
    from naslib_anb.search.driver import run_search
    from naslib_anb.search.records import SearchConfig

    store = tmp_path / "store"
    cfg = tiny_recipe(images)
    bench = TrainingBenchmark(store, cfg)
    res = run_search(SearchConfig(optimizer="re", seed=1, budget=3,
                                  optimizer_kwargs={"population_size": 2, "sample_size": 2}), bench)
    assert len(res.records) == 3 and np.isfinite(res.records[-1].best_accuracy)
    trained = sorted(bench.trained)
    assert len(trained) == len({r.arch for r in res.records})

    recipe = tmp_path / "recipe.yaml"
    cfg.save(recipe)
    out = tmp_path / "cli_run"
    rc = main(["search", "--optimizer", "re", "--seed", "1", "--budget", "3", "--opt", "population_size=2",
               "--opt", "sample_size=2", "--train-store", str(store), "--train-recipe", str(recipe),
               "--out", str(out), "--no-progress", "--no-plots"])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["benchmark"] == "true"
    assert summary["best_accuracy"] == pytest.approx(res.records[-1].best_accuracy)
    # the CLI run replayed the same trajectory from the store: no new results
    assert TrainingBenchmark(store).cached_archs() == trained


@pytest.mark.slow
def test_local_executor_trains_a_batch_in_parallel_processes(tmp_path, images):
    from naslib_anb.benchmark.training import TrainingBenchmark

    bench = TrainingBenchmark(tmp_path / "store", tiny_recipe(images, epochs=1), executor="local", workers=2)
    v = bench.query_all(ARCHS, ["val_top1"])["val_top1"]
    assert np.all(np.isfinite(v)) and sorted(bench.trained) == sorted(ARCHS)
    logs = list((tmp_path / "store" / "submitit").rglob("*_result.pkl"))
    assert len(logs) == 2  # two submitit jobs, one per worker


_CHILD = textwrap.dedent("""
    import sys
    import threading
    from pathlib import Path

    from naslib_anb.benchmark.training import TrainingBenchmark
    from naslib_anb.training.config import load_config
    from naslib_anb.training.evaluate import ArchTask

    store, recipe, victim, ready = sys.argv[1:5]

    class HoldAfterFirstEpoch(ArchTask):
        def on_epoch_end(self, arch, epoch):  # called after the epoch's checkpoint is on disk
            if arch == victim and epoch == 0:
                Path(ready).write_text("checkpointed")
                threading.Event().wait()  # hold here until the test kills the process group

    bench = TrainingBenchmark(store, load_config(recipe), task_factory=HoldAfterFirstEpoch)
    bench.query_all(sys.argv[5:])
""")


def test_kill_and_resume_loses_nothing(tmp_path, images, monkeypatch):
    import torch

    from naslib_anb.benchmark.training import TrainingBenchmark

    store, recipe, ready = tmp_path / "store", tmp_path / "recipe.yaml", tmp_path / "ready"
    cfg = tiny_recipe(images, epochs=3)
    cfg.save(recipe)
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(script), str(store), str(recipe), ARCHS[1], str(ready), *ARCHS],
                            env=env, stderr=subprocess.PIPE, start_new_session=True)
    kill_when(proc, ready.exists, timeout=600)

    # killed inside ARCHS[1]'s second epoch: ARCHS[0] finished, ARCHS[1] checkpointed after epoch 0
    assert (store / "results" / f"result_{ARCHS[0]}.json").is_file()
    assert not (store / "results" / f"result_{ARCHS[1]}.json").exists()
    ck = torch.load(store / "runs" / ARCHS[1] / "checkpoint.pt", weights_only=False)
    assert ck["epoch"] == 1
    epoch0 = ck["curve"][0]

    spy = _TrainSpy(monkeypatch)
    bench = TrainingBenchmark(store, cfg)
    v = bench.query_all(ARCHS)
    assert np.all(np.isfinite(v["val_top1"]))
    assert spy.calls == [ARCHS[1]]  # the finished architecture is not trained again
    curve = json.loads((store / "curves" / f"{ARCHS[1]}.json").read_text())["epochs"]
    assert [c["epoch"] for c in curve] == [0, 1, 2]
    assert curve[0] == epoch0  # epoch 0 came from the checkpoint (a retrain would re-measure its time)


def test_bad_recipe_input_names_the_value_and_choices(tmp_path, images):
    from naslib_anb.benchmark.training import TrainingBenchmark
    from naslib_anb.cli.main import main

    good = tiny_recipe(images).to_dict()
    with pytest.raises(ConfigError, match=r"optimizer is 'adam'; valid: 'sgd', 'rmsproptf'"):
        TrainingBenchmark(tmp_path / "s1", {**good, "optimizer": "adam"})
    with pytest.raises(ConfigError, match=r"unknown TrainConfig fields \['epoch'\]; valid: .*'epochs'"):
        TrainingBenchmark(tmp_path / "s2", {**good, "epoch": 3})
    with pytest.raises(UnknownChoiceError, match=r"'slurm'; valid: 'inline', 'local'"):
        TrainingBenchmark(tmp_path / "s3", good, executor="slurm")
    with pytest.raises(DataError, match=r"has no train/ folder"):
        TrainingBenchmark(tmp_path / "s4", {**good, "data_dir": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"holds no results yet"):
        TrainingBenchmark(tmp_path / "s5")
    # a store is bound to its recipe: another one is refused, naming the differing fields
    TrainingBenchmark(tmp_path / "s6", good).query(ARCHS[0], "val_top1")
    with pytest.raises(ConfigError, match=r"epochs: 2 in the store, 5 given"):
        TrainingBenchmark(tmp_path / "s6", {**good, "epochs": 5})
    # nothing was created for the refused recipes
    assert not (tmp_path / "s1").exists() and not (tmp_path / "s2").exists()

    bad = tmp_path / "bad.yaml"
    bad.write_text("\n".join(f"{k}: {json.dumps(v)}" for k, v in {**good, "schedule": "cosine"}.items()))
    rc = main(["search", "--optimizer", "rs", "--budget", "2", "--train-store", str(tmp_path / "s7"),
               "--train-recipe", str(bad), "--out", str(tmp_path / "o"), "--no-progress"])
    assert rc == 2 and not (tmp_path / "s7").exists()
    assert issubclass(ConfigError, ANBError)
