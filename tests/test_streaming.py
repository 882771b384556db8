"""Large Scopus CSVs are parsed straight from the file; the result equals reading the whole text."""
import glob
import importlib
import os
import sys

import pandas as pd
import pytest

import collabnet
from collabnet.errors import InputError

from conftest import FIXTURES, SHARED

rd = importlib.import_module("collabnet.read")  # the package (collabnet.read is also the function)

REAL = sorted(glob.glob(str(SHARED / "data" / "real" / "scopus" / "*.csv")))


def _both(monkeypatch, path):
    whole = collabnet.read(path, progress=False)
    monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
    streamed = collabnet.read(path, progress=False)
    monkeypatch.undo()
    return whole, streamed


@pytest.mark.parametrize("path", [str(FIXTURES / "scopus_2023.csv"), str(FIXTURES / "scopus_2021.csv")] + REAL,
                         ids=os.path.basename)
def test_streamed_scopus_equals_whole_text(monkeypatch, path):
    try:
        whole, streamed = _both(monkeypatch, path)
    except InputError as exc:  # a file collabnet refuses must be refused the same way when streamed
        monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
        with pytest.raises(InputError) as again:
            collabnet.read(path, progress=False)
        assert again.value.message.split(" (")[0] == exc.message.split(" (")[0]
        return
    assert len(whole.works) > 0
    for name in ("works", "authorships", "references"):
        pd.testing.assert_frame_equal(getattr(whole, name), getattr(streamed, name))
    assert whole.meta["inputs"] == streamed.meta["inputs"]


def test_streamed_non_utf8_scopus_is_a_clear_error(monkeypatch, tmp_path):
    src = (FIXTURES / "scopus_2023.csv").read_text(encoding="utf-8")
    bad = tmp_path / "latin.csv"
    bad.write_bytes(src.encode("utf-8") + "\n".join([src.splitlines()[1].replace("Japan", "Jap\u00e1n")]).encode("latin-1"))
    monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
    with pytest.raises(InputError, match="not UTF-8") as exc:
        collabnet.read(str(bad), progress=False)
    assert "latin-1" in exc.value.hint and exc.value.where.startswith("after record")


# ---- iter_lines: the JSON Lines stream (plain or gzip), read in blocks ----

def _python_lines(data: bytes):
    """What iterating over the file in Python gives: lines split at b"\\n", without it; BOM dropped."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    return list(enumerate(lines, 1))


LINE_CASES = {
    "plain": b'{"a": 1}\n{"b": 2}\n',
    "no final newline": b'{"a": 1}\n{"b": 2}',
    "blank and crlf lines": b'{"a": 1}\r\n\r\n\n  \n{"b": 2}\r\n',
    "bom": b'\xef\xbb\xbf{"a": 1}\n{"b": 2}\n',
    "bom, one line, no newline": b'\xef\xbb\xbf{"a": 1}',
    "lines longer than a block": b"\n".join(b'{"x": "' + bytes([65 + k]) * (37 * k + 5) + b'"}' for k in range(12)),
    "line ends on block edges": b"".join(b"y" * (8 - k % 3) + b"\n" for k in range(40)),
    "only newlines": b"\n\n\n",
    "empty": b"",
}


@pytest.fixture(params=["isal", "arrow"])
def inflater(request, monkeypatch):
    """gzip inflated by ISA-L (the dependency), or by Arrow's stream where isal cannot be imported."""
    if request.param == "isal":
        pytest.importorskip("isal")
    else:
        monkeypatch.setitem(sys.modules, "isal", None)   # (import isal raises ImportError)
    return request.param


@pytest.mark.parametrize("case", list(LINE_CASES))
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_iter_lines_gives_the_lines_of_the_file(tmp_path, monkeypatch, case, gz, inflater):
    import gzip
    from collabnet.read import textio
    data = LINE_CASES[case]
    p = tmp_path / ("x.jsonl.gz" if gz else "x.jsonl")
    p.write_bytes(gzip.compress(data) if gz else data)
    expected = _python_lines(data)
    for block in (7, 8, 64, 1 << 22):   # blocks smaller than a line, on line ends, and the default
        monkeypatch.setattr(textio, "STREAM_BYTES", block)
        assert list(textio.iter_lines(p)) == expected, (case, block)


def test_iter_lines_reads_concatenated_gzip_members_and_refuses_damaged_ones(tmp_path, monkeypatch, inflater):
    import gzip
    from collabnet.read import textio
    monkeypatch.setattr(textio, "STREAM_BYTES", 16)
    p = tmp_path / "two.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"a": 1}\n{"b": 2}\n') + gzip.compress(b'{"c": 3}\n'))   # as `cat a.gz b.gz`
    assert list(textio.iter_lines(p)) == [(1, b'{"a": 1}'), (2, b'{"b": 2}'), (3, b'{"c": 3}')]
    data = gzip.compress(b"".join(b'{"n": %d}\n' % k for k in range(2000)))
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0xFF
    for name, damaged in (("cut", data[: len(data) // 2]), ("flipped", bytes(bad)),
                          ("trailing", data + b"garbage")):
        q = tmp_path / f"{name}.jsonl.gz"
        q.write_bytes(damaged)
        with pytest.raises(InputError, match="gzip stream is damaged or truncated"):
            list(textio.iter_lines(q))
