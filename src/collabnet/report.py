"""The analysis of a Corpus as report.json and CSV tables (the figures published reports quote)."""
from __future__ import annotations

import datetime as _dt
import os

import pandas as pd

from . import indicators as ind
from .io_utils import atomic_write_text, write_json
from .networks import centrality, country_graph, institution_graph

ROUND = 6


def _r(v, nd=ROUND):
    v = ind.safe(v)
    return round(float(v), nd) if isinstance(v, float) else v


def analyse(corpus, focus=(), baseline=None, counting: str = "unit_fractional", topics=None,
            graphs: dict | None = None, world_output=None, timings: dict | None = None,
            progress=None) -> tuple[dict, dict]:
    """(report dict, tables) for a focus of zero, one or two countries.

    ``topics``: a ``TopicOptions`` to cluster the works by citation links (over the whole corpus), or None.
    ``graphs``: a dict that receives the ``country`` and ``institution`` graphs and the ``topics`` result.
    ``world_output``: a year, field, world_output table for the Relative Activity Index.
    ``timings``: a dict that receives seconds per stage (indicators, networks, topics).
    ``progress``: called with a line of text as each long step begins (the build prints them).
    """
    import time
    from .parallel import Background
    t0 = time.perf_counter()
    focus = [f.upper() for f in focus]
    if len(focus) > 2:
        raise ValueError("--focus takes one country or a pair")
    # the networks first: the centrality of a large institution graph runs on the second core (started
    # as soon as the graph is made) while the country graph and the indicators (and topics) are
    # computed here
    GI = institution_graph(corpus, counting=counting)
    big = GI.number_of_edges() >= BACKGROUND_CENTRALITY_EDGES
    # (not a daemon: it hands the betweenness of a large graph on to a process of its own)
    central = Background(centrality, GI, what="network centrality", daemon=False) if big else None
    G = country_graph(corpus, counting=counting)
    t_net = time.perf_counter() - t0
    if progress is not None:
        progress(f"networks built: {G.number_of_nodes():,} countries, {GI.number_of_nodes():,} institutions "
                 f"({GI.number_of_edges():,} links); computing the indicators" +
                 (" (the centrality runs on the other core)" if central is not None and central.proc else "") + " ...")
    t0 = time.perf_counter()
    if len(focus) == 2:
        works = ind.works_with(corpus, *focus)
    elif len(focus) == 1:
        works = ind.works_with(corpus, focus[0])
    else:
        works = list(corpus.works["work_id"])
    n = len(works)
    tables = {}
    by_year = ind.works_by_year(corpus, works)
    current = _dt.date.today().year
    years = [y for y in by_year.index if y < current] or list(by_year.index)
    rep = {
        "works": n,
        "corpus_works": int(len(corpus.works)),
        "focus": focus,
        "analysed_set": ("joint works of " + " and ".join(focus)) if len(focus) == 2 else (
            f"works of {focus[0]}" if focus else "all works"),
        "works_by_year": {str(int(y)): int(v) for y, v in by_year.items()},
        "partial_year": int(current) if current in by_year.index else None,
        "international_share": _r(ind.international_share(corpus, works)),
        "counting": {"tables": "full", "network_weight": counting},
    }
    tables["works_by_year"] = by_year.reset_index()
    if len(focus) == 2:
        p = ind.pair_indicators(corpus, *focus)
        rep.update(bilateral_only_works=p.bilateral_only_works, bilateral_only_share=_r(p.bilateral_only_share),
                   multinational_share=_r(p.multinational_share), country_count_histogram=p.country_count_histogram)
        tp = p.third_parties
    else:
        tp = ind.third_parties(corpus, works, exclude=tuple(focus))
    rep["third_party_countries"] = [{"country": r.country, "works": int(r.works), "share": _r(r.share)}
                                    for r in tp.itertuples()]
    tables["third_party_countries"] = tp
    imp = ind.impact(corpus, works, baseline)
    per_work = imp.pop("per_work")
    inst_countries = focus or sorted(corpus.work_countries()["country"].value_counts().index[:5])
    rep["institutions"] = {}
    for c in inst_countries:
        t = ind.institution_table(corpus, works, country=c, impact=per_work)
        rep["institutions"][c] = [{"institution": r.institution, "sector": r.sector, "works": int(r.works),
                                   "share": _r(r.share)} for r in t.itertuples()]
        tables[f"institutions_{c}"] = t
    corp = ind.institution_table(corpus, works, sector="corporate", impact=per_work)
    rep["corporates"] = [{"corporate": r.institution, "country": r.country, "works": int(r.works), "share": _r(r.share)}
                         for r in corp.itertuples()]
    tables["corporates"] = corp
    rep["academic_corporate_share"] = _r(ind.academic_corporate_share(corpus, works))
    types = ind.collaboration_types(corpus, works)
    rep["collaboration_types"] = {k: _r(v) for k, v in types.items()}
    tables["collaboration_types"] = types.rename("share").rename_axis("type").reset_index()
    tables["scp_mcp"] = ind.scp_mcp(corpus, works).reset_index()
    rep.update({k: _r(v) for k, v in imp.items()})
    fa = ind.field_activity(corpus, works, world_output)
    tables["field_activity"] = fa
    if world_output is not None:
        rep["rai"] = {r.field: _r(r.rai) for r in fa.itertuples() if r.rai is not None and pd.notna(r.rai)}
    rep["impact_name"] = {"openalex": "FWCI (OpenAlex)", "baseline": "FWCI (your baseline)"}.get(
        imp.get("fwci_source"), "MNCS_ds (dataset-relative, not FWCI)")
    tables["impact_by_year"] = _impact_by_year(corpus, works, per_work)
    if years:
        rep["growth"] = {k: _r(v) for k, v in ind.growth(by_year, int(min(years)), int(max(years))).items()}
    t1 = time.perf_counter()
    rep["country_graph"] = {"nodes": G.number_of_nodes(), "edges": G.number_of_edges()}
    tables["country_links"] = pd.DataFrame([(u, v, d["works"], d["weight"]) for u, v, d in G.edges(data=True)],
                                           columns=["source", "target", "works", "weight"]).sort_values(
        ["works", "source", "target"], ascending=[False, True, True])
    rep["institution_graph"] = {"nodes": GI.number_of_nodes(), "edges": GI.number_of_edges()}
    # the centrality tables keep their place in the table order whether computed here or in the background
    tables["networks/country_centrality"], tables["networks/institution_centrality"] = (
        _centralities(G, GI) if central is None else (centrality(G), None))
    t2 = time.perf_counter()
    if topics is not None:
        add_topics(rep, tables, graphs, run_topics_for(corpus, topics, baseline, focus,
                                                      impact=per_work if n == len(corpus.works) else None))
    t3 = time.perf_counter()
    if central is not None:
        if progress is not None and not central.ready():
            progress(f"waiting for the centrality of the {GI.number_of_nodes():,}-institution network "
                     "(shortest paths) ...")
        tables["networks/institution_centrality"] = central.result()
    for key, name in (("country_graph", "networks/country_centrality"), ("institution_graph",
                                                                         "networks/institution_centrality")):
        if tables[name] is not None and tables[name].attrs.get("path_measures"):
            rep[key]["path_measures"] = tables[name].attrs["path_measures"]   # estimated, not exact
    if graphs is not None:
        graphs.update(country=G, institution=GI)
    if timings is not None:  # networks: building the graphs, and the wait for the centrality if any
        timings.update(indicators=t1 - t0, networks=t_net + (t2 - t1) + (time.perf_counter() - t3), topics=t3 - t2)
    return rep, tables


