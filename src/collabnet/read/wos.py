"""Web of Science exports (methods.md 9.2): plain text, tab-delimited, and the long-header CSV."""
from __future__ import annotations

import csv
import html
import io
import re

from ..errors import InputError
from .common import (FileReport, StringRun, author_key, canonical_doc_type, new_aff, new_author, new_record,
                     norm_doi, parse_int, parse_year, unescape_char_refs)

csv.field_size_limit(2**31 - 1)

# multi-valued tags: one value per line in plain text, "; "-joined in tab-delimited
MULTI = {"AU", "AF", "C1", "CR", "BA", "BF", "CA", "GP", "EM", "C3"}
# tags whose continuation lines continue one value
JOINED = {"TI", "SO", "AB", "DE", "ID", "RP", "FU", "FX", "WC", "SC", "OI", "RI", "PU", "PA"}
# the long column names of the WoS "Excel"/CSV export, to tags
LONG_NAMES = {
    "publication type": "PT", "authors": "AU", "author full names": "AF", "group authors": "CA",
    "article title": "TI", "source title": "SO", "language": "LA", "document type": "DT",
    "author keywords": "DE", "keywords plus": "ID", "abstract": "AB", "addresses": "C1", "affiliations": "C3",
    "reprint addresses": "RP", "email addresses": "EM", "researcher ids": "RI", "orcids": "OI",
    "funding orgs": "FU", "funding text": "FX", "cited references": "CR", "cited reference count": "NR",
    "times cited, wos core": "TC", "times cited, all databases": "Z9", "publication year": "PY",
    "publication date": "PD", "volume": "VL", "issue": "IS", "start page": "BP", "end page": "EP",
    "article number": "AR", "doi": "DI", "wos categories": "WC", "web of science categories": "WC",
    "research areas": "SC", "pubmed id": "PM", "ut (unique wos id)": "UT", "issn": "SN", "eissn": "EI",
    "early access date": "EA",
}
KNOWN_TAGS = MULTI | JOINED | {"PT", "DT", "PY", "TC", "Z9", "DI", "UT", "VL", "BP", "LA", "NR", "PM", "EY"}
_TAG = re.compile(r"^([A-Z][A-Z0-9])(?: (.*)|)$")


def looks_like_plain(text: str) -> bool:
    head = text[:2000].lstrip("\ufeff").lstrip()
    return head.startswith("FN ") or head.startswith("PT ") or bool(re.match(r"^(?:FN|VR) ", head))


def looks_like_tabbed(first_line: str) -> bool:
    cols = first_line.rstrip("\r\n").split("\t")
    return len(cols) > 5 and {"PT", "AU", "TI"} <= {c.strip() for c in cols}


def looks_like_long_csv(header: list[str]) -> bool:
    h = {c.strip().lower() for c in header}
    return {"article title", "source title"} <= h and ("addresses" in h or "ut (unique wos id)" in h)


# a line that ends a record, and nothing else: "ER" or "ER ..." with no other line break inside it (the
# parser splits lines with str.splitlines, which knows more line breaks than "\n")
_ER_LINE = re.compile("^ER(?: [^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]*)?\r?$", re.M)


def plain_blocks(path: str, text: str, size: int, keep=None, cuts=None):
    """(block number, records, report) of a plain-text export in blocks of ``size`` records (cut after an
    ER line, found without parsing the lines); ``keep(block number)`` False: the block is not parsed
    (another process parses it) nor yielded.  Record numbers count from 1 in each block: add the records
    of the blocks before it (their reports' ``records``)."""
    for b, (start, stop, line0) in enumerate(plain_cuts(text, size) if cuts is None else cuts):
        if keep is None or keep(b):
            recs, rep = plain_block(path, text[start:stop], line0)
            yield b, recs, rep


def plain_cuts(text: str, size: int) -> list[tuple[int, int, int]]:
    """(start, stop, first line number) of each block of ``size`` records of a plain-text export, cut
    after an ER line (the last block runs to the end of the text)."""
    ends = _er_ends(text)
    cuts = [ends[i] + 1 for i in range(size - 1, len(ends), size)]
    end = len(text)  # len(text.rstrip()), without copying the text
    while end and text[end - 1].isspace():
        end -= 1
    if not cuts or cuts[-1] < end:
        cuts.append(len(text))
    breaks = [c for c in _OTHER_BREAKS if c in text]
    out, start, line0 = [], 0, 1
    for stop in cuts:
        out.append((start, stop, line0))
        line0 += _count_lines(text, start, stop, breaks)
        start = stop
    return out


def plain_block(path: str, text: str, line0: int) -> tuple[list[dict], FileReport]:
    """The records (numbered from 1) and report of one block of a plain-text export (see plain_cuts)."""
    rep = FileReport(path, "wos")
    return list(_plain(path, text, rep, line0)), rep


