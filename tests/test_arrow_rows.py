"""Scopus CSV rows parsed by pyarrow (scopus.ArrowRows) give the records, counts, skip reasons and line
numbers that the csv module gives, and what pyarrow does not read so goes to the csv module."""
import csv
import importlib
import io
from collections import Counter

import pandas as pd
import pytest

from collabnet.errors import InputError

from conftest import FIXTURES

sc = importlib.import_module("collabnet.read.scopus")


def _awkward(tmp_path, crlf: bool, short_row: bool, final_newline: bool):
    """The fixture's first row 8 times (fresh EID, DOI, title): index keywords with line breaks and doubled
    quotes in the even copies, an empty line after copy 1, a row of empty fields after copy 2, a row whose
    only field is its link after copy 4 (a record, skipped: no title, DOI or EID), a row one field
    short after copy 5 if asked, and no line end after the last row if asked."""
    rows = list(csv.reader(open(FIXTURES / "scopus_2023.csv", encoding="utf-8-sig", newline="")))
    header, first = rows[0], rows[1]
    col = {h: i for i, h in enumerate(header)}
    nl = "\r\n" if crlf else "\n"
    out = io.StringIO()
    w = csv.writer(out, lineterminator=nl)
    w.writerow(header)
    for i in range(8):
        r = list(first)
        r[col["EID"]], r[col["DOI"]], r[col["Title"]] = f"2-s2.0-8{i:09d}", f"10.9999/ar.{i}", f"Copy {i}"
        if i % 2 == 0:
            r[col["Index Keywords"]] = f'one {i}\nsaid "so"\r\nthree'
        w.writerow(r)
        if i == 1:
            out.write(nl)
        if i == 2:
            w.writerow([""] * len(header))
        if i == 4:
            only = [""] * len(header)
            only[col["Link"]] = "https://www.scopus.com/a-link-and-nothing-else"
            w.writerow(only)
        if i == 5 and short_row:
            w.writerow(r[:-1])
    text = out.getvalue()
    if not final_newline:
        text = text[:-len(nl)]
    p = tmp_path / "awkward.csv"
    p.write_bytes(text.encode("utf-8"))
    return p


def _read(p, arrow: bool, stream: bool, monkeypatch, window: int):
    monkeypatch.setattr(sc, "ARROW", arrow)
    monkeypatch.setattr(sc, "ARROW_WINDOW", window)
    layout = sc.piece_layout(str(p), 0, None, 0, mark=False) if stream else \
        sc.text_layout(str(p), p.read_text(encoding="utf-8"))
    assert isinstance(layout.reader, sc.ArrowRows) == arrow
    return [(b, recs, rep.to_dict()) for b, recs, rep in sc.blocks(layout, 3)]


@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("short_row", [False, True])
@pytest.mark.parametrize("final_newline", [False, True])
@pytest.mark.parametrize("stream", [False, True])
def test_rows_parsed_by_pyarrow_equal_the_csv_modules(tmp_path, monkeypatch, crlf, short_row, final_newline, stream):
    p = _awkward(tmp_path, crlf, short_row, final_newline)
    fallbacks, windows = _spy(monkeypatch)
    expected = _read(p, False, stream, monkeypatch, sc.ARROW_WINDOW)
    records = sum(len(r) for _, r, _ in expected)
    reports = [rep for _, _, rep in expected]
    # by hand: copy 0 on lines 2-4, 1 on 5, the empty line 6, 2 on 7-9, the empty fields on 10, 3 on 11,
    # 4 on 12-14, the link-only row on 15 (skipped), 5 on 16, the short row on 17 (if there), ...
    assert records == 8
    assert sum(rep["records"] for rep in reports) == 9 + short_row
    skipped = {}
    for rep in reports:
        for why, where in rep["skipped_examples"].items():
            skipped[why[:8]] = where
    assert skipped == ({"record w": [f"{p}:15"], "row has ": [f"{p}:17"]} if short_row else
                       {"record w": [f"{p}:15"]})
    lines = [rec["line"] for _, recs, _ in expected for rec in recs]
    assert lines == [2, 5, 7, 11, 12, 16] + ([18, 21] if short_row else [17, 20])
    for window in (2500, 6000, 1 << 20):  # a window of one row or two, of a few, of the whole file
        fallbacks.clear()
        windows.clear()
        assert _read(p, True, stream, monkeypatch, window) == expected
        assert fallbacks == []  # (the quotes are sound: nothing goes to the csv module to the end)
        # the window holding the short row was read by the csv module alone, and only that one
        assert windows == ([True] if short_row else [])


