"""Questionnaire versions: import as a draft, compare, publish (immutable from then on).

A version is a draft until published; only published versions can run a wave, and a published
definition never changes (``store_questionnaire`` refuses). Publishing a definition identical to
an already published version of the same slug is refused, naming that version: two version
numbers for one questionnaire would split trends for nothing. "Identical" compares the content
without the version number (``content_hash``).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from survey.errors import ConflictError, ImmutableError, NotFoundError, QuestionnaireDefinitionError
from survey.questionnaire.model import LikertItem, Questionnaire
from survey.storage.models import AuditEvent, QuestionnaireRecord, utcnow
from survey.storage.registry import questionnaire_of


def content_hash(q: Questionnaire) -> str:
    data = q.model_dump(mode="json", exclude_defaults=True)
    data.pop("version", None)
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def list_versions(*, session: Session, slug: str | None = None) -> list[QuestionnaireRecord]:
    query = select(QuestionnaireRecord)
    if slug is not None:
        query = query.where(QuestionnaireRecord.slug == slug)
    return list(
        session.exec(
            query.order_by(col(QuestionnaireRecord.slug), col(QuestionnaireRecord.version))
        ).all()
    )


def get_version(
    *, session: Session, slug: str, version: int | None = None, published_only: bool = False
) -> QuestionnaireRecord:
    """Version ``version`` of ``slug``; without it the newest published one (or the newest)."""
    query = select(QuestionnaireRecord).where(QuestionnaireRecord.slug == slug)
    if version is not None:
        query = query.where(QuestionnaireRecord.version == version)
    rows = list(session.exec(query.order_by(col(QuestionnaireRecord.version).desc())).all())
    if version is None:
        published = [r for r in rows if r.published]
        rows = published or ([] if published_only else rows)
    if not rows:
        what = f"{slug} v{version}" if version is not None else slug
        raise NotFoundError(f"no questionnaire {what}")
    record = rows[0]
    if published_only and not record.published:
        raise ConflictError(
            f"questionnaire {slug} v{record.version} is a draft; publish it first "
            f"(meihao questionnaire publish {slug} --version {record.version})"
        )
    return record


def parse_spec(spec: str) -> tuple[str, int | None]:
    """``"meihao@2"`` → ("meihao", 2); ``"meihao"`` → ("meihao", None)."""
    slug, _, version = spec.partition("@")
    if not version:
        return slug, None
    try:
        return slug, int(version.lstrip("v"))
    except ValueError:
        raise QuestionnaireDefinitionError(
            f"{spec!r}: write the questionnaire as SLUG or SLUG@VERSION"
        ) from None


def check_with_pyxform(q: Questionnaire) -> None:
    """Convert the XLSForm export with pyxform: what ODK/Kobo would refuse is refused here."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    from survey.formats.xlsform import export_xlsform

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{q.slug}.xlsx"
        path.write_bytes(export_xlsform(q))
        try:
            convert(xlsform=str(path), warnings=[])
        except PyXFormError as exc:
            raise QuestionnaireDefinitionError(
                f"pyxform refuses the questionnaire: {exc}"
            ) from None


