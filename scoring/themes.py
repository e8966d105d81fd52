"""Themes of residents' free text (急难愁盼): TF-IDF + NMF over already-segmented comments.

Pure numerics: the input is one string per comment whose tokens are separated by single spaces
(the tokenizer, jieba with the domain dictionary, lives in ``api/services/theme_text.py`` so
that this package needs no Chinese segmenter). The output names each theme by its heaviest
terms and assigns each comment to the theme with the largest NMF loading (or to none when the
comment loads on no theme, e.g. "无" or "挺好的").

Model (docs/methods.md "Open-text themes")::

    X = TF-IDF(comments)                   (n × V, sublinear tf, l2-normalised rows)
    X ≈ W H,  W ≥ 0 (n × k), H ≥ 0 (k × V)  (NMF, NNDSVD init, deterministic random_state)
    theme(i) = argmax_t W[i, t]  if max_t W[i, t] > min_loading · max(W) else none

A fitted :class:`ThemeFit` can be frozen into a plain dict (vocabulary, idf, H) and re-applied
to another wave's comments with :func:`apply_themes` (W by non-negative least squares against
the frozen H), so a published theme model gives the same theme codes across waves: that is
what makes a theme's trend comparable.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer

from scoring.errors import ScoringError

__all__ = ["ThemeFit", "apply_themes", "fit_themes", "theme_counts"]

NO_THEME = -1
RANDOM_STATE = 20260514


@dataclass(frozen=True)
class ThemeFit:
    """A fitted theme model and the assignment of the comments it was fitted on.

    Attributes
    ----------
    vocabulary : tuple of str
        The terms (columns of ``H``).
    idf : ndarray (V,)
        Inverse document frequencies of the terms.
    components : ndarray (k, V)
        ``H``: the loading of each term on each theme.
    top_terms : tuple of tuple of str
        The ``n_top`` heaviest terms of each theme, heaviest first.
    weights : ndarray (n, k)
        ``W``: each comment's loading on each theme.
    assignment : ndarray (n,) int
        Theme index of each comment, ``-1`` (:data:`NO_THEME`) for none.
    min_loading : float
        Relative loading below which a comment is left unassigned.
    converged : bool
        False when NMF stopped at its iteration limit (the result is still deterministic).
    """

    vocabulary: tuple[str, ...]
    idf: NDArray[np.float64]
    components: NDArray[np.float64]
    top_terms: tuple[tuple[str, ...], ...]
    weights: NDArray[np.float64]
    assignment: NDArray[np.int64]
    min_loading: float
    converged: bool = True

    @property
    def n_themes(self) -> int:
        return int(self.components.shape[0])

    def to_dict(self) -> dict[str, Any]:
        """The frozen model (JSON-safe): enough for :func:`apply_themes` on other comments."""
        return {
            "vocabulary": list(self.vocabulary),
            "idf": self.idf.round(8).tolist(),
            "components": self.components.round(8).tolist(),
            "top_terms": [list(t) for t in self.top_terms],
            "min_loading": self.min_loading,
            "converged": self.converged,
        }


def _identity(text: str) -> list[str]:
    return [t for t in text.split(" ") if t]


def _vectorizer(vocabulary: Sequence[str] | None = None, min_df: int = 2) -> TfidfVectorizer:
    return TfidfVectorizer(
        tokenizer=_identity,
        token_pattern=None,
        lowercase=False,
        sublinear_tf=True,
        min_df=1 if vocabulary is not None else min_df,
        vocabulary=None if vocabulary is None else list(vocabulary),
    )


def _assign(weights: NDArray[np.float64], min_loading: float, scale: float) -> NDArray[np.int64]:
    best = weights.argmax(axis=1) if weights.size else np.zeros(0, dtype=np.int64)
    peak = weights.max(axis=1) if weights.size else np.zeros(0)
    return np.where(peak > min_loading * scale, best, NO_THEME).astype(np.int64)


def fit_themes(
    comments: Sequence[str],
    n_themes: int,
    *,
    min_df: int = 2,
    n_top: int = 8,
    min_loading: float = 0.05,
    random_state: int = RANDOM_STATE,
) -> ThemeFit:
    """Fit ``n_themes`` themes to space-separated token strings.

    Parameters
    ----------
    comments : sequence of str
        One string per comment, tokens separated by spaces (empty strings are allowed and
        get no theme).
    n_themes : int
        Number of themes ``k`` (≥ 1 and less than the number of distinct terms).
    min_df : int
        A term must occur in at least this many comments (drops one-off words and noise).
    n_top : int
        How many terms name a theme.
    min_loading : float
        A comment whose largest loading is below ``min_loading × max(W)`` gets no theme.
    random_state : int
        Seed of NMF (NNDSVD initialisation is deterministic; the seed fixes the rest).

    Examples
    --------
    >>> docs = ["停车 难", "停车 位 少", "停车 难 车位", "电梯 加装", "加装 电梯 慢", "电梯 坏"]
    >>> fit = fit_themes(docs, 2, min_df=1)
    >>> sorted({fit.top_terms[t][0] for t in fit.assignment.tolist()})
    ['停车', '电梯']
    >>> len(set(fit.assignment[:3].tolist())), len(set(fit.assignment[3:].tolist()))
    (1, 1)
    """
    texts = list(comments)
    if n_themes < 1:
        raise ScoringError(f"n_themes must be at least 1; got {n_themes}")
    if not (0 <= min_loading < 1):
        raise ScoringError(f"min_loading must be in [0, 1); got {min_loading}")
    vectorizer = _vectorizer(min_df=min_df)
    try:
        X = vectorizer.fit_transform(texts)
    except ValueError:
        raise ScoringError(
            f"no term occurs in at least {min_df} of the {len(texts)} comments"
        ) from None
    vocabulary = tuple(str(t) for t in vectorizer.get_feature_names_out())
    if n_themes >= len(vocabulary):
        raise ScoringError(
            f"n_themes ({n_themes}) must be less than the number of distinct terms "
            f"({len(vocabulary)})"
        )
    nmf = NMF(n_components=n_themes, init="nndsvd", random_state=random_state, max_iter=2000)
    with warnings.catch_warnings(record=True) as caught:
        # a fit stopped at max_iter is still a deterministic, usable factorisation: say so
        # (``converged``) instead of letting the warning escape to a caller as an error
        warnings.simplefilter("always", ConvergenceWarning)
        weights = np.asarray(nmf.fit_transform(X), dtype=np.float64)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    components = np.asarray(nmf.components_, dtype=np.float64)
    order = np.argsort(-components, axis=1, kind="stable")[:, :n_top]
    top = tuple(
        tuple(vocabulary[j] for j in row if components[t, j] > 0) for t, row in enumerate(order)
    )
    scale = float(weights.max()) if weights.size else 0.0
    return ThemeFit(
        vocabulary=vocabulary,
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        components=components,
        top_terms=top,
        weights=weights,
        assignment=_assign(weights, min_loading, scale),
        min_loading=float(min_loading),
        converged=converged,
    )


def apply_themes(model: dict[str, Any], comments: Sequence[str]) -> NDArray[np.int64]:
    """Theme index of each comment under a frozen model (:meth:`ThemeFit.to_dict`).

    ``W`` is found row by row by non-negative least squares against the frozen ``H``; the
    threshold is relative to the largest loading the model's own scale allows (a comment made
    only of the heaviest term of a theme scores 1 on the l2 scale), so it does not depend on
    which other comments happen to be in the batch.
    """
    try:
        vocabulary = [str(t) for t in model["vocabulary"]]
        idf = np.asarray(model["idf"], dtype=np.float64)
        H = np.asarray(model["components"], dtype=np.float64)
        min_loading = float(model.get("min_loading", 0.05))
    except (KeyError, TypeError, ValueError) as exc:
        raise ScoringError(f"not a theme model: {exc}") from None
    if H.ndim != 2 or H.shape[1] != len(vocabulary) or idf.shape != (len(vocabulary),):
        raise ScoringError("theme model: components, idf and vocabulary do not agree")
    texts = list(comments)
    if not texts:
        return np.zeros(0, dtype=np.int64)
    vectorizer = _vectorizer(vocabulary)
    vectorizer.fit([" ".join(vocabulary)])
    vectorizer.idf_ = idf
    X = vectorizer.transform(texts).toarray()
    weights = np.zeros((len(texts), H.shape[0]))
    for i, row in enumerate(X):
        if row.any():
            weights[i] = nnls(H.T, row)[0]
    # the loading a comment gets from its theme's own profile: a unit-norm row equal to the
    # normalised component has loading 1 / ‖H_t‖
    scale = float(np.max(1.0 / np.maximum(np.linalg.norm(H, axis=1), 1e-12)))
    return _assign(weights, min_loading, scale)


def theme_counts(assignment: NDArray[np.int64], n_themes: int) -> NDArray[np.int64]:
    """Comments per theme (unassigned comments not counted).

    >>> theme_counts(np.array([0, 2, 2, -1]), 3).tolist()
    [1, 0, 2]
    """
    a = np.asarray(assignment, dtype=np.int64)
    return np.bincount(a[a >= 0], minlength=n_themes).astype(np.int64)
