"""Every ``anb:`` option of a NASLib config takes effect on NASLib's own ``get_dataset_api`` path.

The config is read by NASLib's ``get_config_from_args`` and the API built by NASLib's
``get_dataset_api(config.search_space, config.dataset)``, as NASLib's runner does; each option is
checked for its effect, and what was resolved is recorded in the config (``anb_resolved``), which
NASLib writes at the head of ``errors.json``.
"""
import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from _helpers import REPO, make_device_toy, require_naslib, strict_load

require_naslib()

from naslib_anb.benchmark.base import standard_normal_per_arch  # noqa: E402
from naslib_anb.errors import ConfigError, UnknownChoiceError  # noqa: E402
from naslib_anb.naslib import dataset_api as dapi  # noqa: E402
from naslib_anb.naslib.options import ANB_OPTIONS  # noqa: E402
from naslib_anb.naslib.registration import register, unregister  # noqa: E402
from naslib_anb.space import Arch, arch_cost  # noqa: E402

pytestmark = pytest.mark.naslib


def toy():
    return make_device_toy()


@pytest.fixture()
def naslib_path(monkeypatch, tmp_path):
    """(read, api): read a config with NASLib's get_config_from_args; build the API with NASLib's get_dataset_api."""
    from naslib.utils import default_argument_parser, get_config_from_args, get_dataset_api

    monkeypatch.setitem(dapi._BENCHMARK_CACHE, "default", toy())
    register()

    def read(anb):
        cfg = {"seed": 0, "optimizer": "re", "search_space": "anb_mnas", "dataset": "imagenet",
               "out_dir": str(tmp_path), "search": {"epochs": 3, "sample_size": 2, "population_size": 3,
                                                    "checkpoint_freq": 100, "fidelity": -1},
               "evaluation": {}}
        if anb is not None:
            cfg["anb"] = anb
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(cfg))
        return get_config_from_args(default_argument_parser().parse_args(["--config-file", str(path)]))

    def api_for(anb):
        config = read(anb)
        return config, get_dataset_api(config.search_space, config.dataset)

    yield api_for
    unregister()


def query(api, metric, spec=None):
    from naslib.search_spaces.core.query_metrics import Metric

    from naslib_anb.naslib.space import ANBSearchSpace

    s = ANBSearchSpace()
    s.set_spec(spec or (4, 3, 2, 0) * 7)
    return s.query(getattr(Metric, metric), "imagenet", dataset_api=api)


def test_every_option_is_tested_here():
    """A new option must get its own test below (this list is the section's documented key set)."""
    assert sorted(ANB_OPTIONS) == sorted(["benchmark", "model_dir", "data_path", "latency_device",
                                          "latency_metric", "test_target", "objective", "noise_seed",
                                          "zc_data"])


def test_no_section_gives_the_defaults_and_records_them(naslib_path):
    config, api = naslib_path(None)
    assert api["options"]["latency_target"] == "latency_zcu102"
    assert config.anb_resolved.latency_target == "latency_zcu102"
    assert config.anb_resolved.zc_data.kind == "SYNTHETIC"


def test_latency_device_and_metric(naslib_path):
    spec = (4, 3, 2, 0) * 7
    macs = arch_cost(Arch.from_tuple(spec)).macs / 1e6
    config, api = naslib_path({"latency_device": "vck190", "latency_metric": "latency"})
    assert query(api, "LATENCY", spec) == pytest.approx(macs / 300)
    config, api = naslib_path({"latency_device": "vck190", "latency_metric": "throughput"})
    assert query(api, "LATENCY", spec) == pytest.approx(1e6 / macs)
    assert config.anb_resolved.latency_target == "throughput_vck190"
    _, api = naslib_path({})
    assert query(api, "LATENCY", spec) == pytest.approx(macs / 100)  # the default, zcu102 latency
    with pytest.raises(UnknownChoiceError, match="nope"):
        naslib_path({"latency_device": "nope"})


def test_test_target(naslib_path):
    config, api = naslib_path({"test_target": "throughput_a100"})
    spec = (4, 3, 2, 0) * 7
    assert query(api, "TEST_ACCURACY", spec) == pytest.approx(1e7 / (arch_cost(Arch.from_tuple(spec)).macs / 1e6))
    assert config.anb_resolved.test_target == "throughput_a100"


def test_objective(naslib_path):
    spec = (4, 3, 2, 0) * 7
    _, plain = naslib_path({})
    config, api = naslib_path({"objective": {"kind": "mnas", "reference": 1.0, "weight": 0.07,
                                             "target": "latency_vck190"}})
    acc, lat = query(plain, "VAL_ACCURACY", spec), query(plain, "LATENCY", spec)
    lat_vck = arch_cost(Arch.from_tuple(spec)).macs / 1e6 / 300
    assert query(api, "VAL_ACCURACY", spec) == pytest.approx(acc * (1.0 / lat_vck) ** 0.07)
    assert query(api, "TEST_ACCURACY", spec) == pytest.approx(acc) and lat > 0
    assert config.anb_resolved.objective.target == "latency_vck190"
    with pytest.raises(ConfigError, match="objective"):
        naslib_path({"objective": {"reference": 1.0, "wieght": 2}})


def test_noise_seed(naslib_path):
    spec = (4, 3, 2, 0) * 7
    _, plain = naslib_path({})
    config, noisy = naslib_path({"noise_seed": 3})
    z = standard_normal_per_arch([Arch.from_tuple(spec)], 3)[0]
    assert query(noisy, "VAL_ACCURACY", spec) == pytest.approx(query(plain, "VAL_ACCURACY", spec) + z)
    assert config.anb_resolved.noise_seed == 3
    with pytest.raises(ConfigError, match="noise_seed"):
        naslib_path({"noise_seed": -1})


