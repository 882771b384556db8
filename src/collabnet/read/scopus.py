"""Scopus CSV exports (methods.md 9.1): the 2023+ and pre-2023 layouts, any column order."""
from __future__ import annotations

import csv
import io
import os
import re

from ..errors import InputError
from .common import (FileReport, canonical_doc_type, new_aff, new_author, new_record, norm_doi,
                     parse_int, parse_year)

REQUIRED = ("Title", "Year")
NO_AUTHOR = "[no author name available]"
MISSING = {"NA", "N/A", "NULL", "null", "None", "nan", "NaN"}  # tools that re-save exports write these

csv.field_size_limit(2**31 - 1)


SCOPUS_COLUMNS = {"authors", "author full names", "author(s) id", "title", "year", "source title", "cited by", "doi",
                  "link", "affiliations", "authors with affiliations", "abbreviated source title", "document type",
                  "publication stage", "eid", "correspondence address", "index keywords", "author keywords"}


def looks_like_scopus(header: list[str]) -> bool:
    """Scopus-like when at least three of its column names are there and one is Scopus-specific."""
    h = {c.strip().lower().lstrip("\ufeff") for c in header}
    specific = {"eid", "author(s) id", "authors with affiliations", "link", "abbreviated source title",
                "author full names", "source title"}
    return len(h & SCOPUS_COLUMNS) >= 3 and bool(h & specific) and "article title" not in h


def _col(header: list[str]) -> dict:
    """Column name -> index, exact match first, then case-insensitive (methods.md 9.1)."""
    idx = {}
    for i, name in enumerate(header):
        idx.setdefault(name.strip(), i)
    low = {}
    for i, name in enumerate(header):
        low.setdefault(name.strip().lower(), i)
    return idx, low


_FULL_NAME = re.compile(r"^(.*?)\s*\((\d+)\)\s*$")
_NAME_KEY = re.compile(r"[^a-z]")


def _nkey(name: str) -> str:
    return _NAME_KEY.sub("", name.lower())


def _split_authors(value: str, new_layout: bool) -> list[str]:
    v = value.strip()
    if not v or v.lower() == NO_AUTHOR:
        return []
    if new_layout or ";" in v:
        parts = v.split(";")
    else:
        parts = v.split(", ")
    return [p.strip().rstrip(",") for p in parts if p.strip() and p.strip().lower() != NO_AUTHOR]


def _tile(segs: list[str], known: set[str]) -> list[str] | None:
    """Split consecutive segments into strings all found in ``known`` (longest first)."""
    whole = ", ".join(segs)
    if whole in known:  # one affiliation (the usual case): what the longest-first search below finds first
        return [whole]
    n = len(segs)
    best: list = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        for j in range(n, i, -1):
            if best[j] is not None and ", ".join(segs[i:j]) in known:
                best[i] = [", ".join(segs[i:j])] + best[j]
                break
    return best[0]


_INITIALS = re.compile(r"^(?:[A-Z][a-z]?\.?[- ]?){1,5}$")


def first_segments(known: set[str]) -> set[str]:
    """The first comma-separated segment of each known affiliation: a tiling of segments can only start
    with one of these (see :func:`split_author_entry`)."""
    return {a.split(",", 1)[0].strip() for a in known}


def split_author_entry(entry: str, known: set[str], firsts: set[str] | None = None) -> tuple[str, list[str]]:
    """One `Authors with affiliations` entry -> (author name, affiliation strings).

    An author with several affiliations has them joined by ", " in one entry;
    they are told apart with the distinct strings of the `Affiliations` column.

    >>> split_author_entry("Liu F., Dept A, Univ A, Tokyo, Japan, Inst B, Osaka, Japan",
    ...                    {"Dept A, Univ A, Tokyo, Japan", "Inst B, Osaka, Japan"})
    ('Liu F.', ['Dept A, Univ A, Tokyo, Japan', 'Inst B, Osaka, Japan'])
    """
    segs = [s.strip() for s in entry.split(",")]
    segs = [s for s in segs if s]
    if not segs:
        return "", []
    if known:
        if firsts is None:
            firsts = first_segments(known)
        for k in range(1, min(3, len(segs) - 1) + 1):
            # the tiling of segs[k:] starts with a known affiliation, which starts with segs[k]: where no
            # known one does, skip the search (it would try every split of the segments and fail)
            tiles = _tile(segs[k:], known) if segs[k] in firsts else None
            if tiles:
                return ", ".join(segs[:k]), tiles
    # no tiling: "Surname, I." takes two segments when the second is initials
    k = 2 if len(segs) > 1 and _INITIALS.match(segs[1]) else 1
    rest = ", ".join(segs[k:])
    return ", ".join(segs[:k]), ([rest] if rest else [])


