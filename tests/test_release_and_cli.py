"""`bikgraph build | validate | query` through the real command line entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bikgraph.cli import main
from bikgraph.errors import ValidationFailed
from bikgraph.release import build_release, current_release
from bikgraph.settings import PROJECT_DIR, Settings

from . import variants
from .conftest import quiet, write


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A releases folder with one good release, built through the CLI."""
    out = tmp_path_factory.mktemp("published")
    assert main(["--out", str(out), "build"]) == 0
    return out


def snapshot(out: Path) -> tuple:
    current = (out / "current").resolve()
    return current.name, (current / "SHA256SUMS").read_bytes(), sorted(p.name for p in out.iterdir())


def test_build_publishes_a_release_with_progress(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "build"]) == 0
    err = capsys.readouterr().err
    assert "[1/6] loading ontology" in err and "[3/6] mapping to RDF and validating" in err and "published release" in err
    release = current_release(tmp_path)
    assert release is not None and (release.path / "store").is_dir()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".building")]


BAD_INPUTS = {
    "empty file": (b"", "empty-file.txt:1: empty file"),
    "not a profile": (b"Dear reader,\nthis is a newsletter.\n", "not-a-profile.txt:1: not a BIK+ Policy Monitor country profile"),
    "truncated": ("\n".join(variants.first_copy().split("\n")[:60]).encode(), "truncated.txt:60: truncated profile"),
    "unknown indicator label": (variants.seed_text().replace("Stakeholder forum | X", "Stakeholder festival | X").encode(),
                                "unknown-indicator-label.txt:48: unknown indicator label 'Stakeholder festival'"),
    "unknown table column": (variants.seed_text().replace("In place | In development", "In place | Planned").encode(),
                             "unknown-table-column.txt:72: unknown table column 'Planned'"),
    "malformed UTF-8": (variants.seed_text().encode().replace("Children’s complaints".encode(), b"Children\x92s complaints"),
                        "malformed-utf-8.txt:78: malformed UTF-8: byte 0x92"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_clearly_and_leaves_the_release_untouched(published, tmp_path, capsys, case):
    data, message = BAD_INPUTS[case]
    source = write(tmp_path / (case.replace(" ", "-").lower() + ".txt"), data)
    before = snapshot(published)
    assert main(["--out", str(published), "build", "--source", str(source)]) == 1
    err = capsys.readouterr().err
    assert f"bikgraph: {tmp_path}/{message}" in err
    assert "Traceback" not in err
    assert snapshot(published) == before


def test_unreadable_path(published, tmp_path, capsys):
    before = snapshot(published)
    assert main(["--out", str(published), "build", "--source", str(tmp_path)]) == 1  # a folder, not a file
    assert f"bikgraph: {tmp_path}: cannot read profile: Is a directory" in capsys.readouterr().err
    missing = tmp_path / "missing.txt"
    assert main(["--out", str(published), "build", "--source", str(missing)]) == 1
    assert f"{missing}: cannot read profile: No such file or directory" in capsys.readouterr().err
    assert snapshot(published) == before


def test_shacl_violation_stops_the_release(published, tmp_path):
    """Reference data that breaks a shape: nothing is published, the old release stays."""
    project = tmp_path / "project"
    for part in ("ontology", "shapes", "data"):
        shutil.copytree(PROJECT_DIR / part, project / part)
    acts = project / "data" / "reference" / "legal-acts.csv"
    acts.write_text(acts.read_text(encoding="utf-8").replace(
        "http://data.europa.eu/eli/reg/2022/2065/oj,V2", "http://data.europa.eu/eli/regulation/2022/DSA/oj,V2"), encoding="utf-8")
    before = snapshot(published)
    with pytest.raises(ValidationFailed) as err:
        build_release(Settings(project_dir=project, releases_dir=published), progress=quiet)
    assert any(r.focus.endswith("/act/dsa") and "ELI must follow the EU or Belgian ELI pattern" in r.message
               for r in err.value.results)
    assert snapshot(published) == before
    assert not [p for p in published.iterdir() if p.name.startswith(".building")]


def test_builds_are_reproducible(published, tmp_path):
    assert main(["--out", str(tmp_path), "build"]) == 0
    first = (published / "current" / "dumps" / "bikgraph.nt").read_bytes()
    again = (tmp_path / "current" / "dumps" / "bikgraph.nt").read_bytes()
    assert first == again


def test_base_option_moves_every_iri(tmp_path):
    base = "https://kids.example.org/monitor/"
    assert main(["--out", str(tmp_path), "build", "--base", base]) == 0
    dump = (tmp_path / "current" / "dumps" / "bikgraph.nt").read_text(encoding="utf-8")
    assert "https://data.example.eu/bik/" not in dump
    assert f"<{base}id/country/BE>" in dump and f"<{base}def/Rating>" in dump
    assert current_release(tmp_path).manifest["base"] == base


def test_bad_base_is_refused(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "build", "--base", "not a base"]) == 2
    assert "bikgraph: IRI base must be an absolute http(s) IRI ending with '/': 'not a base'" in capsys.readouterr().err
    assert not (tmp_path / "current").exists()


def test_unwritable_releases_folder(tmp_path, capsys):
    blocker = write(tmp_path / "releases", "a file where the releases folder should be")
    assert main(["--out", str(blocker), "build"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bikgraph: ") and "Traceback" not in err and str(blocker) in err


def test_validate_a_published_dump(published, capsys):
    assert main(["validate", str(published / "current" / "dumps" / "bikgraph.ttl")]) == 0
    assert "0 violation(s)" in capsys.readouterr().err


def test_validate_reports_each_violation(tmp_path, capsys):
    bad = write(tmp_path / "bad.ttl", """
        @prefix bik: <https://data.example.eu/bik/def/> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix org: <http://www.w3.org/ns/org#> .
        <https://data.example.eu/bik/id/org/nameless> a org:Organization ; bik:levelOfGovernment bik:level-federal .
    """)
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert ("https://data.example.eu/bik/id/org/nameless\thttp://www.w3.org/2004/02/skos/core#prefLabel\t"
            "An organisation has a name.\tViolation") in out


def test_validate_unparseable_file(tmp_path, capsys):
    bad = write(tmp_path / "broken.ttl", "<a> <b> .")
    assert main(["validate", str(bad)]) == 1
    assert f"bikgraph: {bad}: not valid turtle" in capsys.readouterr().err


def test_query_current_release(published, capsys):
    assert main(["--out", str(published), "query",
                 "PREFIX bik: <https://data.example.eu/bik/def/> SELECT (COUNT(*) AS ?n) WHERE { ?r a bik:Rating }"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("40")


def test_query_malformed(published, capsys):
    assert main(["--out", str(published), "query", "SELECT * WHERE { ?s ?p }"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bikgraph: query error:") and "1:" in err


def test_query_without_release(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "query", "ASK {}"]) == 1
    assert "no release in" in capsys.readouterr().err


def test_profile_file_names_must_be_safe_and_distinct(published, tmp_path, capsys):
    before = snapshot(published)
    odd = write(tmp_path / "belgium 2024.txt", variants.seed_text())
    assert main(["--out", str(published), "build", "--source", str(odd)]) == 1
    assert "belgium 2024.txt: a profile's file name may use only letters" in capsys.readouterr().err
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path / "a" / "be.txt", variants.seed_text())
    second = write(tmp_path / "b" / "be.txt", variants.seed_text())
    assert main(["--out", str(published), "build", "--source", str(first), str(second)]) == 1
    assert "two profiles are named be.txt" in capsys.readouterr().err
    assert snapshot(published) == before


def test_a_concurrent_build_is_refused(published, capsys):
    import fcntl
    with (published / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert main(["--out", str(published), "build"]) == 1
    assert "another build is running" in capsys.readouterr().err


def test_two_builds_in_one_second_get_distinct_releases(tmp_path):
    settings = Settings(releases_dir=tmp_path)
    first = build_release(settings, progress=quiet)
    second = build_release(settings, progress=quiet)
    assert first.id != second.id and first.path.is_dir() and second.path.is_dir()
    assert current_release(tmp_path).id == second.id


def test_another_country_in_every_variant_builds_a_valid_release(tmp_path):
    """Austria 2025: 2025 layout, plain-text tables whose X positions survive, CRLF, page chrome."""
    import pyoxigraph
    columns = {"Stakeholder forum": 2, "Cyberbullying laws": 1}
    text = variants.with_chrome(variants.plain_tables(variants.as_country(
        variants.layout_2025(variants.first_copy()), "Austria", 2025), columns)).replace("\n", "\r\n")
    source = write(tmp_path / "bik-policy-monitor-austria-2025.txt", text)
    release = build_release(Settings(releases_dir=tmp_path / "releases", sources=(source,)), progress=quiet)
    store = pyoxigraph.Store.read_only(str(release.store_path))
    rows = {r["i"].value.rsplit("/", 1)[-1]: (r["l"].value.rsplit("/", 1)[-1] if r["l"] else None, r["b"].value.rsplit("-", 1)[-1], r["o"].value)
            for r in store.query("""PREFIX bik: <https://data.example.eu/bik/def/>
                SELECT ?i ?l ?b ?o WHERE { ?r bik:profile <https://data.example.eu/bik/id/profile/AT/2025> ;
                  bik:indicator ?i ; bik:basis ?b ; bik:isOfficial ?o . OPTIONAL { ?r bik:level ?l } }""")}
    assert len(rows) == 40
    assert rows["stakeholder-forum"] == ("low", "table", "true")  # third column: read, official
    assert rows["cyberbullying-laws"] == ("in-development", "table", "true")
    assert rows["lead-ministry-for-policy-development"] == ("high", "table", "true")  # first column
    no_link = list(store.query("""PREFIX bik: <https://data.example.eu/bik/def/>
        SELECT ?v WHERE { <https://data.example.eu/bik/id/country/AT> bik:identifier/bik:verification ?v }"""))
    assert [r["v"].value for r in no_link] == ["https://data.example.eu/bik/def/verification-not-found"]


def test_chunks_validated_in_parallel_give_the_same_release_as_one_pass(tmp_path):
    """Profiles are mapped and validated in chunks by worker processes; the store keeps one copy of
    what the chunks share, so the release must not depend on how the profiles were split."""
    countries = ["Austria", "Belgium", "Bulgaria", "Croatia"]
    sources = [write(tmp_path / f"profile-{c.lower()}-{year}.txt", variants.as_country(variants.seed_text(), c, year))
               for c in countries for year in (2023, 2024, 2025)]
    one_pass = build_release(Settings(releases_dir=tmp_path / "one", sources=tuple(sources), profiles_per_chunk=100,
                                      build_workers=1), progress=quiet)
    chunked = build_release(Settings(releases_dir=tmp_path / "chunked", sources=tuple(sources), profiles_per_chunk=5,
                                     build_workers=2), progress=quiet)
    assert one_pass.manifest["triples"] == chunked.manifest["triples"]
    dump = "dumps/bikgraph.nt"
    assert (one_pass.path / dump).read_bytes() == (chunked.path / dump).read_bytes()
    # twelve profiles of 40 ratings each, and the shared reference data once
    lines = (chunked.path / dump).read_text(encoding="utf-8").splitlines()
    assert sum(1 for line in lines if line.endswith("22-rdf-syntax-ns#type> <https://data.example.eu/bik/def/Rating> .")) == 12 * 40
    assert sum(1 for line in lines if line.startswith("<https://data.example.eu/bik/id/org/bipt> ")
               and "22-rdf-syntax-ns#type" in line) == 1


def test_build_into_an_unreachable_store_publishes_nothing(tmp_path, capsys):
    out = tmp_path / "releases"
    assert main(["--out", str(out), "--store", "http://127.0.0.1:1", "build"]) == 1
    err = capsys.readouterr().err
    assert "unreachable" in err and "Nothing was switched" in err and "Traceback" not in err
    assert current_release(out) is None
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == []


def test_build_from_another_project_folder(tmp_path, capsys):
    """--project: a folder with its own ontology/, shapes/ and data/ (the benchmark's workspaces)."""
    project = tmp_path / "project"
    for part in ("ontology", "shapes"):
        shutil.copytree(PROJECT_DIR / part, project / part)
    shutil.copytree(PROJECT_DIR / "data" / "reference", project / "data" / "reference")
    shutil.copy(PROJECT_DIR / "data" / "codebook.csv", project / "data" / "codebook.csv")
    (project / "data" / "sources").mkdir()
    write(project / "data" / "sources" / "austria-2023.txt", variants.as_country(variants.seed_text(), "Austria", 2023))
    out = tmp_path / "releases"
    assert main(["--project", str(project), "--out", str(out), "build"]) == 0
    assert [s["name"] for s in current_release(out).manifest["sources"]] == ["austria-2023.txt"]


def test_settings_reach_every_worker_process_unchanged(tmp_path):
    """serve --workers N hands the settings to each uvicorn worker through the environment."""
    from bikgraph.web.server import settings_from_json, settings_to_json
    settings = Settings(base="https://kids.example.org/monitor/", releases_dir=tmp_path / "r", workers=3,
                        sources=(tmp_path / "a.txt",), store_url="http://127.0.0.1:7878", query_timeout_s=2.5)
    assert settings_from_json(settings_to_json(settings)) == settings
