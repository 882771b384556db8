"""Work on the second core (collabnet.parallel) gives the same outputs as work done in line; the two-level
layout of large graphs keeps their groups apart."""
import os
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from collabnet.errors import CollabnetError, InputError
from collabnet.layout import LARGE, layout
from collabnet.parallel import Background, forking

from conftest import FIXTURES, SEEDWORLD, read_tree


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


def _wos_with_quirks(tmp_path, n=9):
    """n copies of the fixture's first WoS record (fresh UT, DOI and title), with a line without a tag
    inside one, an "ER" followed by a tab (the parser ends the record there; the block splitter, which
    only cuts at plain "ER" lines, does not), a blank stretch, and a last record cut off (no ER)."""
    text = (FIXTURES / "wos_plain.txt").read_text(encoding="utf-8-sig")
    first = text[text.index("PT J"):text.index("ER\n") + 3]
    out = ["FN Clarivate Analytics Web of Science", "VR 1.0"]
    for i in range(n):
        rec = (first.replace("WOS:000000000000001", f"WOS:9{i:014d}").replace("10.1234/ABC.1", f"10.9999/wos.{i}")
               .replace("Bilateral collaboration in", f"Bilateral collaboration {i} in"))
        if i == 2:
            rec = rec.replace("TC 10\n", "TC 10\nno tag on this line\n")
        if i == 4:
            rec = rec.replace("\nER\n", "\nER\t\n")
        out.append(rec.rstrip("\n"))
        if i == 6:
            out.append("\n\n")
    out.append("PT J\nAU Cut, O\nTI Cut off record\nPY 2021\n")
    p = tmp_path / "quirks.txt"
    p.write_text("\n".join(out), encoding="utf-8")
    return p


def _scopus_with_quirks(tmp_path, n=9):
    """n copies of the fixture's first Scopus row (fresh EID, DOI and title), with blank rows, a row one
    field short (skipped) and a row without title, DOI or EID (skipped)."""
    import csv
    import io
    rows = list(csv.reader(open(FIXTURES / "scopus_2023.csv", encoding="utf-8-sig", newline="")))
    header, first = rows[0], rows[1]
    col = {h: i for i, h in enumerate(header)}
    body = []
    for i in range(n):
        r = list(first)
        r[col["EID"]], r[col["DOI"]], r[col["Title"]] = f"2-s2.0-9{i:09d}", f"10.9999/sc.{i}", f"{first[col['Title']]} {i}"
        body.append(r)
        if i in (1, 5):
            body.append([""] * len(header))
        if i == 3:
            body.append(r[:-1])
        if i == 7:
            empty = list(r)
            empty[col["EID"]] = empty[col["DOI"]] = empty[col["Title"]] = ""
            body.append(empty)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header] + body)
    p = tmp_path / "quirks.csv"
    p.write_text(buf.getvalue(), encoding="utf-8")
    return p


@pytest.mark.parametrize("make, works, records, skipped, warnings", [
    (_wos_with_quirks, 9, 10, {"record cut off (no ER line: truncated file?)": 1},
     {"line without a field tag (ignored)": 1}),
    (_scopus_with_quirks, 9, 11, {"record without title, DOI or EID": 1, "row has ": 1}, None),
])
def test_scopus_and_wos_read_on_two_cores_equal_one_process(tmp_path, monkeypatch, make, works, records, skipped,
                                                             warnings):
    """Scopus CSV and WoS plain text cut into blocks of 2 records, converted by two processes, give the
    corpus, counts and examples (with their line numbers and record numbers) that one process gives."""
    import importlib

    import collabnet
    rd = importlib.import_module("collabnet.read")
    p = make(tmp_path)
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(rd, "SPLIT_BLOCK", 2)
    two = collabnet.read(p, progress=False)
    monkeypatch.setenv("COLLABNET_WORKERS", "1")
    one = collabnet.read(p, progress=False)
    rep = one.meta["inputs"][0]
    assert len(one.works) == works and rep["records"] == records
    if warnings:
        assert rep["warnings"] == warnings
    for why, n in skipped.items():  # (the short row's reason begins "row has " and names its width)
        assert sum(v for k, v in rep["skipped"].items() if k.startswith(why)) == n
    assert list(one.works["record"]) == [r for r in range(1, records + 1)
                                         if r not in _skipped_records(p)][:works]
    assert two.meta == one.meta
    for a, b in ((two.works, one.works), (two.authorships, one.authorships), (two.references, one.references)):
        assert a.equals(b)


def _skipped_records(p):
    """Record numbers (1-based, as the readers count them) of the skipped records in a quirks file."""
    return {5, 10} if p.suffix == ".csv" else {10}  # csv: the short row after copy 3, the empty one after copy 7


def _blocks(n, fail_at=None):
    for i in range(n):
        if i == fail_at:
            raise CollabnetError(f"bad block {i}")
        yield i, os.getpid(), np.arange(i * 1000, dtype=np.int64)   # items of growing size