def _align(names: list[str], entries: list[tuple[str, list[str]]]) -> list[list[str]] | None:
    """Affiliations per author slot, or None when the entries do not line up with the names."""
    if not entries:
        return None
    if len(entries) == len(names):
        return [affs for _, affs in entries]
    out: list[list[str]] = [[] for _ in names]
    slot = -1
    prev = None
    for name, affs in entries:
        key = _nkey(name)
        if slot >= 0 and key == prev:  # consecutive entries of one author: several affiliations
            out[slot].extend(affs)
            continue
        slot += 1
        if slot >= len(names) or (key and _nkey(names[slot]) and not _nkey(names[slot]).startswith(key[:3])):
            return None
        out[slot].extend(affs)
        prev = key
    return out if slot == len(names) - 1 else None


class Layout:
    """The header of a Scopus CSV: the csv reader positioned after it, and where each field is."""

    def __init__(self, path: str, text):
        self.path = path
        self.reader = csv.reader(io.StringIO(text, newline="") if isinstance(text, str) else text)
        try:
            header = next(self.reader)
        except (StopIteration, csv.Error) as exc:
            raise InputError(path, f"cannot read the CSV header ({exc})") from None
        header = [h.strip().lstrip("\ufeff") for h in header]
        idx, low = _col(header)

        def ci(name):
            return idx.get(name, low.get(name.lower()))

        missing = [c for c in REQUIRED if ci(c) is None]
        if ci("Authors") is None and ci("Author full names") is None:
            missing.append("Authors")
        if missing:
            raise InputError(path, f"Scopus CSV without the required column(s) {', '.join(missing)}",
                             where="line 1", hint="Export again with these fields selected")
        self.mangled = header[-1].endswith(";") or any(";;" in h for h in header)
        self.new_layout = ci("Author full names") is not None
        self.cols = {name: ci(name) for name in (
            "Authors", "Author full names", "Author(s) ID", "Title", "Year", "Source title", "Volume", "Issue",
            "Page start", "Art. No.", "Cited by", "DOI", "Affiliations", "Authors with affiliations", "Abstract",
            "Author Keywords", "Index Keywords", "Funding Details", "Funding Texts", "References",
            "Correspondence Address", "PubMed ID", "Language of Original Document", "Document Type",
            "Publication Stage", "EID")}
        self.funding_cols = [i for i, h in enumerate(header) if h.lower().startswith("funding text")]
        self.width = len(header)
        self.records = 0   # records seen so far (every block's, converted here or not)
        self.line_base = 0  # lines of the file before the reader's first line (a second half starts later)
        self.reached_mark = False  # a first half: its reader came to SPLIT_MARK as a row of its own


BAD_WIDTH = "row has "  # how the skip reason for a row of the wrong width begins


def parse(path: str, text, report: FileReport):
    """Yield canonical records from the text of a Scopus CSV file (a string, or a text file opened with
    newline="")."""
    report.format = "scopus"
    layout = Layout(path, text)
    for _, recs, rep in blocks(layout, 1000):
        report.absorb(rep)
        yield from recs
    check(layout, report)


def check(layout: Layout, report: FileReport) -> None:
    """Refuse a file that a spreadsheet program re-saved (most rows do not match its ';;;' header)."""
    check_header(layout.path, layout.mangled, report)


def check_header(path: str, mangled: bool, report: FileReport) -> None:
    """:func:`check` from the header's ``mangled`` flag and the whole file's report."""
    bad_width = sum(n for why, n in report.skipped.items() if why.startswith(BAD_WIDTH))
    if mangled and report.records and bad_width > report.records / 2:
        raise InputError(path, f"{bad_width} of {report.records} rows do not match the header "
                         "(the header ends in ';;;': the file looks re-saved by a spreadsheet program)",
                         hint="Use the CSV exactly as Scopus exported it")


