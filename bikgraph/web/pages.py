"""Server-rendered HTML: templates are autoescaped, so every data value is escaped.

Page data comes from the release's store through small SPARQL queries; nothing here writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..queries import competency_queries
from ..store import select
from . import documents
from .state import OpenRelease, local_path

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"


def render(template: str, status: int = 200, headers: dict | None = None, **values) -> HTMLResponse:
    values.setdefault("alternates", [])
    values.setdefault("release_id", "")
    return HTMLResponse(TEMPLATES.get_template(template).render(**values), status_code=status, headers=headers)


def message_page(status: int, title: str, message: str, links=(), release_id: str = "") -> HTMLResponse:
    return render("message.html", status=status, title=title, message=message, links=list(links),
                  release_id=release_id)


# ---------------------------------------------------------------- terms for people

def curie(iri: str, prefixes: dict) -> str:
    for prefix, namespace in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def view_term(term, labels: dict, release: OpenRelease) -> dict:
    if isinstance(term, ox.NamedNode):
        iri = term.value
        local = local_path(iri, release.iris.base)
        label = labels.get(iri) or (iri.rsplit("/", 1)[-1] if local else curie(iri, release.prefixes))
        return {"href": local or iri, "label": label, "external": local is None, "iri": iri}
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        shown = None if datatype in (XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString") \
            else curie(datatype, release.prefixes)
        return {"label": term.value, "lang": term.language, "datatype": shown}
    return {"label": str(term)}


def labels_from(triples) -> dict:
    labels = {}
    for t in triples:
        if t.predicate.value in documents.LABELS and isinstance(t.object, ox.Literal):
            if t.subject.value not in labels or t.object.language == "en":
                labels[t.subject.value] = t.object.value
    return labels


def alternates(path: str) -> list[dict]:
    return [{"type": f.content_type.split(";")[0], "href": f"{path}.{f.extension}", "label": f.extension}
            for f in documents.DOCUMENT_FORMATS if f.extension and f is not documents.HTML]


# ---------------------------------------------------------------- queries behind the pages

def _prefixes(release: OpenRelease) -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in release.prefixes.items())


def confidence_band(value: float) -> str:
    return "high" if value >= 0.75 else "moderate" if value >= 0.55 else "low" if value > 0 else ""


def profile_view(release: OpenRelease, iri: str) -> dict:
    p = _prefixes(release)
    rows = select(release.store, p + f"""
        SELECT ?dimension ?dlabel ?do ?area ?alabel ?ao ?indicator ?ilabel ?io ?rating ?level ?basis ?conf ?note WHERE {{
          ?rating bik:profile <{iri}> ; bik:indicator ?indicator ; bik:basis ?basis ; bik:confidence ?conf .
          OPTIONAL {{ ?rating bik:level/skos:prefLabel ?level }} OPTIONAL {{ ?rating skos:note ?note }}
          ?indicator skos:prefLabel ?ilabel ; bik:order ?io ; bik:area ?area .
          ?area skos:prefLabel ?alabel ; bik:order ?ao ; bik:dimension ?dimension .
          ?dimension skos:prefLabel ?dlabel ; bik:order ?do .
        }} ORDER BY ?do ?ao ?io""")
    evidence = {}
    for e in select(release.store, p + f"""
            SELECT ?rating ?finding ?text ?line ?file WHERE {{ ?rating bik:profile <{iri}> ; bik:evidence ?finding .
              ?finding bik:text ?text ; bik:lineStart ?line ; bik:sourceDocument/bik:fileName ?file }} ORDER BY ?line"""):
        evidence.setdefault(e["rating"], []).append(
            {"text": e["text"], "line": e["line"], "href": local_path(e["finding"], release.iris.base),
             "source_href": f"/sources/{quote(e['file'])}#L{e['line']}"})
    (meta,) = select(release.store, p + f"""
        SELECT ?year ?collected ?source ?file (COUNT(DISTINCT ?f) AS ?findings) WHERE {{
          <{iri}> bik:editionYear ?year ; bik:dataCollectionDate ?collected ; bik:sourceDocument ?source .
          ?source bik:fileName ?file . OPTIONAL {{ ?f bik:profile <{iri}> ; a bik:Finding }}
        }} GROUP BY ?year ?collected ?source ?file""")
    dimensions: dict = {}
    for r in rows:
        dimension = dimensions.setdefault(r["dimension"], {"label": r["dlabel"], "areas": {}})
        area = dimension["areas"].setdefault(r["area"], {"label": r["alabel"], "ratings": []})
        basis = r["basis"].rsplit("basis-", 1)[-1]
        confidence = float(r["conf"])
        area["ratings"].append({
            "indicator": r["ilabel"], "indicator_href": local_path(r["indicator"], release.iris.base),
            "level": r["level"], "basis": basis, "confidence": f"{confidence:.1f}", "band": confidence_band(confidence),
            "evidence": evidence.get(r["rating"], []), "note": r["note"]})
    bases = [r["basis"].rsplit("basis-", 1)[-1] for r in rows]
    tally: dict = {}
    for r in rows:  # the numbers behind any index: levels per dimension, and how they were obtained
        key = (r["dlabel"], r["level"] or "unknown", r["basis"].rsplit("basis-", 1)[-1])
        tally[key] = tally.get(key, 0) + 1
    counts = (f"{len(rows)} indicators: {bases.count('narrative')} derived from the narrative, "
              f"{bases.count('table')} read from a reliable table, {bases.count('unknown')} unknown; "
              f"{meta['findings']} findings.")
    return {"year": meta["year"], "collected": meta["collected"], "source_name": meta["file"],
            "source_href": local_path(meta["source"], release.iris.base), "counts": counts,
            "derived": "narrative" in bases,
            "tally": [{"dimension": d, "level": lv, "basis": b, "count": n} for (d, lv, b), n in tally.items()],
            "dimensions": [{"label": d["label"], "areas": list(d["areas"].values())} for d in dimensions.values()]}


def organisation_view(release: OpenRelease, iri: str, labels: dict) -> dict:
    p = _prefixes(release)
    base = release.iris.base

    def t(value):
        return view_term(ox.NamedNode(value), labels | all_labels(release, [value]), release) if value else None

    (info,) = select(release.store, p + f"""SELECT ?level ?homepage WHERE {{ <{iri}> bik:levelOfGovernment/skos:prefLabel ?level .
        OPTIONAL {{ <{iri}> foaf:homepage ?homepage }} }} LIMIT 1""") or [{"level": "", "homepage": None}]
    roles = [r["role"] for r in select(release.store, p + f"""SELECT DISTINCT ?role WHERE {{ <{iri}> bik:hasRole/skos:prefLabel ?role }} ORDER BY ?role""")]
    designations = [{
        "href": local_path(d["d"], base), "role": d["role"], "under": t(d["under"]), "act": t(d["act"]),
        "cited": t(d["cited"]), "date": d["date"], "valid_from": d["from"], "note": d["note"] or ""}
        for d in select(release.store, p + f"""SELECT ?d ?role ?under ?act ?cited ?date ?from ?note WHERE {{
            ?d bik:designee <{iri}> ; bik:designatedAs/skos:prefLabel ?role ; bik:underAct ?under ;
               bik:designatedBy ?act ; bik:designationDate ?date .
            OPTIONAL {{ ?d bik:validFrom ?from }} OPTIONAL {{ ?d bik:citedInProfile ?cited }}
            OPTIONAL {{ ?d skos:editorialNote ?note }} }} ORDER BY ?role""")]
    members = [{"member": t(m["member"]), "role": m["role"]} for m in select(release.store, p + f"""
        SELECT ?member ?role WHERE {{ ?m org:organization <{iri}> ; org:member ?member ; org:role/skos:prefLabel ?role }}
        ORDER BY ?role ?member""")]
    findings = [{"text": f["text"], "href": local_path(f["f"], base), "where": f["label"]} for f in select(release.store, p + f"""
        SELECT ?f ?text ?label WHERE {{ ?f bik:mentions <{iri}> ; bik:text ?text ; rdfs:label ?label }} ORDER BY ?f""")]
    return {"level": info["level"], "homepage": info["homepage"], "roles": roles, "designations": designations,
            "members": members, "findings": findings}


def act_view(release: OpenRelease, iri: str, labels: dict) -> dict:
    p = _prefixes(release)
    (info,) = select(release.store, p + f"""SELECT ?level ?date ?inforce ?celex ?eli WHERE {{
        <{iri}> bik:levelOfGovernment/skos:prefLabel ?level .
        OPTIONAL {{ <{iri}> eli:date_document ?date }} OPTIONAL {{ <{iri}> eli:first_date_entry_in_force ?inforce }}
        OPTIONAL {{ <{iri}> bik:celex ?celex }} OPTIONAL {{ <{iri}> bik:eli ?eli }} }} LIMIT 1""")
    identifiers = [{"scheme": i["scheme"], "target": i["target"], "notation": i["notation"],
                    "verification": i["verification"]} for i in select(release.store, p + f"""
        SELECT ?scheme ?target ?notation ?verification WHERE {{ <{iri}> bik:identifier ?l .
          ?l bik:scheme/skos:prefLabel ?scheme ; bik:verification/skos:prefLabel ?verification .
          OPTIONAL {{ ?l bik:target ?target }} OPTIONAL {{ ?l skos:notation ?notation }} }} ORDER BY ?scheme""")]
    links = []
    if info["celex"]:
        links.append({"href": f"https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:{quote(info['celex'])}",
                      "label": f"EUR-Lex (CELEX {info['celex']})"})
    if info["eli"]:
        official = "Belgian Official Journal (ELI)" if "ejustice" in info["eli"] else "ELI"
        links.append({"href": info["eli"], "label": official})
    relations = []
    for r in select(release.store, p + f"""SELECT ?p ?target WHERE {{ <{iri}> ?p ?target .
            FILTER (?p IN (eli:ensures_implementation_of, eli:transposes, eli:amends, eli:is_part_of, eli:has_part)) }}"""):
        relations.append({"label": r["p"].rsplit("#", 1)[-1].replace("_", " "),
                          "target": view_term(ox.NamedNode(r["target"]), labels | all_labels(release, [r["target"]]), release)})
    for r in select(release.store, p + f"""SELECT ?p ?source WHERE {{ ?source ?p <{iri}> .
            FILTER (?p IN (eli:ensures_implementation_of, eli:transposes, eli:amends)) }}"""):
        relations.append({"label": "is " + {"ensures_implementation_of": "implemented by", "transposes": "transposed by",
                                            "amends": "amended by"}[r["p"].rsplit("#", 1)[-1]],
                          "target": view_term(ox.NamedNode(r["source"]), all_labels(release, [r["source"]]), release)})
    return {"level": info["level"], "date": info["date"], "in_force": info["inforce"], "identifiers": identifiers,
            "links": links, "relations": relations}


def indicator_view(release: OpenRelease, iri: str) -> dict:
    p = _prefixes(release)
    (info,) = select(release.store, p + f"""SELECT ?area ?scale WHERE {{ <{iri}> bik:area/skos:prefLabel ?area ;
        bik:scale/skos:prefLabel ?scale }}""")
    ratings = [{"profile": r["label"], "profile_href": local_path(r["profile"], release.iris.base), "level": r["level"],
                "basis": r["basis"].rsplit("basis-", 1)[-1], "confidence": f"{float(r['conf']):.1f}"}
               for r in select(release.store, p + f"""SELECT ?profile ?label ?level ?basis ?conf WHERE {{
                   ?r bik:indicator <{iri}> ; bik:profile ?profile ; bik:basis ?basis ; bik:confidence ?conf .
                   ?profile rdfs:label ?label . OPTIONAL {{ ?r bik:level/skos:prefLabel ?level }} }} ORDER BY ?label""")]
    return {"area": info["area"], "scale": info["scale"], "ratings": ratings}


def rating_view(release: OpenRelease, iri: str) -> dict:
    (r,) = select(release.store, _prefixes(release) + f"""SELECT ?level ?basis ?conf WHERE {{
        <{iri}> bik:basis ?basis ; bik:confidence ?conf . OPTIONAL {{ <{iri}> bik:level/skos:prefLabel ?level }} }}""")
    return {"level": r["level"], "basis": r["basis"].rsplit("basis-", 1)[-1], "confidence": f"{float(r['conf']):.1f}"}


def all_labels(release: OpenRelease, iris: list[str]) -> dict:
    triples = []
    for iri in iris:
        for label in documents.LABELS:
            triples.extend(release.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(label), None, None))
    return labels_from(triples)


# ---------------------------------------------------------------- pages

def resource_page(release: OpenRelease, iri: str, doc_path: str, triples: list) -> HTMLResponse:
    labels = labels_from(triples)
    subject = ox.NamedNode(iri)
    own = [t for t in triples if t.subject == subject]
    predicates: dict = {}
    for t in own:
        predicates.setdefault(t.predicate.value, []).append(t.object)
    predicate_labels = all_labels(release, list(predicates))
    types = [t.object.value for t in own if t.predicate.value == RDF_TYPE]
    properties = [{"property": view_term(ox.NamedNode(pred), predicate_labels, release),
                   "values": [view_term(v, labels, release) for v in values]}
                  for pred, values in sorted(predicates.items(), key=lambda kv: (kv[0] != RDF_TYPE, kv[0]))]
    incoming_quads = list(release.store.quads_for_pattern(None, None, subject, None))[:200]
    incoming_labels = all_labels(release, list({q.subject.value for q in incoming_quads if isinstance(q.subject, ox.NamedNode)}
                                               | {q.predicate.value for q in incoming_quads}))
    incoming = [{"subject": view_term(q.subject, incoming_labels, release), "property": view_term(q.predicate, incoming_labels, release)}
                for q in incoming_quads]
    values = {"title": labels.get(iri) or iri.rsplit("/", 1)[-1], "iri": iri, "types": [curie(t, release.prefixes) for t in types],
              "properties": properties, "incoming": incoming, "alternates": alternates(doc_path), "release_id": release.id}
    terms = release.iris.terms
    if terms + "CountryProfile" in types:
        return render("profile.html", profile=profile_view(release, iri), **values)
    if "http://www.w3.org/ns/org#Organization" in types:
        return render("organisation.html", org=organisation_view(release, iri, labels), **values)
    if "http://data.europa.eu/eli/ontology#LegalResource" in types:
        return render("act.html", act=act_view(release, iri, labels), **values)
    if terms + "Indicator" in types:
        return render("indicator.html", indicator=indicator_view(release, iri), **values)
    if terms + "Rating" in types:
        return render("rating.html", rating=rating_view(release, iri), **values)
    return render("resource.html", **values)


def _query_list(release: OpenRelease) -> list:
    return competency_queries(release.iris.base)


def home_page(release: OpenRelease) -> HTMLResponse:
    p = _prefixes(release)
    profiles = [{"href": local_path(r["p"], release.iris.base), "label": r["label"], "ratings": r["ratings"], "findings": r["findings"]}
                for r in select(release.store, p + """SELECT ?p ?label (COUNT(DISTINCT ?r) AS ?ratings) (COUNT(DISTINCT ?f) AS ?findings) WHERE {
                    ?p a bik:CountryProfile ; rdfs:label ?label . OPTIONAL { ?r bik:profile ?p ; a bik:Rating }
                    OPTIONAL { ?f bik:profile ?p ; a bik:Finding } } GROUP BY ?p ?label ORDER BY ?label""")]
    (c,) = select(release.store, p + """SELECT
        (COUNT(DISTINCT ?i) AS ?indicators) (COUNT(DISTINCT ?o) AS ?orgs) (COUNT(DISTINCT ?a) AS ?acts) WHERE {
        { ?i a bik:Indicator } UNION { ?o a org:Organization } UNION { ?a a eli:LegalResource } }""")
    counts = [{"label": "Triples", "value": release.release.manifest["triples"]},
              {"label": "Country profiles", "value": len(profiles)},
              {"label": "Indicators", "value": c["indicators"]}, {"label": "Organisations", "value": c["orgs"]},
              {"label": "Legal acts", "value": c["acts"]}, {"label": "Release", "value": release.id}]
    return render("home.html", title="BIK+ Policy Monitor as linked data", profiles=profiles, counts=counts,
                  queries=_query_list(release), release_id=release.id)


def render_sparql_form(request: Request, status: int = 200, query: str = "", error: str | None = None,
                       error_title: str = "", **results) -> HTMLResponse:
    state = request.app.state
    release = state.releases.get()
    default = _query_list(release)[0].sparql if not query else query
    values = {"columns": None, "rows": [], "boolean": None} | results
    return render("sparql.html", status=status, title="SPARQL", query=default, error=error, error_title=error_title,
                  queries=_query_list(release), timeout=f"{state.settings.query_timeout_s:g}",
                  cap=state.settings.result_cap, release_id=release.id, **values)


async def sparql_page(request: Request, query: str, outcome) -> HTMLResponse:
    release = request.app.state.releases.get()
    if outcome.media_type == "application/n-triples":
        triples = list(ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES))
        labels = await run_in_threadpool(all_labels, release, list({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}))
        rows = [[view_term(t.subject, labels, release), view_term(t.predicate, {}, release), view_term(t.object, labels, release)]
                for t in triples]
        return render_sparql_form(request, query=query, columns=["subject", "predicate", "object"], rows=rows)
    data = json.loads(outcome.body)
    if "boolean" in data:
        return render_sparql_form(request, query=query, boolean=data["boolean"])
    columns = data["head"]["vars"]
    rows = [[_json_view(b.get(c), release) for c in columns] for b in data["results"]["bindings"]]
    return render_sparql_form(request, query=query, columns=columns, rows=rows)


def _json_view(binding: dict | None, release: OpenRelease) -> dict | None:
    if binding is None:
        return None
    if binding["type"] == "uri":
        return view_term(ox.NamedNode(binding["value"]), {}, release)
    if binding["type"] == "bnode":
        return {"label": "_:" + binding["value"]}
    datatype = binding.get("datatype")
    return {"label": binding["value"], "lang": binding.get("xml:lang"),
            "datatype": curie(datatype, release.prefixes) if datatype else None}
