"""Downloads: rankings and scorecards (any staff user, within their scope) and de-identified
response data with its codebook (researchers and admins)."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response

from api.deps import SessionDep, SettingsDep, WaveDep
from api.exports.about import data_about, results_about
from api.exports.cells import Table, csv_response, file_response, temp_path, xlsx_response
from api.exports.codebook import codebook_table
from api.exports.rankings_sav import rankings_sav_columns
from api.exports.responses import response_columns, response_rows
from api.exports.results import (
    dimension_labels,
    exclusions_table,
    rankings_table,
    scorecards_table,
)
from api.exports.spss import TooManyRows, write_sav
from api.services.rankings import ranking_rows
from api.services.snapshot_store import wave_results
from api.services.snapshots import excluded_response_ids
from api.services.trends import latest_changes
from api.web.auth import CurrentUser, ResearchUser
from api.web.permissions import Scope, ensure_community
from survey.storage.models import AuditEvent, User
from survey.storage.registry import questionnaire_for_wave

router = APIRouter(prefix="/api/v1/waves/{wave}/exports", tags=["exports"])


class TableFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class DataFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    sav = "sav"


ModelQuery = Annotated[
    str | None, Query(max_length=64, description="weight model (default: the wave's)")
]


def _table_response(
    table: Table, filename: str, fmt: TableFormat, *extra_sheets: Table, about: Table | None = None
) -> Response:
    """CSV: the one table; XLSX: the table, then ``extra_sheets``, then the About sheet (last:
    the data stays the first sheet, which scripts read)."""
    if fmt is TableFormat.csv:
        return csv_response(f"{filename}.csv", table)
    return xlsx_response(
        f"{filename}.xlsx", [table, *extra_sheets] + ([] if about is None else [about])
    )


def _scope_text(user: User) -> str:
    scope = Scope.of(user)
    return "全区 district" if scope.is_district else f"{scope.level} {scope.code}"


@router.get(
    "/rankings.{fmt}", response_class=Response, responses={200: {"content": {"text/csv": {}}}}
)
def export_rankings(
    user: CurrentUser,
    wave: WaveDep,
    fmt: DataFormat,
    session: SessionDep,
    model: ModelQuery = None,
) -> Response:
    """The wave's ranking as in ``GET .../rankings``, limited to your scope, with the same
    change labels, rank sets, tiers and grade probabilities."""
    view = wave_results(session=session, wave=wave, model_name=model)
    pair = latest_changes(session=session, wave=wave, view=view)
    rows = Scope.of(user).filter_rows(ranking_rows(view, changes=pair))
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    counts = {code: meta.exclusions for code, meta in view.meta.items()}
    table = rankings_table(
        rows, list(view.dimension_codes), dimension_labels(questionnaire), counts
    )
    name = f"meihao-{wave.code}-rankings-{view.ref.model_name}"
    if fmt is DataFormat.sav:  # one row per community: far below SAV_MAX_ROWS
        columns = rankings_sav_columns(list(view.dimension_codes), dimension_labels(questionnaire))
        path = temp_path(".sav")
        try:
            cells = (list(row) for row in table.rows)
            write_sav(path, columns, cells, file_label=f"meihao {wave.code} rankings")
        except BaseException:
            os.unlink(path)
            raise
        return file_response(path, f"{name}.sav", "application/x-spss-sav")
    about = results_about(view, what="社区排名 community ranking", scope=_scope_text(user))
    return _table_response(
        table,
        name,
        TableFormat(fmt.value),
        exclusions_table(view.exclusions),
        about=about,
    )


@router.get("/scorecards.{fmt}", response_class=Response)
def export_scorecards(
    user: CurrentUser,
    wave: WaveDep,
    fmt: TableFormat,
    session: SessionDep,
    model: ModelQuery = None,
    community: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """Every indicator of every community in your scope (or of one ``community``)."""
    view = wave_results(session=session, wave=wave, model_name=model)
    streets = view.streets()
    scope = Scope.of(user)
    if community is not None:
        if community not in streets:
            raise HTTPException(status_code=404, detail=f"no community with code {community!r}")
        ensure_community(user, community, streets[community])
        wanted = {community}
    else:
        wanted = {code for code, street in streets.items() if scope.allows_community(code, street)}
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    pair = latest_changes(session=session, wave=wave, view=view)
    table = scorecards_table(view, questionnaire, wanted, pair)
    suffix = f"-{community}" if community else ""
    about = results_about(
        view,
        what="社区评价报告指标 scorecard indicators",
        scope=community or _scope_text(user),
    )
    return _table_response(
        table,
        f"meihao-{wave.code}-scorecards{suffix}-{view.ref.model_name}",
        fmt,
        exclusions_table(view.exclusions),
        about=about,
    )


@router.get("/responses.{fmt}", response_class=Response)
def export_responses(
    user: ResearchUser,
    request: Request,
    wave: WaveDep,
    fmt: DataFormat,
    session: SessionDep,
    settings: SettingsDep,
    include_text: Annotated[bool, Query(description="free-text answers (researchers)")] = False,
    flagged: Annotated[
        Literal["include", "exclude"],
        Query(description="rows the wave's exclusion policy leaves out of the index"),
    ] = "include",
) -> Response:
    """De-identified answers, one row per response (see docs/access.md); ``flagged=exclude``
    leaves out the rows the snapshots exclude (docs/methods.md §10).

    CSV streams while the rows are read; XLSX and SPSS are written to a temporary file first
    (in the worker thread this sync route runs in) and deleted once sent.
    """
    if include_text and user.role != "researcher":
        raise HTTPException(
            status_code=403,
            detail="仅研究人员可导出开放题文本 / only researchers may export free-text answers",
        )
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    columns = response_columns(questionnaire, include_text=include_text)
    skip = excluded_response_ids(session=session, wave=wave) if flagged == "exclude" else None
    rows = response_rows(
        request.app.state.engine,
        wave=wave,
        columns=columns,
        secret=settings.secret_key,
        skip_ids=skip,
    )
    name = f"meihao-{wave.code}-responses{'-text' if include_text else ''}"
    header = [c.name for c in columns]
    if fmt is DataFormat.csv:
        response: Response = csv_response(f"{name}.csv", Table("responses", header, rows))
    elif fmt is DataFormat.xlsx:
        about = data_about(
            wave.code,
            what="去标识化答卷 de-identified responses",
            entries=[
                ("开放题文本 free text", "包含 included" if include_text else "不含 left out"),
                ("质量标记行 flagged rows", flagged),
                ("变量说明 codebook", f"/api/v1/waves/{wave.code}/exports/codebook.xlsx"),
            ],
        )
        response = xlsx_response(f"{name}.xlsx", [Table("答卷 responses", header, rows), about])
    else:
        path = temp_path(".sav")
        try:
            write_sav(path, columns, rows, file_label=f"meihao {wave.code} responses")
        except BaseException as exc:
            os.unlink(path)
            if isinstance(exc, TooManyRows):
                raise HTTPException(status_code=422, detail=str(exc)) from None
            raise
        response = file_response(path, f"{name}.sav", "application/x-spss-sav")
    session.add(
        AuditEvent(
            actor=user.username,
            action="export_responses",
            target=wave.code,
            detail={"format": fmt.value, "include_text": include_text, "flagged": flagged},
        )
    )
    session.commit()
    return response


@router.get("/codebook.{fmt}", response_class=Response)
def export_codebook(
    user: ResearchUser,
    wave: WaveDep,
    fmt: TableFormat,
    session: SessionDep,
    include_text: bool = False,
) -> Response:
    """What each column of the response export means (labels, types, values, SPSS codes)."""
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    table = codebook_table(response_columns(questionnaire, include_text=include_text))
    about = data_about(
        wave.code,
        what="答卷导出的变量说明 codebook of the response export",
        entries=[("反向题 reverse-keyed", "“反向计分”一列标出 marked in the reverse-keyed column")],
    )
    return _table_response(table, f"meihao-{wave.code}-codebook", fmt, about)
