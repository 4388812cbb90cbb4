"""What the benchmark asks of each server: dereferencing under load (wrk) and analyst queries."""

from __future__ import annotations

import re
import statistics
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph

BIK = "https://data.example.eu/bik/"
PREFIXES = f"""PREFIX bik: <{BIK}def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
"""

# The five analyst queries of the issue, as an analyst would write them.
QUERIES = {
    "Q1 one resource's description": f"DESCRIBE <{BIK}id/profile/BE/2024>",
    "Q2 one indicator across profiles, by country": PREFIXES + f"""
SELECT ?country ?year ?level WHERE {{
  ?rating a bik:Rating ; bik:indicator <{BIK}id/indicator/age-verification-for-adult-content> ; bik:profile ?profile .
  OPTIONAL {{ ?rating bik:level/skos:prefLabel ?level }}
  ?profile bik:country/skos:prefLabel ?country ; bik:editionYear ?year .
}} ORDER BY ?country ?year""",
    "Q3 levels counted per country": PREFIXES + """
SELECT ?country ?level (COUNT(?rating) AS ?n) WHERE {
  ?rating a bik:Rating ; bik:profile/bik:country/skos:prefLabel ?country .
  OPTIONAL { ?rating bik:level/skos:prefLabel ?l }
  BIND (COALESCE(STR(?l), "unknown") AS ?level)
} GROUP BY ?country ?level ORDER BY ?country ?level""",
    "Q4 text search in findings": PREFIXES + """
SELECT ?finding ?text WHERE {
  ?finding a bik:Finding ; bik:text ?text .
  FILTER (CONTAINS(LCASE(STR(?text)), "age verification"))
} LIMIT 1000""",
    "Q5 country, authority, act, EU act": PREFIXES + """
SELECT DISTINCT ?country ?authority ?act ?euAct ?celex WHERE {
  ?designation a bik:Designation ; bik:designee/skos:prefLabel ?authority ;
               bik:designatedBy/eli:title ?act ; bik:underAct ?eu ; bik:reportedIn ?finding .
  ?eu eli:title ?euAct . OPTIONAL { ?eu bik:celex ?celex }
  ?finding bik:profile/bik:country/skos:prefLabel ?country .
} ORDER BY ?country ?authority""",
}


@dataclass
class LoadResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss: int = 0


WRK_SCRIPT = """paths = {{{paths}}}
accept = "{accept}"
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {{["Accept"] = accept}})
end
"""


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(base_url: str, paths: list[str], accept: str, seconds: int, workdir: Path, connections: int = 8,
        rss=None) -> LoadResult:
    """wrk over the paths in turn (8 connections, 2 threads), with the server's peak RSS sampled."""
    script = workdir / "paths.lua"
    script.write_text(WRK_SCRIPT.format(paths=", ".join(f'"{p}"' for p in paths), accept=accept))
    peak, done = 0, threading.Event()

    def sample():
        nonlocal peak
        while rss is not None and not done.is_set():
            peak = max(peak, rss())
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                              base_url], check=True, capture_output=True, text=True).stdout
    finally:
        done.set()
        sampler.join()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return LoadResult(rate, p50, p99, errors, peak)


def describe_path(endpoint_path: str, iri: str) -> str:
    return endpoint_path + "?" + urllib.parse.urlencode({"query": f"DESCRIBE <{iri}>"})


@dataclass
class Latency:
    median_ms: float | None
    p95_ms: float | None
    rows: int | None
    note: str = ""


def time_query(endpoint: str, query: str, runs: int, budget_s: float, headers: dict | None = None) -> Latency:
    """Median and p95 of sequential runs (after one warm-up); stops early past the time budget."""
    accept = "text/turtle" if query.lstrip().startswith("DESCRIBE") else "application/sparql-results+json"
    headers = {"Accept": accept, **(headers or {})}
    timings, rows, started = [], None, time.monotonic()
    with httpx.Client(timeout=budget_s) as client:
        for n in range(runs + 1):
            t0 = time.perf_counter()
            try:
                response = client.post(endpoint, data={"query": query}, headers=headers)
            except httpx.TimeoutException:
                return Latency(None, None, None, f"over {budget_s:.0f} s")
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                return Latency(None, None, None, f"HTTP {response.status_code}: {response.text[:80]}")
            if n == 0:  # the row count, to check every server answered the same
                try:
                    rows = len(response.json()["results"]["bindings"]) if "json" in accept else \
                        len(list(pyoxigraph.parse(response.content, format=pyoxigraph.RdfFormat.TURTLE)))
                except (ValueError, SyntaxError, KeyError):
                    return Latency(None, None, None, "unreadable answer (" +
                                   response.headers.get("content-type", "no type").split(";")[0] + ")")
                continue
            timings.append(elapsed)
            if time.monotonic() - started > budget_s and len(timings) >= 3:
                break
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    return Latency(statistics.median(timings), p95, rows, "" if len(timings) >= runs else f"{len(timings)} runs")