def _er_ends(text: str) -> list[int]:
    """Where each ER line ends: the ends of ``_ER_LINE.finditer(text)``, found by looking only where a
    line starts with "ER" (str.find) instead of trying the pattern at every character."""
    ends = []
    match = _ER_LINE.match
    if text.startswith("ER"):
        m = match(text, 0)
        if m:
            ends.append(m.end())
    q = text.find("\nER")
    while q >= 0:
        m = match(text, q + 1)
        if m:
            ends.append(m.end())
        q = text.find("\nER", q + 1)
    return ends


# line breaks of str.splitlines besides "\n" (and "\r\n", one break)
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _count_lines(text: str, start: int, stop: int, breaks: list[str]) -> int:
    """``len(text[start:stop].splitlines())`` without making the lines: ``breaks`` are the characters
    of _OTHER_BREAKS that occur in the text."""
    stop = min(stop, len(text))
    if stop <= start:
        return 0
    n = text.count("\n", start, stop)
    for c in breaks:
        n += text.count(c, start, stop)
    if "\r" in breaks:
        n -= text.count("\r\n", start, stop)
    last = text[stop - 1]
    return n if last == "\n" or last in breaks else n + 1


def parse_plain(path: str, text: str, report: FileReport):
    yield from _plain(path, text, report, 1)


def _plain(path: str, text: str, report: FileReport, line0: int):
    report.format = "wos"
    fields: dict[str, list[str]] = {}
    last = None
    start = None
    recno = 0
    for lineno, line in enumerate(text.splitlines(), line0):
        line = line.rstrip("\r").rstrip("\t ")
        if not line.strip():
            continue
        if line.startswith("   ") or line.startswith("\t"):
            if last is None:
                continue
            val = line.strip()
            if last in JOINED:
                fields[last][-1] += " " + val
            else:
                fields[last].append(val)
            continue
        m = _TAG.match(line)
        if not m and line[:2] in KNOWN_TAGS and line[2:3] not in (" ", ""):
            report.warn("tag not followed by a space (read anyway)", f"line {lineno}")
            m = _TAG.match(line[:2] + " " + line[2:])
        if not m:
            if start is not None:
                report.warn("line without a field tag (ignored)", f"line {lineno}")
            continue
        tag, val = m.group(1), (m.group(2) or "").strip()
        if tag in ("FN", "VR", "EF"):
            continue
        if tag == "ER":
            if start is not None:
                recno += 1
                report.records += 1
                rec = _record(path, recno, start, fields, report)
                if rec is not None:
                    yield rec
            fields, last, start = {}, None, None
            continue
        if start is None:
            start = lineno
        fields.setdefault(tag, []).append(val)
        last = tag
    if start is not None and fields:
        recno += 1
        report.records += 1
        report.skip("record cut off (no ER line: truncated file?)", f"line {start}")


def _split_multi(tag: str, value: str) -> list[str]:
    value = value.strip()
    if not value:
        return []
    if tag == "C1" and "[" in value:
        return [p.strip() for p in re.split(r";\s*(?=\[)", value) if p.strip()]
    return [p.strip() for p in value.split("; ") if p.strip()] if tag in MULTI else [value]


def parse_tabbed(path: str, text: str, report: FileReport, long_names: bool = False):
    """Tab-delimited export (a header of tags), or the comma CSV with long column names."""
    report.format = "wos"
    if long_names:
        reader = csv.reader(io.StringIO(text, newline=""))
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader)
    if long_names:
        tags = [LONG_NAMES.get(h.strip().lower().lstrip("\ufeff")) for h in header]
    else:
        tags = [h.strip().lstrip("\ufeff") for h in header]
    if "TI" not in tags:
        raise InputError(path, "Web of Science table without a title column (TI / Article Title)", where="line 1")
    width = len([t for t in header if t.strip()])
    recno = 0
    for row in reader:
        if not row or not any(c.strip() for c in row):
            continue
        recno += 1
        report.records += 1
        if len(row) < width - 1 or (len(row) > len(header) and any(c.strip() for c in row[len(header):])):
            report.skip(f"row has {len(row)} fields, the header has {width}", f"line {reader.line_num}")
            continue
        fields: dict[str, list[str]] = {}
        for tag, val in zip(tags, row):
            if not tag or not val.strip():
                continue
            val = html.unescape(val) if "&" in val else val
            fields[tag] = _split_multi(tag, val)
        rec = _record(path, recno, reader.line_num, fields, report)
        if rec is not None:
            yield rec


def _first(fields, tag):
    v = fields.get(tag)
    if not v:
        return ""
    v = v[0].strip()
    return unescape_char_refs(v) if "&#" in v else v


_CORRESPONDING = re.compile(r"([^;()]+?)\s*\(corresponding author\)")
_MARK = "(corresponding author)"


