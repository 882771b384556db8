"""Leiden vs Louvain on planted worlds: time, peak memory and quality (NMI, planted topics matched).

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
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("COLLABNET_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
WORK = os.path.join(HERE, "work")
RUNS = {"leiden-cpm (default)": ["leiden", "cpm"], "leiden-modularity": ["leiden", "modularity"],
        "louvain (modularity)": ["louvain", "modularity"]}


def world(scale: int) -> str:
    d = os.path.join(WORK, f"jpnl_s{scale}")
    if not os.path.exists(os.path.join(d, "works.jsonl.gz")):
        print(f"generating the scale-{scale} world ...", flush=True)
        subprocess.run([sys.executable, os.path.join(SHARED, "tools", "seedworld.py"), "--world", "jpnl",
                        "--scale", str(scale), "--out", d, "--formats", "openalex"], check=True)
    corpus = os.path.join(d, "corpus")
    if not os.path.exists(os.path.join(corpus, "works.parquet")):
        print(f"reading the scale-{scale} world ...", flush=True)
        import collabnet
        collabnet.read(os.path.join(d, "works.jsonl.gz"), progress=False).save(corpus)
    return d


def one(corpus_dir: str, truth_path: str, algorithm: str, quality: str) -> dict:
    """Runs in the child: load, resolve, build, cluster, score."""
    import numpy as np
    from collabnet.corpus import Corpus
    from collabnet.topics import TopicOptions, run_topics
    from collabnet.topics.cluster import nmi
    corpus = Corpus.load(corpus_dir)
    t0 = time.perf_counter()
    t = run_topics(corpus, TopicOptions(algorithm=algorithm, quality=quality))
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
    del np
    return {"wall_s": wall, "nmi": nmi([planted[k] for k in keys], [mem[k] for k in keys]), "matched": matched,
            "topics": len(truth["topics"]), "described": t.stats["described_clusters"],
            "resolution": t.stats["resolution"], "works": len(corpus.works)}


def child(d: str, alg: str, quality: str) -> dict:
    p = subprocess.Popen([sys.executable, __file__, "--one", os.path.join(d, "corpus"), os.path.join(d, "truth.json"),
                          alg, quality], stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        raise SystemExit(f"child failed: {alg} {quality}")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_mb"] = ru.ru_maxrss / 1024
    return res


def machine() -> str:
    import igraph
    import leidenalg
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python "
            f"{platform.python_version()}, igraph {igraph.__version__}, leidenalg {leidenalg.version}")


def write_section(name: str, text: str) -> None:
    path = os.path.join(HERE, "RESULTS.md")
    body = open(path).read() if os.path.exists(path) else "# Benchmark results\n\nProduced by the scripts in bench/.\n"
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    if start in body:
        body = body[: body.index(start)] + block + body[body.index(end) + len(end):]
    else:
        body = body.rstrip() + "\n\n" + block + "\n"
    with open(path + ".tmp", "w") as f:
        f.write(body)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 20])
    ap.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(*a.one)))
        return
    rows = []
    for s in a.scales:
        d = world(s)
        for name, (alg, q) in RUNS.items():
            reps = [child(d, alg, q) for _ in range(3 if s <= 1 else 1)]
            r = dict(reps[0], wall_s=statistics.median(x["wall_s"] for x in reps),
                     peak_mb=max(x["peak_mb"] for x in reps), runs=len(reps))
            print(f"scale {s}: {name}: {r['wall_s']:.1f} s, {r['peak_mb']:.0f} MB, NMI {r['nmi']:.4f}, "
                  f"matched {r['matched']}/{r['topics']}", flush=True)
            rows.append((s, name, r))
    lines = ["## Topics: Leiden vs Louvain (bench/topics_bench.py)", "",
             f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}.",
             "Planted worlds from `seedworld.py --world jpnl --scale S` (OpenAlex). Time = `run_topics` on a loaded",
             "corpus (reference resolution, graph, clustering, labels, cluster table); peak = the child process's",
             "max RSS (corpus loaded included). Median of 3 runs at scale 1, one run above.", "",
             "| scale | works | algorithm | resolution | wall s | peak MB | NMI | planted topics matched | clusters described |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s, name, r in rows:
        lines.append(f"| {s} | {r['works']:,} | {name} | {r['resolution']:.3g} | {r['wall_s']:.1f} | {r['peak_mb']:.0f} | "
                     f"{r['nmi']:.4f} | {r['matched']}/{r['topics']} | {r['described']} |")
    write_section("topics", "\n".join(lines))
    print(f"written {os.path.join(HERE, 'RESULTS.md')}")


if __name__ == "__main__":
    main()
