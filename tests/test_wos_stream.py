"""WoS plain text streamed in windows of bytes (read/wos_stream.py) against the whole-text parser."""
import importlib
import random
from pathlib import Path

import pytest

from collabnet.errors import InputError
from collabnet.read import wos, wos_stream
from collabnet.read.common import FileReport
from collabnet.read.textio import decode

FIXTURES = Path(__file__).parent / "fixtures"
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "wos"


def _gathered(path, blocks):
    """All records of (block number, records, report) blocks, numbered through the file, and the report."""
    recs, report, done = [], FileReport(str(path), "wos"), 0
    for _, block, rep in blocks:
        for r in block:
            r["record"] += done
        done += rep.records
        report.absorb(rep)
        recs += block
    return recs, report


def _whole(path, size):
    """Records and report of the whole-text parser (the file decoded whole, cut into blocks)."""
    text = decode(path, Path(path).read_bytes())
    return _gathered(path, wos.plain_blocks(str(path), text, size))


def _streamed(path, size):
    return _gathered(path, wos_stream.blocks(str(path), size))


def _count_paths(monkeypatch):
    """How many windows were read on arrays, and how many by the whole-text parser."""
    seen = {"arrays": 0, "parser": 0}
    orig, plain = wos_stream._fields_on_arrays, wos_stream._plain

    def spy(buf, line0):
        got = orig(buf, line0)
        seen["arrays"] += got is not None
        return got

    def spy_plain(*args):
        seen["parser"] += 1
        return plain(*args)
    monkeypatch.setattr(wos_stream, "_fields_on_arrays", spy)
    monkeypatch.setattr(wos_stream, "_plain", spy_plain)
    return seen


# lines put into a real export: everything the plain-text parser treats specially
ODD_LINES = [b"", b"   ", b"\t", b"  \t ", b"\xc2\xa0", b"   \xc2\xa0", b"\t\xe3\x80\x80", b"VR 1.0", b"FN x", b"EF",
             b"ER", b"ER x", b"AUfoo", b"xx yy", b"   cont", b"\tcont", b"TI  spaced  ", b"C1 ", b"AU", b"AU \x1f",
             b"   \x1fz\x1f", b"UT WOS:1", b"ER\t", b"ER\x0bAU z", b"TI a\x0bb", b"TI a\xe2\x80\xa8b", b"TI a\rb",
             b"TI \xc3\xa9", b"   \xc3\xa9 ", b"DI 10.1/x", b"CR ref, DOI 10.5/y", b"PT J", b"AB abstract",
             b"   more abstract", b"SO x\r", b" AU x", b"  two", b"\xef\xbb\xbfPT J"]


def _source_lines():
    real = REAL / "capture_recapture_part01.txt"
    path = real if real.exists() else FIXTURES / "wos_plain.txt"
    return path.read_bytes().split(b"\n")


def test_fixture_is_read_on_arrays_and_equals_the_parser(tmp_path, monkeypatch):
    seen = _count_paths(monkeypatch)
    p = FIXTURES / "wos_plain.txt"
    monkeypatch.setattr(wos_stream, "WINDOW", 300)  # windows far smaller than a record: they grow to one
    for size in (1, 2, 2500):
        assert _streamed(p, size) == _whole(p, size)
    assert seen["arrays"] > 0 and seen["parser"] == 0
    recs, report = _streamed(p, 1)
    assert report.records == len(recs) > 1


def test_empty_reference_lines_are_dropped_on_arrays(tmp_path, monkeypatch):
    """An empty CR tag line (before, among or after the references; "CR" alone or with trailing blanks)
    in a window of plain ASCII with no joined lines (so its values are cut straight from the bytes) is
    dropped on arrays as the whole-text parser drops it: the records' references are the same."""
    seen = _count_paths(monkeypatch)
    text = (b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Tanaka, H\nTI Bilateral collaboration\n"
            b"SO CIRCULATION\nCR Smith J, 2019, CIRCULATION, V10, P1, DOI 10.5555/ref.1\n   Doe J, 2018, LANCET, V1, P2\n"
            b"PY 2020\nUT WOS:000000000000001\nER\n\nPT J\nAU Kim, S\nTI Second\nPY 2021\nUT WOS:000000000000002\nER\nEF\n")
    refs = b"CR Smith J, 2019, CIRCULATION, V10, P1, DOI 10.5555/ref.1\n   Doe J, 2018, LANCET, V1, P2\n"
    assert text.count(refs) == 1
    for empty in (b"CR\n", b"CR  \t\n"):
        for put in (empty + refs, refs.replace(b"\n   Doe", b"\n" + empty + b"CR Doe"), refs + empty):
            p = tmp_path / "empty_cr.txt"
            p.write_bytes(text.replace(refs, put))
            got = _streamed(p, 2500)
            assert got == _whole(p, 2500)
            first = got[0][0]["references"]
            assert list(first) == ["Smith J, 2019, CIRCULATION, V10, P1, DOI 10.5555/ref.1",
                                   "Doe J, 2018, LANCET, V1, P2"], put
    assert seen["arrays"] == 6 and seen["parser"] == 0


