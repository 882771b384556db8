"""Self-contained HTML network views.

The page inlines vis-network (the copy pyvis ships), so it opens offline and makes no request (a
Content-Security-Policy forbids any).  Graph data sit in a ``<script type="application/json">`` block
with ``<``, ``>`` and ``&`` escaped, and every tooltip, legend entry and search result is built with
``textContent``: names, titles and affiliations are shown as text and never parsed as HTML.  Positions
are precomputed (``collabnet.layout``) and physics is off, so the first draw does not wait for a
simulation.
"""
from __future__ import annotations

import functools
import html
import json
import os

import networkx as nx

from ..errors import CollabnetError
from ..io_utils import atomic_write_text
from ..layout import colour

MAX_NODES = 2000
MAX_EDGES = 20000


@functools.lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    # only pyvis's files are needed: find its folder without importing it (jinja2 and the rest: 0.4 s)
    import importlib.util
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise CollabnetError("the interactive views need pyvis's copy of vis-network: pip install pyvis")
    base = os.path.join(list(spec.submodule_search_locations)[0], "lib", "vis-9.1.2")
    with open(os.path.join(base, "vis-network.min.js"), encoding="utf-8") as f:
        js = f.read()
    with open(os.path.join(base, "vis-network.css"), encoding="utf-8") as f:
        css = f.read()
    return js, css


def _safe_json(obj) -> str:
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return s.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def view_data(G: nx.Graph, *, group: dict, group_names: dict, tip_fields, max_nodes: int = MAX_NODES,
              min_edge_weight: float | None = None, max_edges: int = MAX_EDGES, positions: dict | None = None,
              size_attr: str = "works") -> dict:
    """Filter, lay out and serialise a graph for a view.

    Keeps the ``max_nodes`` largest nodes (by ``size_attr``, ties by id) and the edges between them of at
    least ``min_edge_weight`` (default: the weight that keeps the ``max_edges`` strongest edges).
    """
    from ..export import edges_among
    from ..layout import layout
    nodes_all = sorted(G.nodes, key=str)
    keep = sorted(nodes_all, key=lambda u: (-float(G.nodes[u].get(size_attr, 0) or 0), str(u)))[:max_nodes]
    inner = edges_among(G, keep)
    ew = sorted((float(d.get("weight", 1.0)) for _, _, d in inner), reverse=True)
    auto = min_edge_weight is None
    if auto:
        min_edge_weight = ew[max_edges - 1] if len(ew) > max_edges else 0.0
    edges = sorted(((str(u), str(v)) if str(u) < str(v) else (str(v), str(u)), d) for u, v, d in inner
                   if float(d.get("weight", 1.0)) >= min_edge_weight)
    del inner
    if auto and len(edges) > max_edges:  # ties at the threshold: keep the first max_edges in id order
        edges = sorted(edges, key=lambda e: (-float(e[1].get("weight", 1.0)), e[0]))[:max_edges]
        edges.sort(key=lambda e: e[0])
    F = nx.Graph()
    F.add_nodes_from((u, G.nodes[u]) for u in sorted(keep, key=str))
    F.add_edges_from((a, b, d) for (a, b), d in edges)
    pos = positions if positions is not None else layout(F)
    strength = {}
    for a, b, d in F.edges(data=True):
        w = float(d.get("weight", 1.0))
        strength.setdefault(a, []).append((w, str(b)))
        strength.setdefault(b, []).append((w, str(a)))
    out_nodes = []
    label_of = {u: str(F.nodes[u].get("name") or F.nodes[u].get("label") or u) for u in F.nodes}
    for u in sorted(F.nodes, key=str):
        d = F.nodes[u]
        x, y = pos.get(u, (0.0, 0.0))
        partners = sorted(strength.get(u, []), key=lambda t: (-t[0], t[1]))[:5]
        tip = [[k, _fmt(d.get(k))] for k in tip_fields if d.get(k) not in (None, "")]
        if partners:
            tip.append(["top partners", "; ".join(f"{label_of.get(p, p)} ({_fmt(w)})" for w, p in partners)])
        g = group.get(u, 0)
        out_nodes.append({"id": str(u), "label": label_of[u], "x": round(x * 1000, 2), "y": round(y * 1000, 2),
                          "size": float(d.get(size_attr, 1) or 1), "group": str(group_names.get(g, g)),
                          "color": colour(g if isinstance(g, int) else 0), "tip": tip})
    out_edges = [{"from": a, "to": b, "w": round(float(d.get("weight", 1.0)), 6), "works": d.get("works")}
                 for (a, b), d in edges]
    legend = {}
    for u in F.nodes:
        g = group.get(u, 0)
        legend.setdefault(str(group_names.get(g, g)), colour(g if isinstance(g, int) else 0))
    return {"nodes": out_nodes, "edges": out_edges,
            "legend": sorted(legend.items(), key=lambda kv: kv[0]),
            "filtered": {"nodes_total": len(nodes_all), "nodes_shown": F.number_of_nodes(),
                         "edges_total": G.number_of_edges(), "edges_shown": len(edges),
                         "max_nodes": max_nodes, "min_edge_weight": round(float(min_edge_weight), 6)}}


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


