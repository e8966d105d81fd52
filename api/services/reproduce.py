"""Reproducing a stored snapshot: recompute it from its own provenance and compare.

A snapshot stores the full model definition, the bootstrap size and the random seed it was
computed with (``results["provenance"]``), so even a retired model's numbers can be
regenerated. The comparison is of the canonical JSON text (sorted keys), i.e. bit for bit on
every float; ``computed_at`` is a column of the row, not part of the results.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from api.services.snapshots import score_results
from api.web.messages import note_code
from scoring.weight_model import WeightModel
from survey.errors import ConflictError, NotFoundError
from survey.storage.models import ScoreSnapshot, Wave

MAX_LISTED = 20


def canonical_json(results: dict[str, Any]) -> str:
    return json.dumps(results, sort_keys=True, ensure_ascii=False, allow_nan=False)


def differences(a: Any, b: Any, path: str = "", out: list[str] | None = None) -> list[str]:
    """Paths where two JSON documents differ (at most ``MAX_LISTED``), for a readable report."""
    out = [] if out is None else out
    if len(out) >= MAX_LISTED:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            differences(a.get(key), b.get(key), f"{path}/{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            differences(x, y, f"{path}/{i}", out)
    elif a != b or type(a) is not type(b):
        out.append(path or "/")
    return out


def _numeric_model_versions(results: dict[str, Any]) -> dict[str, Any]:
    """Snapshots stored while model versions were strings hold ``"2"`` where a recomputation
    gives ``2``: read them as their number, so that only a real change shows as a difference."""
    provenance = results.get("provenance") or {}
    for part in (provenance.get("model"), provenance.get("model_definition")):
        if isinstance(part, dict) and str(part.get("version")).isdecimal():
            part["version"] = int(part["version"])
    return results


def with_note_codes(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` with the reasons and notes as codes (in place).

    A snapshot stored before the engine spoke in codes holds their Chinese text; recomputing
    it gives the codes, and the two say the same thing, so they are compared as codes.
    """
    for row in results.get("communities") or ():
        for key in ("suppression_reason", "note"):
            code = note_code(row.get(key))
            if code is not None:
                row[key] = code.value
    return results


def reproduce_snapshot(*, session: Session, snapshot_id: int) -> dict[str, Any]:
    """Recompute snapshot ``snapshot_id`` and say whether the results are identical."""
    snapshot = session.get(ScoreSnapshot, snapshot_id)
    if snapshot is None:
        raise NotFoundError(f"no score snapshot {snapshot_id}")
    wave = session.get(Wave, snapshot.wave_id)
    assert wave is not None  # the foreign key guarantees it
    provenance = snapshot.results.get("provenance") or {}
    if "model_definition" not in provenance or "random_state" not in provenance:
        raise ConflictError(
            f"snapshot {snapshot_id} does not record its model definition and random seed, "
            "so it cannot be recomputed"
        )
    model = WeightModel.from_dict(provenance["model_definition"])
    results = score_results(
        session=session,
        wave=wave,
        model=model,
        bootstrap=int(provenance.get("bootstrap") or 0),
        random_state=int(provenance["random_state"]),
    )
    # Through JSON once, as the database column stores it (tuples → lists and so on).
    recomputed = json.loads(canonical_json(results))
    stored = with_note_codes(_numeric_model_versions(json.loads(canonical_json(snapshot.results))))
    same = canonical_json(recomputed) == canonical_json(stored)
    return {
        "snapshot": snapshot.id,
        "wave": wave.code,
        "model": snapshot.model_name,
        "model_version": snapshot.model_version,
        "data_hash": snapshot.data_hash,
        "recomputed_data_hash": results["provenance"].get("data_sha256"),
        "identical": same,
        "differences": [] if same else differences(stored, recomputed),
    }