def blocks(layout: Layout, size: int, keep=None):
    """(block number, records, report) for blocks of ``size`` records (rows that are not blank) of the
    file; ``keep(block number)`` False: the block's rows are read but not converted (another process
    converts them) and the block is not yielded."""
    path, reader, base = layout.path, layout.reader, layout.line_base
    b, n = 0, 0
    wanted = keep is None or keep(0)
    rep, out = FileReport(path, "scopus"), []
    line_start = base + reader.line_num + 1
    while True:
        if n == size:
            if wanted:
                yield b, out, rep
            b, n = b + 1, 0
            wanted = keep is None or keep(b)
            rep, out = FileReport(path, "scopus"), []
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            n += 1
            layout.records += 1
            if wanted:
                rep.records += 1
                rep.skip(f"malformed CSV row ({exc})", f"{base + reader.line_num}")
            line_start = base + reader.line_num + 1
            continue
        if len(row) == 1 and row[0] == SPLIT_MARK:  # the end of a first half (see split_text)
            layout.reached_mark = True
            break
        where_line = line_start
        line_start = base + reader.line_num + 1
        if not row or all(not c.strip() for c in row):
            continue
        n += 1
        layout.records += 1
        if wanted:
            rep.records += 1
            rec = _convert(layout, row, where_line, rep)
            if rec is not None:
                out.append(rec)
    if n and wanted:
        yield b, out, rep


# ---------------------------------------------------------------- a file read in two halves
# A CSV row ends at a line end outside quotes: where the quotes before it are even in number (every quote
# of a well-formed CSV opens, closes or doubles).  The first half is read to such a line end near the
# middle, with SPLIT_MARK appended as one more line; the second half from there, by another process.  The
# first half's reader coming to SPLIT_MARK as a row of its own proves that the csv module, reading the
# whole file, would start a row there too; a file with stray quotes fails that check and is read whole.
SPLIT_MARK = "\ue000collabnet: the first half of the file ends here\ue000"
SPLIT_SEARCH = 64 * 2 ** 20  # how far past the middle to look for a row end before giving up


def _row_end(window, quotes_before: int, quote, newline) -> int | None:
    """The offset in ``window`` (str or bytes) just after its first line end with an even number of
    quotes before it (``quotes_before`` of them come before the window), or None."""
    q, p = quotes_before, 0
    while True:
        nl = window.find(newline, p)
        if nl < 0:
            return None
        q += window.count(quote, p, nl)
        if q % 2 == 0:
            return nl + 1
        p = nl + 1


def _lines_before(text: str, stop: int) -> int:
    """Lines ending before ``stop`` as a reader opened with newline="" counts them (\n, \r\n, \r)."""
    return text.count("\n", 0, stop) + text.count("\r", 0, stop) - text.count("\r\n", 0, stop)


def split_text(text: str) -> int | None:
    """Where the second half of a CSV text begins (see above), or None."""
    mid = len(text) // 2
    at = _row_end(text[mid: mid + SPLIT_SEARCH], text.count('"', 0, mid), '"', "\n")
    return None if at is None or mid + at >= len(text) else mid + at


def text_halves(path: str, text: str, at: int):
    """(first half's Layout, a function making the second half's Layout in the child) of a CSV text."""
    import itertools
    first = Layout(path, itertools.chain(io.StringIO(text[:at], newline=""), [SPLIT_MARK + "\n"]))

    def second() -> Layout:
        layout = Layout(path, io.StringIO(text[:at], newline=""))
        layout.reader = csv.reader(io.StringIO(text[at:], newline=""))
        layout.line_base = _lines_before(text, at)
        return layout
    return first, second


class _ByteRange(io.RawIOBase):
    """Bytes [start, stop) of a file (stop None: to its end), as a raw stream."""

    def __init__(self, path: str, start: int, stop: int | None):
        super().__init__()
        self._f = open(path, "rb")
        self._f.seek(start)
        self._left = None if stop is None else stop - start

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = len(b) if self._left is None else min(len(b), self._left)
        if n <= 0:
            return 0
        got = self._f.readinto(memoryview(b)[:n])
        if self._left is not None:
            self._left -= got
        return got

    def close(self) -> None:
        self._f.close()
        super().close()


