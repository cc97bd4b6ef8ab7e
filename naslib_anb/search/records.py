"""Run configuration and result records (plain data, round-trip through YAML/JSON)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Optional

from naslib_anb.errors import ConfigError

BENCHMARKS = ("anb", "toy")
#: in Pareto mode, these names pick the Pareto variant
PARETO_VARIANTS = {"rs": "rs-pareto", "re": "re-pareto"}


DEFAULT_REWARD_WEIGHT = 0.07


def _check_variant(name: object) -> str:
    """A benchmark name other than anb/toy must be a variant of the shipped surrogates."""
    from naslib_anb.benchmark.variants import check_variant

    return check_variant(name, BENCHMARKS, "benchmarks: anb, toy or a variant of anb (naslib-anb compare --help)")


def _check_optimizer_kwargs(name: str, factory: Any, kwargs: Any, seed: int) -> None:
    """Unknown or ill-typed optimizer options fail here, naming the optimizer's valid options."""
    import inspect

    from naslib_anb.errors import ANBError, UnknownOptionError

    if not isinstance(kwargs, dict):
        raise ConfigError(f"optimizer_kwargs must be a mapping, got {kwargs!r}")
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return  # a factory that forwards options (checked when the optimizer is built)
    # feasible_only and max_distance are the config's own fields (--allow-infeasible, --max-distance),
    # checked above; they are no --opt options
    valid = [n for n, p in params.items() if n not in ("seed", "feasible_only", "max_distance")
             and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for key in kwargs:
        if key in ("feasible_only", "max_distance"):
            continue
        if key == "seed":
            raise ConfigError(f"--opt seed=...: set the seed with --seed; options of optimizer {name!r}: "
                              f"{', '.join(valid) or 'none'}")
        if key not in valid:
            if not valid:
                raise ConfigError(f"optimizer {name!r} takes no --opt options, got {key!r}")
            raise UnknownOptionError(key, valid, f"these are the options of optimizer {name!r} (--opt KEY=VALUE)")
    try:
        factory(seed=seed, **kwargs)
    except ANBError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise ConfigError(f"--opt for optimizer {name!r}: {exc}") from None


def _accepts(factory: Any, name: str) -> bool:
    import inspect

    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _check_max_distance_field(cfg: "SearchConfig", factory: Any) -> None:
    """max_distance: None or an int in 0..28, given once, and only to an optimizer that honours it."""
    from naslib_anb.space.trust_region import check_max_distance

    check_max_distance(cfg.max_distance)
    given = cfg.optimizer_kwargs.get("max_distance", cfg.max_distance)
    if given != cfg.max_distance:
        raise ConfigError("max_distance is given twice with different values (the config field and "
                          "optimizer_kwargs); set the config field (--max-distance) only")
    if cfg.max_distance is not None and not _accepts(factory, "max_distance"):
        raise ConfigError(f"optimizer {cfg.optimizer!r} takes no max_distance, so --max-distance "
                          f"{cfg.max_distance} cannot be honoured")


@dataclass(frozen=True)
class SearchConfig:
    """Everything that determines a search run; saved as ``config.yaml`` next to the results."""

    optimizer: str = "re"
    seed: int = 0
    budget: int = 600
    objective: Optional[str] = None          # accuracy | reward | pareto (None: by device)
    device: Optional[str] = None
    metric: Optional[str] = None             # throughput | latency (None: throughput)
    reward_target: Optional[float] = None    # T of the MnasNet reward (None: published default)
    reward_weight: float = 0.07              # w (DEFAULT_REWARD_WEIGHT)
    reward_weight_miss: Optional[float] = None
    accuracy: str = "val_top1"
    benchmark: str = "anb"                   # anb (shipped surrogates) | toy (analytic) | a variant (member:K, lgb)
    batch_queries: bool = True               # evaluate independent asks together (same trajectory)
    feasible_only: bool = True               # ask only architectures the labels' recipe could train
    max_distance: Optional[int] = None       # ask only within this many decisions of the data (trust region)
    optimizer_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        from naslib_anb.optimizers import get_optimizer_class

        if isinstance(self.budget, bool) or not isinstance(self.budget, int) or self.budget <= 0:
            raise ConfigError(f"budget must be a positive int, got {self.budget!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative int, got {self.seed!r}")
        if self.benchmark not in BENCHMARKS:
            object.__setattr__(self, "benchmark", _check_variant(self.benchmark))
        if self.objective == "pareto" and self.optimizer in PARETO_VARIANTS:
            object.__setattr__(self, "optimizer", PARETO_VARIANTS[self.optimizer])
        cls = get_optimizer_class(self.optimizer)
        if not isinstance(self.optimizer_kwargs, dict):
            raise ConfigError(f"optimizer_kwargs must be a mapping, got {self.optimizer_kwargs!r}")
        if not isinstance(self.feasible_only, bool):
            raise ConfigError(f"feasible_only must be true or false, got {self.feasible_only!r}")
        if self.optimizer_kwargs.get("feasible_only", self.feasible_only) != self.feasible_only:
            raise ConfigError("feasible_only is given twice with different values (the config field and "
                              "optimizer_kwargs); set the config field (--allow-infeasible) only")
        _check_max_distance_field(self, cls)
        if self.metric is not None and self.device is None:
            raise ConfigError(f"--metric {self.metric} needs --device")
        _check_optimizer_kwargs(self.optimizer, cls, self.optimizer_kwargs, self.seed)
        obj = self.make_objective()  # validates device/metric/objective
        from naslib_anb.search.objectives import MnasNetReward

        if not isinstance(obj, MnasNetReward):
            given = [flag for flag, v, default in (("--target", self.reward_target, None),
                                                   ("--weight", self.reward_weight, DEFAULT_REWARD_WEIGHT),
                                                   ("--weight-miss", self.reward_weight_miss, None)) if v != default]
            if given:
                raise ConfigError(f"{', '.join(given)} set the MnasNet reward, but this run's objective is "
                                  f"{obj.describe()!r}; the reward needs --device (objective 'reward')")
        if getattr(cls, "multi_objective", False) != (obj.n_obj > 1):
            if obj.n_obj > 1:
                raise ConfigError(f"optimizer {self.optimizer!r} needs a scalar objective; Pareto mode is "
                                  "available for: rs, re (as rs-pareto, re-pareto)")
            raise ConfigError(f"optimizer {self.optimizer!r} is a Pareto optimizer; use objective 'pareto'")

    # -- builders ------------------------------------------------------------------------
    def make_objective(self):
        from naslib_anb.search.objectives import make_objective

        return make_objective(self.objective, self.device, self.metric, self.reward_target,
                              self.reward_weight, self.reward_weight_miss, self.accuracy)

    def make_optimizer(self):
        """The optimizer, told ``feasible_only`` (and ``max_distance``) when its factory takes them."""
        import inspect

        from naslib_anb.optimizers import get_optimizer, get_optimizer_class

        kw = dict(self.optimizer_kwargs)
        try:
            params = inspect.signature(get_optimizer_class(self.optimizer)).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            params = {}
        if "feasible_only" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
            kw["feasible_only"] = self.feasible_only
        if self.max_distance is not None:
            kw["max_distance"] = self.max_distance
        return get_optimizer(self.optimizer, seed=self.seed, **kw)

    def resolved(self) -> "SearchConfig":
        """Defaults filled in (objective kind, metric, reward T), for saving."""
        obj = self.make_objective()
        kind = self.objective or ("reward" if self.device else "accuracy")
        kw: dict[str, Any] = {"objective": kind}
        if self.device:
            kw["metric"] = self.metric or "throughput"
        if kind == "reward":
            kw["reward_target"] = float(obj.T)
        return SearchConfig(**{**self.to_dict(), **kw})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SearchConfig":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            from naslib_anb.errors import UnknownChoiceError

            raise UnknownChoiceError(unknown[0], sorted(names), "search config keys")
        return cls(**d)


@dataclass(frozen=True)
class QueryRecord:
    """One evaluated architecture, with the trajectory state after it."""

    index: int                      # 1-based query number
    arch: str                       # canonical arch string
    values: dict                    # {target: value} for the objective's targets
    reward: Optional[float]         # scalar objective (None in Pareto mode)
    best_accuracy: float            # best accuracy evaluated so far
    best_reward: Optional[float]    # best scalar objective so far (None in Pareto mode)
    hypervolume: Optional[float]    # normalised HV of (accuracy, device) so far (None without device)
    feasible: bool = True           # trainable with the labels' recipe (naslib_anb.space.trainability)
    nearest_measured: int = 0       # Hamming distance (decisions) to the nearest measured architecture

    def to_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"query": self.index, "arch": self.arch}
        row.update(self.values)
        row["feasible"] = self.feasible
        row["nearest_measured"] = self.nearest_measured
        row["reward"] = self.reward
        row["best_accuracy"] = self.best_accuracy
        row["best_reward"] = self.best_reward
        row["hypervolume"] = self.hypervolume
        return row


