"""The residents' notice with the organiser filled in, and what is still a placeholder.

The shipped questionnaire's notice ends with "如有疑问，请联系：[联系人及电话]": a bracketed
placeholder the deployment fills with MEIHAO_ORGANISER_NAME and MEIHAO_ORGANISER_CONTACT. Any
other bracketed text left in a notice is a placeholder too; ``meihao check`` lists them and
``meihao serve`` refuses to start while residents would see one.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from api.settings import Settings
from survey.questionnaire.model import Questionnaire
from survey.storage.models import QuestionnaireRecord, Wave
from survey.storage.registry import questionnaire_of

PLACEHOLDER = re.compile(r"\[[^\]\n]{1,40}\]|［[^］\n]{1,40}］")
CONTACT_PLACEHOLDERS = ("[联系人及电话]", "[contact name and phone]")


def organiser_line(settings: Settings, lang: str) -> str | None:
    name, contact = settings.organiser_name.strip(), settings.organiser_contact.strip()
    if not name or not contact:
        return None
    return f"{name}（{contact}）" if lang == "zh" else f"{name} ({contact})"


def fill_notice(text: str, settings: Settings, lang: str) -> str:
    line = organiser_line(settings, lang)
    if line is None:
        return text
    for placeholder in CONTACT_PLACEHOLDERS:
        text = text.replace(placeholder, line)
    return text


def notice_text(q: Questionnaire, settings: Settings, lang: str) -> str:
    shown = "en" if lang == "en" and q.notice.en else "zh"
    return fill_notice(q.notice.get(shown), settings, shown)


def placeholders_left(*, session: Session, settings: Settings) -> list[str]:
    """'slug vN (lang): [placeholder]' for every placeholder a resident could still see: in the
    questionnaires of waves that are not closed, and in the newest published versions."""
    records = {
        r.id: r
        for r in session.exec(
            select(QuestionnaireRecord).where(QuestionnaireRecord.published)
        ).all()
    }
    live = {w.questionnaire_id for w in session.exec(select(Wave).where(Wave.status != "closed"))}
    newest: dict[str, QuestionnaireRecord] = {}
    for r in records.values():
        if r.slug not in newest or r.version > newest[r.slug].version:
            newest[r.slug] = r
    wanted = {i for i in live if i in records} | {r.id for r in newest.values()}
    out = []
    for record_id in sorted(i for i in wanted if i is not None):
        record = records[record_id]
        q = questionnaire_of(record)
        for lang in ("zh", "en"):
            text = q.notice.get(lang)
            for found in PLACEHOLDER.findall(fill_notice(text, settings, lang)):
                out.append(f"{record.slug} v{record.version} ({lang}): {found}")
    return out