def _open_range(path: str, start: int, stop: int | None):
    return io.TextIOWrapper(io.BufferedReader(_ByteRange(path, start, stop), 1 << 20),
                            encoding="utf-8-sig" if start == 0 else "utf-8", newline="")


def _line_ends(data: bytes) -> int:
    """Line ends in ``data`` as a reader opened with newline="" counts them (\n, \r\n, \r)."""
    cr = data.count(b"\r")
    return data.count(b"\n") + (cr - data.count(b"\r\n") if cr else 0)  # (most files have no \r at all)


def _scan(path: str, start: int, stop: int) -> tuple[int, int, bytes]:
    """(quotes, line ends, last byte) of bytes [start, stop) of a file, in one read of them."""
    quotes = lines = 0
    last = b""
    with open(path, "rb") as f:
        f.seek(start)
        left = stop - start
        while left > 0:
            chunk = f.read(min(1 << 22, left))
            if not chunk:
                break
            left -= len(chunk)
            quotes += chunk.count(b'"')
            lines += _line_ends(chunk) - (last == b"\r" and chunk[:1] == b"\n")  # a \r\n across two reads
            last = chunk[-1:]
    return quotes, lines, last


def cut_file(path: str, piece_bytes: int) -> list[tuple[int, int | None, int]]:
    """A (plain, UTF-8) CSV file cut at row ends into pieces of about ``piece_bytes``: each cut is the
    first row end (see above) at or after ``piece_bytes`` from the last; (start, stop or None for the
    end, lines before start) of each piece, in file order.  ``cut_file(path, size // 2)`` halves it."""
    size = os.path.getsize(path)
    pieces, start, lines = [], 0, 0
    while size - start > piece_bytes:
        target = start + piece_bytes
        quotes, lines_to_target, last = _scan(path, start, target)  # (a cut has an even number before it)
        with open(path, "rb") as f:
            f.seek(target)
            window = f.read(min(size - target, SPLIT_SEARCH))
        at = _row_end(window, quotes, b'"', b"\n")
        if at is None or target + at >= size:
            break
        stop = target + at
        pieces.append((start, stop, lines))
        lines += lines_to_target + _line_ends(window[:at]) - (last == b"\r" and window[:1] == b"\n")
        start = stop
    pieces.append((start, None, lines))
    return pieces


def file_halves(path: str, pieces: list):
    """(first half's Layout, a function making the second half's Layout in the child) of a CSV file
    cut in two (``cut_file``); the open halves are closed when their readers are dropped."""
    (_, at, _), (_, _, lines) = pieces
    return piece_layout(path, 0, at, 0, mark=True), lambda: piece_layout(path, at, None, lines, mark=False)


def piece_layout(path: str, start: int, stop: int | None, line_base: int, mark: bool) -> Layout:
    """The Layout of bytes [start, stop) of a CSV file (the header read from its first line); ``mark``:
    SPLIT_MARK follows the piece as one more line (a piece that is not the last: see above)."""
    import itertools
    src = _open_range(path, start, stop)
    lines = itertools.chain(src, [SPLIT_MARK + "\n"]) if mark else src
    if start == 0:
        return Layout(path, lines)
    with _open_range(path, 0, start) as head:
        layout = Layout(path, head)
    layout.reader = csv.reader(lines)
    layout.line_base = line_base
    return layout