def test_odd_line_breaks_go_to_the_parser(tmp_path, monkeypatch):
    seen = _count_paths(monkeypatch)
    text = (FIXTURES / "wos_plain.txt").read_bytes()
    p = tmp_path / "vt.txt"
    p.write_bytes(text.replace(b"\nPY ", b"\nTI x\x0by\nPY ", 1))
    assert _streamed(p, 2500) == _whole(p, 2500)
    assert seen["parser"] == 1 and seen["arrays"] == 0
    assert wos_stream._odd_breaks(b"a\r\nb\n") is False and wos_stream._odd_breaks(b"a\rb\n") is True


def test_odd_breaks_and_er_lines_are_found_as_a_search_finds_them():
    odd = wos_stream._odd_breaks
    assert odd(b"a\xe2\x80\xa8b\n") and odd(b"a\xe2\x80\xa9b") and odd(b"x\xc2\x85") and odd(b"\x1e")
    # every byte of U+2028 and U+0085 is there, never in that order: not an odd break
    assert not odd(b"\xe2\x80\x99 \xc3\xa8 \xc3\xa9 \xc2\xa0 \xc3\x85 a\r\n")
    rng = random.Random(5)
    for _ in range(400):
        buf = bytes(rng.choice(b"\nER x") for _ in range(rng.randint(0, 30)))
        want = [i for i in range(len(buf)) if buf.startswith(b"\nER", i)]
        assert wos_stream._er_starts(buf) == want, buf


@pytest.mark.parametrize("seed", range(12))
def test_mutated_exports_equal_the_parser(tmp_path, monkeypatch, seed):
    """A real export (the fixture without ../shared) with odd lines put in, lines deleted and padded,
    CRLF line ends, a byte-order mark, a cut-off end: the records, their numbers and lines, and the read
    report (counts, examples) are those of the whole-text parser, in windows of every size."""
    rng = random.Random(seed)
    lines = _source_lines()
    for trial in range(4):
        cut = list(lines[:rng.randint(40, 1500)])
        for _ in range(rng.randint(1, 12)):
            i = rng.randrange(len(cut))
            op = rng.random()
            if op < 0.6:
                cut.insert(i, rng.choice(ODD_LINES))
            elif op < 0.8:
                cut[i] = cut[i] + rng.choice([b" ", b"\t", b"\r", b"  \t", b"\xc2\xa0"])
            else:
                del cut[i]
        data = (b"\r\n" if rng.random() < 0.25 else b"\n").join(cut)
        if rng.random() < 0.3:
            data = data.rstrip(b"\n") + b"\nEF\n"
        if rng.random() < 0.15:
            data = b"\xef\xbb\xbf" + data
        p = tmp_path / f"m{trial}.txt"
        p.write_bytes(data)
        monkeypatch.setattr(wos_stream, "WINDOW", rng.choice([200, 5000, 50000, 16 << 20]))
        size = rng.choice([1, 3, 2500])
        assert _streamed(p, size) == _whole(p, size), (seed, trial)