def run_topics_for(corpus, topics, baseline=None, focus=(), impact=None):
    """The topic clustering of the whole corpus, with per-work impact for the cluster table."""
    from .topics import run_topics
    if impact is None:
        impact = ind.impact(corpus, None, baseline)["per_work"]
    return run_topics(corpus, topics, impact=impact, focus=[f.upper() for f in focus])


def add_topics(rep: dict, tables: dict, graphs: dict | None, t) -> None:
    """Put a topic clustering's summary, statistics and tables into a report."""
    rep["topics"] = t.summary()
    rep["topics_info"] = _jsonable({k: v for k, v in t.stats.items() if k != "timings"})
    tables["topics/clusters"] = t.clusters
    tables["topics/membership"] = t.membership
    if graphs is not None:
        graphs["topics"] = t


BACKGROUND_CENTRALITY_EDGES = 5000  # below this the centrality takes well under a second: not worth a fork


def _centralities(G, GI):
    return centrality(G), centrality(GI)


def _jsonable(d):
    if isinstance(d, dict):
        return {k: _jsonable(v) for k, v in d.items()}
    if isinstance(d, float):
        return _r(d, 10)
    return d


def _impact_by_year(corpus, works, per_work) -> pd.DataFrame:
    w = ind._work_values(corpus, works, "year")
    src = corpus.citation_source()
    cites = corpus.citations(src).reindex(works).astype(float) if src else pd.Series(float("nan"), index=works)
    df = pd.DataFrame({"year": w["year"], "citations": cites, "impact": per_work.reindex(works).astype(float)})
    g = df.dropna(subset=["year"]).groupby("year")
    out = pd.DataFrame({"works": g.size(), "citations_per_work": g["citations"].mean(), "impact": g["impact"].mean()})
    out.index = out.index.astype(int)
    return out.rename_axis("year").reset_index()


def write_report(out: str, rep: dict, tables: dict, summary: dict | None = None, html: bool = True) -> None:
    """report.json, tables/*.csv, networks/*.csv and (``html``) figures/*.png|svg and report.html.

    Each file is written atomically (a temporary file renamed into place).
    """
    write_json(os.path.join(out, "report.json"), rep)
    for name, df in tables.items():
        path = os.path.join(out, f"{name}.csv") if "/" in name else os.path.join(out, "tables", f"{name}.csv")
        atomic_write_text(path, df.to_csv(index=False, float_format="%.10g"))
    if html:
        from .figures import figures
        from .html_report import write_html
        figs = figures(rep, tables, os.path.join(out, "figures"))
        write_html(out, rep, tables, figs, summary)