def corresponding_names(rp: str) -> list[str]:
    """The names marked "(corresponding author)" in a reprint address: the groups of
    ``_CORRESPONDING.finditer(rp)``, in linear time.  (finditer itself tries the lazy pattern from
    every character of a long address, which is quadratic in its length.)  A match can only start
    after the last ";", "(" or ")" before the mark, so the pattern is tried there alone.

    >>> corresponding_names("Smith, J (corresponding author), Univ X, Japan.; Kim, A (corresponding author), Y")
    ['Smith, J', ' Kim, A']
    """
    out = []
    pos = 0
    while True:
        i = rp.find(_MARK, pos)
        if i < 0:
            return out
        start = max(pos, rp.rfind(";", pos, i) + 1, rp.rfind("(", pos, i) + 1, rp.rfind(")", pos, i) + 1)
        m = _CORRESPONDING.match(rp, start) if start < i else None
        if m:
            out.append(m.group(1))
            pos = m.end()
        else:
            pos = i + 1


def _record(path: str, recno: int, line: int, f: dict, report: FileReport) -> dict | None:
    rec = new_record("wos", path, recno, line)
    where = f"line {line}"
    for tag in ("AU", "AF", "C1"):   # (the fields read through _first are made characters there)
        values = f.get(tag)
        if values and any("&#" in v for v in values):
            f[tag] = [unescape_char_refs(v) for v in values]
    rec["title"] = _first(f, "TI") or None
    rec["ut"] = _first(f, "UT") or None
    rec["doi"] = norm_doi(_first(f, "DI"))
    rec["pmid"] = _first(f, "PM") or None
    if not rec["title"] and not rec["ut"] and not rec["doi"]:
        report.skip("record without title, DOI or UT", where)
        return None
    py = _first(f, "PY")
    rec["year"] = parse_year(py, report, where) if py else None
    if rec["year"] is None and _first(f, "EY"):
        rec["year"] = parse_year(_first(f, "EY"), report, where)
        report.warn("year taken from EY (early access)", where)
    rec["source_title"] = _first(f, "SO") or None
    rec["volume"] = _first(f, "VL") or None
    rec["issue"] = _first(f, "IS") or None
    rec["first_page"] = _first(f, "BP") or _first(f, "AR") or None
    rec["language"] = _first(f, "LA") or None
    dt = _first(f, "DT")
    rec["doc_type_raw"] = dt or None
    rec["doc_type"] = canonical_doc_type(dt)
    rec["is_retracted"] = "retract" in dt.lower()
    rec["cited_by"] = parse_int(_first(f, "TC"))
    rec["cited_by_all"] = parse_int(_first(f, "Z9"))
    rec["keywords"] = [k.strip() for k in _first(f, "DE").split(";") if k.strip()]
    rec["index_keywords"] = [k.strip() for k in _first(f, "ID").split(";") if k.strip()]
    rec["fields"] = [k.strip() for k in _first(f, "WC").split(";") if k.strip()]
    fu = " | ".join(x for x in (_first(f, "FU"), _first(f, "FX")) if x)
    rec["funding"] = fu or None

    short = f.get("AU", [])
    full = f.get("AF", [])
    if len(full) != len(short):
        full = full if not short else (full + [None] * len(short))[: len(short)]
    names = short or full
    authors = [new_author(n, fn) for n, fn in zip(names, full if full else [None] * len(names))]
    by_full: dict[str, list[int]] = {}
    by_short: dict[str, list[int]] = {}
    for i, a in enumerate(authors):
        if a["full_name"]:
            by_full.setdefault(author_key(a["full_name"]), []).append(i)
        by_short.setdefault(author_key(a["name"] or ""), []).append(i)
    unlinked = []
    placed: dict = {}  # address -> the author slots given it
    for addr in f.get("C1", ()):
        addr = addr.strip()
        if addr.startswith("["):
            close = addr.find("]")
            if close < 0:
                unlinked.append(new_aff(addr.lstrip("[")))
                continue
            place = addr[close + 1:].strip()
            aff = got = None  # (one dict for the address, shared by its authors: nothing changes it)
            for w in addr[1:close].split(";"):
                w = w.strip()
                if not w:
                    continue
                k = author_key(w)
                # (by_short holds every author's short-name key: "[Surname, G]" written with the short name)
                slots = by_full.get(k) or by_short.get(k)
                if slots:
                    if got is None:
                        got = placed.get(place)
                        if got is None:
                            got = placed[place] = set()
                    for i in slots:
                        if i not in got:  # (each address once per author)
                            got.add(i)
                            if aff is None:
                                aff = new_aff(place)
                            authors[i]["affs"].append(aff)
                else:
                    report.warn("C1 names an author not in AU/AF (address kept unlinked)", where)
                    if not any(x["raw"] == place for x in unlinked):
                        unlinked.append(new_aff(place))
        else:
            unlinked.append(new_aff(addr))
    rp = " ".join(f.get("RP", []))
    for name in corresponding_names(rp):
        k = author_key(name)
        for i in by_short.get(k, []) + by_full.get(k, []):
            authors[i]["corresponding"] = True
    rec["authors"] = authors
    rec["unlinked"] = unlinked
    refs = f.get("CR", ())
    # (their DOIs are found in chunk_part; a window read on arrays gives them in Arrow, empty ones dropped)
    rec["references"] = refs if type(refs) is StringRun else [r for r in refs if r.strip()]
    return rec
