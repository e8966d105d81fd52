"""The researcher's client against the real server process: data access and the model
lifecycle, as a notebook uses them."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from api.research.client import MeihaoAPIError, MeihaoClient
from survey.research import differing_fields, load_research_data
from tests.support.live import LiveServer, running_server, server_env
from tests.support.research import LATEST, seeded_database, token_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = seeded_database(tmp_path_factory)
    env = server_env(url, MEIHAO_BOOTSTRAP_REPLICATES="50")
    with running_server(env, log=tmp_path_factory.mktemp("logs") / "server.log") as live:
        yield live


def client_for(server: LiveServer, username: str) -> MeihaoClient:
    return MeihaoClient(server.url, token_for(server.env["MEIHAO_DATABASE_URL"], username))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav"])
def test_response_data_over_http_equals_the_database(server: LiveServer, fmt: str) -> None:
    with client_for(server, "researcher") as client:
        over_http = client.response_data(LATEST, fmt=fmt)
    from_db = load_research_data(server.env["MEIHAO_DATABASE_URL"], LATEST).canonical()
    from_db.durations = np.round(from_db.durations)  # exports keep whole seconds
    assert over_http.n == from_db.n
    assert differing_fields(from_db, over_http.canonical()) == []


def test_publish_score_and_serve_a_model(server: LiveServer) -> None:
    weights = {"D1": 0.30, "D2": 0.10, "D3": 0.10, "D4": 0.10, "D5": 0.10, "D6": 0.30}
    with client_for(server, "researcher") as client:
        client.score(LATEST, "equal")
        before = client.rankings(LATEST, "equal")
        code = before["communities"][0]["community"]
        published = client.publish_model({"name": "client-test", "dimension_weights": weights})
        assert published["version"] == 1 and published["author"] == "researcher"
        snapshot = client.score(LATEST, "client-test")
        assert (snapshot["model"], snapshot["model_version"]) == ("client-test", 1)
        card = client.scorecard(LATEST, code, model="client-test")
        assert (card["model"], card["model_version"]) == ("client-test", 1)
        assert card["overall"]["score"] != client.scorecard(LATEST, code)["overall"]["score"]
        default = client.set_default_model(LATEST, "client-test")
        assert default["default_model"] == "client-test"
        assert client.scorecard(LATEST, code)["model"] == "client-test"
        comparison = client.compare_models(LATEST, "equal", "client-test")
        assert -1 <= comparison["spearman"] <= 1 and comparison["n_compared"] > 2
        assert client.reproduce(snapshot["id"])["identical"] is True
        with pytest.raises(MeihaoAPIError) as refused:
            client._request("PUT", "/api/v1/weight-models/client-test/1")
        assert refused.value.status == 409
        again = client.publish_model({"name": "client-test", "dimension_weights": weights})
        assert again["version"] == 2
        assert client.retire_model("client-test", 2)["status"] == "retired"
        assert client.weight_model("client-test")["version"] == 1


def test_officials_cannot_publish_or_download(server: LiveServer) -> None:
    with client_for(server, "official") as client:
        with pytest.raises(MeihaoAPIError) as refused:
            client.publish_model({"name": "nope"})
        assert refused.value.status == 403
        with pytest.raises(MeihaoAPIError) as no_data:
            client.response_data(LATEST)
        assert no_data.value.status == 403
    with MeihaoClient(server.url, token=None) as anonymous, pytest.raises(MeihaoAPIError) as anon:
        anonymous.weight_models()
    assert anon.value.status == 401