@dataclass
class SearchResult:
    config: SearchConfig
    records: list[QueryRecord]
    elapsed_s: float
    objective_description: str
    device_target: Optional[str]

    @property
    def best(self) -> QueryRecord:
        key = (lambda r: r.reward) if self.records and self.records[0].reward is not None else (
            lambda r: r.values[self.config.accuracy])
        return max(self.records, key=key)

    def best_feasible(self) -> Optional[dict[str, Any]]:
        """The best feasible query's arch, objective value (reward, else accuracy) and distance to the data."""
        scalar = bool(self.records) and self.records[0].reward is not None
        ok = [r for r in self.records if r.feasible and math.isfinite(r.reward if scalar else
                                                                         r.values[self.config.accuracy])]
        if not ok:
            return None
        b = max(ok, key=(lambda r: r.reward) if scalar else (lambda r: r.values[self.config.accuracy]))
        return {"arch": b.arch, "value": b.reward if scalar else b.values[self.config.accuracy],
                "values": b.values, "nearest_measured": b.nearest_measured}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([r.to_row() for r in self.records])

    def summary(self) -> dict[str, Any]:
        last = self.records[-1]
        b = self.best
        out = {
            "queries": len(self.records),
            "elapsed_s": round(self.elapsed_s, 4),
            "objective": self.objective_description,
            "best_accuracy": last.best_accuracy,
            "best_reward": last.best_reward,
            "hypervolume": last.hypervolume,
            "best_arch": b.arch,
            "best_values": b.values,
            "best_feasible": self.best_feasible(),
            "infeasible_queries": sum(not r.feasible for r in self.records),
            "unique_archs": len({r.arch for r in self.records}),
            "max_distance": self.config.max_distance,  # the trust region asked for (None: none)
            "max_nearest_measured": max(r.nearest_measured for r in self.records),  # the farthest query
        }
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}