def test_benchmark_and_model_dir(naslib_path, tmp_path):
    with pytest.raises(UnknownChoiceError, match="'anb'"):
        naslib_path({"benchmark": "nope"})
    config, api = naslib_path({"benchmark": "member:1"})  # a variant of the shipped surrogates
    assert api["benchmark"].variant == "member:1" and config.anb_resolved.benchmark == "anb[member:1]"
    missing = tmp_path / "no_models"
    with pytest.raises(Exception, match="no_models"):
        naslib_path({"model_dir": str(missing)})


def test_data_path_backs_load_labeled(naslib_path, tmp_path):
    from naslib_anb.errors import DataError

    config, api = naslib_path({"data_path": str(tmp_path / "no_data.tar.gz")})
    assert config.anb_resolved.measured_data.endswith("no_data.tar.gz")
    from naslib_anb.naslib.space import ANBSearchSpace

    with pytest.raises((DataError, OSError), match="no_data"):
        ANBSearchSpace().sample_random_architecture(dataset_api=api, load_labeled=True)


def test_zc_data(naslib_path):
    from naslib_anb.naslib.dataset_api import zc_loader

    config, api = naslib_path({"zc_data": {"resolution": 64, "batch_size": 4, "seed": 5}})
    images, labels = next(iter(zc_loader(api)))
    assert tuple(images.shape) == (4, 3, 64, 64) and len(labels) == 4
    zc = config.anb_resolved.zc_data
    assert (zc.kind, zc.resolution, zc.batch_size, zc.seed) == ("SYNTHETIC", 64, 4, 5)
    assert "SYNTHETIC" in zc.description
    with pytest.raises(ConfigError, match="resolution"):
        naslib_path({"zc_data": {"resolution": 8}})
    with pytest.raises(ConfigError, match="valid"):
        naslib_path({"zc_data": {"size": 64}})


def test_unknown_key_names_the_valid_ones_when_naslib_reads_the_config(naslib_path):
    with pytest.raises(ConfigError) as err:
        naslib_path({"latency_devise": "vck190"})
    msg = str(err.value)
    assert "latency_devise" in msg and all(k in msg for k in ANB_OPTIONS) and "\n" not in msg


def test_anb_section_on_another_space_is_refused(tmp_path):
    from naslib_anb.naslib.options import anb_section

    with pytest.raises(ConfigError, match="nasbench201"):
        anb_section({"search_space": "nasbench201", "anb": {"latency_device": "vck190"}})


def test_naslib_runner_sequence_in_a_fresh_process(tmp_path):
    """NASLib's runner sequence, unchanged, with names bound before register(): the options take
    effect, and errors.json's config records them and the zero-cost data kind."""
    cfg = yaml.safe_load((REPO / "configs" / "naslib" / "re.yaml").read_text())
    cfg.update(out_dir=str(tmp_path), anb={"latency_device": "vck190", "latency_metric": "throughput",
                                           "zc_data": {"resolution": 64, "batch_size": 8}})
    cfg["search"]["epochs"] = 4
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    code = textwrap.dedent(f"""
        import sys, logging
        from naslib_anb.naslib import compat; compat.apply()  # NASLib needs it on Python >= 3.10
        from naslib.defaults.trainer import Trainer
        from naslib.optimizers import RegularizedEvolution
        from naslib.search_spaces import get_search_space
        from naslib.utils import get_dataset_api, setup_logger, get_config_from_args, default_argument_parser
        from naslib.search_spaces.core.query_metrics import Metric
        import naslib_anb.naslib as anb
        anb.register()
        from naslib_anb.naslib import dataset_api as _d
        import _helpers
        _d._BENCHMARK_CACHE["default"] = _helpers.make_device_toy()
        args = default_argument_parser().parse_args(["--config-file", {str(tmp_path / "c.yaml")!r}])
        config = get_config_from_args(args)
        logger = setup_logger(config.save + "/log.log")
        logger.setLevel(logging.INFO)
        search_space = get_search_space(config.search_space, config.dataset)
        dataset_api = get_dataset_api(config.search_space, config.dataset)
        optimizer = RegularizedEvolution(config)
        optimizer.adapt_search_space(search_space, dataset_api=dataset_api)
        trainer = Trainer(optimizer, config, lightweight_output=True)
        trainer.search()
        best = optimizer.get_final_architecture()
        print("LATENCY", best.query(Metric.LATENCY, "imagenet", dataset_api=dataset_api))
        print("MACS", _helpers.arch_cost(best.arch).macs / 1e6)
        print("SAVE", config.save)
    """)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests" / "naslib_integration"),
                                         env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line.startswith(("LATENCY", "SAVE", "MACS")))
    save = out["SAVE"].strip()
    config, stats = strict_load(os.path.join(save, "errors.json"))
    resolved = config["anb_resolved"]
    assert resolved["latency_target"] == "throughput_vck190"
    assert resolved["zc_data"]["kind"] == "SYNTHETIC" and resolved["zc_data"]["resolution"] == 64
    assert len(stats["valid_acc"]) == 4
    assert float(out["LATENCY"]) == pytest.approx(1e6 / float(out["MACS"]))  # vck190 throughput, not zcu102
    with open(os.path.join(save, "log.log")) as f:
        log = f.read()
    assert "zero-cost data: SYNTHETIC" in log and "throughput_vck190" in log
