"""The index framework: overall → dimensions → sub-dimensions → items, as index arrays.

The tree arrives as plain data (``docs/interfaces.md``, "Framework dict"). Everything the hot
paths need is precomputed here once as integer arrays, so aggregation is a pair of matrix
products per level instead of a walk over the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scoring.errors import ScoringError

LEVELS = ("dimension", "subdimension", "item")


@dataclass(frozen=True)
class Framework:
    """A three-level index tree with its items and outcome questions.

    Attributes
    ----------
    name, version : identify the framework (stored with every result).
    item_codes : tuple of the p weighted items, in tree order.
    points : int array (p,), number of answer categories of each item.
    reverse : bool array (p,), reverse-keyed items.
    outcome_codes : tuple of the outcome items (O1–O3), outside the weighted tree.
    outcome_low, outcome_high : float arrays, the ends of each outcome scale.
    dimension_codes, subdimension_codes : tuples in tree order.
    sub_of_item : int array (p,), index of each item's sub-dimension.
    dim_of_sub : int array (S,), index of each sub-dimension's dimension.
    labels : dict code → {"zh": ..., "en": ...} for nodes that carry one.
    """

    name: str
    version: Any
    item_codes: tuple[str, ...]
    points: np.ndarray
    reverse: np.ndarray
    outcome_codes: tuple[str, ...]
    outcome_low: np.ndarray
    outcome_high: np.ndarray
    dimension_codes: tuple[str, ...]
    subdimension_codes: tuple[str, ...]
    sub_of_item: np.ndarray
    dim_of_sub: np.ndarray
    root_code: str = "overall"
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def dim_of_item(self) -> np.ndarray:
        """Index of each item's dimension, shape (p,)."""
        return self.dim_of_sub[self.sub_of_item]

    @property
    def n_items(self) -> int:
        return len(self.item_codes)

    def children(self, code: str) -> tuple[str, ...]:
        """Codes of the children of a node (``overall``, a dimension or a sub-dimension)."""
        if code == self.root_code:
            return self.dimension_codes
        if code in self.dimension_codes:
            d = self.dimension_codes.index(code)
            return tuple(
                s for s, dd in zip(self.subdimension_codes, self.dim_of_sub, strict=True) if dd == d
            )
        if code in self.subdimension_codes:
            s = self.subdimension_codes.index(code)
            return tuple(
                i for i, ss in zip(self.item_codes, self.sub_of_item, strict=True) if ss == s
            )
        raise ScoringError(f"unknown node code {code!r}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Framework:
        """Build and validate a framework from its plain-data form.

        Parameters
        ----------
        d : dict
            ``{"name", "version", "items": [{"code", "points", "reverse"}],
            "outcomes": [{"code", "low", "high"}], "tree": {...}}``; the tree has exactly three
            levels below the root (dimension, sub-dimension, item).

        Raises
        ------
        ScoringError
            Unknown, duplicate or unplaced codes, a wrong depth, or bad scale ends; the message
            names the code.

        Examples
        --------
        >>> fw = Framework.from_dict({"name": "t", "version": 1,
        ...     "items": [{"code": "A.1", "points": 5}, {"code": "A.2", "points": 5}],
        ...     "tree": {"code": "overall", "children": [{"code": "A", "children": [
        ...         {"code": "Aa", "children": [{"code": "A.1"}, {"code": "A.2"}]}]}]}})
        >>> fw.dimension_codes, fw.sub_of_item.tolist()
        (('A',), [0, 0])
        """
        if not isinstance(d, dict):
            raise ScoringError("framework must be a dict")
        items = d.get("items") or []
        item_spec: dict[str, dict[str, Any]] = {}
        for it in items:
            code = it.get("code")
            if not isinstance(code, str) or not code:
                raise ScoringError(f"framework item without a code: {it!r}")
            if code in item_spec:
                raise ScoringError(f"duplicate item code {code!r}")
            points = it.get("points", 5)
            if not isinstance(points, int) or points < 2:
                raise ScoringError(f"item {code!r}: points must be an integer ≥ 2, got {points!r}")
            item_spec[code] = it
        outcomes = d.get("outcomes") or []
        out_codes: list[str] = []
        lows: list[float] = []
        highs: list[float] = []
        for o in outcomes:
            code = o.get("code")
            low, high = float(o.get("low", 1)), float(o.get("high", 10))
            if code in out_codes or code in item_spec:
                raise ScoringError(f"duplicate outcome code {code!r}")
            if not high > low:
                raise ScoringError(f"outcome {code!r}: high must exceed low")
            out_codes.append(code)
            lows.append(low)
            highs.append(high)

        tree = d.get("tree")
        if not isinstance(tree, dict):
            raise ScoringError("framework has no tree")
        seen: set[str] = set()
        labels: dict[str, dict[str, str]] = {}

        def visit(node: dict[str, Any]) -> str:
            code = node.get("code")
            if not isinstance(code, str) or not code:
                raise ScoringError(f"tree node without a code: {node!r}")
            if code in seen:
                raise ScoringError(f"duplicate code {code!r} in the tree")
            seen.add(code)
            if "label" in node:
                labels[code] = dict(node["label"])
            return code

        root = visit(tree)
        dims: list[str] = []
        subs: list[str] = []
        dim_of_sub: list[int] = []
        order: list[str] = []
        sub_of_item: list[int] = []
        for dnode in tree.get("children") or []:
            dims.append(visit(dnode))
            if not dnode.get("children"):
                raise ScoringError(f"dimension {dims[-1]!r} has no sub-dimensions")
            for snode in dnode["children"]:
                subs.append(visit(snode))
                dim_of_sub.append(len(dims) - 1)
                if not snode.get("children"):
                    raise ScoringError(f"sub-dimension {subs[-1]!r} has no items")
                for inode in snode["children"]:
                    code = visit(inode)
                    if inode.get("children"):
                        raise ScoringError(f"item {code!r} must be a leaf (tree is 3 levels deep)")
                    if code not in item_spec:
                        raise ScoringError(f"tree leaf {code!r} is not a declared item")
                    order.append(code)
                    sub_of_item.append(len(subs) - 1)
        if not dims:
            raise ScoringError("tree has no dimensions")
        unplaced = [c for c in item_spec if c not in set(order)]
        if unplaced:
            raise ScoringError(f"items missing from the tree: {', '.join(unplaced)}")
        clash = set(out_codes) & seen
        if clash:
            raise ScoringError(f"outcome code(s) also used in the tree: {sorted(clash)}")
        return cls(
            name=str(d.get("name", "framework")),
            version=d.get("version", 1),
            item_codes=tuple(order),
            points=np.array([item_spec[c].get("points", 5) for c in order], dtype=np.int64),
            reverse=np.array([bool(item_spec[c].get("reverse", False)) for c in order]),
            outcome_codes=tuple(out_codes),
            outcome_low=np.array(lows, dtype=float),
            outcome_high=np.array(highs, dtype=float),
            dimension_codes=tuple(dims),
            subdimension_codes=tuple(subs),
            sub_of_item=np.array(sub_of_item, dtype=np.intp),
            dim_of_sub=np.array(dim_of_sub, dtype=np.intp),
            root_code=root,
            labels=labels,
            source=d,
        )

    def to_dict(self) -> dict[str, Any]:
        """The plain-data form (the dict it was built from, when available)."""
        if self.source:
            return self.source
        tree_children = []
        for d, dcode in enumerate(self.dimension_codes):
            snodes = []
            for s in np.flatnonzero(self.dim_of_sub == d):
                leaves = [
                    {"code": self.item_codes[i]} for i in np.flatnonzero(self.sub_of_item == s)
                ]
                snodes.append({"code": self.subdimension_codes[s], "children": leaves})
            tree_children.append({"code": dcode, "children": snodes})
        return {
            "name": self.name,
            "version": self.version,
            "items": [
                {"code": c, "points": int(k), "reverse": bool(r)}
                for c, k, r in zip(self.item_codes, self.points, self.reverse, strict=True)
            ],
            "outcomes": [
                {"code": c, "low": float(lo), "high": float(hi)}
                for c, lo, hi in zip(
                    self.outcome_codes, self.outcome_low, self.outcome_high, strict=True
                )
            ],
            "tree": {"code": self.root_code, "children": tree_children},
        }


def default_framework_dict() -> dict[str, Any]:
    """The default 美好社区 tree (6 dimensions × 3 sub-dimensions × 2 items, O1–O3).

    Codes only (no labels): ``survey`` owns the questionnaire; this is for tests, benchmarks and
    notebooks that run without it.
    """
    reverse = {"D2.5", "D4.2", "D6.3"}
    items = []
    dims = []
    for d in range(1, 7):
        snodes = []
        for s, letter in enumerate("abc"):
            leaves = []
            for k in (2 * s + 1, 2 * s + 2):
                code = f"D{d}.{k}"
                items.append({"code": code, "points": 5, "reverse": code in reverse})
                leaves.append({"code": code})
            snodes.append({"code": f"D{d}{letter}", "children": leaves})
        dims.append({"code": f"D{d}", "children": snodes})
    return {
        "name": "meihao",
        "version": 1,
        "items": items,
        "outcomes": [{"code": f"O{k}", "low": 1, "high": 10} for k in (1, 2, 3)],
        "tree": {"code": "overall", "children": dims},
    }
