"""The ``anb:`` section of a NASLib config: validated, applied to the dataset API, recorded, logged.

A NASLib config for ``search_space: anb_mnas`` may carry an ``anb:`` section (the keys of
:data:`ANB_OPTIONS`). Whichever way the dataset API is built (NASLib's own ``get_dataset_api`` after
:func:`naslib_anb.naslib.register`, or :func:`naslib_anb.naslib.run.dataset_api_from_config`), the
same function, :func:`dataset_api_from_config`, reads the section: an unknown key is an error that
names the valid ones, and what was resolved (benchmark, targets, noise, zero-cost data kind) is
written back into the config as ``anb_resolved``, so NASLib's ``errors.json`` (which starts with the
config) records it, and logged under NASLib's logger.

NASLib's ``get_dataset_api(search_space, dataset)`` does not receive the config. After ``register()``
every config NASLib reads (``get_config_from_args``, ``load_config``) for the ANB space becomes the
*active* one, and ``get_dataset_api("anb_mnas", ...)`` reads the active config's ``anb:`` section at
call time (so edits made after reading count). This module does not import NASLib.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Mapping, Optional

from naslib_anb.errors import ConfigError

#: every key an ``anb:`` section may hold, and what it sets
ANB_OPTIONS: dict[str, str] = {
    "benchmark": "'anb' (the shipped surrogates, default) or a variant of it: member:K, lgb (list_variants())",
    "model_dir": "a model directory written by `naslib-anb fit`, instead of the shipped models",
    "data_path": "the measured dataset behind load_labeled (default: NASLIB_ANB_DATA, else the download)",
    "latency_device": "device behind Metric.LATENCY (default zcu102)",
    "latency_metric": "latency or throughput for Metric.LATENCY (default latency)",
    "test_target": "target behind Metric.TEST_ACCURACY (default val_top1)",
    "objective": "{kind: mnas, reference, weight, target}: VAL_ACCURACY becomes the MnasNet reward",
    "noise_seed": "int: add the benchmark's label noise, drawn per (seed, architecture); null = the mean",
    "zc_data": "{data_path, resolution, batch_size, synthetic_classes, seed}: the zero-cost proxies' batch",
}
SPACE = "anb_mnas"
#: under NASLib's ``naslib`` logger, so the lines reach the log NASLib's ``setup_logger`` writes
logger = logging.getLogger("naslib.anb_mnas")

_ACTIVE: dict[str, Any] = {}
_LOCK = threading.Lock()


def _plain(value: Any) -> Any:
    """CfgNode/dict trees -> plain dicts (fvcore's CfgNode is a dict subclass)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def is_anb_config(config: Any) -> bool:
    return isinstance(config, Mapping) and str(config.get("search_space", "")).lower() == SPACE


def anb_section(config: Any) -> dict[str, Any]:
    """The config's ``anb:`` section as plain data, keys checked; {} when there is none."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"a NASLib config is a mapping (CfgNode), got {type(config).__name__}")
    section = config.get("anb", None)
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"config anb: must be a mapping of {sorted(ANB_OPTIONS)}, got {section!r}")
    space = str(config.get("search_space", SPACE)).lower()
    if space != SPACE:
        raise ConfigError(f"config has an anb: section but search_space is {space!r}; the section applies "
                          f"only to search_space {SPACE!r}")
    extra = sorted(set(section) - set(ANB_OPTIONS))
    if extra:
        raise ConfigError(f"unknown anb keys {extra}; valid: {sorted(ANB_OPTIONS)}")
    return {k: _plain(v) for k, v in section.items()}


def set_active(config: Any) -> None:
    """Make ``config`` the one NASLib's ``get_dataset_api("anb_mnas", ...)`` reads (checked first)."""
    anb_section(config)
    with _LOCK:
        _ACTIVE["config"] = config


def active() -> Optional[Any]:
    return _ACTIVE.get("config")


def clear_active() -> None:
    with _LOCK:
        _ACTIVE.clear()


def resolved(api: Mapping[str, Any]) -> dict[str, Any]:
    """What a dataset API answers with: the record written into configs and logs."""
    zc = api["zc_data"]
    return {**{k: v for k, v in api["options"].items()}, "zc_data": zc.to_dict()}


def _record(config: Any, record: dict[str, Any]) -> None:
    try:
        from fvcore.common.config import CfgNode

        config["anb_resolved"] = CfgNode(record)
    except ImportError:
        config["anb_resolved"] = record


def dataset_api_from_config(config: Any, benchmark: Any = None) -> dict[str, Any]:
    """The ANB dataset API for a config's ``anb:`` section (``benchmark`` injectable), recorded and logged."""
    from naslib_anb.naslib.dataset_api import get_anb_dataset_api

    anb = anb_section(config) if config is not None else {}
    if benchmark is not None:
        anb.pop("benchmark", None)
        anb["benchmark"] = benchmark
    dataset = config.get("dataset", "imagenet") if config is not None else "imagenet"
    api = get_anb_dataset_api(dataset, **anb)
    record = resolved(api)
    if config is not None:
        _record(config, record)
    else:
        logger.warning("ANB dataset API with the defaults: no ANB config was read since register() (a config "
                       "read before register() is not seen); call register() first, or build the API with "
                       "naslib_anb.naslib.run.dataset_api_from_config(config)")
    logger.info("ANB dataset API (%s): benchmark %s%s, LATENCY = %s, TEST_ACCURACY = %s, label noise %s, "
                "objective %s; zero-cost data: %s",
                "from the config's anb: section" if config is not None else "no NASLib config read: defaults",
                record["benchmark"], f" ({record['model_dir']})" if record["model_dir"] else "",
                record["latency_target"], record["test_target"],
                "off" if record["noise_seed"] is None else f"seed {record['noise_seed']}",
                record["objective"] or "none", record["zc_data"]["description"])
    return api


def zc_loader_from_config(config: Any) -> Any:
    """The zero-cost loader a config's ``anb.zc_data`` describes (NASLib's ``get_train_val_loaders`` for
    ANB), recorded into the config as ``anb_resolved.zc_data``."""
    from naslib_anb.naslib.zc_data import ZCDataConfig, make_zc_loader

    section = anb_section(config).get("zc_data") or {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"anb.zc_data must be a mapping of {sorted(ZCDataConfig.__dataclass_fields__)}")
    extra = sorted(set(section) - set(ZCDataConfig.__dataclass_fields__))
    if extra:
        raise ConfigError(f"unknown anb.zc_data keys {extra}; valid: {sorted(ZCDataConfig.__dataclass_fields__)}")
    cfg = ZCDataConfig(**section)
    record = dict(_plain(config.get("anb_resolved", None) or {}))
    record["zc_data"] = cfg.to_dict()
    _record(config, record)
    return make_zc_loader(cfg)
