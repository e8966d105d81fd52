"""Change between waves (METHODS.md §7).

``Δ = I₂ − I₁`` with ``SE = √(SE₁² + SE₂²)`` (independent samples) and a normal interval.
:func:`compare_waves` labels with the one change rule of :mod:`scoring.change` over the family
communities × (overall + dimensions), as the officials' pages do (``api/services/change_rule.py``):
显著提升/显著下降 when the family's Benjamini–Hochberg ``q ≤ fdr`` (0.10) and ``|Δ|`` reaches the
practical threshold, 基本持平 otherwise, ``None`` (无法判断) when the change cannot be tested.
:func:`change_labels` is the older per-interval rule, kept for callers of the function only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from scoring.change import ChangeLabel, benjamini_hochberg, change_report, welch_df
from scoring.errors import IncomparableWavesError, ScoringError
from scoring.result import WaveResult

__all__ = ["LABELS", "Change", "benjamini_hochberg", "change_labels", "compare_waves", "trend"]

FDR = 0.10  # the false-discovery level of every change label (docs/methods.md)
LABELS = {
    "zh": ("显著提升", "基本持平", "显著下降"),
    "en": ("significant improvement", "about the same", "significant decline"),
}


def change_labels(
    delta: np.ndarray, low: np.ndarray, high: np.ndarray, threshold: float, lang: str = "zh"
) -> list[str | None]:
    """Label each change; ``None`` where Δ is unknown.

    Examples
    --------
    >>> change_labels(np.array([5.0, 2.0, -4.0, 5.0]), np.array([1.0, 0.5, -7.0, -1.0]),
    ...               np.array([9.0, 3.5, -1.0, 11.0]), 3.0)
    ['显著提升', '基本持平', '显著下降', '基本持平']
    """
    up, flat, down = LABELS[lang]
    out: list[str | None] = []
    for d, lo, hi in zip(delta, low, high, strict=True):
        if not np.isfinite(d):
            out.append(None)
        elif lo > 0 and d >= threshold:
            out.append(up)
        elif hi < 0 and d <= -threshold:
            out.append(down)
        else:
            out.append(flat)
    return out


@dataclass(frozen=True)
class Change:
    """Per-community change between two waves (communities present in both)."""

    codes: tuple[str, ...]
    before: np.ndarray
    after: np.ndarray
    delta: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p: np.ndarray
    q: np.ndarray  # BH q over the whole family communities × (overall + dimensions)
    label: list[str | None]  # 显著提升 / 基本持平 / 显著下降, None when undetermined
    rescored: bool
    level: float
    threshold: float
    label_code: tuple[str, ...] = ()  # up / down / flat / undetermined (scoring.change)
    dimension_codes: tuple[str, ...] = ()
    dimension_label: np.ndarray | None = None  # (communities, dimensions) label codes
    dimension_q: np.ndarray | None = None
    fdr: float = FDR

    def changed(self, fdr: float | None = None) -> list[str]:
        """Communities whose overall change the rule labels (q ≤ ``fdr``, |Δ| ≥ threshold);
        ``fdr`` defaults to the level the labels were made with."""
        level = self.fdr if fdr is None else fdr
        keep = (np.nan_to_num(self.q, nan=2.0) <= level) & (np.abs(self.delta) >= self.threshold)
        return [c for c, k in zip(self.codes, keep, strict=True) if k]

    def to_dict(self) -> dict[str, Any]:
        def f(x: float) -> float | None:
            return float(x) if np.isfinite(x) else None

        return {
            "rescored": self.rescored,
            "level": self.level,
            "threshold": self.threshold,
            "communities": [
                {
                    "code": c,
                    "before": f(b),
                    "after": f(a),
                    "delta": f(d),
                    "se": f(s),
                    "ci_low": f(lo),
                    "ci_high": f(hi),
                    "p": f(p),
                    "q": f(q),
                    "label": lab,
                }
                for c, b, a, d, s, lo, hi, p, q, lab in zip(
                    self.codes,
                    self.before,
                    self.after,
                    self.delta,
                    self.se,
                    self.ci_low,
                    self.ci_high,
                    self.p,
                    self.q,
                    self.label,
                    strict=True,
                )
            ],
        }


def _comparable(a: WaveResult, b: WaveResult) -> bool:
    pa, pb = a.provenance, b.provenance
    return bool(pa.get("model_key") == pb.get("model_key") and pa.get("preset") == pb.get("preset"))


def compare_waves(
    before: WaveResult,
    after: WaveResult,
    *,
    rescored: bool = False,
    threshold: float | None = None,
    level: float | None = None,
    lang: str = "zh",
    fdr: float = FDR,
) -> Change:
    """Change of the index of every community scored (and published) in both waves.

    Labels follow :func:`scoring.change.change_report` over the family communities ×
    (overall + the dimensions both waves share): t p-values with Welch–Satterthwaite df from
    the communities' n, BH at ``fdr`` jointly, ``|Δ| ≥ threshold``;
    a suppressed community or a missing SE is undetermined (``label`` None).

    Raises :class:`IncomparableWavesError` when the waves used different weight models or
    presets, unless ``rescored=True`` says the old wave was rescored with the new model (the
    flag is stored with the change). ``threshold`` and ``level`` default to the later wave's
    model (``trend_threshold``, ``ci_level``).
    """
    if not _comparable(before, after) and not rescored:
        raise IncomparableWavesError(
            f"waves scored with {before.model_key}/{before.provenance.get('preset')} and "
            f"{after.model_key}/{after.provenance.get('preset')}: rescore the earlier wave with "
            "the same model and preset (and pass rescored=True)"
        )
    model = after.provenance.get("model_definition", {})
    thr = float(model.get("trend_threshold", 3.0) if threshold is None else threshold)
    lev = float(after.provenance.get("ci_level", 0.90) if level is None else level)
    pos = {c: i for i, c in enumerate(before.community_codes)}
    common = [c for c in after.community_codes if c in pos]
    i1 = np.array([pos[c] for c in common], dtype=np.intp)
    pos2 = {c: i for i, c in enumerate(after.community_codes)}
    i2 = np.array([pos2[c] for c in common], dtype=np.intp)
    b, a = before.index[i1], after.index[i2]
    delta = a - b
    se = np.sqrt(before.se[i1] ** 2 + after.se[i2] ** 2)
    dims = tuple(d for d in after.dimension_codes if d in before.dimension_codes)
    j1 = np.array([before.dimension_codes.index(d) for d in dims], dtype=np.intp)
    j2 = np.array([after.dimension_codes.index(d) for d in dims], dtype=np.intp)
    d_delta = after.dim_score[np.ix_(i2, j2)] - before.dim_score[np.ix_(i1, j1)]
    d_se = np.sqrt(before.dim_se[np.ix_(i1, j1)] ** 2 + after.dim_se[np.ix_(i2, j2)] ** 2)
    small = (before.suppressed[i1] | after.suppressed[i2] | ~np.isfinite(b) | ~np.isfinite(a))[
        :, None
    ]
    n1, n2 = before.n[i1].astype(float), after.n[i2].astype(float)
    se_all = np.column_stack([se, d_se])
    b_se = np.column_stack([before.se[i1], before.dim_se[np.ix_(i1, j1)]])
    a_se = np.column_stack([after.se[i2], after.dim_se[np.ix_(i2, j2)]])
    report = change_report(
        np.column_stack([delta, d_delta]),
        se_all,
        small_sample=small,
        fdr=fdr,
        min_change=thr,
        df=welch_df(b_se, n1[:, None], a_se, n2[:, None]),
    )
    z = stats.norm.ppf(0.5 + lev / 2)
    lo, hi = delta - z * se, delta + z * se
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.norm.sf(np.abs(delta) / se)
    p = np.where(np.isfinite(report.p[:, 0]), report.p[:, 0], p)  # the rule's t p-value
    up, flat, down = LABELS[lang]
    words = {ChangeLabel.UP.value: up, ChangeLabel.FLAT.value: flat, ChangeLabel.DOWN.value: down}
    codes = tuple(str(v) for v in report.label[:, 0])
    return Change(
        tuple(common),
        b,
        a,
        delta,
        se,
        lo,
        hi,
        p,
        report.q[:, 0].copy(),
        [words.get(c) for c in codes],
        rescored,
        lev,
        thr,
        label_code=codes,
        dimension_codes=dims,
        dimension_label=report.label[:, 1:].copy(),
        dimension_q=report.q[:, 1:].copy(),
        fdr=fdr,
    )


def trend(results: list[WaveResult], *, rescored: bool = False, lang: str = "zh") -> dict[str, Any]:
    """Index series across several waves (in the order given) and each consecutive change.

    Returns ``{"codes", "index" (waves × communities), "se", "changes": [Change, ...]}`` over
    the communities present in every wave.
    """
    if len(results) < 2:
        raise ScoringError("a trend needs at least two waves")
    common = [
        c for c in results[-1].community_codes if all(c in r.community_codes for r in results)
    ]
    rows = [
        np.array(
            [{c: i for i, c in enumerate(r.community_codes)}[c] for c in common], dtype=np.intp
        )
        for r in results
    ]
    index = np.array([r.index[i] for r, i in zip(results, rows, strict=True)])
    se = np.array([r.se[i] for r, i in zip(results, rows, strict=True)])
    changes = [
        compare_waves(results[k], results[k + 1], rescored=rescored, lang=lang)
        for k in range(len(results) - 1)
    ]
    return {"codes": common, "index": index, "se": se, "changes": changes}
