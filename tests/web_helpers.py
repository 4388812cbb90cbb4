"""Shared helpers for the web tests: an app over a real release, talked to over httpx."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

from fastapi.testclient import TestClient

from bikgraph.settings import Settings
from bikgraph.web.app import create_app


@contextmanager
def client_for(settings: Settings, **overrides):
    """An httpx client (Starlette's TestClient) against create_app(settings)."""
    app = create_app(replace(settings, **overrides))
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def sparql_get(client, query: str, accept: str | None = None, **params):
    headers = {"Accept": accept} if accept else {}
    return client.get("/sparql", params={"query": query, **params}, headers=headers)
