"""A community's results for its residents (你说 · 我们做): the public page, its JSON twin and
its A4 notice for the bulletin board (公示栏) are all built from this one dict.

What it holds, and why nothing else:

- Only a **closed** wave's results, from the stored snapshot of the wave's default model
  (``build_scorecard``, the officials' figures, so the two never disagree), and only a snapshot
  computed after the close (the final one). While the wave is open nothing is shown: interim
  figures would sway those still answering.
- A community below ``min_n`` (suppressed) gets ``published: false`` and the reason, and
  *nothing else* — no score, no n, no needs, no actions list: the page says only that results
  are not published and why.
- Changes use the one change rule (``api.services.change_rule``, through the scorecard,
  joint false-discovery control over the wave), said in plain words.
- Top needs are counts of the closed-choice priority item (P1), each shown only when at least
  ``MIN_NEED_COUNT`` residents chose it, plus the redacted free-text themes
  (``loop_seams.public_themes``). Never an individual answer, never comment text.
- Actions: the community's and its street's, with status (the officials' public commitments).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import Session, select

from api.services.actions import code_label, status_label
from api.services.exclusions import policy_of
from api.services.labels import Labels, labels_for_wave
from api.services.loop_seams import action_effects, public_themes
from api.services.published import graded_num
from api.services.scorecard import build_scorecard
from api.web.messages import text
from survey.errors import NotFoundError
from survey.questionnaire.model import MultiChoiceItem
from survey.storage.actions import list_actions
from survey.storage.models import Community, Response, Street, Wave
from survey.storage.registry import questionnaire_for_wave
from survey.storage.waves import as_utc, effective_status, window_text

MIN_NEED_COUNT = 5  # a need is named only when at least this many residents chose it
TOP_NEEDS = 5


def change_words(ch: dict[str, Any] | None, lang: str) -> str:
    """A change in plain words: "比上次提高 3.2 分,变化显著"; the note when there is none."""
    if ch is None or ch.get("delta") is None:
        note = (ch or {}).get("note") or {}
        return str(note.get(lang) or note.get("zh") or "—")
    delta = float(ch["delta"])
    size = f"{abs(delta):.1f}"
    if size == "0.0":
        return "the same as last time" if lang == "en" else "与上次持平"
    if lang == "en":
        way = "higher" if delta >= 0 else "lower"
        verdict = (
            "a significant change"
            if ch.get("significant")
            else "not a significant change (within the margin of error)"
        )
        return f"{size} points {way} than last time, {verdict}"
    way = "提高" if delta >= 0 else "下降"
    verdict = "变化显著" if ch.get("significant") else "变化不显著（在误差范围内）"
    return f"比上次{way} {size} 分，{verdict}"


def _computed(ch: dict[str, Any] | None) -> dict[str, Any] | None:
    """A change the one rule computed (api/services/change_rule.py), None when there is none."""
    return ch if ch is not None and ch.get("delta") is not None else None


def stated_needs(
    session: Session, wave: Wave, community: Community, labels: Labels
) -> list[dict[str, Any]]:
    """How many residents chose each sub-dimension in the priority item (P1), largest first.

    Responses the wave's exclusion policy leaves out of the index (by their intake flags) are
    left out here too; a choice made by fewer than ``MIN_NEED_COUNT`` residents is not named.
    """
    q = questionnaire_for_wave(session=session, wave=wave)
    item = q.priority_item()
    if not isinstance(item, MultiChoiceItem):
        return []
    excluded = set(policy_of(wave).exclude)
    rows = session.exec(
        select(Response.answers, Response.quality_flags).where(
            Response.wave_id == wave.id, Response.community_id == community.id
        )
    ).all()
    counts: Counter[str] = Counter()
    answered = 0
    for answers, flags in rows:
        if excluded.intersection(flags or []):
            continue
        chosen = (answers or {}).get(item.code)
        if not isinstance(chosen, list) or not chosen:
            continue
        answered += 1
        counts.update({str(c) for c in chosen})
    known = set(labels.subdimensions)
    needs = [
        {
            "code": code,
            "label": code_label(labels, code),
            "count": count,
            "share": count / answered,
        }
        for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))  # ties: by code
        if code in known and count >= MIN_NEED_COUNT
    ]
    return needs[:TOP_NEEDS]


def public_actions(session: Session, community: Community, labels: Labels) -> list[dict[str, Any]]:
    street = session.get(Street, community.street_id)
    scopes = [community.code] + ([street.code] if street is not None else [])
    actions = list_actions(session=session, scope_codes=scopes)
    effects = action_effects(session, actions)
    return [
        {
            "id": a.id,
            "title": a.title,
            "scope_level": a.scope_level,
            "codes": list(a.codes),
            "code_labels": [code_label(labels, c) for c in a.codes],
            "owner": a.owner,
            "status": a.status,
            "status_label": status_label(a.status),
            "due_date": a.due_date,
            "completed_on": a.completed_at.date() if a.completed_at else None,
            "effect_label": (effects.get(a.id or 0) or {}).get("label"),
            "effect_label_en": (effects.get(a.id or 0) or {}).get("label_en"),
        }
        for a in actions
    ]


def _unpublished(base: dict[str, Any], reason: str, words: dict[str, str]) -> dict[str, Any]:
    return {**base, "published": False, "reason": reason, "reason_text": words}


REASONS = {
    "wave_open": (
        "本轮调查仍在进行中，结果将在调查结束后公布（调查时间 {window}）。",
        "The survey is still running; results are published after it closes ({window}).",
    ),
    "not_open": (
        "本轮调查尚未开始。",
        "This survey has not started yet.",
    ),
    "not_scored": (
        "本轮调查已结束，结果正在统计中，请稍后再来查看。",
        "The survey has closed; the results are being counted. Please come back later.",
    ),
    "suppressed": (
        "本社区有效答卷少于 {min_n} 份，为保护居民隐私、保证结果可靠，本轮不公布本社区的结果。",
        "Fewer than {min_n} valid answers came from this community: to protect residents and "
        "keep results reliable, this wave's results for the community are not published.",
    ),
}


def _reason(code: str, **values: Any) -> dict[str, str]:
    zh, en = REASONS[code]
    return {"zh": zh.format(**values), "en": en.format(**values)}


def build_public_results(*, session: Session, wave: Wave, community: Community) -> dict[str, Any]:
    """The public page's content (``api.schemas.public.PublicResults``)."""
    labels = labels_for_wave(session=session, wave=wave)
    street = session.get(Street, community.street_id)
    base: dict[str, Any] = {
        "wave": wave.code,
        "community": {
            "code": community.code,
            "name": community.name,
            "street_name": street.name if street is not None else "",
        },
        "published": False,
        "reason": None,
        "reason_text": None,
        "ci_level": None,
        "min_n": None,
        "overall": None,
        "change": None,
        "dimensions": [],
        "needs": [],
        "themes": [],
        "actions": [],
    }
    status = effective_status(wave)
    if status != "closed":
        code = "wave_open" if status == "open" else "not_open"
        out = _unpublished(base, code, _reason(code, window=window_text(wave)))
        out["actions"] = public_actions(session, community, labels)
        return out
    try:
        sc = build_scorecard(session=session, wave=wave, community=community.code, model_name=None)
    except NotFoundError:
        out = _unpublished(base, "not_scored", _reason("not_scored"))
        out["actions"] = public_actions(session, community, labels)
        return out
    closes, computed = as_utc(wave.closes_at), as_utc(sc["computed_at"])
    if closes is not None and computed is not None and computed < closes:
        # A snapshot from before the close (an interim look): the final one is still queued.
        out = _unpublished(base, "not_scored", _reason("not_scored"))
        out["actions"] = public_actions(session, community, labels)
        return out
    if sc["suppressed"]:
        # Only that nothing is published, and why: no n, no needs, no actions.
        return {
            **_unpublished(base, "suppressed", _reason("suppressed", min_n=sc["min_n"])),
            "min_n": sc["min_n"],
        }
    ch = sc["change"]
    label_text = (ch or {}).get("label_text") or {}
    return {
        **base,
        "published": True,
        "ci_level": sc["ci_level"],
        "min_n": sc["min_n"],
        "note": text(sc["note_code"]) if sc["note_code"] else None,
        "overall": {
            "score": sc["overall"]["score"],
            "ci_low": sc["overall"]["ci_low"],
            "ci_high": sc["overall"]["ci_high"],
            "grade": sc["overall"]["grade"],
            # the number the page prints beside the grade: never the next band's (issue 12)
            "score_text": graded_num(
                sc["overall"]["score"], [low for _n, low in sc["grade_bands"] if low is not None]
            ),
        },
        "change": None
        if ch is None
        else {
            "from_wave": ch["from_wave"],
            "delta": ch["delta"],
            "ci_low": ch["ci_low"],
            "ci_high": ch["ci_high"],
            "significant": ch["significant"],
            "label": label_text.get("zh"),
            "label_en": label_text.get("en"),
            "words": {"zh": change_words(ch, "zh"), "en": change_words(ch, "en")},
        },
        "dimensions": [
            {
                "code": d["code"],
                "label": d["label"],
                "score": d["score"],
                "ci_low": d["ci_low"],
                "ci_high": d["ci_high"],
                "change_words": _words(_computed(d.get("change"))),
                "significant": bool((_computed(d.get("change")) or {}).get("significant")),
            }
            for d in sc["dimensions"]
        ],
        "needs": stated_needs(session, wave, community, labels),
        "themes": public_themes(session, wave, community),
        "actions": public_actions(session, community, labels),
    }


def _words(ch: dict[str, Any] | None) -> dict[str, str] | None:
    if ch is None:
        return None
    return {"zh": change_words(ch, "zh"), "en": change_words(ch, "en")}
