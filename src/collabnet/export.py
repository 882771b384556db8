"""Graph exports that other tools open, and ``load_graph`` to read any of them back.

For a networkx graph G (nodes keyed by id, edges with ``weight``) ``write_graph(G, folder, name)``
writes, each atomically and deterministically:

- ``name.graphml``: list/dict/None attributes flattened to JSON strings so the write never fails;
- ``name.gexf``: GEXF 1.2 without the writer's date (byte-identical runs);
- ``name.net``: Pajek (``*Vertices`` with quoted ids, ``*Edges i j weight``);
- ``name_vosviewer_map.txt`` and ``name_vosviewer_network.txt``: VOSviewer map and network files;
- ``name_vosviewer.json``: VOSviewer JSON (``network.items`` with id, label, x, y, cluster, weights,
  scores; ``network.links`` with source_id, target_id, strength; ``config.terminology``);
- ``name_nodes.csv`` and ``name_edges.csv``.

Node positions (``x``, ``y``) and ``cluster`` come from the node attributes when present.
"""
from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from typing import NamedTuple

import networkx as nx
import pandas as pd

from .io_utils import atomic_write_text

FORMATS = ("graphml", "gexf", "net", "vosviewer_map", "vosviewer_json", "csv")
_SCALAR = (str, int, float, bool)


def _flat(v):
    if isinstance(v, bool) or isinstance(v, (int, float, str)):
        return v
    if v is None:
        return ""
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)


def edges_among(G: nx.Graph, nodes) -> list:
    """(u, v, data) of each edge of G between ``nodes`` once, in the order ``G.subgraph(nodes).edges`` would
    give for that node order. The adjacency dict is walked directly: networkx's edge and subgraph views
    cost twice as much per edge."""
    inside = nodes if isinstance(nodes, (set, dict)) else set(nodes)
    seen = set()
    out = []
    adj = G._adj
    for u in nodes:
        for v, d in adj[u].items():
            if v in inside and v not in seen:
                out.append((u, v, d))
        seen.add(u)
    return out


def sorted_edges(G: nx.Graph) -> list:
    """(u, v, data) of every edge with u < v, sorted by (u, v): the one edge order of every export
    (node ids are strings here, so this is also the order of their positions in the sorted node list)."""
    out = [(u, v, d) if u < v else (v, u, d) for u, v, d in edges_among(G, G._adj)]
    out.sort(key=_pair)
    return out


def _pair(e):
    return e[0], e[1]


_XML_SPECIAL = re.compile(r'[&<>"\n\r\t]')


def _qa(s: str) -> str:
    """``xml.sax.saxutils.quoteattr``, with a fast path for the usual string that needs no escaping."""
    if _XML_SPECIAL.search(s) is None:
        return '"' + s + '"'
    from xml.sax.saxutils import quoteattr
    return quoteattr(s)


class Flat(NamedTuple):
    """A graph as GraphML and GEXF write it: sorted string node ids, u < v edges in (u, v) order, and only
    str/int/float/bool attributes (keys sorted)."""
    graph: dict
    nodes: list  # [(id, attrs)]
    edges: list  # [(u, v, attrs)]


def _flat_attrs(d: dict) -> dict:
    if len(d) == 1:  # the usual edge: one weight
        for k, v in d.items():
            if type(v) in _PLAIN:
                return {k: v}
    return {k: _flat(v) for k, v in sorted(d.items())}


_PLAIN = {str, int, float, bool}


def flatten(G: nx.Graph, edges: list | None = None) -> Flat:
    """The graph with sorted nodes/edges and only str/int/float/bool attributes (GraphML and GEXF need that);
    ``edges``: ``sorted_edges(G)`` when already computed (G's nodes then are strings)."""
    nodes = [(str(n), {k: _flat(v) for k, v in sorted(G.nodes[n].items())}) for n in sorted(G.nodes, key=str)]
    if edges is None:
        edges = [(u, v, d) for (u, v), d in
                 sorted((tuple(sorted((str(a), str(b)))), d) for a, b, d in G.edges(data=True))]
    H = Flat({k: _flat(v) for k, v in sorted(G.graph.items())}, nodes,
             [(u, v, _flat_attrs(d)) for u, v, d in edges])
    _unify([d for _, d in H.nodes])
    _unify([d for _, _, d in H.edges])
    return H


