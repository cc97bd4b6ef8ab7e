"""Run a NASLib NAS config or predictor-evaluation config on the ANB space.

The sequence is NASLib's own runner's (``runners/nas/runner.py``, ``runners/predictors/runner.py``)
with the ANB space and dataset API in place of NASLib's name tables: load the YAML, apply
``key value`` overrides, seed, build the optimizer/predictor, ``adapt_search_space``,
``Trainer.search``/``evaluate`` or ``PredictorEvaluator.evaluate``. Output goes where NASLib puts
it (``out_dir/search_space/dataset/optimizer/seed/errors.json`` for NAS,
``out_dir/dataset/predictors/predictor/seed/errors.json`` for predictors), with a
``summary.json`` beside it.
"""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from naslib_anb.errors import ConfigError, UnknownChoiceError
from naslib_anb.io import atomic_write_json
from naslib_anb.naslib import SPACE_NAME, import_naslib

logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
Overrides = Union[Sequence[str], Mapping[str, Any], None]


# -- optimizer and predictor tables (name -> builder) -------------------------------------
def _naslib_optimizer(name: str) -> Callable[[Any], Any]:
    import naslib.optimizers as no

    return {"rs": no.RandomSearch, "re": no.RegularizedEvolution, "ls": no.LocalSearch,
            "bananas": no.Bananas, "npenas": no.Npenas}[name]


def _reinforce(config: Any) -> Any:
    from naslib_anb.naslib.optimizers import Reinforce

    return Reinforce(config)


def _anb_bananas(config: Any) -> Any:
    from naslib_anb.naslib.predictors import ANBBananas

    return ANBBananas(config)


def _anb_npenas(config: Any) -> Any:
    from naslib_anb.naslib.predictors import ANBNpenas

    return ANBNpenas(config)


#: ``config.optimizer`` -> factory(config). NASLib's five are NASLib's classes, unchanged.
OPTIMIZERS: dict[str, Callable[[Any], Any]] = {
    "rs": lambda c: _naslib_optimizer("rs")(c),
    "re": lambda c: _naslib_optimizer("re")(c),
    "ls": lambda c: _naslib_optimizer("ls")(c),
    "bananas": lambda c: _naslib_optimizer("bananas")(c),
    "npenas": lambda c: _naslib_optimizer("npenas")(c),
    "reinforce": _reinforce,
    "anb_bananas": _anb_bananas,
    "anb_npenas": _anb_npenas,
}


def make_optimizer(config: Any) -> Any:
    try:
        factory = OPTIMIZERS[config.optimizer]
    except KeyError:
        raise UnknownChoiceError(config.optimizer, OPTIMIZERS, "config.optimizer") from None
    return factory(config)


