"""Open-text themes (急难愁盼) per community and per street, and the theme-model lifecycle.

The free-text answers (P2) of a **closed** wave are redacted (``api/services/redaction.py``),
segmented (``api/services/theme_text.py``: jieba + the domain dictionary) and assigned to
themes by ``scoring.themes``. With a published theme model (researchers publish one fitted on
a wave, versioned and immutable like a weight model, and relabel it by publishing a new version)
every wave is read with the same frozen themes, so a theme's trend across waves compares like
with like; without one, the wave's own comments are fitted ad hoc and themes are named by
their heaviest words.

What is shown follows the comment rule of the scorecard (``comments.MIN_COMMENTS``): nothing
for a community or street with fewer comments than that; a theme only when at least
``MIN_THEME_COUNT`` comments fall in it; and as example phrases only short comments that the
redaction left unchanged (nothing personal was in them), never more than ``MAX_EXAMPLES``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.services.comments import MIN_COMMENTS
from api.services.labels import COMMENT_ITEM
from api.services.model_registry import NAME_PATTERN, PUBLISHED, RETIRED
from api.services.redaction import MASK, redact
from api.services.snapshot_store import ordered_waves
from api.services.theme_text import segment
from scoring.errors import ScoringError
from scoring.themes import NO_THEME, apply_themes, fit_themes
from survey.errors import ConflictError, NotFoundError, SurveyError
from survey.storage.models import AuditEvent, Community, Response, Street, ThemeModelRecord, Wave

MIN_THEME_COUNT = 5
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 40
DEFAULT_THEMES = 8
MAX_THEMES = 30


@dataclass(frozen=True)
class WaveComments:
    texts: list[str]  # redacted
    clean: list[bool]  # the redaction changed nothing
    communities: list[str]
    streets: list[str]


def _wave(session: Session, code: str) -> Wave:
    wave = session.exec(select(Wave).where(Wave.code == code)).first()
    if wave is None:
        raise NotFoundError(f"no wave {code!r}")
    return wave


_MEMO: dict[Any, Any] = {}
_MEMO_MAX = 16


def _memo(key: Any, compute: Any) -> Any:
    found = _MEMO.get(key)
    if found is None:
        found = compute()
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[key] = found
    return found


def _wave_key(session: Session, wave: Wave) -> Any:
    """A closed wave's responses change only by an exclusion or a repair: count and last id."""
    conn = session.connection()
    count, last = session.exec(
        select(func.count(col(Response.id)), func.max(col(Response.id))).where(
            Response.wave_id == wave.id
        )
    ).one()
    return (str(conn.engine.url), wave.id, wave.status, count, last)


def wave_comments(session: Session, wave: Wave) -> WaveComments:
    """The wave's non-empty P2 answers, redacted, with their community and street codes
    (memoised per wave state: redacting thousands of comments takes seconds)."""
    if wave.status != "closed":
        raise ConflictError(f"wave {wave.code} is not closed: themes come from closed waves only")
    found: WaveComments = _memo(
        ("comments", _wave_key(session, wave)), lambda: _read_comments(session, wave)
    )
    return found


def _read_comments(session: Session, wave: Wave) -> WaveComments:
    streets = {s.id: s.code for s in session.exec(select(Street)).all()}
    communities = {
        c.id: (c.code, streets.get(c.street_id, "")) for c in session.exec(select(Community)).all()
    }
    rows = session.exec(
        select(Response.community_id, Response.answers)
        .where(Response.wave_id == wave.id)
        .order_by(col(Response.id))
    ).all()
    texts, clean, codes, street_codes = [], [], [], []
    seen: dict[str, str] = {}
    for community_id, answers in rows:
        value = (answers or {}).get(COMMENT_ITEM)
        if not isinstance(value, str) or not value.strip():
            continue
        raw = value.strip()
        masked = seen.get(raw)
        if masked is None:  # redaction costs ~4 ms a comment; "无" and repeats are common
            masked = seen[raw] = redact(raw)
        code, street = communities.get(community_id, ("", ""))
        texts.append(masked)
        clean.append(masked == raw and MASK not in raw)
        codes.append(code)
        street_codes.append(street)
    return WaveComments(texts, clean, codes, street_codes)