def _unify(dicts) -> None:
    """One type per attribute (GEXF/GraphML declare it once): ints mixed with floats become floats,
    anything mixed with strings becomes a string."""
    kinds: dict = {}
    for d in dicts:
        for k, v in d.items():
            kinds.setdefault(k, set()).add(type(v))
    for k, ts in kinds.items():
        if len(ts) <= 1:
            continue
        conv = float if ts <= {int, float, bool} else str
        for d in dicts:
            if k in d:
                d[k] = conv(d[k])


_XML_TYPE = {bool: "boolean", int: "long", float: "double", str: "string"}  # GraphML and GEXF


def _xml_text(v) -> str:
    """An attribute value as XML element text (floats and ints, the usual values, take the short way)."""
    t = type(v)
    if t is float:
        return repr(v)
    if t is int:
        return str(v)
    from xml.sax.saxutils import escape
    return escape(_gexf_val(v))


def _xml_attr(v) -> str:
    """An attribute value as a quoted XML attribute value."""
    t = type(v)
    if t is float:
        return '"' + repr(v) + '"'
    if t is int:
        return '"' + str(v) + '"'
    return _qa(_gexf_val(v))


def graphml(G, flat: Flat | None = None) -> str:
    """GraphML written directly (networkx's writer takes 1 s per 50k edges): one <key> per attribute with
    its type, list/dict attributes already flattened to JSON strings (see ``flatten``)."""
    H = flat if flat is not None else flatten(G)

    def keys(rows):
        out = {}
        for d in rows:
            for k, v in d.items():
                out.setdefault(k, _XML_TYPE.get(type(v), "string"))
        return dict(sorted(out.items()))
    nk = keys(d for _, d in H.nodes)
    ek = keys(d for _, _, d in H.edges)
    gk = keys([H.graph])
    ids = {}
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
             'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    for scope, kk in (("graph", gk), ("node", nk), ("edge", ek)):
        for k, t in kk.items():
            ids[(scope, k)] = f"d{len(ids)}"
            lines.append(f'  <key id="{ids[(scope, k)]}" for="{scope}" attr.name={_qa(k)} attr.type="{t}" />')
    lines.append('  <graph edgedefault="undirected">')
    for k, v in H.graph.items():
        lines.append(f'    <data key="{ids[("graph", k)]}">{_xml_text(v)}</data>')
    opening = {k: f'<data key="{i}">' for (scope, k), i in ids.items() if scope == "node"}
    quoted = {}
    for n, d in H.nodes:
        data = "".join([opening[k] + _xml_text(v) + "</data>" for k, v in d.items()])
        quoted[n] = q = _qa(n)
        lines.append(f'    <node id={q}>{data}</node>')
    opening = {k: f'<data key="{i}">' for (scope, k), i in ids.items() if scope == "edge"}
    for u, v, d in H.edges:
        data = "".join([opening[k] + _xml_text(x) + "</data>" for k, x in d.items()])
        lines.append(f'    <edge source={quoted[u]} target={quoted[v]}>{data}</edge>')
    lines += ['  </graph>', '</graphml>']
    return "\n".join(lines) + "\n"


