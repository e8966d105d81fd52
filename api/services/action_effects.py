"""Did it work? The measured effect of every completed action (整改事项), from stored responses.

For a completed community action on sub-dimension ``s`` (an item code counts as its
sub-dimension): the *before* wave is the wave the action answers (``Action.wave_code``) or else
the last wave closed by the completion date; the *after* wave is the first later wave that
opened on or after completion. The estimate is ``scoring.effects.did_effect`` on respondents'
0–100 scores of ``s`` (unweighted respondent means) against comparison communities without a
done or running action on ``s`` (same street, else same housing type; at least 3), with the
between-community spread of comparison changes added to the bootstrap variance
(``heterogeneity=True``), and the label comes from ``scoring.change.change_report`` over
**all** completed actions measured in the same after wave (one BH family, as the trends):
改善明显 / 未见明显变化 / 明显下降 / 无法判断.

A street action pools the respondents of the street's communities and compares them with every
eligible community of the other streets (``basis = "other_streets"``). Actions whose after
wave has not been surveyed yet are listed as 无法判断 with the reason. Functions for pages:
:func:`effect_for_action`, :func:`effects_summary`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.services.snapshot_store import ordered_waves
from api.web.messages import label as catalog_label
from scoring.effects import comparison_group, did_effect, effect_report, respondent_subscores
from survey.errors import NotFoundError, SurveyError
from survey.storage.matrix import WaveMatrix, load_wave_matrix
from survey.storage.models import Action, Community, Response, Street, Wave
from survey.storage.registry import questionnaire_for_wave

DONE = "done"
ACTIVE = ("in_progress", "done")  # an action like these makes a community no comparison
MIN_N = 30
N_BOOT = 1000
LEVEL = 0.90
SEED = 20260515
LABEL_CODES = {
    "up": "effect_up",
    "flat": "effect_flat",
    "down": "effect_down",
    "undetermined": "effect_undetermined",
}


@dataclass
class _Pending:
    action: Action
    code: str  # sub-dimension
    before: Wave | None
    after: Wave | None
    reason: str  # "" when estimable


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _wave_pair(action: Action, waves: list[Wave]) -> tuple[Wave | None, Wave | None]:
    done = _aware(action.completed_at)
    before = next((w for w in waves if action.wave_code and w.code == action.wave_code), None)
    if before is None and done is not None:
        closed = [w for w in waves if (c := _aware(w.closes_at)) is not None and c <= done]
        before = closed[-1] if closed else None
    if before is None:
        return None, None
    later = waves[waves.index(before) + 1 :]
    after = next(
        (w for w in later if done is None or (o := _aware(w.opens_at)) is None or o >= done),
        None,
    )
    return before, after


def _subdimension_of(code: str, session: Session, wave: Wave) -> str | None:
    q = questionnaire_for_wave(session=session, wave=wave)
    subs = {s.code for d in q.dimensions for s in d.subdimensions}
    if code in subs:
        return code
    if q.has_item(code):
        sub = getattr(q.item(code), "subdimension", None)
        return str(sub) if sub else None
    return None


def _scores(
    session: Session, wave: Wave, cache: dict[str, Any]
) -> tuple[WaveMatrix, Any, list[str]]:
    """The wave's matrix and respondent × sub-dimension scores (cached per call)."""
    if wave.code not in cache:
        matrix = load_wave_matrix(session=session, wave_code=wave.code)
        q = questionnaire_for_wave(session=session, wave=wave)
        subs = [s.code for d in q.dimensions for s in d.subdimensions]
        items = [i for i in q.main_items() if i.code in matrix.codes]
        cols = [matrix.codes.index(i.code) for i in items]
        scores = respondent_subscores(
            matrix.X[:, cols],
            [q.scale(i.scale).size for i in items],
            [bool(i.reverse) for i in items],
            [subs.index(str(i.subdimension)) for i in items],
            len(subs),
        )
        cache[wave.code] = (matrix, scores, subs)
    found: tuple[WaveMatrix, Any, list[str]] = cache[wave.code]
    return found


def _pending(session: Session) -> list[_Pending]:
    waves = [w for w in ordered_waves(session=session)]
    actions = session.exec(
        select(Action).where(Action.status == DONE).order_by(col(Action.id))
    ).all()
    out = []
    for action in actions:
        before, after = _wave_pair(action, waves)
        anchor = before or (waves[-1] if waves else None)
        codes = []
        for code in action.codes:
            sub = _subdimension_of(code, session, anchor) if anchor else None
            if sub and sub not in codes:
                codes.append(sub)
        for sub in codes or [""]:
            reason = ""
            if not sub:
                reason = "no_subdimension"
            elif before is None:
                reason = "no_wave_before"
            elif after is None or after.status != "closed":
                reason = "no_wave_after"
            out.append(_Pending(action, sub, before, after, reason))
    return out


