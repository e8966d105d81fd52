"""A snapshot's framework fingerprint: which index items it measured, and how (issue 12).

Stored in every snapshot (``results["framework_fingerprint"]``) so that a change between two
waves knows whether they asked the same questions. Each index item gets a *signature*: the
hash of its wording (zh and en), its number of points, its reverse key and its place in the
tree (sub-dimension and dimension). Two snapshots with the same fingerprint measured the same
items; otherwise :func:`changed_items` names the items reworded, re-keyed, moved, added or
dropped, and the change rule (``change_rule.py``) refuses the dimensions they belong to and
bridges the overall index over the dimensions that did not change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from survey.questionnaire.model import LikertItem, Questionnaire


def _digest(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint_of(q: Questionnaire) -> dict[str, Any]:
    """``{"fingerprint": sha256, "items": {code: {"dimension", "signature"}}}``."""
    dimension_of = {s.code: d.code for d in q.dimensions for s in d.subdimensions}
    items: dict[str, dict[str, str]] = {}
    for item in q.items:
        if not (isinstance(item, LikertItem) and item.subdimension):
            continue
        dimension = dimension_of.get(item.subdimension, "")
        signature = {
            "label": item.label.model_dump(mode="json", exclude_none=True),
            "points": q.item_scale(item.code).size,
            "scale": item.scale,
            "reverse": item.reverse,
            "subdimension": item.subdimension,
            "dimension": dimension,
        }
        items[item.code] = {"dimension": dimension, "signature": _digest(signature)[:16]}
    return {"fingerprint": _digest(items), "items": items}


def changed_items(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> dict[str, str] | None:
    """Items that differ between two fingerprints → the dimension(s) they touch ("D3" or
    "D3,D4" when an item moved); ``{}`` when the same; None when either is unknown (a
    snapshot stored before fingerprints: compared as before, and documented)."""
    if not before or not after:
        return None
    if before.get("fingerprint") == after.get("fingerprint"):
        return {}
    b: Mapping[str, Any] = before.get("items") or {}
    a: Mapping[str, Any] = after.get("items") or {}
    out = {}
    for code in sorted(set(a) | set(b)):
        x, y = b.get(code), a.get(code)
        if x is not None and y is not None and x["signature"] == y["signature"]:
            continue
        dims = sorted({str(e["dimension"]) for e in (x, y) if e is not None})
        out[code] = ",".join(dims)
    return out