def _gexf_val(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def gexf(G, flat: Flat | None = None) -> str:
    """GEXF 1.2draft (static, undirected), written directly: networkx's writer builds an ElementTree of the
    whole graph (5 s for a 54k-edge graph) and stamps today's date, which breaks byte-identical runs."""
    H = flat if flat is not None else flatten(G)
    node_keys = sorted({k for _, d in H.nodes for k in d if k not in ("label",)})
    edge_keys = sorted({k for _, _, d in H.edges for k in d if k != "weight"})

    def kind(keys, rows):
        out = {}
        for k in keys:
            t = next((type(d[k]) for d in rows if k in d), str)
            out[k] = _XML_TYPE.get(t, "string")
        return out
    nk = kind(node_keys, [d for _, d in H.nodes])
    ek = kind(edge_keys, [d for _, _, d in H.edges])
    nid = {k: i for i, k in enumerate(node_keys)}
    eid = {k: i for i, k in enumerate(edge_keys)}
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">',
             '  <meta>', '    <creator>collabnet</creator>', '  </meta>',
             '  <graph defaultedgetype="undirected" mode="static" name="">',
             '    <attributes class="node" mode="static">']
    lines += [f'      <attribute id="{nid[k]}" title={_qa(k)} type="{nk[k]}" />' for k in node_keys]
    lines += ['    </attributes>', '    <attributes class="edge" mode="static">']
    lines += [f'      <attribute id="{eid[k]}" title={_qa(k)} type="{ek[k]}" />' for k in edge_keys]
    lines += ['    </attributes>', '    <nodes>']
    quoted = {}
    for n, d in H.nodes:
        label = d.get("label", d.get("name", n))
        vals = "".join([f'<attvalue for="{nid[k]}" value={_xml_attr(d[k])} />' for k in node_keys if k in d])
        quoted[n] = q = _qa(n)
        lines.append(f'      <node id={q} label={_qa(str(label))}><attvalues>{vals}</attvalues></node>')
    lines += ['    </nodes>', '    <edges>']
    for i, (u, v, d) in enumerate(H.edges):
        w = f' weight="{repr(float(d["weight"]))}"' if "weight" in d else ""
        vals = "".join([f'<attvalue for="{eid[k]}" value={_xml_attr(d[k])} />' for k in edge_keys if k in d]) \
            if edge_keys else ""
        lines.append(f'      <edge id="{i}" source={quoted[u]} target={quoted[v]}{w}>'
                     f'<attvalues>{vals}</attvalues></edge>')
    lines += ['    </edges>', '  </graph>', '</gexf>']
    return "\n".join(lines) + "\n"


def _pajek_label(s: str) -> str:
    return '"' + str(s).replace('"', "'").replace("\n", " ") + '"'


def pajek(G, edges: list | None = None) -> str:
    nodes = sorted(G.nodes, key=str)
    idx = {n: k + 1 for k, n in enumerate(nodes)}
    lines = [f"*Vertices {len(nodes)}"] + [f"{idx[n]} {_pajek_label(n)}" for n in nodes] + ["*Edges"]
    for u, v, d in (sorted_edges(G) if edges is None else edges):
        lines.append(f"{idx[u]} {idx[v]} {_num(d.get('weight', 1.0))}")
    return "\n".join(lines) + "\n"


def _num(x) -> str:
    return repr(float(x)) if not float(x).is_integer() else str(int(x)) if abs(x) < 2 ** 53 else repr(float(x))


def _label(G, n) -> str:
    return str(G.nodes[n].get("name") or G.nodes[n].get("label") or n)


def _vos_label(G, n) -> str:
    """VOSviewer Online treats labels as HTML (DOMPurify) and stops on markup such as "<img ...>": the
    angle brackets become the look-alike single guillemets, so the label shows as text and the map opens."""
    return _label(G, n).replace("<", "\u2039").replace(">", "\u203a")


def vosviewer_items(G, edges: list | None = None):
    nodes = sorted(G.nodes, key=str)
    strength = dict(G.degree(weight="weight"))
    items = []
    for n in nodes:
        d = G.nodes[n]
        it = {"id": str(n), "label": _vos_label(G, n)}
        if "x" in d and "y" in d:
            it["x"], it["y"] = round(float(d["x"]), 6), round(float(d["y"]), 6)
        if d.get("cluster") is not None:
            it["cluster"] = int(d["cluster"])
        it["weights"] = {"Links": int(G.degree(n)), "Total link strength": round(float(strength[n]), 6),
                         "Documents": int(d.get("works", 0))}
        scores = {}
        if "citations" in d:
            scores["Citations"] = round(float(d["citations"]), 6)
        if d.get("works"):
            scores["Avg. citations"] = round(float(d.get("citations", 0)) / float(d["works"]), 6)
        if scores:
            it["scores"] = scores
        items.append(it)
    links = [{"source_id": u, "target_id": v, "strength": float(d.get("weight", 1.0))}
             for u, v, d in (sorted_edges(G) if edges is None else edges)]
    return items, links


def vosviewer_json(G, unit: str = "item", units: str = "items", edges: list | None = None) -> str:
    items, links = vosviewer_items(G, edges)
    data = {"network": {"items": items, "links": links},
            "config": {"terminology": {"item": unit, "items": units, "link": "co-authorship link",
                                       "links": "co-authorship links", "link_strength": "link strength",
                                       "total_link_strength": "total link strength"}}}
    import orjson
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