def _treated_elsewhere(session: Session, sub: str, labels_wave: Wave) -> set[str]:
    """Community codes with a running or done action on ``sub`` (street actions: all of it)."""
    rows = session.exec(select(Action).where(col(Action.status).in_(ACTIVE))).all()
    streets = {s.id: s.code for s in session.exec(select(Street)).all()}
    by_street: dict[str, list[str]] = {}
    for c in session.exec(select(Community)).all():
        by_street.setdefault(streets.get(c.street_id, ""), []).append(c.code)
    out: set[str] = set()
    for a in rows:
        subs = {_subdimension_of(code, session, labels_wave) for code in a.codes}
        if sub in subs:
            out.update(
                [a.scope_code] if a.scope_level == "community" else by_street.get(a.scope_code, [])
            )
    return out


def _estimate(session: Session, p: _Pending, cache: dict[str, Any]) -> dict[str, Any]:
    assert p.before is not None and p.after is not None
    m0, s0, subs = _scores(session, p.before, cache)
    m1, s1, subs1 = _scores(session, p.after, cache)
    if p.code not in subs or p.code not in subs1 or m0.community_codes != m1.community_codes:
        return {"reason": "not_comparable"}
    k0, k1 = subs.index(p.code), subs1.index(p.code)
    codes = m0.community_codes
    streets = np.asarray(m0.community_streets)
    treated = _treated_elsewhere(session, p.code, p.before)
    eligible = np.array([c not in treated for c in codes])
    if p.action.scope_level == "street":
        # the street's communities pooled against every eligible community of other streets
        members = np.flatnonzero(streets == p.action.scope_code)
        if members.size == 0:
            return {"reason": "no_data"}
        group = np.flatnonzero(eligible & (streets != p.action.scope_code))
        basis = "other_streets" if group.size else "none"
    else:
        if p.action.scope_code not in codes:
            return {"reason": "no_data"}
        target = codes.index(p.action.scope_code)
        members = np.array([target])
        group, basis = comparison_group(target, streets, np.asarray(m0.housing_types), eligible)

    def cell(rows: np.ndarray) -> tuple[Any, Any]:
        return (
            s0[np.isin(m0.community_index, rows), k0],
            s1[np.isin(m1.community_index, rows), k1],
        )

    effect = did_effect(
        cell(members),
        [cell(np.array([int(c)])) for c in group],
        n_boot=N_BOOT,
        level=LEVEL,
        min_n=MIN_N,
        heterogeneity=True,  # a community's own trend varies: bench E1 drift1 coverage
        random_state=SEED + (p.action.id or 0),
    )
    return {
        "effect": effect,
        "comparison": [codes[int(c)] for c in group],
        "basis": basis,
        "reason": "" if np.isfinite(effect.estimate) else "no_comparison",
    }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


_MEMO: dict[Any, list[dict[str, Any]]] = {}
_MEMO_MAX = 8


_ACTIONS: Any = Action.__table__  # type: ignore[attr-defined]
_WAVES: Any = Wave.__table__  # type: ignore[attr-defined]
_RESPONSES: Any = Response.__table__  # type: ignore[attr-defined]
_ACTION_STATE = sa_select(
    _ACTIONS.c.id,
    _ACTIONS.c.status,
    _ACTIONS.c.completed_at,
    _ACTIONS.c.updated_at,
    _ACTIONS.c.wave_code,
).order_by(_ACTIONS.c.id)
_WAVE_STATE = (
    sa_select(
        _WAVES.c.id,
        _WAVES.c.status,
        _WAVES.c.opens_at,
        _WAVES.c.closes_at,
        func.count(_RESPONSES.c.id),
    )
    .select_from(_WAVES.outerjoin(_RESPONSES, _RESPONSES.c.wave_id == _WAVES.c.id))
    .group_by(_WAVES.c.id)
    .order_by(_WAVES.c.id)
)


def _fingerprint(session: Session) -> Any:
    """What the effects depend on: the actions (id, status, dates) and each wave's status,
    dates and response count. Equal fingerprints give the same effects (seeded bootstrap)."""
    conn = session.connection()
    actions = tuple(tuple(r) for r in conn.execute(_ACTION_STATE).all())
    waves = tuple(tuple(r) for r in conn.execute(_WAVE_STATE).all())
    return (str(conn.engine.url), actions, waves)


def all_effects(session: Session) -> list[dict[str, Any]]:
    """Every completed action × linked sub-dimension with its effect and label (memoised on
    :func:`_fingerprint`: an action page and the summaries share one computation)."""
    key = _fingerprint(session)
    found = _MEMO.get(key)
    if found is None:
        found = _compute(session)
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[key] = found
    return copy.deepcopy(found)