def _spy(monkeypatch):
    """(line numbers where the csv module took over to the end, whether each window that pyarrow did
    not read was read by the csv module alone)."""
    fallbacks, windows = [], []
    to_csv, csv_window = sc.ArrowRows._to_csv, sc.ArrowRows._csv_window
    monkeypatch.setattr(sc.ArrowRows, "_to_csv", lambda self, data: (fallbacks.append(self.line_num), to_csv(self, data)))

    def spy_window(self, *args):
        rows = csv_window(self, *args)
        windows.append(rows is not None)
        return rows
    monkeypatch.setattr(sc.ArrowRows, "_csv_window", spy_window)
    return fallbacks, windows


def test_arrow_rows_hand_over_what_pyarrow_does_not_read_to_the_csv_module(tmp_path, monkeypatch):
    """A NUL byte (pyarrow does not take it): the csv module reads its window alone. A bare CR line end, a
    stray quote: the csv module does not end that window's rows where the quote count does, and reads from
    the window's first row to the end, as before."""
    base = _awkward(tmp_path, False, False, True).read_bytes()
    at = base.index(b"Copy 3")
    fallbacks, windows = _spy(monkeypatch)
    only = {"record without title, DOI or EID": 1}  # (the link-only row; Python 3.11's csv reads NUL bytes)
    for name, data, skipped in [("nul", base[:at] + b"\x00" + base[at:], only),
                                ("bare CR", base[:at] + b"Copy 3\r" + base[at:], None),  # (a row cut in two by the csv module)
                                ("stray quote", base[:at] + b'Copy "3' + base[at + 6:], None)]:
        p = tmp_path / f"{name}.csv"
        p.write_bytes(data)
        expected = _read(p, False, True, monkeypatch, 1 << 20)
        if skipped is not None:
            assert sum((Counter(rep["skipped"]) for _, _, rep in expected), start=Counter()) == skipped
        fallbacks.clear()
        windows.clear()
        assert _read(p, True, True, monkeypatch, 1 << 20) == expected, name
        if name == "nul":  # pyarrow does not take it; the csv module reads that window alone, as the count ends it
            assert windows == [True] and fallbacks == []
        else:  # the csv module does not end its rows where the count does: it reads to the end
            assert windows == [False] and len(fallbacks) == 1, name


def test_arrow_rows_not_utf8_is_the_same_clear_error(tmp_path, monkeypatch):
    import collabnet
    rd = importlib.import_module("collabnet.read")
    base = _awkward(tmp_path, False, False, True).read_bytes()
    at = base.index(b"Copy 6")
    p = tmp_path / "bad.csv"
    p.write_bytes(base[:at] + b"\xff" + base[at + 1:])
    monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 1 << 40)
    msgs = []
    for arrow in (False, True):
        monkeypatch.setattr(sc, "ARROW", arrow)
        with pytest.raises(InputError) as err:
            collabnet.read(p, progress=False)
        msgs.append(str(err.value))
    assert msgs[0] == msgs[1] and "is not UTF-8 (byte 0xff cannot be decoded)" in msgs[1]