PAGE_CSS = """
html,body{margin:0;height:100%;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:13px}
#bar{position:absolute;top:0;left:0;right:0;padding:6px 10px;background:#fafafa;border-bottom:1px solid #ddd;z-index:2}
#bar h1{font-size:15px;margin:0 12px 0 0;display:inline}#bar input{width:220px}#info{color:#555;margin-left:10px}
#net{position:absolute;top:38px;left:0;right:240px;bottom:0}
#side{position:absolute;top:38px;right:0;width:240px;bottom:0;overflow:auto;border-left:1px solid #ddd;padding:8px;box-sizing:border-box}
.sw{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px}
.tip{max-width:360px;white-space:normal}.tip b{display:block;margin-bottom:2px}
a{color:#2c6e9b}
"""

PAGE_JS = r"""
(function(){
  var data = JSON.parse(document.getElementById('graph-data').textContent);
  function tip(n){
    var el = document.createElement('div'); el.className = 'tip';
    var h = document.createElement('b'); h.textContent = n.label; el.appendChild(h);
    n.tip.forEach(function(kv){ var d = document.createElement('div'); d.textContent = kv[0] + ': ' + kv[1]; el.appendChild(d); });
    return el;
  }
  window.collabnetTip = function(id){ var n = data.nodes.find(function(x){return x.id === id;}); return n ? tip(n) : null; };
  var maxSize = Math.max.apply(null, data.nodes.map(function(n){return n.size;}).concat([1]));
  var nodes = new vis.DataSet(data.nodes.map(function(n){
    return {id:n.id, label:n.label, x:n.x, y:n.y, value:n.size, color:n.color, title:tip(n), group_name:n.group};
  }));
  var edges = new vis.DataSet(data.edges.map(function(e, i){
    return {id:i, from:e.from, to:e.to, value:e.w, title:(e.works != null ? e.works + ' joint works, ' : '') + 'weight ' + e.w};
  }));
  var options = {
    physics:{enabled:false}, layout:{improvedLayout:false},
    interaction:{hover:true, tooltipDelay:120, hideEdgesOnDrag:data.edges.length > 3000, hideEdgesOnZoom:data.edges.length > 3000},
    nodes:{shape:'dot', scaling:{min:4, max:36, label:{enabled:true, min:10, max:28, drawThreshold:7}}, font:{size:12}, borderWidth:0},
    edges:{smooth:false, color:{color:'#9aa7b4', opacity:0.35}, scaling:{min:0.3, max:6}, selectionWidth:1.5}
  };
  var container = document.getElementById('net');
  var network = new vis.Network(container, {nodes:nodes, edges:edges}, options);
  window.collabnetView = {network:network, nodes:nodes, edges:edges, nodeCount:nodes.length, edgeCount:edges.length, ready:false};
  network.once('afterDrawing', function(){ window.collabnetView.ready = true; window.collabnetView.firstDraw = performance.now(); document.body.setAttribute('data-ready', '1'); });
  var legend = document.getElementById('legend');
  data.legend.forEach(function(kv){
    var row = document.createElement('div'); var sw = document.createElement('span'); sw.className = 'sw';
    sw.style.background = kv[1]; row.appendChild(sw); row.appendChild(document.createTextNode(kv[0])); legend.appendChild(row);
  });
  var f = data.filtered;
  document.getElementById('info').textContent = 'showing ' + f.nodes_shown + ' of ' + f.nodes_total + ' nodes and ' +
    f.edges_shown + ' of ' + f.edges_total + ' links' + (f.nodes_shown < f.nodes_total ? ' (largest ' + f.max_nodes + ' nodes)' : '') +
    (f.min_edge_weight > 0 ? ', links of weight >= ' + f.min_edge_weight : '');
  var box = document.getElementById('search'), found = document.getElementById('found');
  function search(){
    var q = box.value.trim().toLowerCase(); found.textContent = '';
    if (!q) { network.unselectAll(); return; }
    var ids = data.nodes.filter(function(n){ return n.label.toLowerCase().indexOf(q) >= 0; }).map(function(n){ return n.id; });
    found.textContent = ids.length + ' found';
    network.selectNodes(ids);
    if (ids.length) network.fit({nodes:ids, animation:false});
  }
  box.addEventListener('change', search); box.addEventListener('keyup', function(ev){ if (ev.key === 'Enter') search(); });
})();
"""


