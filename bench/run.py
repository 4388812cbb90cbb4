"""The benchmark: bikgraph against `oxigraph serve`, rdflib-endpoint and nginx, in one run.

    bench/run --sizes S M            (sets up, then runs `python -m bench.run`)

For each size it builds a release (S: the real Belgium data; M, L: bench/scale.py workspaces),
starts every server on loopback over that release, and measures dereferencing under wrk,
five analyst queries, build time and memory. It writes a markdown table (bench/results.md by
default). Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pyoxigraph

from . import peers, scale, workloads

PROJECT = Path(__file__).resolve().parent.parent
FORMATS = {"Turtle": ("text/turtle", "ttl"), "JSON-LD": ("application/ld+json", "jsonld"),
           "HTML": ("text/html", "html")}
MiB = 1024 * 1024


def python_runtime_rss(python: str) -> int:
    """Resident memory of a Python process that has imported the web stack, doing nothing."""
    process = subprocess.Popen([python, "-c", "import bikgraph.web.app, time; print(flush=True); time.sleep(30)"],
                               stdout=subprocess.PIPE)
    process.stdout.readline()
    rss = peers.process_tree_rss(process.pid)
    process.kill()
    process.wait()
    return rss


def workspace(size: str, root: Path) -> Path:
    if size == "S":
        return PROJECT  # the real Belgium 2024 profile
    countries, editions = scale.SIZES[size]
    return scale.generate(root / f"workspace-{size}", countries, editions)


def measure_build(python: str, project: Path, releases: Path) -> dict:
    out = subprocess.run([python, "-m", "bench.measure_build", str(project), str(releases)], check=True,
                         capture_output=True, text=True, cwd=PROJECT).stdout
    return json.loads(out.strip().splitlines()[-1])


def sample_resources(release_dir: Path, base: str, n: int) -> list[str]:
    store = pyoxigraph.Store.read_only(str(release_dir / "store"))
    iris = sorted({row["s"].value for row in store.query(
        f'SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER STRSTARTS(STR(?s), "{base}id/") }}')})
    return random.Random(2024).sample(iris, min(n, len(iris)))


def prerender(bikgraph_url: str, paths: list[str], root: Path) -> float:
    """Fetch each document once in each format (filling bikgraph's cache) and write it for nginx.
    Returns the median cold render time in ms."""
    cold = []
    with httpx.Client(base_url=bikgraph_url, timeout=60) as client:
        for path in paths:
            for accept, extension in FORMATS.values():
                started = time.perf_counter()
                response = client.get("/doc/" + path, headers={"Accept": accept})
                cold.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                target = root / "doc" / f"{path}.{extension}"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(response.content)
    cold.sort()
    return cold[len(cold) // 2]


def run_size(size: str, args, root: Path, tools: dict) -> dict:
    python = sys.executable
    project = workspace(size, root)
    releases = root / f"releases-{size}"
    print(f"[{size}] building", flush=True)
    build = measure_build(python, project, releases)
    release_dir = Path(build["release"])
    base = json.loads((release_dir / "release.json").read_text())["base"]
    ntriples = release_dir / "dumps" / "bikgraph.nt"
    iris = sample_resources(release_dir, base, args.resources)
    paths = [iri[len(base) + len("id/"):] for iri in iris]
    workdir = root / f"run-{size}"
    workdir.mkdir()
    result = {"size": size, "build": build, "deref": {}, "sparql": {}, "memory": {}, "resources": len(paths)}
    started: list[peers.Peer] = []
    try:
        print(f"[{size}] starting servers", flush=True)
        bik = peers.start_bikgraph(python, releases, workdir, args.workers)
        started.append(bik)
        oxi = peers.start_oxigraph(tools["oxigraph"], ntriples, workdir)
        started.append(oxi)
        servers = [bik, oxi]
        if size in args.rdflib_sizes:
            rdf = peers.start_rdflib_endpoint(tools["rdflib-endpoint"], ntriples, workdir)
            started.append(rdf)
            servers.append(rdf)
        time.sleep(2)
        result["memory"]["at rest"] = {p.name: p.rss() for p in servers}
        static_root = workdir / "static"
        result["cold_render_ms"] = prerender(bik.url, paths, static_root)
        nginx = peers.start_nginx(static_root, workdir)
        started.append(nginx)
        print(f"[{size}] dereferencing", flush=True)
        for label, (accept, extension) in FORMATS.items():
            row = {"bikgraph": workloads.wrk(bik.url, ["/doc/" + p for p in paths], accept, args.seconds, workdir,
                                             rss=bik.rss),
                   "nginx (static)": workloads.wrk(nginx.url, [f"/doc/{p}.{extension}" for p in paths], accept,
                                                   args.seconds, workdir)}
            if extension != "html":
                for peer, endpoint in [(oxi, "/query")] + [(s, "/") for s in servers[2:]]:
                    row[peer.name] = workloads.wrk(peer.url, [workloads.describe_path(endpoint, iri) for iri in iris],
                                                   accept, args.seconds, workdir, rss=peer.rss)
            result["deref"][label] = row
        result["memory"]["under load"] = {name: r.peak_rss for name, r in result["deref"]["Turtle"].items()
                                          if r.peak_rss}
        print(f"[{size}] analyst queries", flush=True)
        # bikgraph keeps answers per release; `no-cache` makes it evaluate every time, as the peers do.
        endpoints = {bik.name: (bik.url + "/sparql", {"Cache-Control": "no-cache"}),
                     oxi.name: (oxi.url + "/query", {})}
        if len(servers) > 2:
            endpoints[servers[2].name] = (servers[2].url + "/", {})
        endpoints["bikgraph, answer cache"] = (bik.url + "/sparql", {})
        for label, query in workloads.QUERIES.items():
            result["sparql"][label] = {name: workloads.time_query(url, query, args.runs, args.query_budget, headers)
                                       for name, (url, headers) in endpoints.items()}
        print(f"[{size}] memory of one bikgraph worker process", flush=True)
        for peer in started[:1]:
            peer.stop()
        single = peers.start_bikgraph(python, releases, workdir, 1)
        started.append(single)
        rest = single.rss()
        load = workloads.wrk(single.url, ["/doc/" + p for p in paths], "text/turtle", args.seconds, workdir,
                             rss=single.rss)
        result["memory"]["one worker"] = {"at rest": rest, "under load": load.peak_rss,
                                          "requests_per_s": load.requests_per_s}
    finally:
        for peer in reversed(started):
            peer.stop()
    return result


# ---------------------------------------------------------------- report

def fmt(value, digits=1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def report(results: list[dict], runtime_rss: int, args) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# bikgraph benchmark, {now}", "",
             f"One machine, every server on loopback over the same release, in one run. wrk: 2 threads, 8 "
             f"connections, {args.seconds} s per cell, cycling over {results[0]['resources']} sampled resources. "
             f"bikgraph runs {args.workers} worker process(es); its documents are warm (first fetched once, "
             f"which also wrote nginx's files). Peers answer the equivalent `DESCRIBE`.", ""]
    lines += ["## Build (parse, SHACL validation, release)", "",
              "| size | profiles | triples | seconds | peak memory (MiB) |", "|---|---|---|---|---|"]
    for r in results:
        b = r["build"]
        lines.append(f"| {r['size']} | {b['profiles']} | {b['triples']:,} | {b['seconds']:.1f} | "
                     f"{b['peak_rss'] / MiB:.0f} |")
    lines += ["", "## Dereferencing: requests/s (p50 / p99 ms)", ""]
    for r in results:
        names = sorted(set(n for row in r["deref"].values() for n in row), key=lambda n: (n != "bikgraph", n))
        lines += [f"### {r['size']} (cold render, median: {r['cold_render_ms']:.1f} ms)", "",
                  "| format | " + " | ".join(names) + " | bikgraph / oxigraph | bikgraph / rdflib-endpoint |",
                  "|---" * (len(names) + 3) + "|"]
        for label, row in r["deref"].items():
            cells = [f"{row[n].requests_per_s:,.0f} ({row[n].p50_ms:.2f} / {row[n].p99_ms:.2f})"
                     + (f", {row[n].errors} errors" if row[n].errors else "") if n in row else "n/a" for n in names]
            ratios = [f"{row['bikgraph'].requests_per_s / row[peer].requests_per_s:.2f}x" if peer in row else "n/a"
                      for peer in ("oxigraph serve", "rdflib-endpoint")]
            lines.append(f"| {label} | " + " | ".join(cells + ratios) + " |")
        lines.append("")
    lines += ["## Analyst queries: median / p95 ms (rows)", ""]
    for r in results:
        names = list(next(iter(r["sparql"].values())).keys())
        lines += [f"### {r['size']}", "", "| query | " + " | ".join(names) + " | bikgraph / oxigraph (median) |",
                  "|---" * (len(names) + 2) + "|"]
        for label, row in r["sparql"].items():
            cells = []
            for n in names:
                lat = row[n]
                cells.append(lat.note if lat.median_ms is None else
                             f"{lat.median_ms:.1f} / {lat.p95_ms:.1f} ({lat.rows})" + (f", {lat.note}" if lat.note else ""))
            b, o = row["bikgraph"].median_ms, row["oxigraph serve"].median_ms  # bikgraph: evaluated every time
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {b / o:.2f}x |" if b and o else
                         f"| {label} | " + " | ".join(cells) + " | n/a |")
        lines.append("")
    lines += ["## Server memory (resident MiB, process and children)", "",
              f"Python runtime with the web stack imported, idle: {runtime_rss / MiB:.0f} MiB.", "",
              "| size | server | at rest | under load (Turtle dereferencing) |", "|---|---|---|---|"]
    for r in results:
        for name, rest in r["memory"]["at rest"].items():
            load = r["memory"].get("under load", {}).get(name)
            label = f"{name} ({args.workers} workers)" if name == "bikgraph" else name
            lines.append(f"| {r['size']} | {label} | {rest / MiB:.0f} | {fmt(load and load / MiB, 0)} |")
        one = r["memory"].get("one worker")
        if one:
            lines.append(f"| {r['size']} | bikgraph (1 worker: {one['requests_per_s']:,.0f} Turtle req/s) | "
                         f"{one['at rest'] / MiB:.0f} | {one['under load'] / MiB:.0f} |")
    return "\n".join(lines) + "\n"


def tool_paths(peers_venv: Path) -> dict:
    found = {name: shutil.which(name, path=str(peers_venv / "bin")) for name in ("oxigraph", "rdflib-endpoint")}
    found.update(wrk=shutil.which("wrk"), nginx=shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin"))
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)} (bench/run installs them)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description="bikgraph against its peers, in one run")
    parser.add_argument("--sizes", nargs="+", default=["S", "M"], choices=sorted(scale.SIZES))
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per cell")
    parser.add_argument("--runs", type=int, default=20, help="runs per analyst query")
    parser.add_argument("--query-budget", type=float, default=60.0, help="seconds a query may take in all")
    parser.add_argument("--resources", type=int, default=300, help="resources sampled for dereferencing")
    parser.add_argument("--workers", type=int, default=2, help="bikgraph web processes")
    parser.add_argument("--rdflib-sizes", nargs="*", default=["S", "M"],  # at L it needs minutes and GiBs
                        help="sizes rdflib-endpoint is run at (it holds the graph in Python objects)")
    parser.add_argument("--peers-venv", type=Path, default=PROJECT / "bench" / ".peers")
    parser.add_argument("--out", type=Path, default=PROJECT / "bench" / "results.md")
    args = parser.parse_args()
    tools = tool_paths(args.peers_venv)
    root = Path(tempfile.mkdtemp(prefix="bikgraph-bench-"))
    root.chmod(0o755)  # nginx's workers run as another user and must read the static files
    try:
        results = [run_size(size, args, root, tools) for size in args.sizes]
        text = report(results, python_runtime_rss(sys.executable), args)
        args.out.write_text(text, encoding="utf-8")
        print(text)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
