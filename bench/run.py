"""collabnet's benchmark: build time per stage and format, the read floor, and the peers.

    python bench/run.py --quick          # scale 1 only (about 5k works), no peers at 100k
    python bench/run.py                  # scales 1 and 20 (~105k works), peers at ~100k records
    python bench/run.py --scale200       # also scale 200 (~1M works, OpenAlex only; about 1.3 GB gzip)
    python bench/run.py --pybibx         # also pyBibX at ~100k records (19-22 minutes on the scale-20 file)
    python bench/run.py --scales 200 --no-peers   # one part alone (its own section of RESULTS.md)
    python bench/run.py --peers-only     # only the ~100k-record peers (pyBibX at 5k unless --no-pybibx)
    python bench/run.py --peers-only --pybibx   # the peers with pyBibX at 100k (section "peers-pybibx")

Everything runs in child processes; peak memory is each child's max RSS (os.wait4).  Peers run in
their own virtual environments under bench/work/ (created here: metaknowledge, pyBibX), never in the
project's.  The ~100k-record peers run in rounds, each tool once a round (--peer-runs, 3), medians
reported; a run over a minute is not repeated.  Results: bench/RESULTS.md, section "build" (a partial run,
--quick, --scales or --peers-only, writes a section of its own).
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
from _common import HERE, SHARED, WORK, machine, speed_probe, write_section  # noqa: E402

FORMATS = {"openalex": "works.jsonl.gz", "scopus": "scopus.csv", "scopus2021": "scopus_2021layout.csv",
           "wos": "savedrecs.txt"}
STAGES = ["read", "clean", "save", "indicators", "networks", "topics", "report", "views"]


TREE_PEAKS = {}
_CPU = {}


def _tree_sampler(pid, stop):
    """Peak of the summed proportional set size (PSS: shared copy-on-write pages counted once, split between
    the processes sharing them) of a process and its forked children, sampled every second."""
    try:
        import psutil
    except ImportError:
        return
    peak = 0.0
    while not stop.is_set():
        try:
            root = psutil.Process(pid)
            procs = [root] + root.children(recursive=True)
            total = 0
            for q in procs:
                try:
                    total += q.memory_full_info().pss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            peak = max(peak, total / 2 ** 20)
        except psutil.NoSuchProcess:
            break
        stop.wait(1.0)
    TREE_PEAKS[pid] = peak


def run(cmd, env=None) -> tuple[float, float, str, str]:
    """(wall s, peak MB, stdout, stderr) of a child process (peak: max RSS of the largest process; the
    process tree's summed PSS peak is kept in TREE_PEAKS)."""
    import threading
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stop = threading.Event()
    th = threading.Thread(target=_tree_sampler, args=(p.pid, stop), daemon=True)
    th.start()
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    global LAST_TREE, LAST_CPU
    LAST_TREE = TREE_PEAKS.pop(p.pid, float("nan"))
    LAST_CPU = _CPU.pop(p.pid, float("nan"))
    return wall, _peak(p), out, err


LAST_TREE = float("nan")
LAST_CPU = float("nan")  # CPU seconds of the last child's process tree (steadier than wall on a shared host)


_PEAKS = {}
_CPU = {}


def _peak(p) -> float:
    return _PEAKS.pop(p.pid, float("nan"))


class Child(subprocess.Popen):
    """Popen that records the child's peak RSS when it is reaped."""

    def _try_wait(self, wait_flags):
        try:
            pid, sts, ru = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return self.pid, 0
        if pid == self.pid:
            _PEAKS[pid] = ru.ru_maxrss / 1024
            # user + system CPU of the child and of every descendant it waited for (forked workers)
            _CPU[pid] = ru.ru_utime + ru.ru_stime
        return pid, sts


subprocess.Popen = Child  # every child of this script reports its peak memory


def world(scale: int, formats: str) -> str:
    d = os.path.join(WORK, f"jpnl_s{scale}")
    need = [f for f in formats.split(",") if not os.path.exists(os.path.join(d, FORMATS[f]))]
    if need:
        print(f"generating the scale-{scale} world ({formats}) ...", flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "seedworld_linear.py"), "--world", "jpnl", "--scale",
                        str(scale), "--out", d, "--formats", formats], check=True, stdout=subprocess.DEVNULL)
    return d