# ---- the theme-model lifecycle -------------------------------------------------------------


def _labels(raw: Any, n: int) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SurveyError("labels must be an object {theme index: {zh, en}}")
    out = {}
    for key, value in raw.items():
        if not str(key).isdigit() or not 0 <= int(key) < n:
            raise SurveyError(f"labels: theme {key!r} does not exist (themes are 0..{n - 1})")
        if not isinstance(value, dict) or not isinstance(value.get("zh"), str):
            raise SurveyError(f"labels: theme {key} needs at least a Chinese label 'zh'")
        zh = value["zh"].strip()
        en = str(value.get("en") or "").strip()
        if not zh or len(zh) > 40 or len(en) > 80:
            raise SurveyError(f"labels: theme {key} label must be 1–40 characters (en ≤ 80)")
        out[str(int(key))] = {"zh": zh, "en": en or zh}
    return out


def record_dict(record: ThemeModelRecord) -> dict[str, Any]:
    d = record.definition
    model = d.get("model", {})
    return {
        "name": record.name,
        "version": record.version,
        "status": record.status,
        "author": record.author,
        "created_at": record.created_at,
        "description": d.get("description", ""),
        "fitted_on": d.get("fitted_on"),
        "n_themes": d.get("n_themes"),
        "themes": [
            {
                "theme": t,
                "label": d.get("labels", {}).get(str(t)) or _term_label(model, t),
                "top_terms": model.get("top_terms", [[]] * (t + 1))[t],
            }
            for t in range(int(d.get("n_themes") or 0))
        ],
    }


def _term_label(model: dict[str, Any], theme: int) -> dict[str, str]:
    terms = model.get("top_terms", [])
    words = "、".join(terms[theme][:3]) if theme < len(terms) else str(theme)
    return {"zh": words, "en": words}


def _versions(session: Session, name: str) -> list[ThemeModelRecord]:
    return list(
        session.exec(
            select(ThemeModelRecord)
            .where(ThemeModelRecord.name == name)
            .order_by(col(ThemeModelRecord.version))
        ).all()
    )


def list_theme_models(session: Session) -> list[dict[str, Any]]:
    """The latest version of every name."""
    rows = session.exec(select(ThemeModelRecord).order_by(col(ThemeModelRecord.name))).all()
    latest: dict[str, ThemeModelRecord] = {}
    for r in rows:
        if r.name not in latest or r.version > latest[r.name].version:
            latest[r.name] = r
    return [record_dict(r) for r in latest.values()]


def get_theme_model(session: Session, name: str, version: int | None = None) -> ThemeModelRecord:
    versions = _versions(session, name)
    if version is not None:
        versions = [v for v in versions if v.version == version]
    if not versions:
        which = f"{name!r}" + ("" if version is None else f" version {version}")
        raise NotFoundError(f"no theme model {which}")
    return versions[-1]


