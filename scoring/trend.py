"""Change between waves (METHODS.md §7).

``Δ = I₂ − I₁`` with ``SE = √(SE₁² + SE₂²)`` (independent samples) and a normal interval. A
change is labelled 显著提升/显著下降 only when the interval excludes 0 *and* ``|Δ|`` reaches the
practical threshold; otherwise 基本持平. Lists of "communities that changed" should use the
Benjamini–Hochberg adjusted p-values (``q``) across communities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from scoring.errors import IncomparableWavesError, ScoringError
from scoring.result import WaveResult

LABELS = {
    "zh": ("显著提升", "基本持平", "显著下降"),
    "en": ("significant improvement", "about the same", "significant decline"),
}


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN and is not counted.

    Examples
    --------
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, np.nan])).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    k = int(ok.sum())
    if k == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv)
    scaled = pv[order] * k / np.arange(1, k + 1)
    # q_(i) = min over j ≥ i of p_(j) k / j, capped at 1.
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    res = np.empty(k)
    res[order] = np.minimum(q, 1.0)
    out[ok] = res
    return out


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
    q: np.ndarray
    label: list[str | None]
    rescored: bool
    level: float
    threshold: float

    def changed(self, fdr: float = 0.05) -> list[str]:
        """Communities whose change survives BH at ``fdr`` and reaches the threshold."""
        keep = (self.q < fdr) & (np.abs(self.delta) >= self.threshold)
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
) -> Change:
    """Change of the index of every community scored (and published) in both waves.

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
    z = stats.norm.ppf(0.5 + lev / 2)
    lo, hi = delta - z * se, delta + z * se
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.norm.sf(np.abs(delta) / se)
    return Change(
        tuple(common),
        b,
        a,
        delta,
        se,
        lo,
        hi,
        p,
        benjamini_hochberg(p),
        change_labels(delta, lo, hi, thr, lang),
        rescored,
        lev,
        thr,
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
