"""NASLib-free parts of the registration: in-place function redirection and the ``anb:`` config section.

These run without NASLib (CI has none): :mod:`naslib_anb.naslib.inplace` is exercised on a module made
here, and :mod:`naslib_anb.naslib.options` on plain dicts and a function benchmark.
"""
import sys
import types

import numpy as np
import pytest

from naslib_anb.benchmark import FunctionBenchmark
from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.naslib import inplace, options
from naslib_anb.space import arch_cost


def _module_with(src: str) -> types.ModuleType:
    mod = types.ModuleType("fake_naslib_utils")
    exec(src, mod.__dict__)
    return mod


def test_redirect_reaches_names_bound_before_it_and_restore_undoes_it():
    mod = _module_with("def lookup(space=None, dataset=None, *rest, flag=False, **kw):\n"
                       "    if space == 'known':\n        return ('naslib', dataset, rest, flag, kw)\n"
                       "    raise NotImplementedError(space)\n")
    early = mod.lookup  # what `from naslib.utils import get_dataset_api` holds

    def hook(original):
        def lookup(space=None, dataset=None, *rest, flag=False, **kw):
            return ("ours", dataset) if space == "anb" else original(space, dataset, *rest, flag=flag, **kw)
        return lookup

    token = inplace.redirect(mod.lookup, hook)
    assert early is mod.lookup and inplace.is_redirected(early)
    assert early("anb", "imagenet") == ("ours", "imagenet")
    assert early("known", "c10", 1, 2, flag=True, x=3) == ("naslib", "c10", (1, 2), True, {"x": 3})
    assert early(dataset="d", space="known") == ("naslib", "d", (), False, {})  # keywords and defaults kept
    with pytest.raises(RuntimeError, match="already redirected"):
        inplace.redirect(mod.lookup, hook)
    inplace.restore(token)
    assert not inplace.is_redirected(early)
    with pytest.raises(NotImplementedError):
        early("anb", "imagenet")


def test_redirect_refuses_what_it_cannot_change_safely():
    def outer():
        x = 1

        def inner():
            return x
        return inner

    with pytest.raises(TypeError):
        inplace.redirect(outer(), lambda original: original)
    with pytest.raises(TypeError):
        inplace.redirect(len, lambda original: original)


def _bench():
    def macs(archs):
        return np.asarray([arch_cost(a).macs / 1e6 for a in archs])

    return FunctionBenchmark({"val_top1": lambda a: 70 + macs(a) / 1000, "train_time": macs,
                              "latency_zcu102": lambda a: macs(a) / 100,
                              "throughput_vck190": lambda a: 1e6 / macs(a)}, name="toy")


def test_anb_section_checks_keys_and_space():
    assert options.anb_section({"search_space": "anb_mnas"}) == {}
    with pytest.raises(ConfigError) as err:
        options.anb_section({"search_space": "anb_mnas", "anb": {"latency_devise": "x"}})
    assert "latency_devise" in str(err.value) and all(k in str(err.value) for k in options.ANB_OPTIONS)
    with pytest.raises(ConfigError, match="nasbench201"):
        options.anb_section({"search_space": "nasbench201", "anb": {}})
    with pytest.raises(ConfigError, match="mapping"):
        options.anb_section({"search_space": "anb_mnas", "anb": ["vck190"]})


def test_dataset_api_from_config_applies_and_records_each_option():
    config = {"search_space": "anb_mnas", "dataset": "imagenet",
              "anb": {"latency_device": "vck190", "latency_metric": "throughput", "noise_seed": 2,
                      "zc_data": {"resolution": 64, "batch_size": 4, "seed": 9}}}
    api = options.dataset_api_from_config(config, _bench())
    rec = config["anb_resolved"]
    assert api["engine"].latency_target == "throughput_vck190" == rec["latency_target"]
    assert api["engine"].noise_seed == 2 == rec["noise_seed"] and rec["benchmark"] == "toy"
    assert rec["zc_data"]["kind"] == "SYNTHETIC" and rec["zc_data"]["resolution"] == 64
    assert rec["zc_data"]["seed"] == 9 and "SYNTHETIC" in rec["zc_data"]["description"]
    with pytest.raises(UnknownChoiceError, match="tpuv9"):
        options.dataset_api_from_config({"search_space": "anb_mnas", "anb": {"latency_device": "tpuv9"}}, _bench())
    with pytest.raises(ConfigError, match="noise_seed"):
        options.dataset_api_from_config({"search_space": "anb_mnas", "anb": {"noise_seed": -3}}, _bench())


def test_options_and_inplace_do_not_import_naslib():
    import subprocess

    code = ("import sys; from naslib_anb.naslib import options, inplace\n"
            "print(any(m == 'naslib' or m.startswith('naslib.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr
