"""Applying a district register file to the database: all or nothing, idempotent, audited.

An import compares every street and community of the file with the stored row and writes only
what differs, so importing the same file twice changes nothing (no row, no ``updated_at``, no
audit event). Changed names or figures are written and listed in one ``district.import`` audit
event with the old and new values. Snapshots of earlier waves are never touched: each stores the
population cells it was computed with (``population_cells`` in its results), so a corrected
register changes the next computation, not published figures.

Communities that are in the database but not in the file are retired (``retired_at``): they keep
their responses and history but get no posters. Listing a retired code again brings it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from survey.formats.district_file import CommunityEntry, DistrictFile, Problem
from survey.storage.models import AuditEvent, Community, Street, utcnow

FIELDS = ("name", "street", "housing_type", "population", "margins", "predecessors", "grids")


@dataclass
class DistrictImportReport:
    file: str
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    streets_created: list[str] = field(default_factory=list)
    streets_updated: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    updated: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    unchanged: int = 0
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return bool(
            self.streets_created
            or self.streets_updated
            or self.created
            or self.updated
            or self.retired
            or self.restored
        )

    def lines(self) -> list[str]:
        if self.problems:
            return [
                f"{self.file}: {len(self.problems)} problem(s); nothing was imported",
                *(f"  {p}" for p in self.problems),
                *(f"  note: {n}" for n in self.notes),
            ]
        verb = "would change" if self.dry_run else "changed"
        out = [
            f"{self.file}: {verb}: {len(self.streets_created)} streets created, "
            f"{len(self.streets_updated)} streets updated, {len(self.created)} communities "
            f"created, {len(self.updated)} updated, {len(self.retired)} retired, "
            f"{len(self.restored)} restored, {self.unchanged} unchanged"
        ]
        for code, diff in self.updated.items():
            out.append(
                f"  {code}: " + "; ".join(f"{k} {v[0]!r} → {v[1]!r}" for k, v in diff.items())
            )
        out += [f"  retired: {code}" for code in self.retired]
        out += [f"  note: {n}" for n in self.notes]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "problems": [
                {"row": p.row, "column": p.column, "name": p.name, "message": p.message}
                for p in self.problems
            ],
            "notes": self.notes,
            "streets_created": self.streets_created,
            "streets_updated": self.streets_updated,
            "created": self.created,
            "updated": self.updated,
            "retired": self.retired,
            "restored": self.restored,
            "unchanged": self.unchanged,
        }


def _state(community: Community, street_code: str) -> dict[str, Any]:
    return {
        "name": community.name,
        "street": street_code,
        "housing_type": community.housing_type,
        "population": community.population,
        "margins": {k: float(v) for k, v in (community.margins or {}).items()},
        "predecessors": list(community.predecessors or []),
        "grids": list(community.grids or []),
    }


def _wanted(entry: CommunityEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "street": entry.street_code,
        "housing_type": entry.housing_type,
        "population": entry.population,
        "margins": {k: float(v) for k, v in entry.margins.items()},
        "predecessors": entry.predecessors,
        "grids": entry.grids,
    }


def import_district(
    *, session: Session, parsed: DistrictFile, actor: str, dry_run: bool = False
) -> DistrictImportReport:
    """Check ``parsed`` against the database and, unless ``dry_run`` or a problem was found,
    write it. The caller commits (``session_scope``); nothing is flushed when there are problems.
    """
    report = DistrictImportReport(
        file=parsed.name, dry_run=dry_run, problems=list(parsed.problems), notes=list(parsed.notes)
    )
    if report.problems:
        return report
    streets = {s.code: s for s in session.exec(select(Street)).all()}
    communities = {c.code: c for c in session.exec(select(Community)).all()}
    street_code_of = {s.id: s.code for s in streets.values()}
    in_file = {e.code for e in parsed.entries}
    for entry in parsed.entries:
        for p in entry.predecessors:
            if p["code"] not in in_file and p["code"] not in communities:
                report.problems.append(
                    Problem(
                        entry.row,
                        parsed.where("predecessors"),
                        "predecessors",
                        f"unknown predecessor {p['code']}: not in the file nor in the register",
                    )
                )
    if report.problems:
        return report

    now = utcnow()
    seen_streets: set[str] = set()
    for entry in parsed.entries:
        if entry.street_code in seen_streets:
            continue
        seen_streets.add(entry.street_code)
        street = streets.get(entry.street_code)
        if street is None:
            report.streets_created.append(entry.street_code)
            if not dry_run:
                street = Street(code=entry.street_code, name=entry.street_name, updated_at=now)
                session.add(street)
                streets[entry.street_code] = street
        elif street.name != entry.street_name:
            report.streets_updated[street.code] = {"name": [street.name, entry.street_name]}
            if not dry_run:
                street.name = entry.street_name
                street.updated_at = now
                session.add(street)
    if not dry_run:
        session.flush()

    for entry in parsed.entries:
        wanted = _wanted(entry)
        community = communities.get(entry.code)
        if community is None:
            report.created.append(entry.code)
            if not dry_run:
                session.add(_new_community(entry, streets[entry.street_code], now))
            continue
        before = _state(community, street_code_of.get(community.street_id, ""))
        diff = {k: [before[k], wanted[k]] for k in FIELDS if before[k] != wanted[k]}
        restored = community.retired_at is not None
        if restored:
            report.restored.append(entry.code)
        if diff:
            report.updated[entry.code] = diff
        elif not restored:
            report.unchanged += 1
            continue
        if not dry_run:
            _update(community, entry, streets[entry.street_code], now)
            session.add(community)
    for code, community in sorted(communities.items()):
        if code not in in_file and community.retired_at is None:
            report.retired.append(code)
            if not dry_run:
                community.retired_at = now
                community.updated_at = now
                session.add(community)

    if not dry_run and report.changed:
        session.add(
            AuditEvent(
                actor=actor,
                action="district.import",
                target=parsed.name[:128],
                detail={k: v for k, v in report.to_dict().items() if k not in ("problems",)},
            )
        )
        session.flush()
        report.applied = True
    return report


def _new_community(entry: CommunityEntry, street: Street, now: Any) -> Community:
    return Community(
        code=entry.code,
        name=entry.name,
        street_id=street.id or 0,
        housing_type=entry.housing_type,
        population=entry.population,
        margins=dict(entry.margins),
        predecessors=list(entry.predecessors),
        grids=list(entry.grids),
        updated_at=now,
    )


def _update(community: Community, entry: CommunityEntry, street: Street, now: Any) -> None:
    community.name = entry.name
    community.street_id = street.id or 0
    community.housing_type = entry.housing_type
    community.population = entry.population
    community.margins = dict(entry.margins)
    community.predecessors = list(entry.predecessors)
    community.grids = list(entry.grids)
    community.retired_at = None
    community.updated_at = now


def register_entries(*, session: Session, include_retired: bool = False) -> list[CommunityEntry]:
    """The stored register as file rows (what ``meihao district export`` writes), by code."""
    streets = {s.id: s for s in session.exec(select(Street)).all()}
    out = []
    query = select(Community).order_by(Community.code)
    for number, c in enumerate(session.exec(query).all(), start=2):
        if c.retired_at is not None and not include_retired:
            continue
        street = streets[c.street_id]
        out.append(
            CommunityEntry(
                row=number,
                street_code=street.code,
                street_name=street.name,
                code=c.code,
                name=c.name,
                housing_type=c.housing_type,
                population=c.population,
                margins={k: float(v) for k, v in (c.margins or {}).items()},
                predecessors=list(c.predecessors or []),
                grids=list(c.grids or []),
            )
        )
    return out


def register_cells(*, session: Session, slug: str = "meihao") -> list[str]:
    """The population cells of the newest published version of ``slug`` (age × gender)."""
    from survey.formats.district_file import margin_labels
    from survey.questionnaire_versions import get_version
    from survey.storage.registry import questionnaire_of

    record = get_version(session=session, slug=slug, published_only=True)
    return margin_labels(questionnaire_of(record))


def import_district_file(
    *, session: Session, path: Any, actor: str, dry_run: bool = False, slug: str = "meihao"
) -> DistrictImportReport:
    """Read, check and (unless ``dry_run`` or any problem) apply a district file."""
    from survey.formats.district_file import read_district_file

    parsed = read_district_file(path, register_cells(session=session, slug=slug))
    return import_district(session=session, parsed=parsed, actor=actor, dry_run=dry_run)