def build(path: str, extra: list, out: str) -> dict:
    wall, peak, _, err = run([sys.executable, "-m", "collabnet.cli", "build", path, "--out", out, "-q",
                              "--timings"] + extra)
    stages = json.loads(err.strip().splitlines()[-1])
    return {"wall": wall, "peak": peak, "tree": LAST_TREE, "cpu": LAST_CPU, **stages}


def floor_jsonl(path: str) -> dict:
    code = ("import gzip, orjson, sys\n"
            "n = 0\n"
            "with gzip.open(sys.argv[1], 'rb') as f:\n"
            "    for line in f:\n"
            "        if line.strip(): orjson.loads(line); n += 1\n"
            "print(n)")
    wall, peak, out, _ = run([sys.executable, "-c", code, path])
    return {"wall": wall, "peak": peak, "cpu": LAST_CPU, "records": int(out)}


def floor_csv(path: str) -> dict:
    code = "import pandas as pd, sys; print(len(pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)))"
    wall, peak, out, _ = run([sys.executable, "-c", code, path])
    return {"wall": wall, "peak": peak, "cpu": LAST_CPU, "records": int(out)}


def collabnet_graphs(path: str) -> dict:
    """collabnet doing the peers' job: read the export into a corpus, build the country and institution graphs."""
    code = ("import sys, time, json, collabnet\n"
            "from collabnet.networks import country_graph, institution_graph\n"
            "t = time.perf_counter(); c = collabnet.read(sys.argv[1], progress=False)\n"
            "G = country_graph(c); I = institution_graph(c)\n"
            "print(json.dumps({'records': len(c.works), 'nodes': G.number_of_nodes(), 'edges': G.number_of_edges(),"
            " 'institutions': I.number_of_nodes(), 'seconds': time.perf_counter() - t}))")
    wall, peak, out, _ = run([sys.executable, "-c", code, path])
    return {"wall": wall, "peak": peak, "cpu": LAST_CPU, **json.loads(out.strip().splitlines()[-1])}


