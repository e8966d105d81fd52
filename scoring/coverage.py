"""Coverage rules for item means entering a community's index (issue 12, docs/methods.md).

An item mean enters the index of community ``c`` only when enough residents answered it:

- at least ``min_n`` answers (default 10: below that a mean of a 5-point item has an SE of
  ~8 points and dominates its sub-dimension), and
- at least ``min_share`` of the community's answering respondents (default 0.5: an item that
  half the community skipped or did not know measures the few who did).

An excluded item is treated as missing for that community: the tree renormalises over the
other items of its sub-dimension (``scoring.aggregate.combine``, subject to ``min_coverage``).
The item's own figures are still shown; only its place in the index is withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.errors import ScoringError

__all__ = ["ItemCoverage", "item_coverage"]


@dataclass(frozen=True)
class ItemCoverage:
    """``excluded`` (m, p): True where the item leaves the community's index;
    ``below_min_n`` / ``below_share`` (m, p): which rule applied (both may)."""

    excluded: NDArray[np.bool_]
    below_min_n: NDArray[np.bool_]
    below_share: NDArray[np.bool_]
    min_n: int
    min_share: float

    def summary(self) -> dict[str, int | float]:
        """Counts of community × item cells dropped by each rule (for the provenance)."""
        return {
            "min_item_n": self.min_n,
            "min_item_share": self.min_share,
            "cells_excluded": int(self.excluded.sum()),
            "cells_below_min_n": int(self.below_min_n.sum()),
            "cells_below_share": int(self.below_share.sum()),
        }


def item_coverage(
    n: ArrayLike, n_answering: ArrayLike, *, min_n: int = 10, min_share: float = 0.5
) -> ItemCoverage:
    """Which community × item means may enter the index.

    Parameters
    ----------
    n : array (m, p) of answers per community and item (don't-know is not an answer).
    n_answering : array (m,) of respondents per community who answered at least one item.

    Examples
    --------
    >>> cov = item_coverage([[40, 9, 19], [12, 12, 5]], [40, 12], min_n=10, min_share=0.5)
    >>> cov.excluded.tolist()
    [[False, True, True], [False, False, True]]
    >>> cov.summary()["cells_below_min_n"], cov.summary()["cells_below_share"]
    (2, 3)
    """
    counts = np.asarray(n, dtype=np.float64)
    base = np.asarray(n_answering, dtype=np.float64)
    if counts.ndim != 2 or base.shape != (counts.shape[0],):
        raise ScoringError(
            f"n must be (communities, items) and n_answering (communities,); got {counts.shape} "
            f"and {base.shape}"
        )
    if min_n < 0 or not (0.0 <= min_share <= 1.0):
        raise ScoringError(f"need min_n ≥ 0 and 0 ≤ min_share ≤ 1; got {min_n}, {min_share}")
    below_n = counts < min_n
    below_share = counts < min_share * base[:, None]
    return ItemCoverage(below_n | below_share, below_n, below_share, int(min_n), float(min_share))