def vosviewer_map_network(G, edges: list | None = None) -> tuple[str, str]:
    """VOSviewer map file (tab-separated, numeric ids) and network file (id, id, strength)."""
    nodes = sorted(G.nodes, key=str)
    idx = {n: k + 1 for k, n in enumerate(nodes)}
    has_xy = all("x" in G.nodes[n] for n in nodes) and nodes
    has_cl = all(G.nodes[n].get("cluster") is not None for n in nodes) and nodes
    head = ["id", "label", "description"] + (["x", "y"] if has_xy else []) + (["cluster"] if has_cl else []) + [
        "weight<Links>", "weight<Total link strength>", "weight<Documents>", "score<Citations>"]
    strength = dict(G.degree(weight="weight"))
    m = io.StringIO()
    w = csv.writer(m, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    w.writerow(head)
    for n in nodes:
        d = G.nodes[n]
        # VOSviewer shows the description as HTML: escape it (load_graph unescapes)
        row = [idx[n], _vos_label(G, n).replace("\t", " ").replace('"', "'"), html.escape(str(n).replace("\t", " "))]
        if has_xy:
            row += [round(float(d["x"]), 6), round(float(d["y"]), 6)]
        if has_cl:
            row.append(int(d["cluster"]))
        row += [G.degree(n), round(float(strength[n]), 6), int(d.get("works", 0)), round(float(d.get("citations", 0)), 6)]
        w.writerow(row)
    # id, id, strength: numbers only, so no field needs the csv module's quoting
    net = "".join([f"{idx[u]}\t{idx[v]}\t{_num(d.get('weight', 1.0))}\n"
                   for u, v, d in (sorted_edges(G) if edges is None else edges)])
    return m.getvalue(), net


def node_edge_csv(G, edges: list | None = None) -> tuple[str, str]:
    nodes = sorted(G.nodes, key=str)
    cols = sorted({k for n in nodes for k in G.nodes[n]})
    attrs = [G.nodes[n] for n in nodes]
    nd = pd.DataFrame({"id": [str(n) for n in nodes], **{k: [_flat(d.get(k)) for d in attrs] for k in cols}},
                      columns=["id"] + cols)
    edges = sorted_edges(G) if edges is None else edges
    ecols = sorted({k for _, _, d in edges for k in d})
    # built column by column (a dict per row costs three times as much for a large graph)
    ed = pd.DataFrame({"source": [u for u, _, _ in edges], "target": [v for _, v, _ in edges],
                       **{k: [_flat(d.get(k)) for _, _, d in edges] for k in ecols}},
                      columns=["source", "target"] + ecols)
    return nd.to_csv(index=False), ed.to_csv(index=False)


EXPORT_PARTS = ("xml", "other")  # GraphML + GEXF; Pajek, VOSviewer and CSV: about half the work each


def write_graph(G: nx.Graph, folder: str, name: str, unit: str = "item", units: str = "items",
                part: str | None = None) -> list[str]:
    """Write every export of G into folder (``part``: only the "xml" or the "other" half); return the paths."""
    G = nx.relabel_nodes(G, {n: str(n) for n in G.nodes}) if any(not isinstance(n, str) for n in G.nodes) else G
    out = {}
    edges = sorted_edges(G)
    if part in (None, "xml"):
        flat = flatten(G, edges)
        out[f"{name}.graphml"] = graphml(G, flat)
        out[f"{name}.gexf"] = gexf(G, flat)
    if part in (None, "other"):
        out[f"{name}.net"] = pajek(G, edges)
        out[f"{name}_vosviewer_map.txt"], out[f"{name}_vosviewer_network.txt"] = vosviewer_map_network(G, edges)
        out[f"{name}_vosviewer.json"] = vosviewer_json(G, unit, units, edges)
        out[f"{name}_nodes.csv"], out[f"{name}_edges.csv"] = node_edge_csv(G, edges)
    paths = []
    for fn, text in out.items():
        p = os.path.join(folder, fn)
        atomic_write_text(p, text)
        paths.append(p)
    return paths


# ------------------------------------------------------------------ reading back
def load_graph(path) -> nx.Graph:
    """Read any collabnet export back into an undirected networkx graph (node ids as written, ``weight`` on edges).

    GraphML, GEXF, Pajek ``.net``, VOSviewer JSON, a VOSviewer map file (its ``_network`` file alongside) or
    network file, and the node/edge CSV pair (give either file).
    """
    from .errors import InputError
    p = os.fspath(path)
    if not os.path.exists(p):
        raise InputError(p, "no such file")
    low = p.lower()
    try:
        if low.endswith(".graphml"):
            return _simple(nx.read_graphml(p))
        if low.endswith(".gexf"):
            return _simple(nx.read_gexf(p))
        if low.endswith(".net"):
            return _read_pajek(p)
        if low.endswith(".json"):
            return _read_vos_json(p)
        if low.endswith("_vosviewer_map.txt") or low.endswith("_vosviewer_network.txt"):
            base = p[: -len("_vosviewer_map.txt")] if low.endswith("_map.txt") else p[: -len("_vosviewer_network.txt")]
            return _read_vos_txt(base + "_vosviewer_map.txt", base + "_vosviewer_network.txt")
        if low.endswith("_nodes.csv") or low.endswith("_edges.csv"):
            base = p[: -len("_nodes.csv")]
            return _read_csv(base + "_nodes.csv", base + "_edges.csv")
    except InputError:
        raise
    except Exception as exc:  # a damaged file: say which and why
        raise InputError(p, f"cannot be read as a graph ({type(exc).__name__}: {exc})") from None
    raise InputError(p, "unknown graph file type", hint="give .graphml, .gexf, .net, _vosviewer.json, "
                     "_vosviewer_map.txt or _nodes.csv/_edges.csv")


def _simple(G) -> nx.Graph:
    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, d in G.edges(data=True):
        H.add_edge(u, v, **{k: x for k, x in d.items() if k not in ("id",)})
        if "weight" in d:
            H.edges[u, v]["weight"] = float(d["weight"])
    return H


def _read_pajek(p) -> nx.Graph:
    G = nx.Graph()
    names = {}
    mode = None
    with open(p, encoding="utf-8") as fh:
        for line in fh:
            s = line.strip()
            if not s:
                continue
            if s.lower().startswith("*vertices"):
                mode = "v"
                continue
            if s.lower().startswith(("*edges", "*arcs")):
                mode = "e"
                continue
            if mode == "v":
                i, rest = s.split(None, 1)
                names[i] = rest.strip().strip('"')
                G.add_node(names[i])
            elif mode == "e":
                parts = s.split()
                G.add_edge(names[parts[0]], names[parts[1]], weight=float(parts[2]) if len(parts) > 2 else 1.0)
    return G


def _read_vos_json(p) -> nx.Graph:
    with open(p, encoding="utf-8") as fh:
        data = json.load(fh)
    G = nx.Graph()
    for it in data["network"]["items"]:
        attrs = {k: v for k, v in it.items() if k not in ("id",)}
        G.add_node(str(it["id"]), **attrs)
    for ln in data["network"].get("links", []):
        G.add_edge(str(ln["source_id"]), str(ln["target_id"]), weight=float(ln.get("strength", 1.0)))
    return G


def _read_vos_txt(map_path, net_path) -> nx.Graph:
    m = pd.read_csv(map_path, sep="\t", dtype={"description": str, "label": str}, keep_default_na=False,
                    quoting=csv.QUOTE_NONE, escapechar="\\")
    ids = dict(zip(m["id"], [html.unescape(x) for x in (m["description"] if "description" in m else m["label"])]))
    G = nx.Graph()
    for r in m.to_dict("records"):
        G.add_node(ids[r["id"]], label=r["label"])
    if os.path.exists(net_path) and os.path.getsize(net_path):
        n = pd.read_csv(net_path, sep="\t", header=None)
        for a, b, w in n.itertuples(index=False):
            G.add_edge(ids[a], ids[b], weight=float(w))
    return G


def _read_csv(nodes_path, edges_path) -> nx.Graph:
    G = nx.Graph()
    nd = pd.read_csv(nodes_path, dtype={"id": str}, keep_default_na=False)
    for r in nd.to_dict("records"):
        G.add_node(r.pop("id"), **r)
    ed = pd.read_csv(edges_path, dtype={"source": str, "target": str}, keep_default_na=False)
    for r in ed.to_dict("records"):
        u, v = r.pop("source"), r.pop("target")
        G.add_edge(u, v, **r)
        if "weight" in r:
            G.edges[u, v]["weight"] = float(r["weight"])
    return G
