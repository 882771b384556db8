"""Leiden (igraph's and leidenalg's) vs Louvain on planted worlds: time, peak memory and quality (NMI, planted topics matched).

    python bench/topics_bench.py                 # scale 1 (5k works) and 20 (~105k works)
    python bench/topics_bench.py --scales 1      # quick

Worlds are generated with ../shared/tools/seedworld.py (OpenAlex format) into bench/work/ and read once
into a saved corpus; each algorithm then runs in its own child process (so its peak memory is its own),
three times at scale 1 and once at larger scales (median reported). Results go to the "topics" section of
bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import HERE, machine, world, write_section  # noqa: E402

RUNS = {"leiden-cpm, igraph (default)": ["leiden", "cpm", "igraph"],
        "leiden-cpm, leidenalg": ["leiden", "cpm", "leidenalg"],
        "leiden-modularity, igraph": ["leiden", "modularity", "igraph"],
        "leiden-modularity, leidenalg": ["leiden", "modularity", "leidenalg"],
        "louvain (modularity)": ["louvain", "modularity", "igraph"]}


def one(corpus_dir: str, truth_path: str, algorithm: str, quality: str, engine: str) -> dict:
    """Runs in the child: load, resolve, build, cluster, score."""
    from collabnet.corpus import Corpus
    from collabnet.topics import TopicOptions, run_topics
    from collabnet.topics.cluster import nmi
    corpus = Corpus.load(corpus_dir)
    t0 = time.perf_counter()
    t = run_topics(corpus, TopicOptions(algorithm=algorithm, quality=quality, leiden_engine=engine))
    wall = time.perf_counter() - t0
    truth = json.load(open(truth_path))
    mem = dict(zip(t.membership["work_id"], t.membership["cluster"]))
    planted = {w: tp["label"] for tp in truth["topics"] for w in tp["works"]}
    keys = [k for k in planted if k in mem]
    by = {}
    for w, c in mem.items():
        by.setdefault(c, set()).add(w)
    matched = sum(max(len(c & set(tp["works"])) / len(c | set(tp["works"])) for c in by.values()) >= 0.9
                  for tp in truth["topics"])
    return {"wall_s": wall, "timings": t.stats["timings"], "nmi": nmi([planted[k] for k in keys], [mem[k] for k in keys]), "matched": matched,
            "topics": len(truth["topics"]), "described": t.stats["described_clusters"],
            "resolution": t.stats["resolution"], "works": len(corpus.works)}


def child(d: str, alg: str, quality: str, engine: str) -> dict:
    p = subprocess.Popen([sys.executable, __file__, "--one", os.path.join(d, "corpus"), os.path.join(d, "truth.json"),
                          alg, quality, engine], stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        raise SystemExit(f"child failed: {alg} {quality} {engine}")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_mb"] = ru.ru_maxrss / 1024
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 20])
    ap.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(*a.one)))
        return
    rows = []
    for s in a.scales:
        d = world(s)
        for name, (alg, q, eng) in RUNS.items():
            reps = [child(d, alg, q, eng) for _ in range(3 if s <= 1 else 1)]
            r = dict(reps[0], wall_s=statistics.median(x["wall_s"] for x in reps),
                     peak_mb=max(x["peak_mb"] for x in reps), runs=len(reps))
            print(f"scale {s}: {name}: {r['wall_s']:.1f} s, {r['peak_mb']:.0f} MB, NMI {r['nmi']:.4f}, "
                  f"matched {r['matched']}/{r['topics']}", flush=True)
            rows.append((s, name, r))
    lines = ["## Topics: Leiden (igraph, leidenalg) vs Louvain (bench/topics_bench.py)", "",
             f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}.",
             "Planted worlds from `seedworld.py --world jpnl --scale S` (OpenAlex). Time = `run_topics` on a loaded",
             "corpus (reference resolution, graph, clustering, labels, cluster table); peak = the child process's",
             "max RSS (corpus loaded included). Median of 3 runs at scale 1, one run above.", "",
             "| scale | works | algorithm | resolution | clustering s | all topics s | peak MB | NMI | planted topics matched | clusters described |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s, name, r in rows:
        lines.append(f"| {s} | {r['works']:,} | {name} | {r['resolution']:.3g} | {r['timings']['cluster']:.1f} | "
                     f"{r['wall_s']:.1f} | {r['peak_mb']:.0f} | {r['nmi']:.4f} | {r['matched']}/{r['topics']} | {r['described']} |")
    lines += ["", "Clustering = graph to membership; all topics = reference resolution, graph, clustering, labels and the",
              "cluster table."]
    write_section("topics", "\n".join(lines))
    print(f"written {os.path.join(HERE, 'RESULTS.md')}")


if __name__ == "__main__":
    main()
