"""The P5 floor: the real app (every middleware, the same settings) plus two do-nothing POST
routes that take the submission's body, served as ``meihao serve`` serves one worker.

``python -m bench._floor_app --port N``. The routes show what a submission would cost if its
own work were free: ``/bench/floor-async`` parses and validates the body (an ``async def``,
like the submit route), ``/bench/floor-sync`` also opens a session and takes one thread-pool
hop (the shape of the submit route before issue 15's fast path). Bench-only: the app the
product serves never has these routes.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import Request

from api.app import create_app
from api.deps import SessionDep
from api.residents.responses_routes import ResponseCreate
from api.web.access_log import log_config


def app() -> Any:
    application = create_app()

    @application.post("/bench/floor-async", status_code=201)
    async def floor_async(body: ResponseCreate, request: Request) -> dict[str, str]:
        return {"client_id": body.client_id, "status": "created"}

    @application.post("/bench/floor-sync", status_code=201)
    def floor_sync(body: ResponseCreate, session: SessionDep) -> dict[str, str]:
        session.connection()  # a connection, as a submission's first read takes one
        return {"client_id": body.client_id, "status": "created"}

    return application


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app(),
        host="127.0.0.1",
        port=args.port,
        log_level="info",
        access_log=False,
        log_config=log_config(),
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
