"""Helpers shared by the benchmark scripts: planted worlds, machine line, RESULTS.md sections."""
from __future__ import annotations

import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("COLLABNET_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
WORK = os.path.join(HERE, "work")


def world(scale: int, formats: str = "openalex") -> str:
    """bench/work/jpnl_s{scale}: the planted world (generated once) and its saved corpus (read once)."""
    d = os.path.join(WORK, f"jpnl_s{scale}")
    if not os.path.exists(os.path.join(d, "works.jsonl.gz")):
        print(f"generating the scale-{scale} world ...", flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "seedworld_linear.py"), "--world", "jpnl",
                        "--scale", str(scale), "--out", d, "--formats", formats], check=True)
    corpus = os.path.join(d, "corpus")
    if not os.path.exists(os.path.join(corpus, "works.parquet")):
        print(f"reading the scale-{scale} world ...", flush=True)
        # in a child process: a forked child's peak RSS counts its parent's memory at fork time
        subprocess.run([sys.executable, "-c", "import sys, collabnet; collabnet.read(sys.argv[1], progress=False)"
                        ".save(sys.argv[2])", os.path.join(d, "works.jsonl.gz"), corpus], check=True)
    return d


def speed_probe() -> float:
    """CPU seconds of a fixed pure-Python workload (a loop of 10M additions, in a fresh process): how fast
    this shared host was at the time (it varies from hour to hour: RESULTS.md records it per run)."""
    code = ("import time\nt = time.process_time()\nx = 0\nfor i in range(10_000_000):\n    x += i\n"
            "print(time.process_time() - t)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def machine() -> str:
    import igraph
    import leidenalg
    import networkx
    import numba
    import pandas
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python "
            f"{platform.python_version()}, pandas {pandas.__version__}, networkx {networkx.__version__}, "
            f"igraph {igraph.__version__}, leidenalg {leidenalg.version}, numba {numba.__version__}")


def write_section(name: str, text: str) -> None:
    """Replace (or append) the section <!-- name --> ... <!-- /name --> of bench/RESULTS.md."""
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
