"""K fitted members for one target; mean and member std, compiled to tables when possible."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

import numpy as np

from naslib_anb.errors import ConfigError
from naslib_anb.surrogates._compile import NotCompilableError, TableModel
from naslib_anb.surrogates._encoding import to_codes
from naslib_anb.surrogates._transforms import get_transform

if TYPE_CHECKING:  # the families import scikit-learn; a query through compiled tables needs none of it
    from naslib_anb.surrogates._families import ArchRegressor

log = logging.getLogger(__name__)


def compile_members(members: Sequence[ArchRegressor]):
    """The members as one compiled model: summed tables, or envelopes when the members are
    made monotone that way (all or none of them)."""
    envelope = {m.uses_envelope for m in members}
    if envelope == {True}:
        from naslib_anb.surrogates._envelope import EnvelopeModel

        return EnvelopeModel.stack([m.envelope_model() for m in members])  # the members' own, built once each
    if len(envelope) > 1:
        raise ConfigError("an ensemble mixes members made monotone by envelopes and by table corrections")
    return TableModel([m.stage_tables() for m in members])


class SurrogateEnsemble:
    """Members (of one or more families) for one target. ``predict_codes`` returns (mean, std) in native units.

    The std is the population std (ddof=0) of the member predictions. Tree members are
    compiled into stage tables (exact up to float rounding, much faster than the
    libraries); families that cannot be compiled use their native predictors. A loaded
    ensemble may hold only its tables and load the native members on first use.
    """

    def __init__(self, target: str, members: Optional[Sequence[ArchRegressor]] = None,
                 compile: bool = True, tables: Optional[TableModel] = None,
                 transform: Optional[str] = None,
                 member_loader: Optional[Callable[[], list[ArchRegressor]]] = None):
        if members is not None and not members:
            raise ConfigError(f"an ensemble for {target!r} needs at least one member")
        if members is not None:
            transforms = {m.transform for m in members}
            if len(transforms) != 1:
                raise ConfigError(f"members of {target!r} use different transforms {sorted(transforms)}")
            transform = transforms.pop()
        if transform is None:
            raise ConfigError("an ensemble needs members or an explicit transform")
        if members is None and tables is None:
            raise ConfigError("an ensemble needs members or compiled tables")
        self.target = target
        self._members = list(members) if members is not None else None
        self._loader = member_loader
        self.transform = transform
        self._inverse = get_transform(transform).inverse
        self.tables = tables
        if tables is None and compile:
            try:
                self.tables = compile_members(self.members)
            except NotCompilableError as exc:
                log.info("%s: using native prediction (%s)", target, exc)

    @property
    def members(self) -> list[ArchRegressor]:
        if self._members is None:
            if self._loader is None:
                raise ConfigError(f"ensemble {self.target!r} holds only compiled tables")
            self._members = self._loader()
        return self._members

    def shared_by_family(self) -> dict[str, dict]:
        """What each family's members share (a GP's kernel hyperparameters), from its first
        member: refits on other splits reuse it instead of searching again."""
        shared: dict[str, dict] = {}
        for m in self.members:
            if m.family not in shared:
                shared[m.family] = m.shared_params()
        return shared

    @property
    def size(self) -> int:
        return self.tables.n_outputs if self.tables is not None else len(self.members)

    def member_predictions_codes(self, codes: np.ndarray) -> np.ndarray:
        """(n, K) member predictions in native units."""
        if self.tables is not None:
            return self._inverse(self.tables.evaluate(codes))
        return np.stack([m.predict_codes(codes) for m in self.members], axis=1)

    def predict_codes(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vals = self.member_predictions_codes(codes)
        if vals.shape[1] == 1:
            return vals[:, 0], np.zeros(len(vals))
        return vals.mean(axis=1), vals.std(axis=1)

    def predict(self, X: Any, return_std: bool = False):
        mean, std = self.predict_codes(to_codes(X))
        return (mean, std) if return_std else mean

    def native_member_predictions(self, X: Any) -> np.ndarray:
        """(n, K) predictions through each member's native library (for exactness checks)."""
        codes = to_codes(X)
        return np.stack([m.predict_codes(codes) for m in self.members], axis=1)
