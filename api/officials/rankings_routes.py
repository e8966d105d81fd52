"""Ranked results of a wave, read from the stored snapshot."""

from __future__ import annotations

import gzip
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionDep, SettingsDep, WaveDep
from api.schemas.jobs import JobInfo, job_info
from api.schemas.officials import Change
from api.services.jobs import enqueue, schedule
from api.services.rankings import ranking_rows
from api.services.snapshot_store import wave_results
from api.services.street_level import AGGREGATION_METHOD, aggregates, street_rows
from api.services.trends import latest_changes
from api.services.weight_models import load_weight_model
from api.web.auth import CurrentUser, ResearchUser
from api.web.http_cache import conditional_json, etag_of
from api.web.messages import text
from api.web.permissions import Scope, allowed_streets

router = APIRouter(prefix="/api/v1/waves", tags=["rankings"])


class RankingRow(BaseModel):
    community: str
    name: str
    street: str | None
    street_name: str | None
    housing_type: str | None
    n: int | None
    population: int | None = Field(
        default=None, description="adults in the register (the weight in street figures)"
    )
    rank: int | None = Field(description="rank with ties ('min'); null when suppressed")
    rank_low: float | None
    rank_high: float | None
    score: float | None = Field(description="overall index, 0–100")
    ci_low: float | None
    ci_high: float | None
    grade: str | None
    suppressed: bool
    suppression_reason: str | None = Field(description="why suppressed, in Chinese")
    suppression_reason_code: str | None = Field(
        default=None, description="the reason as a code: insufficient_sample, no_score"
    )
    note_code: str | None = Field(default=None, description="small_sample below flag_n")
    note: str | None = Field(
        default=None,
        description="the note in Chinese, as the scorecard shows it: 样本较少，仅供参考 for a "
        "published community with fewer than flag_n (100) valid responses; null otherwise",
    )
    dimensions: dict[str, float | None]
    rank_set_low: int | None = Field(
        default=None,
        description="joint 90 % rank confidence set (Holm over all pairs): with probability "
        "≥ 0.9 every community's true rank lies in its set at once",
    )
    rank_set_high: int | None = None
    tier: int | None = Field(
        default=None, description="group of communities that cannot be told apart (1 = top)"
    )
    estimator: str = Field(
        default="direct",
        description="what produced rank, rank interval and rank sets: direct or fay_herriot "
        "(the weight model's estimator; the score stays the direct estimate)",
    )
    fh_estimate: float | None = Field(
        default=None, description="Fay–Herriot EBLUP of the index (null: not estimated)"
    )
    fh_ci_low: float | None = None
    fh_ci_high: float | None = None
    tier_members: int | None = Field(default=None, description="communities in the tier")
    tier_rank_low: int | None = Field(
        default=None, description="best point rank in the tier: 与第 low–high 名无显著差别"
    )
    tier_rank_high: int | None = Field(default=None, description="worst point rank in the tier")
    grade_prob: dict[str, float] | None = Field(
        default=None,
        description="P(grade) per band: the share of the bootstrap replicates of the index in "
        "each band; null without a bootstrap or when suppressed",
    )
    grade_p: float | None = Field(
        default=None, description="P(grade of the point estimate), from grade_prob"
    )
    borderline: bool | None = Field(
        default=None,
        description="临界: the interval's ends have different grades (null without a bootstrap)",
    )
    change: Change | None = Field(
        default=None, description="since the previous wave (the trend report's label)"
    )


class StreetRankingRow(BaseModel):
    street: str
    street_name: str
    communities: int = Field(description="communities in the street")
    communities_published: int = Field(description="communities averaged (not suppressed)")
    n: int = Field(description="valid responses in the street")
    n_published: int = Field(description="valid responses of the averaged communities")
    rank: int | None = Field(description="rank among streets ('min' ties)")
    rank_low: int | None = Field(description="5–95% rank interval (normal approximation)")
    rank_high: int | None
    score: float | None = Field(
        description="resident-weighted mean of the published communities (Σ N_c ȳ_c / Σ N_c)"
    )
    ci_low: float | None
    ci_high: float | None
    grade: str | None
    suppressed: bool
    suppression_reason: str | None
    suppression_reason_code: str | None = None
    dimensions: dict[str, float | None]
    weighting: str = Field(
        default="residents",
        description="residents (the register's adults) or responses (populations unknown)",
    )
    population: int | None = Field(default=None, description="residents averaged over")
    population_total: int | None = Field(default=None, description="residents of the street")
    population_covered: float | None = Field(
        default=None, description="share of the street's residents in published communities"
    )
    change: Change | None = Field(
        default=None, description="since the previous wave (the trend report's label)"
    )