def read_definition_file(path: Path, *, slug: str | None = None) -> Questionnaire:
    """An XLSForm (.xlsx) or JSON questionnaire file, validated (structure and pyxform)."""
    from survey.formats.xlsform import import_xlsform

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuestionnaireDefinitionError(f"cannot read {path}: {exc}") from None
    if path.suffix.lower() == ".xlsx":
        q = import_xlsform(data)
    elif path.suffix.lower() == ".json":
        try:
            q = Questionnaire.model_validate(json.loads(data.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise QuestionnaireDefinitionError(f"{path.name}: not a JSON file ({exc})") from None
    else:
        raise QuestionnaireDefinitionError(f"{path.name}: a questionnaire is .xlsx or .json")
    if slug is not None and slug != q.slug:
        q = Questionnaire.model_validate({**q.model_dump(mode="json"), "slug": slug})
    check_with_pyxform(q)
    return q


def import_draft(
    *, session: Session, questionnaire: Questionnaire, actor: str
) -> QuestionnaireRecord:
    """Store ``questionnaire`` as the next version of its slug, a draft."""
    newest = session.exec(
        select(func.max(QuestionnaireRecord.version)).where(
            QuestionnaireRecord.slug == questionnaire.slug
        )
    ).one()
    version = int(newest or 0) + 1
    q = Questionnaire.model_validate({**questionnaire.model_dump(mode="json"), "version": version})
    record = QuestionnaireRecord(
        slug=q.slug,
        version=version,
        definition=q.model_dump(mode="json"),
        definition_hash=q.definition_hash(),
        published=False,
    )
    session.add(record)
    session.add(
        AuditEvent(
            actor=actor,
            action="questionnaire.import",
            target=f"{q.slug}@{version}",
            detail={"definition_hash": record.definition_hash},
        )
    )
    session.flush()
    return record


def publish(*, session: Session, slug: str, version: int, actor: str) -> QuestionnaireRecord:
    record = get_version(session=session, slug=slug, version=version)
    if record.published:
        raise ImmutableError(f"questionnaire {slug} v{version} is already published")
    mine = content_hash(questionnaire_of(record))
    for other in list_versions(session=session, slug=slug):
        if other.published and content_hash(questionnaire_of(other)) == mine:
            raise ConflictError(
                f"questionnaire {slug} v{version} is identical to the published v{other.version}; "
                f"run the wave with {slug}@{other.version}"
            )
    record.published = True
    record.published_at = utcnow()
    session.add(record)
    session.add(
        AuditEvent(
            actor=actor,
            action="questionnaire.publish",
            target=f"{slug}@{version}",
            detail={"definition_hash": record.definition_hash},
        )
    )
    session.flush()
    return record


def diff(old: Questionnaire, new: Questionnaire) -> dict[str, list[dict[str, Any]]]:
    """Items added, removed, re-worded (label changed), re-keyed (reverse scoring or scale
    changed) and moved between sub-dimensions, between two versions."""
    before = {i.code: i for i in old.items}
    after = {i.code: i for i in new.items}
    out: dict[str, list[dict[str, Any]]] = {
        "added": [],
        "removed": [],
        "reworded": [],
        "rekeyed": [],
        "moved": [],
    }
    for code, item in after.items():
        if code not in before:
            out["added"].append({"code": code, "label": item.label.model_dump(exclude_none=True)})
    for code, item in before.items():
        if code not in after:
            out["removed"].append({"code": code, "label": item.label.model_dump(exclude_none=True)})
            continue
        other = after[code]
        if item.label != other.label:
            out["reworded"].append(
                {
                    "code": code,
                    "old": item.label.model_dump(exclude_none=True),
                    "new": other.label.model_dump(exclude_none=True),
                }
            )
        if isinstance(item, LikertItem) and isinstance(other, LikertItem):
            if item.reverse != other.reverse or item.scale != other.scale:
                out["rekeyed"].append(
                    {
                        "code": code,
                        "old": {"reverse": item.reverse, "scale": item.scale},
                        "new": {"reverse": other.reverse, "scale": other.scale},
                    }
                )
            if item.subdimension != other.subdimension:
                out["moved"].append(
                    {"code": code, "old": item.subdimension, "new": other.subdimension}
                )
        elif item.kind != other.kind:
            out["rekeyed"].append(
                {"code": code, "old": {"kind": item.kind}, "new": {"kind": other.kind}}
            )
    return out


def diff_lines(result: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = []
    for kind, entries in result.items():
        for e in entries:
            if kind in ("added", "removed"):
                lines.append(f"{kind:9} {e['code']}: {e['label'].get('zh', '')}")
            else:
                lines.append(f"{kind:9} {e['code']}: {e['old']} → {e['new']}")
    return lines or ["no item differs"]
