"""Work on the second core (collabnet.parallel) gives the same outputs as work done in line; the two-level
layout of large graphs keeps their groups apart."""
import os
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from collabnet.errors import CollabnetError
from collabnet.layout import LARGE, layout
from collabnet.parallel import Background, forking

from conftest import SEEDWORLD, read_tree


def _square(x):
    return {"value": x * x, "pid": os.getpid()}


def _fail(msg):
    raise CollabnetError(msg)


def _crash():
    return 1 / 0


def test_background_returns_the_value_from_another_process():
    job = Background(_square, 12, what="squaring")
    r = job.result()
    assert r["value"] == 144
    if forking():
        assert r["pid"] != os.getpid()
    assert job.result()["value"] == 144  # asking twice gives the same answer


def test_background_errors_name_the_work(monkeypatch):
    with pytest.raises(CollabnetError, match="writing the corpus failed: disk full"):
        Background(_fail, "disk full", what="writing the corpus").result()
    if forking():  # a bug in the child comes back as a named failure with the child's traceback
        with pytest.raises(CollabnetError, match="(?s)drawing failed: .*ZeroDivisionError"):
            Background(_crash, what="drawing").result()


def _bad_input():
    from collabnet.errors import InputError
    raise InputError("x.csv", "is not UTF-8", where="line 3", hint="Re-export it")


def test_background_can_raise_the_childs_own_input_error():
    """``reraise``: a bad input found in the child (the build's reader) comes back as the InputError itself,
    so the command line prints its one-line message and exits with 2."""
    from collabnet.errors import InputError
    with pytest.raises(InputError) as info:
        Background(_bad_input, what="reading", reraise=True, daemon=False).result()
    assert (info.value.path, info.value.where, info.value.hint) == ("x.csv", "line 3", "Re-export it")
    assert str(info.value) == "x.csv (line 3): is not UTF-8. Re-export it"


def test_workers_1_runs_in_line(monkeypatch):
    monkeypatch.setenv("COLLABNET_WORKERS", "1")
    assert not forking()
    assert Background(_square, 3).result() == {"value": 9, "pid": os.getpid()}
    with pytest.raises(CollabnetError, match="disk full"):
        Background(_fail, "disk full", what="writing the corpus").result()


@pytest.mark.skipif(not (SEEDWORLD / "works.jsonl.gz").exists(), reason="../shared/data/seedworld not present")
def test_forked_and_in_line_builds_are_byte_identical(tmp_path):
    """The seed world's full build (institution graph over the centrality threshold, topics, views, exports)
    with its work spread over processes and with everything in one process: the same files, byte for byte."""
    trees = []
    for workers in ("", "1"):
        out = tmp_path / f"w{workers or 'n'}"
        env = dict(os.environ, COLLABNET_WORKERS=workers)
        r = subprocess.run([sys.executable, "-m", "collabnet", "build", str(SEEDWORLD / "works.jsonl.gz"),
                            "--out", str(out), "--focus", "JP NL", "-q"], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        trees.append(read_tree(out))
    assert sorted(trees[0]) == sorted(trees[1])
    assert len(trees[0]) > 40 and "networks/institution_centrality.csv" in trees[0]
    assert "networks/topics.graphml" in trees[0] and "views/topics.html" in trees[0]
    differ = [k for k in trees[0] if trees[0][k] != trees[1][k]]
    assert differ == []


def _planted(groups=6, per=420, seed=3):
    """groups x per nodes: dense inside a group, a few links across."""
    rng = np.random.default_rng(seed)
    G = nx.Graph()
    member = {}
    for g in range(groups):
        nodes = [f"n{g}_{k:03d}" for k in range(per)]
        for u in nodes:
            member[u] = g
            G.add_node(u)
        for _ in range(per * 4):
            a, b = rng.choice(per, 2, replace=False)
            G.add_edge(nodes[a], nodes[b], weight=float(rng.integers(1, 4)))
    allnodes = sorted(G.nodes)
    for _ in range(groups * 10):
        a, b = rng.choice(len(allnodes), 2, replace=False)
        if member[allnodes[a]] != member[allnodes[b]]:
            G.add_edge(allnodes[a], allnodes[b], weight=1.0)
    return G, member


def test_large_graph_layout_is_deterministic_and_keeps_groups_apart():
    G, member = _planted()
    assert G.number_of_nodes() > LARGE
    pos = layout(G, groups=member)
    assert pos == layout(G, groups=member)
    xy = np.array([pos[u] for u in sorted(G)])
    g = np.array([member[u] for u in sorted(G)])
    assert np.abs(xy).max() == pytest.approx(1.0)
    spread_in = np.mean([np.linalg.norm(xy[g == k] - xy[g == k].mean(axis=0), axis=1).mean() for k in set(g)])
    spread_all = np.linalg.norm(xy - xy.mean(axis=0), axis=1).mean()
    assert spread_in < 0.5 * spread_all
    # without groups, the connected components are the groups (here one component): still deterministic
    assert layout(G) == layout(G)


def _jsonl_with_quirks(tmp_path, n=23):
    """n works (the fixture's four, renumbered) with blank lines, two malformed lines and a non-work."""
    import gzip
    import json
    from conftest import FIXTURES
    base = [json.loads(x) for x in open(FIXTURES / "openalex_works.jsonl", encoding="utf-8") if x.strip()]
    lines = []
    for i in range(n):
        w = json.loads(json.dumps(base[i % len(base)]))
        w["id"] = f"https://openalex.org/W{1000 + i}"
        w["doi"] = f"https://doi.org/10.9999/split.{i}"
        w["title"] = f"{w.get('title')} part {i}"
        lines.append(json.dumps(w))
        if i in (3, 11):
            lines.append("")
        if i in (5, 17):
            lines.append('{"id": "https://openalex.org/W9", "title": ')  # cut off
        if i == 8:
            lines.append('{"foo": 1}')  # not a work
    p = tmp_path / "split.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return p


def test_jsonl_read_on_two_cores_equals_one_process(tmp_path, monkeypatch):
    """A JSON Lines file parsed block by block by two processes gives the records, skip counts and
    examples (first three, in file order) that one process gives."""
    import importlib

    import collabnet
    rd = importlib.import_module("collabnet.read")  # the package (collabnet.read is also the function)
    p = _jsonl_with_quirks(tmp_path)
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(rd, "SPLIT_BLOCK", 2)  # 13 blocks of 2 lines: both processes get several
    two = collabnet.read(p, progress=False)
    monkeypatch.setenv("COLLABNET_WORKERS", "1")
    one = collabnet.read(p, progress=False)
    assert len(one.works) == 17  # the fixture's third work is paratext: 6 of the 23 are excluded
    assert one.meta["excluded"] == {"retracted": 0, "paratext": 6}
    rep = one.meta["inputs"][0]
    assert rep["records"] == 26  # 23 works, 2 malformed lines, 1 non-work (blank lines are not records)
    assert rep["skipped"] == {"malformed JSON line (unexpected end of data)": 2,
                              "not an OpenAlex work (no id, doi or title)": 1}
    assert list(one.works["openalex_id"]) == [f"W{1000 + i}" for i in range(23) if i % 4 != 2]
    assert two.meta == one.meta
    for a, b in ((two.works, one.works), (two.authorships, one.authorships), (two.references, one.references)):
        assert a.equals(b)
