"""Rankings and scorecards carry an ETag; asking again with it gets 304 until a new snapshot."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.jobs import scored_snapshot
from tests.support.officials_district import LAST, sign_in
from tests.support.staff import bearer, engine_of

RANKINGS = f"/api/v1/waves/{LAST}/rankings"
SCORECARD = f"/api/v1/waves/{LAST}/communities/CH02-001/scorecard"


def test_a_reader_who_has_the_figures_gets_304(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "admin")
    for url in (RANKINGS, SCORECARD):
        first = client.get(url, headers={"Accept-Encoding": "identity"})
        assert first.status_code == 200
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "private, no-cache"
        again = client.get(url, headers={"If-None-Match": etag, "Accept-Encoding": "identity"})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        other = client.get(url, headers={"If-None-Match": '"stale"', "Accept-Encoding": "identity"})
        assert other.status_code == 200 and other.content == first.content


def test_the_gzipped_ranking_has_its_own_tag(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "admin")
    plain = client.get(RANKINGS, headers={"Accept-Encoding": "identity"}).headers["etag"]
    zipped = client.get(RANKINGS, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["etag"] != plain
    hit = client.get(RANKINGS, headers={"Accept-Encoding": "gzip", "If-None-Match": plain})
    assert hit.status_code == 200  # the other representation's tag does not match


def test_a_new_snapshot_changes_the_tag(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "admin")
    etag = client.get(RANKINGS).headers["etag"]
    token = bearer(engine_of(client), "admin")
    url = f"/api/v1/waves/{LAST}/snapshots"
    scored_snapshot(client, client.post(url, headers=token), token)
    fresh = client.get(RANKINGS, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