def _naslib_predictor(name: str, config: Any) -> Any:
    from naslib.predictors import (BayesianLinearRegression, BonasPredictor, DNGOPredictor, Ensemble,
                                   GCNPredictor, GPPredictor, LGBoost, MLPPredictor, NGBoost,
                                   RandomForestPredictor, SemiNASPredictor, SparseGPPredictor,
                                   VarSparseGPPredictor, XGBoost, ZeroCost)
    from naslib.utils.encodings import EncodingType

    adj = EncodingType.ADJACENCY_ONE_HOT
    hp_file = config.get("hparams_from_file", None) or None
    table: dict[str, Callable[[], Any]] = {  # as in NASLib's runners/predictors/runner.py
        "xgb": lambda: XGBoost(encoding_type=adj, hpo_wrapper=False, hparams_from_file=hp_file),
        "lgb": lambda: LGBoost(encoding_type=adj, hpo_wrapper=False),
        "ngb": lambda: NGBoost(encoding_type=adj, hpo_wrapper=False),
        "rf": lambda: RandomForestPredictor(encoding_type=adj, hpo_wrapper=False),
        "gp": lambda: GPPredictor(encoding_type=adj, hparams_from_file=hp_file),
        "sparse_gp": lambda: SparseGPPredictor(encoding_type=adj, optimize_gp_hyper=True),
        "var_sparse_gp": lambda: VarSparseGPPredictor(encoding_type=adj, optimize_gp_hyper=True, zc=False),
        "mlp": lambda: MLPPredictor(encoding_type=adj, hpo_wrapper=False, hparams_from_file=hp_file),
        "bananas": lambda: Ensemble(predictor_type="bananas", num_ensemble=3, hpo_wrapper=True),
        "bayes_lin_reg": lambda: BayesianLinearRegression(encoding_type=adj),
        "dngo": lambda: DNGOPredictor(encoding_type=adj),
        # graph/sequence predictors on the ANB graph encodings (naslib_anb.naslib.graph_encoding)
        "gcn": lambda: GCNPredictor(encoding_type=EncodingType.GCN, hpo_wrapper=True),
        "bonas": lambda: BonasPredictor(encoding_type=EncodingType.BONAS, hpo_wrapper=True),
        "nao": lambda: SemiNASPredictor(encoding_type=EncodingType.SEMINAS, semi=False, hpo_wrapper=False,
                                        hparams_from_file=hp_file),
        "seminas": lambda: SemiNASPredictor(encoding_type="seminas", semi=True, hpo_wrapper=False,
                                            hparams_from_file=hp_file),
    }
    if name in ZERO_COST_PROXIES:
        return ZeroCost(method_type=name)
    return table[name]()


#: NASLib's zero-cost proxies, each a ``ZeroCost(method_type=name)`` predictor: the eleven of NASLib's
#: predictor runner, then the measures its pruners package also registers (l2_norm, plain, synflow_bn)
ZERO_COST_PROXIES = ("flops", "params", "jacov", "snip", "synflow", "grad_norm", "grasp", "fisher", "nwot",
                     "epe_nas", "zen", "l2_norm", "plain", "synflow_bn")
NASLIB_PREDICTORS = ("xgb", "lgb", "ngb", "rf", "gp", "sparse_gp", "var_sparse_gp", "mlp", "bananas",
                     "bayes_lin_reg", "dngo", "gcn", "bonas", "nao", "seminas") + ZERO_COST_PROXIES


def make_predictor(name: str, config: Any) -> Any:
    """NASLib's predictors by NASLib name; ours as ``anb_<family>`` (one model) or
    ``anb_<family>_ensemble`` (``config.num_ensemble`` seeds, NASLib ``Ensemble`` API)."""
    if name in NASLIB_PREDICTORS:
        return _naslib_predictor(name, config)
    from naslib_anb.naslib.predictors import ANBEnsemble, ANBPredictor, predictor_types

    ours = predictor_types()
    if name.endswith("_ensemble") and name[: -len("_ensemble")] in ours:
        n = int(config.get("num_ensemble", 3))
        return ANBEnsemble(num_ensemble=n, predictor_type=name[: -len("_ensemble")])
    if name in ours:
        return ANBPredictor(name, seed=int(config.seed))
    valid = list(NASLIB_PREDICTORS) + ours + [p + "_ensemble" for p in ours]
    raise UnknownChoiceError(name, valid, "config.predictor")


# -- configs --------------------------------------------------------------------------------
#: the NASLib-style configs of this repository (configs/naslib); a bare name like "re" is looked up here
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs" / "naslib"


def config_path(name_or_path: PathLike) -> Path:
    """A config file: an existing path, else a name (``re`` or ``re.yaml``) in :data:`CONFIG_DIR`."""
    p = Path(name_or_path)
    if p.is_file():
        return p.resolve()
    shipped = CONFIG_DIR / (p.name if p.suffix in (".yaml", ".yml") else p.name + ".yaml")
    if p.parent in (Path("."), Path("configs/naslib")) and shipped.is_file():
        return shipped
    names = sorted(f.stem for f in CONFIG_DIR.glob("*.yaml")) if CONFIG_DIR.is_dir() else []
    raise ConfigError(f"config file not found: {p} (a path, or one of {names} from {CONFIG_DIR})")


