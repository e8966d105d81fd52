"""Action plans as the API and pages show them: names of codes and scopes, status words,
overdue, and the measured effect (from ``api.services.loop_seams``).

Storage (``survey.storage.actions``) checks the fields and transitions and writes the audit;
here the codes are also checked against the questionnaire, so an action cannot address a
sub-dimension that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlmodel import Session, select

from api.services.labels import Labels, build_labels, labels_for_wave
from api.services.loop_seams import action_effects
from api.services.snapshot_store import ordered_waves
from survey.errors import SurveyError
from survey.questionnaire.model import load_default
from survey.storage.actions import is_overdue, list_notes
from survey.storage.models import Action, Community, Street, Wave

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "planned": ("计划中", "planned"),
    "in_progress": ("进行中", "in progress"),
    "done": ("已完成", "done"),
    "cancelled": ("已取消", "cancelled"),
}
BEIJING = timezone(timedelta(hours=8))


def today_beijing() -> date:
    """Due dates are Beijing calendar days: an action due today is overdue from tomorrow."""
    return datetime.now(UTC).astimezone(BEIJING).date()


def status_label(status: str) -> dict[str, str]:
    zh, en = STATUS_WORDS.get(status, (status, status))
    return {"zh": zh, "en": en}


def labels_for_codes(session: Session, wave_code: str = "") -> Labels:
    """The labels of the named wave's questionnaire, else the latest wave's, else the default."""
    wave = None
    if wave_code:
        wave = session.exec(select(Wave).where(Wave.code == wave_code)).first()
        if wave is None:
            raise SurveyError(f"wave_code: no survey wave with code {wave_code!r}")
    if wave is None:
        waves = ordered_waves(session=session)
        wave = waves[-1] if waves else None
    if wave is None:
        return build_labels(load_default())
    return labels_for_wave(session=session, wave=wave)


def code_label(labels: Labels, code: str) -> dict[str, str]:
    for table in (labels.subdimensions, labels.dimensions, labels.items):
        entry = table.get(code)
        if entry:
            return {"zh": str(entry.get("zh") or code), "en": str(entry.get("en") or code)}
    return {"zh": code, "en": code}


def check_codes(labels: Labels, codes: Sequence[str]) -> None:
    """Every code is a dimension, sub-dimension or scored item of the questionnaire."""
    known = set(labels.subdimensions) | set(labels.dimensions) | set(labels.items)
    unknown = [c for c in codes if c.strip() and c.strip() not in known]
    if unknown:
        raise SurveyError(
            f"codes: {', '.join(repr(c) for c in unknown[:5])} is not a dimension, "
            "sub-dimension or item of the questionnaire"
        )


@dataclass(frozen=True)
class ScopeNames:
    """Names and streets of every community and street, read once per listing."""

    names: dict[str, str]
    street_of: dict[str, str | None]

    @classmethod
    def read(cls, session: Session) -> ScopeNames:
        names: dict[str, str] = {}
        street_of: dict[str, str | None] = {}
        streets: dict[int | None, str] = {}
        for street in session.exec(select(Street)).all():
            names[street.code] = street.name
            street_of[street.code] = street.code
            streets[street.id] = street.code
        for community in session.exec(select(Community)).all():
            names[community.code] = community.name
            street_of[community.code] = streets.get(community.street_id)
        return cls(names, street_of)


def action_views(
    session: Session, actions: Sequence[Action], *, notes: bool = False
) -> list[dict[str, Any]]:
    """The actions as ``ActionOut`` (with ``notes``: ``ActionDetail``) dicts."""
    scopes = ScopeNames.read(session)
    effects = action_effects(session, actions)
    labels_by_wave: dict[str, Labels] = {}
    today = today_beijing()
    out = []
    for action in actions:
        if action.wave_code not in labels_by_wave:
            try:
                labels_by_wave[action.wave_code] = labels_for_codes(session, action.wave_code)
            except SurveyError:  # the wave was renamed away: fall back to the latest labels
                labels_by_wave[action.wave_code] = labels_for_codes(session)
        labels = labels_by_wave[action.wave_code]
        view: dict[str, Any] = {
            "id": action.id,
            "scope_level": action.scope_level,
            "scope_code": action.scope_code,
            "scope_name": scopes.names.get(action.scope_code, action.scope_code),
            "street": scopes.street_of.get(action.scope_code),
            "title": action.title,
            "codes": list(action.codes),
            "code_labels": [code_label(labels, c) for c in action.codes],
            "owner": action.owner,
            "start_date": action.start_date,
            "due_date": action.due_date,
            "status": action.status,
            "status_label": status_label(action.status),
            "overdue": is_overdue(action, today),
            "completed_at": action.completed_at,
            "budget": action.budget,
            "theme": action.theme,
            "wave_code": action.wave_code,
            "created_by": action.created_by,
            "created_at": action.created_at,
            "updated_at": action.updated_at,
            "effect": effects.get(action.id or 0),
        }
        if notes:
            view["notes"] = [
                {
                    "id": n.id,
                    "note": n.note,
                    "status_after": n.status_after,
                    "author": n.author,
                    "created_at": n.created_at,
                }
                for n in list_notes(session=session, action_id=action.id or 0)
            ]
        out.append(view)
    return out


def summary_of(views: Sequence[dict[str, Any]]) -> dict[str, Any]:
    by_status = {status: 0 for status in STATUS_WORDS}
    for v in views:
        by_status[v["status"]] = by_status.get(v["status"], 0) + 1
    return {
        "by_status": by_status,
        "overdue": sum(bool(v["overdue"]) for v in views),
        "measured": sum(v["effect"] is not None for v in views),
    }