def venv(name: str, package: str) -> str | None:
    py = os.path.join(WORK, f"{name}-venv", "bin", "python")
    if not os.path.exists(py):
        print(f"creating bench/work/{name}-venv with {package} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", os.path.join(WORK, f"{name}-venv")], check=True)
        r = subprocess.run([py, "-m", "pip", "install", "-q", package], stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            return None
    return py


def peer(py: str, script: str, *args) -> dict:
    wall, peak, out, _ = run([py, os.path.join(HERE, "peers", script), *args])
    return {"wall": wall, "peak": peak, "cpu": LAST_CPU, **json.loads(out.strip().splitlines()[-1])}


def failing(fn):
    """``fn``, giving {"error": its last line} where the peer fails."""
    def job():
        try:
            return fn()
        except SystemExit as exc:
            return {"error": str(exc).splitlines()[-1][:160]}
    return job


ONCE_OVER = 60.0  # a job whose first run takes longer (seconds) is measured once


def interleaved(jobs: dict, n: int) -> dict:
    """The median of ``n`` runs of each job, taken in rounds (each job once a round), so that a change in
    the host's speed over the minutes weighs on every tool alike; a job that fails, or whose first run
    takes over a minute, runs once."""
    runs = {k: [] for k in jobs}
    for i in range(n):
        for k, fn in jobs.items():
            if i and ("error" in runs[k][0] or runs[k][0]["wall"] > ONCE_OVER):
                continue
            runs[k].append(fn())
    out = {}
    for k, rs in runs.items():
        if "error" in rs[0]:
            out[k] = rs[0]
            continue
        out[k] = {key: statistics.median(r[key] for r in rs) if isinstance(v, (int, float)) else v
                  for key, v in rs[0].items()} | {"runs": len(rs)}
    return out


def median_runs(fn, n):
    runs = [fn() for _ in range(n)]
    keys = runs[0].keys()
    return {k: statistics.median(r[k] for r in runs) if isinstance(runs[0][k], (int, float)) else runs[0][k]
            for k in keys} | {"runs": n}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="scale 1 only, no 100k peers")
    ap.add_argument("--scale200", action="store_true", help="also the ~1M-work world (OpenAlex only)")
    ap.add_argument("--pybibx", action="store_true", help="also pyBibX at ~100k records (slow)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement at scale 1 (median)")
    ap.add_argument("--runs20", type=int, default=3, help="rounds of the floors and the builds without topics "
                    "and views at scale 20 (median; the full build runs once)")
    ap.add_argument("--peer-runs", type=int, default=3, help="runs of each tool on each ~100k-record input, in "
                    "rounds (median; a run over a minute is not repeated)")
    ap.add_argument("--scales", default=None, help="comma-separated scales to build (200: OpenAlex only, "
                    "without topics and views); writes its own section")
    ap.add_argument("--formats", default=",".join(FORMATS), help="formats to build at scales 1 and 20")
    ap.add_argument("--no-peers", action="store_true", help="skip the ~100k-record peers")
    ap.add_argument("--peers-only", action="store_true", help="only the ~100k-record peers (own section)")
    ap.add_argument("--no-pybibx", action="store_true", help="skip pyBibX (also at 5k records)")
    a = ap.parse_args()
    partial = a.scales is not None or a.peers_only or a.no_peers or a.formats != ",".join(FORMATS)
    os.makedirs(WORK, exist_ok=True)
    out = os.path.join(WORK, "out")
    probes = [speed_probe()]
    print(f"host speed probe: {probes[0]:.2f} s", flush=True)
    rows, floors, peers = [], [], []
    scales = [1] if a.quick else [1, 20]
    if a.scales is not None:
        scales = [int(x) for x in a.scales.split(",") if x]
    if a.peers_only:
        scales = []
    wanted = {f: FORMATS[f] for f in a.formats.split(",")}
    if 200 in scales:
        scales.remove(200)
        a.scale200 = True
    for s in scales:
        d = world(s, ",".join(FORMATS))
        n = 1 if s > 1 else a.runs

        def extra(fmt):
            return ["--focus", "JP NL"] + (["--baseline", os.path.join(d, "baseline.csv")] if fmt != "openalex" else [])
        floor_jobs = {"openalex": lambda: floor_jsonl(os.path.join(d, FORMATS["openalex"])),
                      "scopus": lambda: floor_csv(os.path.join(d, FORMATS["scopus"]))}
        if s > 1:
            # the floors and the builds without topics and views in rounds (each once a round, the median of
            # each): the host's speed drifts over the minutes, and the ratio of a build to its floor should
            # not depend on which of the two ran in a slow minute; the full build once
            jobs = {("floor", f): fn for f, fn in floor_jobs.items()}
            jobs |= {("build", fmt): (lambda fmt=fmt, fn=fn: build(os.path.join(d, fn), extra(fmt) +
                                                                   ["--no-topics", "--no-views"], out))
                     for fmt, fn in wanted.items()}
            res = interleaved(jobs, a.runs20)
            floors += [(s, f, res[("floor", f)]) for f in floor_jobs]
            for fmt, fn in wanted.items():
                if fmt == "openalex":  # (at scale 20 the full build is timed from OpenAlex only)
                    r = build(os.path.join(d, fn), extra(fmt), out) | {"runs": 1}
                    rows.append((s, fmt, "full build", r))
                    print(f"scale {s} {fmt} full build: {r['wall']:.1f} s, {r['peak']:.0f} MB", flush=True)
                r = res[("build", fmt)]
                rows.append((s, fmt, "without topics and views", r))
                print(f"scale {s} {fmt} without topics and views: {r['wall']:.1f} s, {r['peak']:.0f} MB "
                      f"(median of {r.get('runs', 1)})", flush=True)
            continue
        floors += [(s, f, median_runs(fn, n)) for f, fn in floor_jobs.items()]
        for fmt, fn in wanted.items():
            for label, more in (("full build", []), ("without topics and views", ["--no-topics", "--no-views"])):
                r = median_runs(lambda: build(os.path.join(d, fn), extra(fmt) + more, out), n)
                rows.append((s, fmt, label, r))
                print(f"scale {s} {fmt} {label}: {r['wall']:.1f} s, {r['peak']:.0f} MB", flush=True)
    if a.scale200:
        d = world(200, "openalex")
        floors.append((200, "openalex", floor_jsonl(os.path.join(d, FORMATS["openalex"]))))
        r = build(os.path.join(d, FORMATS["openalex"]), ["--focus", "JP NL", "--no-topics", "--no-views"], out)
        rows.append((200, "openalex", "without topics and views", r | {"runs": 1}))
    if not a.quick and not a.no_peers and (a.scales is None or a.peers_only):
        # peers on ~100k records: the scale-20 Scopus CSV, and real files repeated with fresh ids and titles
        d = world(20, "scopus")
        real_sc = os.path.join(WORK, "real_scopus_100k.csv")
        real_wos = os.path.join(WORK, "real_wos_100k.txt")
        n100 = 100_000
        if not os.path.exists(real_sc):
            subprocess.run([sys.executable, os.path.join(HERE, "replicate.py"),
                            os.path.join(SHARED, "data/real/scopus/superconductors_metaknowledge_2016.csv"), real_sc,
                            str(n100)], check=True)
        # a WoS export with mega-author papers (physics collaborations: up to 3,557 authors, 120 a record)
        real_wos_mega = os.path.join(WORK, "real_wos_kth_100k.txt")
        for src, dst in (("capture_recapture_part01.txt", real_wos), ("kth_2025_nobom.txt", real_wos_mega)):
            if not os.path.exists(dst):
                subprocess.run([sys.executable, os.path.join(HERE, "replicate.py"),
                                os.path.join(SHARED, "data/real/wos", src), dst, str(n100)], check=True)
        mk = venv("mk", "metaknowledge")
        d1 = world(1, "scopus")
        inputs = [("seed world S=1 scopus.csv (5k, pyBibX measured here)", os.path.join(d1, FORMATS["scopus"]), "scopus"),
                  ("seed world S=20 scopus.csv (2023 layout)", os.path.join(d, FORMATS["scopus"]), "scopus"),
                  ("real Scopus (metaknowledge's file) x100k", real_sc, "scopus"),
                  ("real WoS (capture-recapture) x100k", real_wos, "wos"),
                  ("real WoS with mega-author papers (KTH) x100k", real_wos_mega, "wos")]
        for name, path, db in inputs:
            jobs = {"collabnet": lambda: collabnet_graphs(path)}
            if db == "scopus":
                jobs["read_csv floor"] = lambda: floor_csv(path)
                jobs["pandas+networkx script"] = lambda: peer(sys.executable, "pandas_country.py", path)
            if mk:
                jobs["metaknowledge"] = failing(lambda: peer(mk, "metaknowledge_country.py", path))
            if not a.no_pybibx and (a.pybibx or name.startswith("seed world S=1")):
                pb = venv("pybibx", "pybibx")
                if pb:
                    jobs["pyBibX"] = failing(lambda: peer(pb, "pybibx_country.py", path, db))
            res = interleaved(jobs, a.peer_runs)
            peers.append((name, res))
            print(name, {k: round(v.get("wall", 0), 1) for k, v in res.items()}, flush=True)
    # a --quick run (scale 1 only) keeps its own section, so it never overwrites a full run's figures
    if a.peers_only:
        section = "peers-pybibx" if a.pybibx else "peers"  # (pyBibX at 100k: a run of its own, kept apart)
    elif partial:
        section = "build-" + "-".join(f"s{x}" for x in scales + ([200] if a.scale200 else [])) + (
            "" if a.formats == ",".join(FORMATS) else "-" + a.formats.replace(",", "-"))
    else:
        section = "build-quick" if a.quick else "build"
    probes.append(speed_probe())
    write_section(section, report(rows, floors, peers, quick=a.quick, title=None if not partial else section,
                                  probes=probes))
    print(f"written {os.path.join(HERE, 'RESULTS.md')}")