def _convert(layout: Layout, row: list, where_line: int, report: FileReport) -> dict | None:
    """The record of one row (None: skipped, with the reason in the report)."""
    path, cols, funding_cols, width = layout.path, layout.cols, layout.funding_cols, layout.width
    if len(row) > width and funding_cols and any(c.strip() for c in row[width:]):
        # Scopus writes more "Funding Text N" fields than its header names: realign the columns
        # after the last funding column from the right, and keep the extra texts as funding
        k = funding_cols[-1] + 1
        extra = row[k:k + len(row) - width]
        row = row[:k] + row[k + len(row) - width:]
        row[funding_cols[-1]] = " | ".join(x for x in [row[funding_cols[-1]]] + extra if x.strip())
        report.warn("more Funding Text fields than header columns (realigned)", f"{where_line}")
    if len(row) != width and not (len(row) > width and not any(c.strip() for c in row[width:])):
        report.skip(f"{BAD_WIDTH}{len(row)} fields, the header has {width} (truncated or misquoted row)",
                    f"{where_line}")
        return None

    def g(name):
        i = cols[name]
        v = row[i].strip() if i is not None and i < len(row) else ""
        return "" if v in MISSING else v

    rec = new_record("scopus", path, layout.records, where_line)
    rec["title"] = g("Title") or None
    if rec["title"] and rec["title"].lower() == "[no title available]":
        rec["title"] = None
    rec["year"] = parse_year(g("Year"), report, f"{where_line}")
    rec["doi"] = norm_doi(g("DOI"))
    rec["eid"] = g("EID") or None
    rec["pmid"] = g("PubMed ID") if g("PubMed ID").isdigit() else None
    rec["source_title"] = g("Source title") or None
    rec["volume"] = g("Volume") or None
    rec["issue"] = g("Issue") or None
    rec["first_page"] = g("Page start") or g("Art. No.") or None
    rec["language"] = g("Language of Original Document") or None
    cb = g("Cited by")
    rec["cited_by"] = parse_int(cb) if cb else 0
    dt = g("Document Type")
    rec["doc_type_raw"] = dt or None
    rec["doc_type"] = canonical_doc_type(dt)
    rec["is_retracted"] = dt.lower().startswith("retracted")
    rec["keywords"] = [k.strip() for k in g("Author Keywords").split(";") if k.strip()]
    rec["index_keywords"] = [k.strip() for k in g("Index Keywords").split(";") if k.strip()]
    funding = [g("Funding Details"), g("Funding Texts")] + [row[i].strip() for i in funding_cols if i < len(row)]
    rec["funding"] = " | ".join(f for f in funding if f) or None
    if not rec["title"] and not rec["doi"] and not rec["eid"]:
        report.skip("record without title, DOI or EID", f"{where_line}")
        return None

    # ---- authors
    names = _split_authors(g("Authors"), layout.new_layout)
    fulls, ids = [], []
    if g("Author full names"):
        for part in g("Author full names").split(";"):
            part = part.strip()
            if not part:
                continue
            m = _FULL_NAME.match(part)
            fulls.append(m.group(1) if m else part)
            ids.append(m.group(2) if m else None)
    if not ids and g("Author(s) ID"):
        ids = [x.strip() for x in g("Author(s) ID").split(";") if x.strip()]
    if not names and fulls:
        names = fulls
    if len(ids) != len(names):
        ids = [None] * len(names)
    if len(fulls) != len(names):
        fulls = [None] * len(names)
    authors = [new_author(n, f, i) for n, f, i in zip(names, fulls, ids)]
    affs_all = [a.strip() for a in g("Affiliations").split(";") if a.strip()]
    known = set(affs_all)
    with_aff = g("Authors with affiliations")
    per_slot = None
    if with_aff and authors:
        firsts = first_segments(known)
        entries = [split_author_entry(e.strip(), known, firsts) for e in with_aff.split(";") if e.strip()]
        per_slot = _align(names, entries)
    if per_slot is not None:
        for a, affs in zip(authors, per_slot):
            seen = set()
            for s in affs:
                if s not in seen:
                    seen.add(s)
                    a["affs"].append(new_aff(s))
    else:
        if affs_all and authors:
            report.warn("authors not aligned with affiliations (affiliations kept unlinked)", f"{where_line}")
        rec["unlinked"] = [new_aff(s) for s in affs_all]
    corr = g("Correspondence Address")
    if corr and authors:
        cname = _nkey(corr.split(";", 1)[0])
        for a in authors:
            if cname and _nkey(a["name"] or "") == cname:
                a["corresponding"] = True
                break
    rec["authors"] = authors

    # ---- references
    refs = g("References")
    if refs:
        rec["references"] = refs  # (the whole field: chunk_part splits it and finds the DOIs)
    return rec
