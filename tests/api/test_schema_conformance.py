"""Requests the OpenAPI document calls valid are accepted (what schemathesis's `positive_data_acceptance`
check asks): `other` alone on the head-to-head listing, the kinds the `kind` filter takes."""

from __future__ import annotations

import pytest

from league.core import kinds
from tests.support.app_client import make_test_client


@pytest.fixture
def client(tmp_path):
    with make_test_client(f"sqlite:///{tmp_path / 'league.db'}", tmp_path) as test_client:
        yield test_client


def test_other_alone_filters_like_opponent_and_a_pair_with_itself_is_empty(client):
    assert client.get("/api/head-to-head", params={"other": 1}).json() == \
        client.get("/api/head-to-head", params={"opponent": 1}).json()
    same = client.get("/api/head-to-head", params={"opponent": 1, "other": 1})
    assert same.status_code == 200 and same.json() == []
    assert client.get("/api/head-to-head", params={"opponent": 1, "other": 999}).status_code == 404


def test_the_kind_filter_documents_the_kinds_of_the_registry(client, monkeypatch):
    monkeypatch.setitem(kinds.KINDS, "fixed", kinds.KINDS["dreamer"])
    client.app.openapi_schema = None  # the document is made when first asked for
    [kind] = [p for p in client.get("/openapi.json").json()["paths"]["/api/opponents"]["get"]["parameters"]
              if p["name"] == "kind"]
    assert kind["schema"]["anyOf"][0]["enum"] == sorted(kinds.KINDS) and "fixed" in sorted(kinds.KINDS)
    assert client.get("/api/opponents", params={"kind": "wizard"}).status_code == 422  # not documented
