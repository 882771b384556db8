"""The topics pipeline: resolve references, build the relatedness graph, cluster, label, describe, write."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..io_utils import atomic_write_text
from .cluster import SEED, leiden, louvain, merge_small, relatedness_graph, renumber
from .labels import cluster_terms, label
from .refs import resolve_references

DENSITY_MULTIPLE = 4.0
LINKED_WARN = 0.6


@dataclass
class TopicOptions:
    relatedness: str = "dc"          # dc | edc | bc
    algorithm: str = "leiden"        # leiden | louvain
    leiden_engine: str = "igraph"    # igraph | leidenalg (the same quality functions; igraph is 10-20x faster)
    quality: str = "cpm"             # cpm | modularity (leiden); louvain is modularity
    resolution: float | None = None  # None: the default rule (CPM) or 1.0 (modularity)
    min_cluster_size: int = 1        # Waltman-van Eck merging below this size (1 = off)
    report_min_size: int = 9         # clusters of at least this many papers are described
    seed: int = SEED
    fuzzy: bool = True


@dataclass
class Topics:
    membership: pd.DataFrame         # work_id, doi, cluster, described
    clusters: pd.DataFrame           # one row per described cluster
    stats: dict = field(default_factory=dict)
    graph: object = None             # the TopicGraph the clusters were found in

    def summary(self) -> list[dict]:
        return [{"cluster": int(r.cluster), "label": r.label, "size": int(r.size)} for r in self.clusters.itertuples()]


def default_resolution(graph) -> float:
    """CPM resolution = 4 x the link density of the papers that have links (docs/topics.md).

    density = 2W / N_l^2, W = total link weight, N_l = core papers with at least one link.  With CWTS
    weights (each citing paper spreads weight 1), the CWTS rule gamma = r/N assumes every paper is
    linked (density ~ 2/N); in an export only part of the papers cite within it, and the unlinked
    ones say nothing about how dense a topic is, so the density is taken over the linked papers.
    """
    deg = np.zeros(len(graph.nodes))
    np.add.at(deg, graph.rows, 1)
    np.add.at(deg, graph.cols, 1)
    n_l = int((deg[: graph.n_core] > 0).sum())
    if n_l < 2:
        return 1.0
    return float(DENSITY_MULTIPLE * 2 * graph.weights.sum() / (n_l * n_l))


def _cluster(graph, opts: TopicOptions, resolution: float) -> np.ndarray:
    if opts.algorithm == "louvain":
        m = louvain(graph, resolution=resolution, seed=opts.seed)
    elif opts.algorithm == "leiden":
        m = leiden(graph, quality=opts.quality, resolution=resolution, seed=opts.seed, engine=opts.leiden_engine)
    else:
        raise ValueError(f"unknown algorithm {opts.algorithm!r} (leiden, louvain)")
    return m


def resolution_for(graph, opts: TopicOptions) -> float:
    if opts.resolution is not None:
        return float(opts.resolution)
    if opts.algorithm == "leiden" and opts.quality == "cpm":
        return default_resolution(graph)
    return 1.0


def sweep(corpus, opts: TopicOptions, grid=None) -> pd.DataFrame:
    """Per resolution: clusters, clusters above the size cut, papers in them, largest cluster, quality."""
    refs, _ = resolve_references(corpus, fuzzy=opts.fuzzy)
    graph = relatedness_graph(refs, corpus.works["work_id"], opts.relatedness)
    base = resolution_for(graph, opts)
    grid = grid if grid is not None else [base * f for f in (0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4)]
    rows = []
    for g in grid:
        m = renumber(_cluster(graph, opts, g), graph)
        sizes = np.bincount(m)[1:]
        big = sizes[sizes >= opts.report_min_size]
        rows.append({"resolution": g, "is_default": bool(np.isclose(g, base)), "clusters": int(len(sizes)),
                     "described_clusters": int(len(big)), "papers_described": int(big.sum()),
                     "largest": int(sizes.max()) if len(sizes) else 0, "quality": _quality(graph, m, g, opts)})
    return pd.DataFrame(rows)


def _quality(graph, m, gamma, opts) -> float:
    """CPM H = sum_c e_c - gamma n_c(n_c-1)/2 (or modularity for the modularity/louvain runs)."""
    full = np.concatenate([m, np.zeros(len(graph.nodes) - graph.n_core, dtype=int)])
    same = full[graph.rows] == full[graph.cols]
    if opts.algorithm == "leiden" and opts.quality == "cpm":
        n = np.bincount(m).astype(float)
        return float(graph.weights[same].sum() - gamma * (n * (n - 1) / 2).sum())
    strength = np.zeros(len(graph.nodes))
    np.add.at(strength, graph.rows, graph.weights)
    np.add.at(strength, graph.cols, graph.weights)
    two_m = strength.sum()
    if not two_m:
        return 0.0
    s_c = pd.Series(strength).groupby(full).sum().to_numpy()
    return float(2 * graph.weights[same].sum() / two_m - gamma * (s_c ** 2).sum() / two_m ** 2)


def run_topics(corpus, opts: TopicOptions | None = None, impact: pd.Series | None = None, focus=()) -> Topics:
    import time
    opts = opts or TopicOptions()
    clock = [time.perf_counter()]
    timings = {}

    def lap(name):
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 3)
        clock[0] = now
    refs, rstats = resolve_references(corpus, fuzzy=opts.fuzzy)
    lap("resolve")
    works = corpus.works
    graph = relatedness_graph(refs, works["work_id"], opts.relatedness)
    lap("graph")
    gamma = resolution_for(graph, opts)
    m = _cluster(graph, opts, gamma)
    m = merge_small(m, graph, opts.min_cluster_size)
    m = renumber(m, graph)
    lap("cluster")
    mem = pd.Series(m, index=graph.nodes[: graph.n_core], name="cluster")
    sizes = mem.value_counts()
    described = sorted(c for c in sizes.index if sizes[c] >= opts.report_min_size)
    terms = cluster_terms(works, mem, described)
    lap("labels")
    wi = works.set_index("work_id")
    membership = pd.DataFrame({"work_id": mem.index, "doi": wi["doi"].reindex(mem.index).fillna("").to_numpy(),
                               "cluster": mem.to_numpy(), "described": mem.isin(set(described)).to_numpy()})
    clusters = describe(corpus, mem, described, terms, impact, focus)
    lap("describe")
    linked = graph.linked_core_share()
    stats = {"references": rstats, "relatedness": opts.relatedness, "algorithm": opts.algorithm,
             "quality": "modularity" if opts.algorithm == "louvain" else opts.quality,
             **({"leiden_engine": opts.leiden_engine} if opts.algorithm == "leiden" else {}),
             "resolution": gamma, "resolution_rule": "default" if opts.resolution is None else "user",
             "seed": opts.seed, "links": int(len(graph.weights)), "linked_share": linked,
             "clusters": int(len(sizes)), "described_clusters": len(described),
             "papers_in_described": int(sizes[described].sum()) if described else 0,
             "small_clusters": int((sizes < opts.report_min_size).sum()), "report_min_size": opts.report_min_size}
    stats["timings"] = timings  # seconds per stage (not part of any output file)
    if linked < LINKED_WARN and opts.relatedness == "dc":
        stats["advice"] = (f"only {linked:.0%} of the papers have a citation link inside the set; "
                           "try --relatedness edc or bc")
    return Topics(membership, clusters, stats, graph)


def describe(corpus, mem: pd.Series, described: list, terms: dict, impact, focus=()) -> pd.DataFrame:
    """Per described cluster: size, years, citations per paper, impact, top countries, institutions, corporate share."""
    w = corpus.works.set_index("work_id")
    src = corpus.citation_source()
    cites = corpus.citations(src) if src else pd.Series(dtype=float)
    wc = corpus.work_countries()
    wi = corpus.work_institutions()
    corp_works = set(wi.loc[wi["sector"] == "corporate", "work_id"])
    rows = []
    groups = mem.groupby(mem).groups
    dset = set(described)
    cl_of = mem[mem.isin(dset)]
    wc = wc[wc["work_id"].isin(cl_of.index)].assign(cluster=lambda d: d["work_id"].map(cl_of))
    wi = wi[wi["work_id"].isin(cl_of.index)].assign(cluster=lambda d: d["work_id"].map(cl_of))
    wc_by = dict(tuple(wc.groupby("cluster")))
    wi_by = dict(tuple(wi.groupby("cluster")))
    for c in described:
        ids = list(groups[c])
        n = len(ids)
        years = w["year"].reindex(ids).dropna()
        cw = cites.reindex(ids).astype(float) if src else pd.Series(np.nan, index=ids)
        cwc = wc_by.get(c, wc.iloc[:0])
        ctry = cwc.groupby("country")["work_id"].nunique().sort_index().sort_values(ascending=False, kind="mergesort")
        cwi = wi_by.get(c, wi.iloc[:0])
        inst = (cwi.groupby("institution_key").agg(institution=("institution", "first"), works=("work_id", "size"))
                .reset_index().sort_values(["works", "institution"], ascending=[False, True]))
        top_cited = pd.DataFrame({"title": w["title"].reindex(ids), "c": cw.to_numpy(), "id": ids}).sort_values(
            ["c", "id"], ascending=[False, True]).head(3)
        pt = w["primary_topic"].reindex(ids).dropna() if "primary_topic" in w else pd.Series(dtype=object)
        maj = pt.value_counts().sort_index().sort_values(ascending=False, kind="mergesort")
        row = {
            "cluster": int(c), "label": label(terms.get(c, [])), "size": n,
            "first_year": int(years.min()) if len(years) else None,
            "median_year": float(years.median()) if len(years) else None,
            "citations_per_paper": float(cw.mean()) if cw.notna().any() else None,
            "impact": float(impact.reindex(ids).mean()) if impact is not None and impact.reindex(ids).notna().any() else None,
            "top_countries": "; ".join(f"{k} ({v / n:.0%})" for k, v in ctry.head(5).items()),
            "top_institutions": "; ".join(f"{r.institution} ({r.works})" for r in inst.head(5).itertuples()),
            "corporate_share": len(corp_works & set(ids)) / n,
            "most_cited": " | ".join(f"{t} ({int(x) if pd.notna(x) else 0})" for t, x in zip(top_cited["title"], top_cited["c"])),
            "top_terms": "; ".join(t for t, _, _ in terms.get(c, [])),
            "openalex_topic": maj.index[0] if len(maj) else "",
            "openalex_topic_share": float(maj.iloc[0] / n) if len(maj) else None,
        }
        for f in focus:
            row[f"share_with_{f}"] = float(cwc.loc[cwc["country"] == f, "work_id"].nunique() / n)
        rows.append(row)
    cols = ["cluster", "label", "size", "first_year", "median_year", "citations_per_paper", "impact", "top_countries",
            "top_institutions", "corporate_share", "most_cited", "top_terms", "openalex_topic", "openalex_topic_share"]
    return pd.DataFrame(rows, columns=cols + [f"share_with_{f}" for f in focus])


def write_topics(out: str, topics: Topics) -> None:
    d = os.path.join(out, "topics")
    atomic_write_text(os.path.join(d, "membership.csv"), topics.membership.to_csv(index=False))
    atomic_write_text(os.path.join(d, "clusters.csv"), topics.clusters.to_csv(index=False, float_format="%.10g"))


def has_references(corpus) -> bool:
    return len(corpus.references) > 0

