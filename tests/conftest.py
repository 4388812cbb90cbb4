from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from bikgraph.iris import DEFAULT_BASE
from bikgraph.release import build_release
from bikgraph.settings import Settings
from bikgraph.store import select
from bikgraph.structure import load_structure
from bikgraph.validation import load_ontology


def quiet(_message: str) -> None:
    pass


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(releases_dir=tmp_path_factory.mktemp("releases"))


@pytest.fixture(scope="session")
def release(settings):
    """One real release of the shipped data, shared by the read-only tests."""
    return build_release(settings, progress=quiet)


@pytest.fixture(scope="session")
def store(release):
    import pyoxigraph
    return pyoxigraph.Store.read_only(str(release.store_path))


@pytest.fixture(scope="session")
def structure():
    return load_structure(load_ontology(Settings().ontology_path, DEFAULT_BASE), DEFAULT_BASE)


@pytest.fixture(scope="session")
def store_graph(store) -> Graph:
    """The store's default graph, as rdflib reads pyoxigraph's own N-Triples of it."""
    import pyoxigraph
    data = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph())
    return Graph().parse(data=data, format="nt")


@pytest.fixture
def sparql(store):
    return lambda q: select(store, q)


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path