def _parse_value(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    import yaml

    return yaml.safe_load(text)


def apply_overrides(config: Any, overrides: Overrides) -> Any:
    """``key value`` pairs (``search.epochs 5``, ``anb.zc_data.resolution 64``) or a mapping, values read
    as YAML, new keys allowed at any depth.

    NASLib's own loop in ``get_config_from_args`` only retypes keys already in the file, two levels
    deep, with ``type(old)(value)`` (``bool("false")`` is True), so overrides are applied to the
    YAML before NASLib reads it.
    """
    from fvcore.common.config import CfgNode

    if not overrides:
        return config
    if isinstance(overrides, Mapping):
        pairs = list(overrides.items())
    else:
        items = list(overrides)
        if len(items) % 2:
            raise ConfigError(f"overrides must be key value pairs, got an odd list {items}")
        pairs = list(zip(items[0::2], items[1::2]))
    for key, value in pairs:
        node = config
        parts = str(key).split(".")
        for p in parts[:-1]:
            if p not in node or not isinstance(node[p], Mapping):
                node[p] = CfgNode()
            node = node[p]
        v = _parse_value(value)
        node[parts[-1]] = CfgNode(v) if isinstance(v, dict) else v
    return config


def _config_type(config: Any) -> str:
    """NASLib's ``get_config_from_args`` config type, which picks its save-path format."""
    if "predictor" in config:
        return "predictor"
    if "optimizer" in config:
        return "nas"
    if "run_acc_stats" in config or "max_set_size" in config:
        return "statistics"
    raise ConfigError("cannot tell the config's kind: a NAS config sets optimizer, a predictor config "
                      "predictor, a statistics config run_acc_stats")


def load_config(path: PathLike, overrides: Overrides = None) -> Any:
    """A NASLib config (fvcore ``CfgNode``) read by NASLib's own ``get_config_from_args``.

    ``path`` is a file or the name of a config in :data:`CONFIG_DIR` (so it works from any
    directory). Overrides are applied to the YAML first (:func:`apply_overrides`); NASLib then sets
    ``search.seed``, ``save`` in its format for the config's kind and creates ``save/search``. The
    ``anb:`` section is checked (:mod:`.options`) and the config becomes the one NASLib's own
    ``get_dataset_api`` reads after :func:`~naslib_anb.naslib.register`.
    """
    import tempfile

    import_naslib()
    import yaml
    from naslib.utils import default_argument_parser, get_config_from_args
    from naslib.utils import load_config as naslib_load_config

    from naslib_anb.naslib import options

    p = config_path(path)
    raw = naslib_load_config(str(p))
    raw.set_new_allowed(True)
    apply_overrides(raw, overrides)
    if str(raw.get("search_space", SPACE_NAME)) != SPACE_NAME:
        raise ConfigError(f"search_space must be {SPACE_NAME!r} for these runners, got {raw.search_space!r}")
    raw.search_space = SPACE_NAME
    raw.setdefault("dataset", "imagenet")
    if "seed" not in raw:
        raise ConfigError(f"{p}: the config needs a top-level seed")
    options.anb_section(raw)
    config_type = _config_type(raw)
    raw.setdefault("search", {})        # NASLib sets search.seed for every kind
    raw.setdefault("evaluation", {})    # and reads evaluation for NAS configs
    with tempfile.TemporaryDirectory() as tmp:
        merged = Path(tmp) / p.name
        merged.write_text(yaml.safe_dump(options._plain(raw), sort_keys=False), encoding="utf-8")
        args = default_argument_parser().parse_args(["--config-file", str(merged)])
        config = get_config_from_args(args, config_type=config_type)
    config.set_new_allowed(True)
    config.config_file = str(p)
    options.set_active(config)  # NASLib's get_dataset_api("anb_mnas", ...) reads its anb: section
    return config


def dataset_api_from_config(config: Any, benchmark: Any = None) -> dict[str, Any]:
    """The ANB dataset API for a config's ``anb:`` section (``benchmark`` injectable); see :mod:`.options`."""
    from naslib_anb.naslib.options import dataset_api_from_config as build

    return build(config, benchmark)


# -- NAS -----------------------------------------------------------------------------------
def nas_save_dir(config: Any) -> str:
    """Where a NAS run saves: ``config.save``, which NASLib's ``get_config_from_args`` sets in its own
    format (``out_dir/search_space/dataset/optimizer/seed``) when :func:`load_config` reads the config."""
    if not config.get("save", None):
        raise ConfigError("config.save is not set: read the config with load_config (NASLib's "
                          "get_config_from_args sets it) or set config.save")
    return str(config.save)


def _require_save(config: Any) -> None:
    """NASLib's Trainer/evaluators write under ``config.save`` (``save/search`` for checkpoints)."""
    if not config.get("save", None):
        raise ConfigError("config.save is not set: read the config with load_config (NASLib's "
                          "get_config_from_args sets it) or set config.save")
    if "search" in config:
        config.search.seed = int(config.seed)
    os.makedirs(os.path.join(config.save, "search"), exist_ok=True)  # Trainer's checkpointer needs it


@dataclass
class SearchResult:
    optimizer: str
    seed: int
    epochs: int
    save: str
    final_arch: str
    final_hash: list
    test_metric: str
    test_value: float
    search_seconds: float
    n_surrogate_predictions: int
    n_evaluated: int
    pareto: list = field(default_factory=list)
    objective: Optional[dict] = None


def run_search(config: Any, dataset_api: Optional[dict] = None, *, report_incumbent: bool = True,
               lightweight_output: bool = True) -> SearchResult:
    """``Trainer.search`` then ``Trainer.evaluate`` for ``config.optimizer`` on the ANB space."""
    import_naslib()
    from naslib import utils as nutils
    from naslib.defaults.trainer import Trainer
    from naslib.search_spaces.core.query_metrics import Metric

    from naslib_anb.naslib.registration import register
    from naslib_anb.naslib.space import ANBSearchSpace, set_max_distance

    register()
    config.search.seed = int(config.seed)
    space = set_max_distance(ANBSearchSpace(), config)  # search.max_distance: the trust region
    config.save = str(config.get("save", None) or nas_save_dir(config))
    os.makedirs(os.path.join(config.save, "search"), exist_ok=True)  # Trainer's checkpointer needs it
    nutils.set_seed(int(config.seed))
    api = dataset_api if dataset_api is not None else dataset_api_from_config(config)
    optimizer = make_optimizer(config)
    optimizer.adapt_search_space(space, dataset_api=api)
    trainer = Trainer(optimizer, config, lightweight_output=lightweight_output)
    t0 = time.perf_counter()
    trainer.search(resume_from="", report_incumbent=report_incumbent)
    seconds = time.perf_counter() - t0
    best = optimizer.get_final_architecture()
    value = trainer.evaluate(resume_from="", best_arch=best, dataset_api=api, metric=Metric.TEST_ACCURACY)
    engine = api["engine"]
    result = SearchResult(
        optimizer=str(config.optimizer), seed=int(config.seed), epochs=int(config.search.epochs),
        save=config.save, final_arch=str(best.arch), final_hash=list(best.get_hash()),
        test_metric="TEST_ACCURACY (" + engine.test_target + ")", test_value=float(value),
        search_seconds=seconds, n_surrogate_predictions=engine.n_predictions,
        n_evaluated=len(engine.evaluated),
        pareto=engine.pareto() if engine.objective is not None else [],
        objective=api["options"]["objective"],
    )
    atomic_write_json(os.path.join(config.save, "summary.json"), asdict(result))
    return result


# -- predictor evaluation ------------------------------------------------------------------
@dataclass
class PredictorResult:
    predictor: str
    seed: int
    load_labeled: bool
    save: str
    rows: list  # per train size: train_size, kendalltau, spearman, pearson, mae, rmse, fit_time


def run_predictor_eval(config: Any, dataset_api: Optional[dict] = None) -> PredictorResult:
    """NASLib's ``PredictorEvaluator.evaluate`` for ``config.predictor`` on the ANB space."""
    import_naslib()
    from naslib import utils as nutils

    from naslib_anb.naslib.evaluator import ANBPredictorEvaluator
    from naslib_anb.naslib.registration import register
    from naslib_anb.naslib.space import ANBSearchSpace

    register()
    _require_save(config)
    nutils.set_seed(int(config.seed))
    api = dataset_api if dataset_api is not None else dataset_api_from_config(config)
    predictor = make_predictor(str(config.predictor), config)
    evaluator = ANBPredictorEvaluator(predictor, config=config)
    load_labeled = bool(config.get("load_labeled", False))
    evaluator.adapt_search_space(ANBSearchSpace(), load_labeled=load_labeled, dataset_api=api)
    results = evaluator.evaluate()
    keys = ("train_size", "kendalltau", "spearman", "pearson", "mae", "rmse", "fit_time", "query_time")
    rows = [{k: (None if r[k] is None else float(r[k]) if k != "train_size" else int(r[k])) for k in keys if k in r}
            for r in results[1:]]
    out = PredictorResult(predictor=str(config.predictor), seed=int(config.seed), load_labeled=load_labeled,
                          save=config.save, rows=rows)
    atomic_write_json(os.path.join(config.save, "summary.json"), asdict(out))
    return out


def read_errors(path: PathLike) -> tuple[dict, dict]:
    """NASLib's ``errors.json`` -> (config, stats) for both output formats."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, list):
        return dict(data[0]), dict(data[1])
    return {}, dict(data)


# -- search-space statistics -----------------------------------------------------------------
@dataclass
class StatisticsResult:
    save: str
    size: int
    source: str
    stats: dict


def run_statistics(config: Any, dataset_api: Optional[dict] = None) -> StatisticsResult:
    """NASLib's ``StatisticsEvaluator`` on the measured architectures (the space's arch iterator).

    ``load_labeled`` is on, as NASLib's statistics runner sets it for spaces it cannot enumerate
    (NAS-Bench-301, NLP): accuracies and train times are the measurements; the neighbours and
    random walks of the autocorrelation step leave the measured set and are answered by the surrogates.
    """
    import_naslib()
    from naslib import utils as nutils
    from naslib.defaults.statistics_evaluator import StatisticsEvaluator

    from naslib_anb.naslib.space import ANBSearchSpace

    _require_save(config)
    nutils.set_seed(int(config.seed))
    api = dataset_api if dataset_api is not None else dataset_api_from_config(config)
    evaluator = StatisticsEvaluator(config=config)
    evaluator.adapt_search_space(ANBSearchSpace(), load_labeled=True, dataset_api=api)
    n_iter = len(api["engine"].labeled_specs()) if api["engine"]._measured is not None else None
    results = evaluator.evaluate()
    keys = ("mean", "std", "minimum", "maximum", "median", "mean_time", "size", "nbhd_size_mean")
    stats = {k: float(results[k]) for k in keys if k in results}
    if "autocorr_mean" in results:
        stats["autocorr_mean"] = [float(v) for v in results["autocorr_mean"]]
    out = StatisticsResult(save=config.save, size=int(results.get("size", 0)),
                           source=f"measured architectures ({n_iter} distinct), NASLib's random subset",
                           stats=stats)
    atomic_write_json(os.path.join(config.save, "summary.json"), asdict(out))
    return out