@pytest.mark.parametrize("piece_bytes", [300, 700, 1500, 4000])
def test_pieces_cut_by_a_fooled_quote_count_read_as_the_csv_module_reads_them(tmp_path, monkeypatch, piece_bytes):
    """A stray quote outside quotes ('5" disk', kept as it is) makes the quote count odd at every row end
    after it, so cuts land inside the quoted multi-line fields. Each piece read with pyarrow gives the csv
    module's records, report and whether it came to its mark (a quoted field left open at a window's end
    is not closed quietly, so the marks still catch every bad cut)."""
    data = _awkward(tmp_path, False, False, True).read_bytes().replace(b",Copy 0,", b',Copy 0 5" disk,', 1)
    p = tmp_path / "stray.csv"
    p.write_bytes(data)
    pieces = sc.cut_file(str(p), piece_bytes)
    assert len(pieces) >= 2
    marks = []
    for start, stop, lines in pieces:
        got = []
        for arrow in (False, True):
            monkeypatch.setattr(sc, "ARROW", arrow)
            layout = sc.piece_layout(str(p), start, stop, lines, mark=stop is not None)
            got.append(([(recs, rep.to_dict()) for _, recs, rep in sc.blocks(layout, 2)], layout.reached_mark))
        assert got[0] == got[1], (start, stop)
        marks.append(got[1][1])
    assert not all(marks[:-1])  # (some cut is caught: the file is read whole)


def test_references_kept_in_arrow_give_the_csv_modules_corpus(tmp_path, monkeypatch):
    """The References field of rows parsed by pyarrow stays in Arrow (a FieldRef) to chunk_part: with
    fields that are blank, a missing-value mark, padded with spaces or no-break spaces, ending in "; ",
    with accents at their edges, and a row whose only field is "NA" there, the corpus (works, authorships,
    references) and the read report are the csv module's."""
    import collabnet
    from collabnet.read.common import FieldRef
    rd = importlib.import_module("collabnet.read")
    rows = list(csv.reader(open(FIXTURES / "scopus_2023.csv", encoding="utf-8-sig", newline="")))
    header, first = rows[0], rows[1]
    col = {h: i for i, h in enumerate(header)}
    fields = ["NA", "   ", " Smith J., A paper, (2001); Doe K., B, 10.1000/xyz1 ", "\u00a0Ref C (1999); ",
              "Ref D (2002);  ", "é ref E; Ref F, 10.1000/XYZ1 é", "N/A ", "", first[col["References"]]]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for i, refs in enumerate(fields):
        r = list(first)
        r[col["EID"]], r[col["DOI"]], r[col["Title"]] = f"2-s2.0-7{i:09d}", f"10.9999/rf.{i}", f"Refs {i}"
        r[col["References"]] = refs
        w.writerow(r)
    only = [""] * len(header)
    only[col["References"]] = "NA"
    w.writerow(only)
    p = tmp_path / "refs.csv"
    p.write_bytes(out.getvalue().encode("utf-8"))
    monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
    monkeypatch.setattr(rd, "SPLIT_FROM_BYTES", 1 << 40)
    seen = []
    field_refs = sc._field_refs
    monkeypatch.setattr(sc, "_field_refs", lambda column: seen.append(1) or field_refs(column))
    got = []
    for arrow in (False, True):
        monkeypatch.setattr(sc, "ARROW", arrow)
        c = collabnet.read(str(p), progress=False)
        got.append((c.works, c.authorships, c.references, c.meta))
    assert seen  # (the pyarrow read kept the field in Arrow)
    for a, b in zip(got[0][:3], got[1][:3]):
        pd.testing.assert_frame_equal(a, b)
    assert got[0][3] == got[1][3]
    refs = got[1][2]
    # by hand: rows 0, 1, 6, 7 have none; row 2 has two, 3 and 4 one each, 5 two (one DOI, found in it)
    by_title = dict(zip(got[1][0]["work_id"], got[1][0]["title"]))
    counts = refs.groupby(refs["work_id"].map(by_title)).size().to_dict()
    assert {k: v for k, v in counts.items() if k != "Refs 8"} == {"Refs 2": 2, "Refs 3": 1, "Refs 4": 1, "Refs 5": 2}
    assert sorted(refs.loc[refs["work_id"].map(by_title) == "Refs 3", "raw"]) == ["Ref C (1999);"]  # (the field is stripped first)
    assert sorted(refs.loc[refs["work_id"].map(by_title) == "Refs 5", "raw"]) == ["Ref F, 10.1000/XYZ1 é", "é ref E"]
    # a FieldRef is its text wherever a string is asked for
    a = FieldRef(__import__("pyarrow").array(["x y"]), 0)
    assert a == "x y" and "x y" == a and a.strip() == "x y" and __import__("pickle").loads(__import__("pickle").dumps(a)) == "x y"
