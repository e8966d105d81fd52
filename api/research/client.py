"""``MeihaoClient``: the HTTP API from a notebook or a script, with a researcher's token.

::

    from api.research.client import MeihaoClient
    client = MeihaoClient()               # MEIHAO_API_URL and MEIHAO_API_TOKEN from the env
    data = client.response_data("2026Q2")  # the same ResearchData as from the database
    model = client.publish_model({"name": "team-2026", "dimension_weights": {...}})
    client.score("2026Q2", model["name"])
    client.set_default_model("2026Q2", model["name"])

A token comes from ``meihao token create --username U`` or ``POST /api/v1/tokens``. Errors
raise :class:`MeihaoAPIError` with the server's status and message (422 says what is wrong
with a model, 409 that a published version cannot change, 403 that the role may not).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from survey.formats.research_files import read_export
from survey.research import ResearchData

DEFAULT_URL = "http://127.0.0.1:8000"
FORMATS = ("csv", "xlsx", "sav")


class MeihaoAPIError(RuntimeError):
    def __init__(self, status: int, detail: Any, url: str) -> None:
        super().__init__(f"{status} from {url}: {detail}")
        self.status = status
        self.detail = detail


class MeihaoClient:
    """A thin, synchronous client of ``/api/v1`` (httpx)."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url or os.environ.get("MEIHAO_API_URL") or DEFAULT_URL).rstrip("/")
        token = token or os.environ.get("MEIHAO_API_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MeihaoClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise MeihaoAPIError(response.status_code, detail, f"{method} {path}")
        return response.json() if response.content else None

    @staticmethod
    def _params(**params: Any) -> dict[str, Any]:
        return {k: v for k, v in params.items() if v is not None}

    # -- reading ----------------------------------------------------------------------------
    def waves(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/api/v1/waves"))

    def rankings(self, wave: str, model: str | None = None) -> dict[str, Any]:
        return dict(
            self._request("GET", f"/api/v1/waves/{wave}/rankings", params=self._params(model=model))
        )

    def scorecard(self, wave: str, community: str, model: str | None = None) -> dict[str, Any]:
        return dict(
            self._request(
                "GET",
                f"/api/v1/waves/{wave}/communities/{community}/scorecard",
                params=self._params(model=model),
            )
        )

    def reference(self, wave: str) -> dict[str, Any]:
        """Communities, margins and questionnaire of a wave (no responses)."""
        return dict(self._request("GET", f"/api/v1/waves/{wave}/reference"))

    def download_responses(self, wave: str, path: str | Path, fmt: str = "csv") -> Path:
        """Save the de-identified response export (``csv``, ``xlsx`` or ``sav``) to ``path``."""
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}")
        target = Path(path)
        url = f"/api/v1/waves/{wave}/exports/responses.{fmt}"
        with self._http.stream("GET", url) as response:
            if response.status_code >= 400:
                response.read()
                raise MeihaoAPIError(response.status_code, response.text, f"GET {url}")
            with target.open("wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
        return target

    def response_data(self, wave: str, fmt: str = "csv") -> ResearchData:
        """The wave's responses as :class:`ResearchData` (export + reference, parsed)."""
        reference = self.reference(wave)
        with tempfile.TemporaryDirectory(prefix="meihao-") as folder:
            path = self.download_responses(wave, Path(folder) / f"{wave}.{fmt}", fmt)
            data = read_export(path, reference=reference)
        data.source = f"{self.base_url}:{wave}.{fmt}"
        return data

    # -- weight models ----------------------------------------------------------------------
    def weight_models(self, status: str | None = None) -> list[dict[str, Any]]:
        return list(
            self._request("GET", "/api/v1/weight-models", params=self._params(status=status))
        )

    def weight_model(self, name: str, version: int | None = None) -> dict[str, Any]:
        path = f"/api/v1/weight-models/{name}" + ("" if version is None else f"/{version}")
        return dict(self._request("GET", path))

    def publish_model(self, model: Any, resolve_wave: str | None = None) -> dict[str, Any]:
        """Publish a model (a dict or a ``WeightModel``) as the next version of its name;
        data-driven weights need ``resolve_wave``. Returns the stored version."""
        definition = model.to_dict() if hasattr(model, "to_dict") else dict(model)
        body = {"model": definition, "resolve_wave": resolve_wave}
        return dict(self._request("POST", "/api/v1/weight-models", json=body))

    def retire_model(self, name: str, version: int) -> dict[str, Any]:
        return dict(self._request("POST", f"/api/v1/weight-models/{name}/{version}/retire"))

    def score(
        self, wave: str, model: str | None = None, *, timeout: float = 600.0
    ) -> dict[str, Any]:
        """Compute and store a snapshot of the wave with the model (default: the wave's):
        queue the job, wait until a worker has stored it, and return the snapshot."""
        job = self._request(
            "POST", f"/api/v1/waves/{wave}/snapshots", params=self._params(model=model)
        )
        done = self.wait_for_job(job["url"], timeout=timeout)
        if done["status"] != "done":
            raise MeihaoAPIError(422, f"scoring job failed: {done['error']}", job["url"])
        return dict(done["snapshot"])

    def wait_for_job(
        self, url: str, *, timeout: float = 600.0, poll: float = 0.5
    ) -> dict[str, Any]:
        """Poll a scoring job until it is done or dead (its ``url`` from a 202 answer)."""
        deadline = time.monotonic() + timeout
        while True:
            job = dict(self._request("GET", url))
            if job["status"] in ("done", "dead"):
                return job
            if time.monotonic() > deadline:
                raise MeihaoAPIError(504, f"job still {job['status']} after {timeout} s", url)
            time.sleep(poll)

    def set_default_model(self, wave: str, name: str) -> dict[str, Any]:
        return dict(
            self._request("PUT", f"/api/v1/waves/{wave}/default-model", json={"model": name})
        )

    def compare_models(self, wave: str, a: str, b: str) -> dict[str, Any]:
        return dict(self._request("GET", f"/api/v1/waves/{wave}/compare", params={"a": a, "b": b}))

    def reproduce(self, snapshot_id: int) -> dict[str, Any]:
        """Recompute a stored snapshot on the server; ``identical`` is a bitwise check."""
        return dict(self._request("POST", f"/api/v1/snapshots/{snapshot_id}/reproduce"))

    # -- open-text themes and action effects (issue 14) -------------------------------------
    def theme_models(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/api/v1/theme-models"))

    def publish_theme_model(
        self,
        name: str,
        wave: str,
        n_themes: int = 8,
        labels: dict[str, dict[str, str]] | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        """Fit themes on a closed wave's comments and publish them as the next version."""
        body = {
            "name": name,
            "wave": wave,
            "n_themes": n_themes,
            "labels": labels,
            "description": description,
        }
        return dict(self._request("POST", "/api/v1/theme-models", json=body))

    def relabel_theme_model(self, name: str, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
        """Name the themes: the next version, same themes."""
        path = f"/api/v1/theme-models/{name}/labels"
        return dict(self._request("POST", path, json={"labels": labels}))

    def community_themes(
        self, wave: str, community: str, model: str | None = None
    ) -> dict[str, Any]:
        path = f"/api/v1/waves/{wave}/communities/{community}/themes"
        return dict(self._request("GET", path, params=self._params(model=model)))

    def action_effects(self, wave: str | None = None, scope: str = "district") -> dict[str, Any]:
        """Completed actions with their measured effects (the summary of ``scope``)."""
        params = self._params(wave=wave, scope=scope)
        return dict(self._request("GET", "/api/v1/action-effects", params=params))