def test_not_utf8_names_the_line_in_a_later_window(tmp_path, monkeypatch):
    text = (FIXTURES / "wos_plain.txt").read_bytes()
    body = text[text.index(b"PT J"):]
    data = b"FN x\nVR 1.0\n" + body * 4
    bad_at = data.index(b"TI ", len(data) * 3 // 4)
    data = data[:bad_at] + b"TI \xff" + data[bad_at + 3:]
    p = tmp_path / "bad.txt"
    p.write_bytes(data)
    line = data[:bad_at].count(b"\n") + 1
    monkeypatch.setattr(wos_stream, "WINDOW", 300)
    with pytest.raises(InputError) as whole:
        _whole(p, 1)
    with pytest.raises(InputError) as streamed:
        _streamed(p, 1)
    assert str(streamed.value) == str(whole.value)
    assert f"line {line}" in str(streamed.value) and "0xff" in str(streamed.value)


@pytest.mark.parametrize("first_bad", [1, 2])
def test_two_processes_say_the_first_bad_block(tmp_path, monkeypatch, first_bad):
    """Blocks of one record, odd ones converted by a forked child: with bad bytes in blocks 1 and 2
    (or 2 and 3), the error names the line of the first, whichever process met it."""
    import collabnet
    rd = importlib.import_module("collabnet.read")
    text = (FIXTURES / "wos_plain.txt").read_bytes()
    first = text[text.index(b"PT J"):text.index(b"\nER\n") + 4]
    recs = [first.replace(b"WOS:000000000000001", b"WOS:9%014d" % i) for i in range(6)]
    for i in (first_bad, first_bad + 1):
        recs[i] = recs[i].replace(b"\nTI ", b"\nTI \xff", 1)
    data = b"FN x\nVR 1.0\n" + b"".join(recs)
    p = tmp_path / "bad2.txt"
    p.write_bytes(data)
    line = data[:data.index(b"\xff")].count(b"\n") + 1
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(rd, "SPLIT_BLOCK", 1)
    with pytest.raises(InputError) as got:
        collabnet.read(str(p), progress=False)
    assert f"line {line}" in str(got.value)


@pytest.mark.skipif(not REAL.exists(), reason="needs ../shared/data/real")
def test_real_exports_equal_the_parser(monkeypatch):
    seen = _count_paths(monkeypatch)
    monkeypatch.setattr(wos_stream, "WINDOW", 1 << 20)
    for p in sorted(REAL.glob("*.txt")):
        if not wos.looks_like_plain(p.read_text(encoding="utf-8-sig")[:2000]):
            continue  # (tab-delimited exports are not plain text)
        assert _streamed(p, 700) == _whole(p, 700), p.name
    assert seen["arrays"] >= 10 and seen["parser"] == 0


def test_references_kept_in_arrow_give_the_parts_of_python_strings(tmp_path):
    """CR values read on arrays stay in Arrow (StringRun); the chunk made of them, alone or mixed with
    records whose references are Python strings, equals the chunk of the whole-text parser's records."""
    from collabnet.read.chunks import chunk_part
    from collabnet.read.common import StringRun
    # the fixture's records 30 times, each with references: shared, with a DOI, repeated, accented,
    # padded, an empty CR tag line, a blank continuation
    text = (FIXTURES / "wos_plain.txt").read_bytes()
    head, _, rest = text.partition(b"\nPT ")
    recs = [b"PT " + r for r in rest.split(b"\nPT ")]
    out = [head]
    for k in range(30):
        for j, r in enumerate(recs):
            refs = [f"Ref {k % 4} {j}, 2020, J X, DOI 10.1/{k % 3}", f"Shared Ref, 2001, NATURE, V1, P{j}",
                    "Shared Ref, 2001, NATURE, V1, P0", f"M\u00fcller K, 199{k % 10}, REV \u00c9COL"]
            cr = "CR " + "\n   ".join(refs[: 1 + (k + j) % 4])
            if k % 5 == 0:
                cr = "CR\n   " + cr[3:] + "   "
            if k % 7 == 0:
                cr += "\n   Late One, 2010, X\t"
            r = r.replace(b"\nER", ("\nUT WOS:%06d%d\n" % (k, j)).encode() + cr.encode() + b"\nER")
            out.append(r.replace(b"\nTI ", f"\nTI copy {k} ".encode(), 1))
    p = tmp_path / "refs.txt"
    p.write_bytes(b"\n".join(out))
    streamed, _ = _streamed(p, 2500)
    whole, _ = _whole(p, 2500)
    assert streamed == whole
    runs = [r["references"] for r in streamed if r["references"]]
    assert runs and all(type(x) is StringRun for x in runs)
    assert all(len(x) and all(s == s.strip() and s for s in x) for x in runs)
    import pickle
    assert pickle.loads(pickle.dumps(runs[0])) == list(runs[0]) == runs[0]
    n_refs = sum(len(r["references"]) for r in whole)
    assert n_refs == sum(len(x) for x in runs) > 10

    def part(recs):
        import copy
        return chunk_part([copy.copy(r) for r in recs])

    want = part(whole)
    mixed = [s if k % 2 else w for k, (s, w) in enumerate(zip(streamed, whole))]
    for recs, same in ((streamed, whole), (mixed, whole), (streamed[::-1], whole[::-1])):
        got, ref = part(recs), part(same)
        assert got.keys == ref.keys
        for name in ("works", "authorships", "references"):
            assert getattr(got, name).equals(getattr(ref, name)), name
    assert want.references.num_rows > 10
