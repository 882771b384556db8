"""Everything `collabnet build` writes about the networks: exports (always) and views + figures (unless --no-views)."""
from __future__ import annotations

import os

import networkx as nx

from ..export import write_graph
from ..layout import communities, layout, regions
from .html import MAX_NODES, view_data, write_views


def topic_graph(corpus, topics) -> nx.Graph:
    """Papers of the described topic clusters, linked by their citation links (CWTS weights)."""
    g = topics.graph
    mem = topics.membership.set_index("work_id")
    keep = set(mem.index[mem["described"]])
    labels = dict(zip(topics.clusters["cluster"], topics.clusters["label"]))
    w = corpus.works.set_index("work_id")
    src = corpus.citation_source()
    cites = corpus.citations(src) if src else None
    G = nx.Graph()
    for wid in sorted(keep):
        c = int(mem.at[wid, "cluster"])
        year = w.at[wid, "year"] if wid in w.index else None
        G.add_node(wid, name=str(w.at[wid, "title"] or wid), year=int(year) if year == year and year is not None else "",
                   doi=str(mem.at[wid, "doi"] or ""), cluster=c, topic=labels.get(c, ""),
                   citations=float(cites.get(wid, 0) or 0) if cites is not None else 0.0, works=1)
    for i, j, x in zip(g.rows.tolist(), g.cols.tolist(), g.weights.tolist()):
        a, b = g.nodes[i], g.nodes[j]
        if a in keep and b in keep:
            G.add_edge(a, b, weight=float(x))
    return G


def prepare_graphs(corpus, graphs: dict) -> dict:
    """Lay out and colour every graph (x, y, cluster on the nodes); name -> (title, graph, group, group names,
    tooltip fields, note, export name, unit, units)."""
    made = {}
    G = graphs.get("country")
    if G is not None:
        reg = regions(G.nodes)
        names = sorted(set(reg.values()))
        rid = {r: k + 1 for k, r in enumerate(names)}
        pos = layout(G)
        for u in G.nodes:
            G.nodes[u].update(x=pos[u][0], y=pos[u][1], cluster=rid[reg[u]], region=reg[u])
        made["country"] = ("Country co-authorship network", G, {u: rid[reg[u]] for u in G.nodes},
                           {v: k for k, v in rid.items()}, ["region", "works", "works_fractional", "citations"],
                           "Node size: works (full counting); colour: continent; link width: weight.",
                           "country", "countries")
    GI = graphs.get("institution")
    if GI is not None:
        com = communities(GI)
        pos = layout(GI, groups=com)
        for u in GI.nodes:
            GI.nodes[u].update(x=pos[u][0], y=pos[u][1], cluster=com[u])
        made["institution"] = ("Institution co-authorship network", GI, com,
                               {c: f"community {c}" for c in set(com.values())},
                               ["country", "sector", "works", "works_fractional", "citations"],
                               "Node size: works; colour: community (Leiden, modularity); link width: weight.",
                               "institution", "institutions")
    t = graphs.get("topics")
    if t is not None and t.graph is not None and t.membership["described"].any():
        TG = topic_graph(corpus, t)
        pos = layout(TG, groups={u: TG.nodes[u]["cluster"] for u in TG.nodes})
        for u in TG.nodes:
            TG.nodes[u].update(x=pos[u][0], y=pos[u][1])
        cl = {u: TG.nodes[u]["cluster"] for u in TG.nodes}
        lab = {c: f"{c}: {lbl}" for c, lbl in zip(t.clusters["cluster"], t.clusters["label"])}
        made["topics"] = ("Topic network (papers by citation links)", TG, cl, lab,
                          ["topic", "year", "doi", "citations"],
                          "One node per paper of the described topics; colour: topic; links: citations (CWTS weights).",
                          "paper", "papers")
    return made


def write_exports(out: str, made: dict, part: str | None = None) -> None:
    """The graph files of every graph (``part``: one half of the formats, see ``export.write_graph``)."""
    for name, m in made.items():
        write_graph(m[1], os.path.join(out, "networks"), name, m[6], m[7], part=part)


def write_view_pages(out: str, made: dict, *, max_nodes: int = MAX_NODES, min_edge_weight=None,
                     report_exists: bool = True) -> dict:
    """views/index.html and one page per graph."""
    pages = {}
    for name, (title, H, group, gnames, tips, note, _, _) in made.items():
        pos = {u: (H.nodes[u]["x"], H.nodes[u]["y"]) for u in H.nodes}
        data = view_data(H, group=group, group_names=gnames, tip_fields=tips, max_nodes=max_nodes,
                         min_edge_weight=min_edge_weight, positions=pos)
        pages[name] = (title, data, note)
    write_views(out, pages, report_exists=report_exists)
    return pages


def write_network_figures(out: str, made: dict) -> dict:
    """figures/{country,institution}_network.png|svg from the laid-out graphs."""
    from ..figures import network_figure
    figs = {}
    for name in ("country", "institution"):
        if name in made:
            _, H, group = made[name][:3]
            figs[f"{name}_network"] = network_figure(H, group, os.path.join(out, "figures"), f"{name}_network",
                                                     made[name][0])
    return figs


def write_views_and_figures(out: str, made: dict, *, max_nodes: int = MAX_NODES, min_edge_weight=None,
                            report_exists: bool = True) -> dict:
    pages = write_view_pages(out, made, max_nodes=max_nodes, min_edge_weight=min_edge_weight,
                             report_exists=report_exists)
    write_network_figures(out, made)
    return pages


def networks_and_views(out: str, corpus, graphs: dict, *, views: bool = True, max_nodes: int = MAX_NODES,
                       min_edge_weight: float | None = None, report_exists: bool = True) -> dict:
    """Lay out, colour and export every graph; write views/ and network figures when ``views``."""
    made = prepare_graphs(corpus, graphs)
    write_exports(out, made)
    if not views:
        return {}
    return write_views_and_figures(out, made, max_nodes=max_nodes, min_edge_weight=min_edge_weight,
                                   report_exists=report_exists)