def test_background_stream_gives_every_item_in_order_and_the_childs_error():
    job = Background(_blocks, 40, stream=True, what="the blocks")
    if forking() and sys.platform.startswith("linux"):  # the pipe holds 1 MB (the system's limit if lower)
        import fcntl
        with open("/proc/sys/fs/pipe-max-size") as f:
            assert fcntl.fcntl(job._recv.fileno(), fcntl.F_GETPIPE_SZ) == min(int(f.read()), 1 << 20)
    items = job.result()
    assert [i for i, _, _ in items] == list(range(40))
    assert all(int(a.sum()) == i * 1000 * (i * 1000 - 1) // 2 for i, _, a in items)
    if forking():
        assert {pid for _, pid, _ in items} == {items[0][1]} and items[0][1] != os.getpid()
    with pytest.raises(CollabnetError, match="bad block 7"):  # (in line, the error comes at once)
        Background(_blocks, 40, 7, stream=True, what="the blocks", reraise=True).result()


def _scopus_awkward(tmp_path, crlf: bool):
    """The quirks rows, the even copies with index keywords that hold line breaks and doubled quotes, CRLF line ends if asked."""
    import csv
    import io
    p = _scopus_with_quirks(tmp_path, n=12)
    rows = list(csv.reader(open(p, encoding="utf-8", newline="")))
    col = {h: i for i, h in enumerate(rows[0])}
    for r in rows[1:]:
        if len(r) == len(rows[0]) and r[col["Title"]] and int(r[col["Title"]].rsplit(" ", 1)[1]) % 2 == 0:
            r[col["Index Keywords"]] = f'Line one {r[col["Title"]][-2:]}\nsaid "so"\r\nline three'
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    p.write_bytes(buf.getvalue().encode("utf-8"))
    return p


def _split_and_in_line(monkeypatch, rd, p, halves_taken: bool):
    """The corpus of p read by two processes (asserting whether the halves were taken), then in line."""
    import collabnet
    calls = _spy_halves(monkeypatch, rd)
    two = collabnet.read(p, progress=False)
    assert calls == [halves_taken]
    monkeypatch.setenv("COLLABNET_WORKERS", "1")
    return two, collabnet.read(p, progress=False)


def _spy_halves(monkeypatch, rd):
    calls = []
    real = rd._two_halves

    def spy(*args):
        got = real(*args)
        calls.append(got is not None)
        return got
    monkeypatch.setattr(rd, "_two_halves", spy)
    return calls


@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("stream", [False, True])
def test_scopus_read_in_two_halves_equals_one_process(tmp_path, monkeypatch, crlf, stream):
    """A Scopus CSV cut in two at a row end near its middle (quoted line breaks, doubled quotes, CRLF),
    the halves read by two processes, gives the corpus, counts, record numbers and line numbers of the
    skip examples that one process gives; from the text in memory and streamed from disk."""
    import importlib

    rd = importlib.import_module("collabnet.read")
    p = _scopus_awkward(tmp_path, crlf)
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(rd, "SPLIT_BLOCK", 2)
    if stream:
        monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
    two, one = _split_and_in_line(monkeypatch, rd, p, True)
    rep = one.meta["inputs"][0]
    assert len(one.works) == 12 and rep["records"] == 14
    # by hand: copy 0 on lines 2-4 (its keywords hold two line breaks), 1 on 5, a blank row, 2 on 7-9,
    # 3 on 10, the short row on 11; 4 on 12-14, 5, a blank row, 6 on 17-19, 7 on 20, the empty row on 21
    ex = {why[:8]: where for why, where in rep["skipped_examples"].items()}
    assert ex == {"record w": [f"{p}:21"], "row has ": [f"{p}:11"]}
    assert one.meta == two.meta
    for a, b in ((two.works, one.works), (two.authorships, one.authorships), (two.references, one.references)):
        assert a.equals(b)
    assert list(one.works["record"]) == [r for r in range(1, 15) if r not in (5, 10)]


def test_scopus_halves_cut_inside_a_quoted_field_fall_back_to_one_reading(tmp_path, monkeypatch):
    """When the cut is not a row end of the whole file (stray quotes can fool the quote count), the first
    half does not end on its mark row: both halves are dropped and the file is read as before."""
    import importlib

    rd = importlib.import_module("collabnet.read")
    sc = importlib.import_module("collabnet.read.scopus")
    p = _scopus_awkward(tmp_path, crlf=False)
    text = p.read_text(encoding="utf-8")
    inside = text.index("said", len(text) // 2)  # a line start inside a quoted keywords field, past the middle
    assert text[inside - 1] == "\n"
    monkeypatch.setattr(sc, "split_text", lambda t: inside)
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 0)
    two, one = _split_and_in_line(monkeypatch, rd, p, False)
    assert two.meta == one.meta and two.works.equals(one.works) and len(one.works) == 12


def test_streamed_scopus_guessed_cut_inside_a_quoted_field_falls_back_to_one_reading(tmp_path, monkeypatch):
    """A file streamed from disk is cut where a row likely starts (a line ending in a quote or an EID),
    without counting the quotes before it; a guess that lands inside a quoted field is caught by the
    first half's mark, and the file is read as before."""
    import importlib

    rd = importlib.import_module("collabnet.read")
    sc = importlib.import_module("collabnet.read.scopus")
    p = _scopus_awkward(tmp_path, crlf=False)
    data = p.read_bytes()
    inside = data.index(b"said", len(data) // 2)  # a line start inside a quoted keywords field
    assert data[inside - 1:inside] == b"\n"
    # the guess itself, on this file: the first line end after the middle that follows an EID
    guess = sc.likely_row_start(str(p), len(data) // 2)
    assert data[:guess].endswith(b"\n") and data[:guess - 1].rsplit(b",", 1)[1].startswith(b"2-s2.0-")
    assert data.count(b'"', 0, guess) % 2 == 0  # (it is a row end)
    monkeypatch.setattr(sc, "likely_row_start", lambda path, target: inside)
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
    two, one = _split_and_in_line(monkeypatch, rd, p, False)
    assert two.meta == one.meta and two.works.equals(one.works) and len(one.works) == 12


def test_split_text_cuts_at_a_row_end_outside_quotes():
    from collabnet.read.scopus import split_text
    # the middle falls inside a quoted field that spans lines: the cut is after the row that field ends
    text = 'h,i\n"' + "x\n" * 10 + '",1\nz,2\n'
    assert split_text(text) == text.index('",1\n') + 4
    # the middle falls in a row whose line end has doubled quotes before it: still a row end
    text = 'h,i\na,1\n"p ""q"" r",2\nb,3\n'
    assert split_text(text) == text.index(',2\n') + 3
    # no row end after the middle (the rest is one open quoted field): no cut
    assert split_text('h,i\na,1\n"open\nfield\nto the end\n') is None
    # the last row end is the file's end: nothing would be left for the second half
    assert split_text("h,i\na,1\n") is None


def test_scopus_second_half_not_utf8_is_a_clear_error(tmp_path, monkeypatch):
    """A byte that is not UTF-8 in the second half (read by the child) is reported by the parent as an
    input error that says the file and the line it comes after, not as a child's traceback."""
    import importlib

    import collabnet
    rd = importlib.import_module("collabnet.read")
    p = _scopus_awkward(tmp_path, crlf=False)
    data = p.read_bytes()
    at = data.rindex(b"Bilateral")
    p.write_bytes(data[:at] + b"\xff" + data[at + 1:])
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
    calls = _spy_halves(monkeypatch, rd)
    with pytest.raises(InputError) as err:
        collabnet.read(p, progress=False)
    assert calls == []  # raised inside the halves' reading
    msg = str(err.value)
    assert str(p) in msg and "is not UTF-8 (byte 0xff cannot be decoded)" in msg and "after line " in msg


def test_streamed_gzipped_scopus_csv_is_not_cut(tmp_path, monkeypatch):
    """A gzipped CSV streamed from disk cannot be read from its middle: it is not cut in two (the cut
    would be looked for in the compressed bytes) and is read as before, with the same corpus."""
    import gzip
    import importlib

    rd = importlib.import_module("collabnet.read")
    p = _scopus_awkward(tmp_path, crlf=False)
    g = tmp_path / "quirks.csv.gz"
    g.write_bytes(gzip.compress(p.read_bytes()))
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)

    def no_cut(*args):
        raise AssertionError("a gzip file's compressed bytes searched for a row end")
    monkeypatch.setattr(importlib.import_module("collabnet.read.scopus"), "cut_file", no_cut)
    two, one = _split_and_in_line(monkeypatch, rd, g, False)
    assert two.meta == one.meta and two.works.equals(one.works) and len(one.works) == 12


@pytest.mark.parametrize("overlap", [True, False], ids=["forked-writer", "in-line-writer"])
def test_corpus_written_with_or_without_the_forked_writer_is_the_same(tmp_path, monkeypatch, overlap):
    """read_into writes the works and references from a forked child (a corpus up to OVERLAP_WRITE_WORKS
    works) or itself (a larger one): the same corpus files either way, and as one process writes them."""
    import importlib
    R = importlib.import_module("collabnet.read")
    inputs = [str(FIXTURES / "openalex_works.jsonl"), str(FIXTURES / "scopus_2023.csv"), str(FIXTURES / "wos_plain.txt")]
    monkeypatch.setattr(R, "OVERLAP_WRITE_WORKS", 10 ** 9 if overlap else 0)
    R.read_into(tmp_path / "a", *inputs, progress=False)
    monkeypatch.setenv("COLLABNET_WORKERS", "1")
    R.read_into(tmp_path / "b", *inputs, progress=False)
    a, b = read_tree(tmp_path / "a"), read_tree(tmp_path / "b")
    assert sorted(a) == ["authorships.parquet", "meta.json", "references.parquet", "works.parquet"]
    assert a == b
    import pandas as pd
    assert len(pd.read_parquet(tmp_path / "a" / "works.parquet")) > 3
