"""``SurveyData``: one wave's answers as plain numpy arrays (survey-agnostic).

``survey.storage.matrix`` builds the same arrays from the database; notebooks build them from a CSV.
Only shapes and dtypes are checked here; scale ranges are checked when rescaling.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

import numpy as np

from scoring.errors import ScoringError


@dataclass
class SurveyData:
    """Answers of one wave.

    Attributes
    ----------
    X : float array (n, p), raw answers; NaN for missing and for 不了解/不适用.
    codes : p column codes (items, outcomes, others; extra columns are ignored).
    group_index : int array (n,), community of each row, 0..m−1.
    group_codes : m community codes.
    strata : int array (n,), weighting cell of each row (age band × gender), −1 unknown.
    margins : float array (m, cells), population counts per cell and community.
    margin_shape : the cells as a product of variables, e.g. ``(5, 2)`` for 5 age bands ×
        2 genders (cell = age·2 + gender); raking matches each variable's marginal. Default:
        ``(cells // 2, 2)`` when cells is even, else ``(cells,)`` (plain post-stratification).
    durations : float array (n,), seconds, for the speeder rule.
    priorities : bool array (n, k), the "top three priorities" choices.
    base_weights : float array (n,), design weights to start raking from (default 1).
    """

    X: np.ndarray
    codes: tuple[str, ...]
    group_index: np.ndarray
    group_codes: tuple[str, ...]
    strata: np.ndarray | None = None
    margins: np.ndarray | None = None
    margin_shape: tuple[int, ...] | None = None
    durations: np.ndarray | None = None
    priorities: np.ndarray | None = None
    base_weights: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.X = np.asarray(self.X, dtype=float)
        if self.X.ndim != 2:
            raise ScoringError(f"X must be 2-D, got shape {self.X.shape}")
        n, p = self.X.shape
        self.codes = tuple(self.codes)
        self.group_codes = tuple(self.group_codes)
        if len(self.codes) != p:
            raise ScoringError(f"{len(self.codes)} codes for {p} columns")
        if len(set(self.codes)) != p:
            raise ScoringError("duplicate column codes")
        self.group_index = np.asarray(self.group_index)
        if self.group_index.shape != (n,) or not np.issubdtype(self.group_index.dtype, np.integer):
            raise ScoringError(f"group_index must be an int array of shape ({n},)")
        m = len(self.group_codes)
        if n and (self.group_index.min() < 0 or self.group_index.max() >= m):
            raise ScoringError(f"group_index outside 0..{m - 1}")
        if self.strata is not None:
            self.strata = np.asarray(self.strata)
            if self.strata.shape != (n,):
                raise ScoringError(f"strata must have shape ({n},)")
        if self.margins is not None:
            self.margins = np.asarray(self.margins, dtype=float)
            if self.margins.ndim != 2 or self.margins.shape[0] != m:
                raise ScoringError(f"margins must have shape ({m}, cells)")
            if np.any(self.margins < 0):
                raise ScoringError("margins must be non-negative")
            cells = self.margins.shape[1]
            if self.margin_shape is None:
                self.margin_shape = (cells // 2, 2) if cells % 2 == 0 and cells > 2 else (cells,)
            if int(np.prod(self.margin_shape)) != cells:
                raise ScoringError(f"margin_shape {self.margin_shape} does not have {cells} cells")
            if self.strata is not None and n and self.strata.max() >= cells:
                raise ScoringError(f"strata outside -1..{cells - 1}")
        for name, shape in (("durations", (n,)), ("base_weights", (n,))):
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value, dtype=float)
                if value.shape != shape:
                    raise ScoringError(f"{name} must have shape {shape}")
                setattr(self, name, value)
        if self.base_weights is not None and np.any(~(self.base_weights > 0)):
            raise ScoringError("base_weights must be positive")
        if self.priorities is not None:
            self.priorities = np.asarray(self.priorities, dtype=bool)
            if self.priorities.ndim != 2 or self.priorities.shape[0] != n:
                raise ScoringError(f"priorities must have shape ({n}, k)")

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def m(self) -> int:
        return len(self.group_codes)

    def columns(self, codes: tuple[str, ...] | list[str]) -> np.ndarray:
        """The columns of ``X`` for ``codes`` (raises naming a code that is not there)."""
        pos = {c: j for j, c in enumerate(self.codes)}
        missing = [c for c in codes if c not in pos]
        if missing:
            raise ScoringError(f"data has no column(s) {', '.join(missing)}")
        idx = [pos[c] for c in codes]
        if idx and idx == list(range(idx[0], idx[0] + len(idx))):
            return self.X[:, idx[0] : idx[0] + len(idx)]  # a view: no copy of a big matrix
        return self.X[:, idx]

    def subset(self, keep: np.ndarray) -> SurveyData:
        """The rows where ``keep`` is true (communities and codes unchanged)."""
        keep = np.asarray(keep, dtype=bool)
        kwargs = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and f.name != "margins":
                value = value[keep]
            kwargs[f.name] = value
        return SurveyData(**kwargs)

    def fingerprint(self) -> str:
        """sha256 of the input arrays (shapes, bytes and codes), for provenance."""
        h = hashlib.sha256()
        for f in fields(self):
            value = getattr(self, f.name)
            h.update(f.name.encode())
            if value is None:
                h.update(b"none")
            elif isinstance(value, np.ndarray):
                arr = np.ascontiguousarray(value)
                h.update(str((arr.dtype.str, arr.shape)).encode())
                h.update(arr.data.cast("B"))  # a view: no copy of a large matrix
            else:
                h.update(repr(value).encode())
        return h.hexdigest()