class Rankings(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "wave": "2026Q2",
                    "model": "equal",
                    "model_version": 1,
                    "computed_at": "2026-05-01T08:00:00Z",
                    "preset": "ptm",
                    "level": "street",
                    "n_ranked": 11,
                    "communities": [],
                    "streets": [
                        {
                            "street": "CH02",
                            "street_name": "双桥子街道",
                            "communities": 5,
                            "communities_published": 5,
                            "n": 297,
                            "n_published": 297,
                            "rank": 3,
                            "rank_low": 2,
                            "rank_high": 5,
                            "score": 68.6,
                            "ci_low": 67.1,
                            "ci_high": 70.0,
                            "grade": "中",
                            "suppressed": False,
                            "suppression_reason": None,
                            "dimensions": {"D1": 74.5},
                        }
                    ],
                }
            ]
        }
    )

    wave: str
    model: str
    model_version: int
    computed_at: datetime
    preset: str | None
    level: Literal["community", "street"] = "community"
    n_ranked: int | None = Field(default=None, description="共 N: ranked communities/streets")
    method: dict[str, str] | None = Field(
        default=None, description="how street figures are aggregated (level=street)"
    )
    communities: list[RankingRow] = Field(
        description="level=community: the ranked communities in your scope; empty for level=street"
    )
    streets: list[StreetRankingRow] = Field(
        default_factory=list,
        description="level=street: the streets (aggregated, named) in your scope; empty for "
        "level=community, the default — ask with ?level=street",
    )
    exclusions: dict[str, Any] | None = Field(
        default=None,
        description="n_received, n_excluded, excluded_by_rule, n_scored and the wave's policy "
        "(docs/methods.md §10); null for snapshots made before policies were stored",
    )


@router.get("/{wave}/rankings", response_model=Rankings, responses={422: {}})
def get_rankings(
    request: Request,
    user: CurrentUser,
    wave: WaveDep,
    session: SessionDep,
    model: str | None = Query(default=None, description="weight model (default: the wave's)"),
    street: str | None = Query(default=None, description="only this street's communities"),
    housing_type: str | None = Query(default=None),
    level: Literal["community", "street"] = Query(
        default="community", description="rank communities, or streets (aggregated)"
    ),
) -> Any:
    """Ranked communities (or streets) from the stored snapshot.

    The JSON is built once per snapshot, filter and scope and then served from memory: a
    snapshot never changes, and at city scale building 3,000 rows on every read would cost
    far more than the request itself (PERFORMANCE.md P7).
    """
    if level == "street" and housing_type is not None:
        raise HTTPException(status_code=422, detail="housing_type applies to level=community")
    view = wave_results(session=session, wave=wave, model_name=model)
    scope = Scope.of(user)
    streets = allowed_streets(user, session) if level == "street" else None
    pair = latest_changes(session=session, wave=wave, view=view)
    key = f"rankings|{level}|{street}|{housing_type}|{scope.level}:{scope.code}|{pair.key}"

    def build() -> bytes:
        payload: dict[str, Any] = {
            "wave": wave.code,
            "model": view.ref.model_name,
            "model_version": view.ref.model_version,
            "computed_at": view.ref.computed_at,
            "preset": view.provenance.preset,
            "level": level,
            "communities": [],
            "exclusions": view.exclusions,
        }
        if level == "street":
            rows = street_rows(view, allowed=streets)
            if street is not None:
                rows = [r for r in rows if r["street"] == street]
            for r in rows:
                r["change"] = pair.street(r["street"])
            payload.update(
                streets=rows,
                n_ranked=sum(a["rank"] is not None for a in aggregates(view)["streets"].values()),
                method=AGGREGATION_METHOD,
            )
        else:
            # Ranks stay district ranks (第 k 名 / 共 N): the scope hides other communities'
            # rows, not the fact that the rank is among all of the district's communities.
            payload["communities"] = [
                {**row, "note": text(row.get("note_code"))}
                for row in scope.filter_rows(
                    ranking_rows(view, street=street, housing_type=housing_type, changes=pair)
                )
            ]
            payload["n_ranked"] = view.n_ranked
        return Rankings.model_validate(payload).model_dump_json().encode()

    body: bytes = view.memo(key, build)
    # Read-only: end the transaction here, so that closing the session costs no further
    # thread-pool hop (api/deps.py closes an idle session inline; PERFORMANCE.md P7).
    session.close()
    headers = {"Vary": "Accept-Encoding"}
    etag: str = view.memo(key + "|etag", lambda: etag_of(body))
    if "gzip" in request.headers.get("accept-encoding", ""):
        # Compressed once per snapshot too: a city's ranking is ~2 MB of JSON, ~10× smaller
        # gzipped, and sending it dominates the cost of the read.
        body = view.memo(key + "|gzip", lambda: gzip.compress(body, compresslevel=6, mtime=0))
        headers["Content-Encoding"] = "gzip"
        etag = etag[:-1] + '-gzip"'
    return conditional_json(request, body, etag=etag, headers=headers)


@router.post(
    "/{wave}/snapshots",
    response_model=JobInfo,
    status_code=202,
    responses={202: {"description": "queued; poll the job's url until status is done"}},
)
def create_snapshot(
    user: ResearchUser,
    wave: WaveDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    tasks: BackgroundTasks,
    model: str | None = Query(default=None),
) -> Any:
    """Queue a recomputation of the wave's index with a weight model (an explicit, audited
    action); the answer points at the job, whose ``snapshot_id`` appears when it is done."""
    if model is not None:
        load_weight_model(session=session, name=model)  # an unknown model is a 404 now, not later
    job = enqueue(
        session=session,
        kind="snapshot",
        wave=wave,
        model_name=model,
        bootstrap=settings.bootstrap_replicates,
        actor=user.username,
    )
    session.commit()
    schedule(
        job,
        session=session,
        in_process=settings.runs_jobs_in_process,
        tasks=tasks,
        lease_s=settings.job_lease_seconds,
    )
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job_info(job, wave.code)
