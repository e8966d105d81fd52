from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, str]:
    """Liveness and database reachability; also the trivial endpoint benchmarks compare with."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return {"status": "ok"}


@router.get("/api/v1/ping")
def ping() -> dict[str, str]:
    """The trivial JSON endpoint (no database) that P5/P7 measure throughput against."""
    return {"status": "ok"}