def _store(
    session: Session, name: str, definition: dict[str, Any], actor: str, event: str
) -> ThemeModelRecord:
    versions = _versions(session, name)
    record = ThemeModelRecord(
        name=name,
        version=(versions[-1].version + 1) if versions else 1,
        definition=definition,
        author=actor,
        status=PUBLISHED,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:  # pragma: no cover - two publishers at the same instant
        session.rollback()
        raise ConflictError(f"theme model {name!r} was published meanwhile; try again") from None
    session.add(
        AuditEvent(
            actor=actor,
            action=event,
            target=f"theme_model:{name}:{record.version}",
            detail={"fitted_on": definition.get("fitted_on"), "n_themes": definition["n_themes"]},
        )
    )
    session.flush()
    return record


def publish_theme_model(
    session: Session,
    *,
    name: str,
    wave: str,
    n_themes: int = DEFAULT_THEMES,
    labels: Any = None,
    description: str = "",
    actor: str,
) -> ThemeModelRecord:
    """Fit ``n_themes`` themes on a closed wave's redacted comments and store the next version."""
    if not NAME_PATTERN.match(name or ""):
        raise SurveyError("name: 1–64 letters, digits, '.', '_' or '-', starting with one")
    if not isinstance(n_themes, int) or not 2 <= n_themes <= MAX_THEMES:
        raise SurveyError(f"n_themes must be a whole number from 2 to {MAX_THEMES}")
    if len(description) > 500:
        raise SurveyError("description: at most 500 characters")
    comments = wave_comments(session, _wave(session, wave))
    if len(comments.texts) < MIN_COMMENTS:
        raise SurveyError(
            f"wave {wave} has {len(comments.texts)} comments; at least {MIN_COMMENTS} are needed"
        )
    try:
        fit = fit_themes(segment(comments.texts), n_themes)
    except ScoringError as exc:
        raise SurveyError(f"cannot fit themes on wave {wave}: {exc}") from None
    definition = {
        "model": fit.to_dict(),
        "labels": _labels(labels, n_themes),
        "fitted_on": wave,
        "n_themes": n_themes,
        "description": description,
    }
    return _store(session, name, definition, actor, "theme_model.publish")


def relabel_theme_model(
    session: Session, *, name: str, labels: Any, actor: str
) -> ThemeModelRecord:
    """A new version with the same frozen themes and new labels (versions never change)."""
    current = get_theme_model(session, name)
    if current.status == RETIRED:
        raise ConflictError(f"theme model {name!r} is retired; publish a new one")
    n = int(current.definition["n_themes"])
    merged = {**current.definition.get("labels", {}), **_labels(labels, n)}
    definition = {**current.definition, "labels": merged}
    return _store(session, name, definition, actor, "theme_model.relabel")


def retire_theme_model(
    session: Session, *, name: str, version: int, actor: str
) -> ThemeModelRecord:
    record = get_theme_model(session, name, version)
    if record.status != RETIRED:
        record.status = RETIRED
        session.add(record)
        session.add(
            AuditEvent(
                actor=actor, action="theme_model.retire", target=f"theme_model:{name}:{version}"
            )
        )
        session.flush()
    return record


def _active_model(session: Session, name: str | None) -> ThemeModelRecord | None:
    if name is not None:
        record = get_theme_model(session, name)
        if record.status == RETIRED:
            raise ConflictError(f"theme model {name!r} is retired")
        return record
    rows = session.exec(
        select(ThemeModelRecord)
        .where(ThemeModelRecord.status == PUBLISHED)
        .order_by(col(ThemeModelRecord.created_at).desc(), col(ThemeModelRecord.id).desc())
    ).first()
    return rows


# ---- themes of a community or a street -----------------------------------------------------


def _assign(
    record: ThemeModelRecord | None, docs: Sequence[str], n_default: int
) -> tuple[np.ndarray, list[dict[str, str]], int]:
    """Theme index per comment, the theme labels and the number of themes."""
    if record is not None:
        model = record.definition["model"]
        n = int(record.definition["n_themes"])
        labels = [
            record.definition.get("labels", {}).get(str(t)) or _term_label(model, t)
            for t in range(n)
        ]
        return apply_themes(model, docs), labels, n
    n = min(n_default, max(2, len(docs) // 10))
    try:
        fit = fit_themes(docs, n)
    except ScoringError:
        return np.full(len(docs), NO_THEME), [], 0
    model = fit.to_dict()
    return fit.assignment, [_term_label(model, t) for t in range(n)], n


def _wave_themes(
    session: Session, wave: Wave, record: ThemeModelRecord | None
) -> tuple[WaveComments, tuple[np.ndarray, list[dict[str, str]], int]]:
    """The wave's comments and their themes under ``record`` (or ad hoc), memoised."""
    comments = wave_comments(session, wave)
    model_key = None if record is None else (record.id, record.version, record.status)
    assigned = _memo(
        ("themes", _wave_key(session, wave), model_key),
        lambda: _assign(record, segment(comments.texts), DEFAULT_THEMES),
    )
    return comments, assigned


def _select(
    comments: WaveComments, level: str, code: str, exclude: frozenset[str] = frozenset()
) -> np.ndarray:
    keys = comments.communities if level == "community" else comments.streets
    return np.array(
        [k == code and c not in exclude for k, c in zip(keys, comments.communities, strict=True)],
        dtype=bool,
    )


def _themes_block(
    comments: WaveComments,
    mask: np.ndarray,
    assignment: np.ndarray,
    labels: list[dict[str, str]],
    n: int,
    *,
    examples: bool,
) -> dict[str, Any]:
    total = int(mask.sum())
    out: dict[str, Any] = {"comments": total, "min": MIN_COMMENTS, "shown": False, "themes": []}
    if total < MIN_COMMENTS:
        return out
    out["shown"] = True
    rows = np.flatnonzero(mask)
    themes = []
    for t in range(n):
        members = rows[assignment[rows] == t]
        if members.size < MIN_THEME_COUNT:
            continue
        entry: dict[str, Any] = {
            "theme": t,
            "label": labels[t],
            "count": int(members.size),
            "share": round(float(members.size / total), 4),
            "examples": [],
        }
        if examples:
            picks = sorted(
                {
                    comments.texts[i]
                    for i in members.tolist()
                    if comments.clean[i] and len(comments.texts[i]) <= MAX_EXAMPLE_CHARS
                },
                key=lambda s: (len(s), s),
            )
            entry["examples"] = picks[:MAX_EXAMPLES]
        themes.append(entry)
    themes.sort(key=lambda e: (-e["count"], e["theme"]))
    out["themes"] = themes
    out["unassigned"] = int(np.sum(assignment[rows] == NO_THEME))
    return out


def scope_themes(
    session: Session,
    *,
    wave: str,
    level: str,
    code: str,
    model: str | None = None,
    examples: bool = True,
    exclude_communities: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Themes of one community or street in a closed wave, with each theme's trend.

    ``level`` is ``"community"`` or ``"street"``. The trend (the theme's share in the same
    scope in every earlier closed wave) is given only under a published model: ad hoc themes
    of different waves are different themes. ``exclude_communities``: comments of these
    communities are left out (the officials' street page leaves out suppressed communities).
    """
    if level not in ("community", "street"):
        raise SurveyError(f"level is 'community' or 'street', not {level!r}")
    target = _wave(session, wave)
    record = _active_model(session, model)
    comments, (assignment, labels, n) = _wave_themes(session, target, record)
    block = _themes_block(
        comments,
        _select(comments, level, code, exclude_communities),
        assignment,
        labels,
        n,
        examples=examples,
    )
    block.update(
        wave=wave,
        scope=f"{level}:{code}",
        model=None if record is None else {"name": record.name, "version": record.version},
    )
    for entry in block["themes"]:
        entry["trend"] = []
    if record is not None and block["themes"]:
        waves = ordered_waves(session=session)
        earlier = waves[: [w.code for w in waves].index(wave) + 1]
        for w in earlier:
            if w.status != "closed":
                continue
            wc, (got, _labels_w, _n) = _wave_themes(session, w, record)
            mask = _select(wc, level, code, exclude_communities)
            total = int(mask.sum())
            for entry in block["themes"]:
                k = int(np.sum(got[mask] == entry["theme"]))
                shown = total >= MIN_COMMENTS
                entry["trend"].append(
                    {
                        "wave": w.code,
                        "comments": total,
                        "count": k if shown else None,
                        "share": round(k / total, 4) if shown and total else None,
                    }
                )
    return block


def public_themes(session: Session, wave: str, community: str) -> dict[str, Any]:
    """The community's top needs in residents' words, for the public results page.

    The same thresholds as for officials; example phrases only for a theme that at least
    ``MIN_COMMENTS`` residents share, so no quoted phrase can point at a few people.
    """
    try:
        block = scope_themes(session, wave=wave, level="community", code=community)
    except ConflictError:  # the wave is still open: results (and themes) come after it closes
        return {
            "wave": wave,
            "community": community,
            "shown": False,
            "comments": 0,
            "min": MIN_COMMENTS,
            "themes": [],
        }
    for entry in block["themes"]:
        if entry["count"] < MIN_COMMENTS:
            entry["examples"] = []
        entry.pop("trend", None)
    return {
        "wave": wave,
        "community": community,
        "shown": block["shown"],
        "comments": block["comments"],
        "min": block["min"],
        "themes": block["themes"][:5],
    }