def render_view(data: dict, title: str, note: str = "", links: list | None = None) -> str:
    js, css = _vis_assets()
    link_html = "".join(f'<div><a href="{html.escape(h, quote=True)}">{html.escape(t)}</a></div>' for t, h in (links or []))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; img-src data:; font-src data:\">"
            f"<title>{html.escape(title)}</title><style>{css}</style><style>{PAGE_CSS}</style></head><body>"
            f"<div id=\"bar\"><h1>{html.escape(title)}</h1><input id=\"search\" type=\"search\" placeholder=\"search a name, Enter\">"
            "<span id=\"found\"></span><span id=\"info\"></span></div><div id=\"net\"></div>"
            f"<div id=\"side\"><p>{html.escape(note)}</p><div id=\"legend\"></div><hr>{link_html}</div>"
            f"<script type=\"application/json\" id=\"graph-data\">{_safe_json(data)}</script>"
            f"<script>{js}</script><script>{PAGE_JS}</script></body></html>\n")


def write_views(out: str, views: dict, report_exists: bool = True) -> list[str]:
    """views: name -> (title, data, note). Writes DIR/views/<name>.html and DIR/views/index.html."""
    folder = os.path.join(out, "views")
    back = [("index of views", "index.html")] + ([("report", "../report.html")] if report_exists else [])
    paths = []
    for name, (title, data, note) in views.items():
        p = os.path.join(folder, f"{name}.html")
        atomic_write_text(p, render_view(data, title, note, back))
        paths.append(p)
    items = "".join(
        f'<li><a href="{html.escape(name)}.html">{html.escape(title)}</a>: {data["filtered"]["nodes_shown"]:,} nodes, '
        f'{data["filtered"]["edges_shown"]:,} links</li>' for name, (title, data, _) in views.items())
    rep = '<li><a href="../report.html">report</a></li>' if report_exists else ""
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            "<title>collabnet views</title><style>body{font-family:system-ui,sans-serif;max-width:800px;margin:2em auto}"
            "</style></head><body><h1>collabnet views</h1><ul>" + rep + items + "</ul>"
            "<p>Graph files for networkx, igraph, Gephi and VOSviewer are in ../networks/.</p></body></html>\n")
    p = os.path.join(folder, "index.html")
    atomic_write_text(p, page)
    return paths + [p]