def _cpu(r) -> str:
    c = r.get("cpu", float("nan"))
    return "-" if c != c else f"{c:.1f}"


def report(rows, floors, peers, quick: bool = False, title: str | None = None, probes=None) -> str:
    fl = {(s, f): r for s, f, r in floors}
    head = f"bench/run.py, part: {title}" if title else "bench/run.py" + (" --quick: scale 1 only" if quick else "")
    L = [f"## Build time and memory ({head})", "",
         f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}."
         + (f" Host speed probe (CPU s of a fixed pure-Python loop; larger = a slower host at the time): "
            f"{probes[0]:.2f} at the start, {probes[-1]:.2f} at the end." if probes else ""),
         "Planted worlds from `seedworld.py --world jpnl --scale S`; `collabnet build --focus 'JP NL' --timings` in a child",
         "process (wall = whole process including Python start-up; stages from `--timings`; peak = max RSS of the",
         "largest process; all processes = peak of the summed PSS of the build and its forked children, sampled once",
         "a second: pages the children share copy-on-write are counted once). Stage times are the main process's wall",
         "time; centrality, topics, corpus writing, figures and exports overlap them on the second core, so a stage",
         "that waits for background work shows the wait. CPU s = user + system time of the build and all its",
         "children (wall time on this shared host varies by up to a third from run to run; CPU time much less).",
         "Median of the runs shown (at scale 20 the floors and the builds without topics and views run in rounds,",
         "each once a round, so that the host's drift weighs on both sides of a ratio alike; the full build once).",
         "Read floor: decompress + orjson-parse every line of works.jsonl.gz; pandas `read_csv` of scopus.csv.",
         "", "### Read floor", "", "| scale | file | records | wall s | peak MB |", "|---|---|---|---|---|"]
    for (s, f), r in sorted(fl.items()):
        L.append(f"| {s} | {f} | {r['records']:,} | {r['wall']:.1f} | {r['peak']:.0f} |")
    L += ["", "### collabnet build", "",
          "| scale | format | build | wall s | x floor | CPU s | peak MB | all processes MB | " + " | ".join(STAGES) + " |",
          "|---|---|---|---|---|---|---|---|" + "---|" * len(STAGES)]
    for s, f, label, r in rows:
        floor = fl.get((s, "openalex" if f == "openalex" else "scopus" if f.startswith("scopus") else None))
        ratio = f"{r['wall'] / floor['wall']:.1f}" if floor else "-"
        st = " | ".join(f"{r[k]:.1f}" if k in r else "-" for k in STAGES)
        tree = r.get("tree", float("nan"))
        L.append(f"| {s} | {f} | {label} | {r['wall']:.1f} | {ratio} | {_cpu(r)} | {r['peak']:.0f} | "
                 f"{'-' if tree != tree else f'{tree:.0f}'} | {st} |")
    base = {f: r for s, f, label, r in rows if s == 1 and label == "without topics and views"}
    grow = [(s, f, r) for s, f, label, r in rows if s > 1 and label == "without topics and views" and f in base]
    if grow:
        L += ["", "### Growth from scale 1 (build without topics and views)", "",
              "| scale | format | works x | wall s | time x | peak MB | memory x | peak MB per 1k works |",
              "|---|---|---|---|---|---|---|---|"]
        for s, f, r in grow:
            b = base[f]
            works = fl.get((s, "openalex"), {}).get("records")
            L.append(f"| {s} | {f} | {s} | {r['wall']:.1f} | {r['wall'] / b['wall']:.1f} | {r['peak']:.0f} | "
                     f"{r['peak'] / b['peak']:.1f} | "
                     f"{(r['peak'] / (works / 1000)) if works else float('nan'):.1f} |")
    if peers:
        L += ["", "### Against the peers (~100k records): read the export, build the country (and institution) network", "",
              "Each tool's median of its runs, taken in rounds (each tool once a round) so that the host's change of",
              "speed over the minutes weighs on all alike; a tool whose first run takes over a minute runs once.", "",
              "| input | tool | records | countries | links | runs | wall s | CPU s | peak MB | collabnet faster by |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for name, res in peers:
            cn = res["collabnet"]["wall"]
            for tool, r in res.items():
                if "error" in r:
                    L.append(f"| {name} | {tool} | fails: {r['error']} | | | | | | | |")
                    continue
                speed = "-" if tool == "collabnet" else f"{r['wall'] / cn:.1f}x"
                L.append(f"| {name} | {tool} | {r.get('records', '-'):,} | {r.get('nodes', '-')} | {r.get('edges', '-')} | "
                         f"{r.get('runs', 1)} | {r['wall']:.1f} | {_cpu(r)} | {r['peak']:.0f} | {speed} |")
    return "\n".join(L)


if __name__ == "__main__":
    main()