def _compute(session: Session) -> list[dict[str, Any]]:
    cache: dict[str, Any] = {}
    rows = []
    for p in _pending(session):
        row: dict[str, Any] = {
            "action_id": p.action.id,
            "title": p.action.title,
            "scope_level": p.action.scope_level,
            "community": p.action.scope_code,
            "subdimension": p.code or None,
            "before_wave": p.before.code if p.before else None,
            "after_wave": p.after.code if p.after else None,
            "reason": p.reason,
        }
        if not p.reason:
            row.update(_estimate(session, p, cache))
        rows.append(row)
    families: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if "effect" in row and not row["reason"]:
            families.setdefault(row["after_wave"], []).append(i)
    for members in families.values():
        report = effect_report([rows[i]["effect"] for i in members])
        for j, i in enumerate(members):
            rows[i]["label"] = str(report.label[j])
            rows[i]["q"] = _finite(report.q[j])
            if report.reason[j]:
                rows[i]["reason"] = str(report.reason[j])
    return [_public(r) for r in rows]


def _public(row: dict[str, Any]) -> dict[str, Any]:
    effect = row.pop("effect", None)
    label = row.get("label") or "undetermined"
    out = {
        **row,
        "label": label,
        "label_text": catalog_label(LABEL_CODES[label]),
        "reason_text": catalog_label(f"effect_{row['reason']}") if row["reason"] else None,
        "estimate": None,
        "se": None,
        "ci_low": None,
        "ci_high": None,
        "level": LEVEL,
        "treated_change": None,
        "comparison_change": None,
        "n_before": None,
        "n_after": None,
        "q": row.get("q"),
        "comparison": row.get("comparison", []),
        "basis": row.get("basis"),
    }
    if effect is not None:
        out.update(
            estimate=_finite(effect.estimate),
            se=_finite(effect.se),
            ci_low=_finite(effect.ci_low),
            ci_high=_finite(effect.ci_high),
            treated_change=_finite(effect.treated_change),
            comparison_change=_finite(effect.comparison_change),
            n_before=effect.n_treated[0],
            n_after=effect.n_treated[1],
        )
    return out


def effect_for_action(session: Session, action_id: int) -> dict[str, Any]:
    """``{"action_id", "status", "effects": [one per linked sub-dimension]}``; a not-completed
    action has no effects yet (``effects == []``)."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFoundError(f"no action with id {action_id}")
    effects = [e for e in all_effects(session) if e["action_id"] == action_id]
    return {"action_id": action_id, "status": action.status, "effects": effects}


SCOPES = ("district", "street", "community")


def effects_summary(
    session: Session, wave: str | None = None, scope: str = "district"
) -> dict[str, Any]:
    """Completed actions and how many measurably improved their sub-dimension.

    ``wave`` keeps the actions measured in that after wave; ``scope`` is ``"district"``, a
    street code (``"street:CH01"`` or the bare code) or ``"community:CODE"``.
    """
    streets = {s.id: s.code for s in session.exec(select(Street)).all()}
    street_of = {
        c.code: streets.get(c.street_id, "") for c in session.exec(select(Community)).all()
    }
    kind, _, code = scope.partition(":")
    if kind not in SCOPES:
        kind, code = ("street", scope) if scope in streets.values() else (kind, code)
    if kind not in SCOPES:
        raise SurveyError(f"scope is 'district', 'street:CODE' or 'community:CODE', not {scope!r}")
    if kind == "street" and code not in streets.values():
        raise NotFoundError(f"no street {code!r}")
    if kind == "community" and code not in street_of:
        raise NotFoundError(f"no community {code!r}")
    if wave is not None and session.exec(select(Wave).where(Wave.code == wave)).first() is None:
        raise NotFoundError(f"no wave {wave!r}")
    effects = all_effects(session)
    if wave is not None:
        effects = [e for e in effects if e["after_wave"] == wave]
    if kind == "street":
        effects = [
            e for e in effects if street_of.get(e["community"]) == code or e["community"] == code
        ]
    elif kind == "community":
        effects = [e for e in effects if e["community"] == code]
    actions = {e["action_id"] for e in effects}
    improved = {e["action_id"] for e in effects if e["label"] == "up"}
    measured = {e["action_id"] for e in effects if e["label"] != "undetermined"}
    n, k = len(actions), len(improved)
    return {
        "scope": kind if kind == "district" else f"{kind}:{code}",
        "wave": wave,
        "completed": n,
        "measured": len(measured),
        "improved": k,
        "sentence": {
            lang: words.format(n=n, k=k)
            for lang, words in catalog_label("effects_sentence").items()
        },
        "effects": effects,
    }
