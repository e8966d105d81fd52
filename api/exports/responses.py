"""De-identified response data of one wave, one row per response (RELIABILITY.md, Privacy).

What is left out or coarsened, and why:

- no client id, database id, IP or exact time: ``rid`` is a keyed hash of the response id
  (stable across exports of one deployment, so files can be joined, but not reversible), the
  submission time is cut to the day (China time), and rows are ordered by community and answer
  hash, not by arrival, so the order does not reveal who answered when;
- no free text (P2 and other ``text`` items) unless a researcher asks with ``include_text``;
- the grid (网格/小区) only where at least ``MIN_GRID_RESPONDENTS`` of the community's
  respondents named the same grid, so a small grid cannot single a resident out.

Rows are read with one streaming query (``yield_per``), so memory stays flat for any wave size.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select  # sqlmodel's select is typed for ≤ 4 columns
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.questionnaire.model import Questionnaire
from survey.storage.models import Community, Response, Street, Wave

MIN_GRID_RESPONDENTS = 10
GRID_CODE = "grid"
CHINA_TZ = timezone(timedelta(hours=8))  # no daylight saving: a fixed offset is exact
STREAM_BATCH = 2000


@dataclass
class Column:
    """One exported variable: its name (the same in CSV, XLSX and SPSS) and what it means."""

    name: str
    label_zh: str
    label_en: str
    type: str  # string | integer | number | choice | flag
    code: str = ""  # the questionnaire item, "" for the fixed columns
    option: str = ""  # for a multi-choice indicator column: the option's value
    # (value, zh, en): the answers a choice or scale takes, in questionnaire order
    values: list[tuple[Any, str, str]] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)  # user-missing codes (9 = 不了解/不适用)
    # A reverse-keyed item: the export holds the answer as given; the index scores it
    # reversed (points + 1 − answer), which the codebook and the SPSS labels say.
    reverse: bool = False

    @property
    def label_marked(self) -> str:
        """The Chinese label, led by the reverse-keyed mark when it is one (in front, so
        SPSS's 255-byte cut of a long label never drops it)."""
        return f"{REVERSE_MARK} {self.label_zh}" if self.reverse else self.label_zh


REVERSE_MARK = "[反向题 reverse-keyed]"

FIXED_COLUMNS = [
    Column("rid", "答卷编号（匿名）", "response id (pseudonymous)", "string"),
    Column("wave", "调查轮次", "survey wave", "string"),
    Column("street", "街道代码", "street code", "string"),
    Column("community", "社区代码", "community code", "string"),
    Column("submitted_date", "提交日期", "submission date (China time, day only)", "string"),
    Column("duration_s", "答题用时（秒）", "time to complete (seconds)", "integer"),
    Column("channel", "提交渠道", "channel (web, api, paper, synthetic)", "string"),
    Column("quality_flags", "质量标记", "quality flags (; separated)", "string"),
]


def variable_name(code: str) -> str:
    """A name valid in SPSS, Stata and pandas alike: letters, digits, ``_`` and inner dots."""
    name = re.sub(r"[^A-Za-z0-9_.]", "_", code).rstrip(".")
    if not name or not name[0].isalpha():
        name = "v" + name
    return name[:64]


def response_columns(questionnaire: Questionnaire, *, include_text: bool) -> list[Column]:
    columns = list(FIXED_COLUMNS)
    for item in questionnaire.items:
        zh, en = item.label.zh, item.label.en or ""
        name = variable_name(item.code)
        if item.kind == "likert":
            scale = questionnaire.item_scale(item.code)
            values: list[tuple[Any, str, str]] = [
                (p.value, p.label.zh, p.label.en or "") for p in scale.points
            ]
            missing = []
            if scale.na_code is not None:
                na = scale.na_label
                values.append(
                    (
                        scale.na_code,
                        na.zh if na else "不了解/不适用",
                        (na.en or "") if na else "don't know / not applicable",
                    )
                )
                missing = [scale.na_code]
            columns.append(
                Column(
                    name,
                    zh,
                    en,
                    "integer",
                    item.code,
                    values=values,
                    missing=missing,
                    reverse=item.reverse,
                )
            )
        elif item.kind == "rating":
            values = [
                (item.low, item.low_label.zh, item.low_label.en or ""),
                (item.high, item.high_label.zh, item.high_label.en or ""),
            ]
            columns.append(Column(name, zh, en, "integer", item.code, values=values))
        elif item.kind == "single_choice":
            values = [(o.value, o.label.zh, o.label.en or "") for o in item.options]
            columns.append(Column(name, zh, en, "choice", item.code, values=values))
        elif item.kind == "multi_choice":
            for o in item.options:
                columns.append(
                    Column(
                        variable_name(f"{item.code}_{o.value}"),
                        f"{zh}:{o.label.zh}",
                        f"{en}: {o.label.en or o.value}",
                        "flag",
                        item.code,
                        option=o.value,
                        values=[(1, "选中", "chosen"), (0, "未选", "not chosen")],
                    )
                )
        elif item.kind == "numeric":
            kind = "integer" if item.integer else "number"
            columns.append(Column(name, zh, en, kind, item.code))
        elif item.kind == "text" and (include_text or item.code == GRID_CODE):
            columns.append(Column(name, zh, en, "string", item.code))
    return columns


def pseudonym(secret: str, wave: str, response_id: int) -> str:
    digest = hmac.new(secret.encode(), f"{wave}:{response_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:12]


def common_grids(session: Session, wave_id: int) -> dict[int, set[str]]:
    """Per community id, the grids named by at least MIN_GRID_RESPONDENTS respondents."""
    grid = col(Response.answers)[GRID_CODE].as_string()
    rows = session.exec(
        select(Response.community_id, grid, func.count())
        .where(Response.wave_id == wave_id)
        .group_by(col(Response.community_id), grid)
    ).all()
    shown: dict[int, set[str]] = {}
    for community_id, grid_name, n in rows:
        if grid_name and n >= MIN_GRID_RESPONDENTS:
            shown.setdefault(community_id, set()).add(grid_name)
    return shown


def _cell(column: Column, answers: dict[str, Any], shown_grids: set[str]) -> Any:
    value = answers.get(column.code)
    if column.type == "flag":
        if value is None:
            return None  # not asked (skip logic) is not the same as "not chosen"
        return 1 if column.option in value else 0
    if value is None:
        return None
    if column.code == GRID_CODE:
        return value if value in shown_grids else None
    return value


def response_rows(
    engine: Engine,
    *,
    wave: Wave,
    columns: list[Column],
    secret: str,
    skip_ids: set[int] | None = None,
) -> Iterator[list[Any]]:
    """The de-identified rows, streamed from the database in batches (without ``skip_ids``)."""
    assert wave.id is not None
    with Session(engine) as session:
        grids = common_grids(session, wave.id)
        places = {
            cid: (ccode, scode)
            for cid, ccode, scode in session.exec(
                select(Community.id, Community.code, Street.code).join(
                    Street, col(Community.street_id) == Street.id
                )
            ).all()
        }
        stmt = (
            sa_select(
                col(Response.id),
                col(Response.community_id),
                col(Response.submitted_at),
                col(Response.duration_s),
                col(Response.channel),
                col(Response.quality_flags),
                col(Response.answers),
            )
            .where(col(Response.wave_id) == wave.id)
            .order_by(col(Response.community_id), col(Response.payload_hash), col(Response.id))
            .execution_options(yield_per=STREAM_BATCH)
        )
        item_columns = columns[len(FIXED_COLUMNS) :]
        for rid, cid, submitted, duration, channel, flags, answers in session.execute(stmt):
            if skip_ids and rid in skip_ids:
                continue
            community, street = places.get(cid, ("", ""))
            shown = grids.get(cid, set())
            yield [
                pseudonym(secret, wave.code, rid),
                wave.code,
                street,
                community,
                submitted.astimezone(CHINA_TZ).date().isoformat(),
                None if duration is None else round(duration),
                channel,
                ";".join(flags or []),
                *(_cell(c, answers or {}, shown) for c in item_columns),
            ]
