"""OpenAlex works (methods.md 9.3): API pages, JSON arrays, single works, JSON Lines; gzip handled upstream."""
from __future__ import annotations

from sys import intern

import orjson

from ..errors import InputError
from .chunks import OpenAlexIds
from .common import AuthorRows, FileReport, canonical_doc_type, find_doi, new_record, norm_doi, parse_year

PREFIX = "https://openalex.org/"
PREFIX_LEN = len(PREFIX)


def _id(value) -> str | None:
    """Short OpenAlex id (W123, I45, A67), interned: the same institution or author in a million
    authorships is one string in memory, not a million."""
    if not value:
        return None
    return intern(value.removeprefix(PREFIX) if isinstance(value, str) else str(value))


def _ror(value) -> str | None:
    if not value:
        return None
    return intern(str(value).rstrip("/").rsplit("/", 1)[-1])


def _text(value) -> str | None:
    """An often repeated short string (institution name, type, country code), interned; a value of another
    kind where text belongs (a number, a list) is taken as its text."""
    if isinstance(value, str):
        return intern(value) if value else None
    return str(value) if value else None


def looks_like_openalex(text: str) -> bool:
    head = text[:20000]
    return ("openalex.org/W" in head or '"authorships"' in head) and head.lstrip()[:1] in "{["


def iter_works(path: str, text: str, report: FileReport):
    """(record number, line, work dict) for every work in the text."""
    stripped = text.lstrip()
    first_line_end = stripped.find("\n")
    jsonl = False
    if stripped.startswith("{") and first_line_end > 0:
        rest = stripped[first_line_end:].lstrip()
        jsonl = rest.startswith("{")
    if not jsonl:
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InputError(path, f"is not valid JSON ({exc})",
                             hint="A truncated download? Fetch the page again") from None
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            works = data["results"]
        elif isinstance(data, dict) and "id" in data:
            works = [data]
        elif isinstance(data, list):
            works = data
        else:
            raise InputError(path, "JSON that holds no OpenAlex works (expected {\"results\": [...]}, a list "
                             "of works or one work)")
        for i, w in enumerate(works, 1):
            yield i, None, w
        return
    yield from _jsonl_works(enumerate(text.splitlines(), 1), report)


def _jsonl_works(numbered_lines, report: FileReport, recno: int = 0):
    """(record number, line number, work) of numbered JSON lines; blank lines skipped, bad ones counted;
    records numbered from recno + 1."""
    for lineno, line in numbered_lines:
        if not line.strip():
            continue
        recno += 1
        try:
            w = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            report.records += 1
            report.skip(f"malformed JSON line ({str(exc).split(':')[0]})", f"line {lineno}")
            continue
        yield recno, lineno, w


def is_jsonl_head(head: bytes) -> bool:
    """True when the head of a file is JSON Lines (a JSON object on each of the first two lines)."""
    lines = [ln.strip() for ln in head.lstrip(b"\xef\xbb\xbf").split(b"\n")[:3] if ln.strip()]
    return len(lines) >= 2 and lines[0][:1] == b"{" and lines[1][:1] == b"{"


def iter_jsonl_stream(path: str, report: FileReport):
    """(record number, line, work) streamed from a JSON Lines file (.gz or plain), one line at a time."""
    from .textio import iter_lines
    yield from _jsonl_works(iter_lines(path), report)


def blocks(path, size: int, keep=None):
    """(block number, first record number - 1, [(line number, bytes)]) of a JSON Lines file in blocks of
    ``size`` non-blank lines; ``keep(block number)`` False: the block is counted but its lines are not
    collected (its lines list is empty)."""
    from .textio import iter_lines
    b, recno0, n, block = 0, 0, 0, []
    wanted = keep is None or keep(0)
    for lineno, line in iter_lines(path):
        if not line.strip():
            continue
        if wanted:
            block.append((lineno, line))
        n += 1
        if n - recno0 >= size:
            if wanted:
                yield b, recno0, block
            b, recno0, block = b + 1, n, []
            wanted = keep is None or keep(b)
    if n > recno0 and wanted:
        yield b, recno0, block


def parse_lines(path: str, lines, recno0: int, report: FileReport) -> list[dict]:
    """Records of a block of JSON Lines [(line number, bytes)], numbered from recno0 + 1 (the Dask engine's unit)."""
    return list(_records(path, _jsonl_works(lines, report, recno0), report))


def parse(path: str, text: str | None, report: FileReport):
    """Records of an OpenAlex file; ``text`` None streams a JSON Lines file from disk."""
    works = iter_jsonl_stream(path, report) if text is None else iter_works(path, text, report)
    return _records(path, works, report)


def _records(path: str, works, report: FileReport):
    """Converted records of (record number, line number, work) triples; non-works skipped and counted."""
    report.format = "openalex"
    cache: dict = {}
    for recno, lineno, w in works:
        where = f"line {lineno}" if lineno else f"record {recno}"
        report.records += 1
        if not isinstance(w, dict) or not (w.get("id") or w.get("doi") or w.get("title")):
            report.skip("not an OpenAlex work (no id, doi or title)", where)
            continue
        rec = convert(w, path, recno, lineno, report, where, cache)
        yield rec


_NONE = frozenset()


def convert(w: dict, path: str, recno: int, lineno, report: FileReport, where: str, cache: dict | None = None) -> dict:
    """The record of one work; ``cache``: the institutions' converted fields and short ids, kept across
    the works of a block (each institution appears on many authorships)."""
    rec = new_record("openalex", path, recno, lineno)
    rec["openalex_id"] = _id(w.get("id"))
    rec["doi"] = norm_doi(w.get("doi"))
    ids = w.get("ids") or {}
    pm = ids.get("pmid")
    rec["pmid"] = str(pm).rstrip("/").rsplit("/", 1)[-1] if pm else None
    rec["title"] = w.get("title") or w.get("display_name")
    rec["year"] = parse_year(w.get("publication_year"), report, where)
    typ = w.get("type") or ""
    loc = w.get("primary_location") or {}
    src = loc.get("source") or {}
    if typ == "article" and (src.get("type") == "conference"):
        rec["doc_type"] = "conference_paper"
    else:
        rec["doc_type"] = canonical_doc_type(typ.replace("-", " "))
    rec["doc_type_raw"] = typ or None
    rec["source_title"] = src.get("display_name")
    biblio = w.get("biblio") or {}
    rec["volume"] = biblio.get("volume")
    rec["issue"] = biblio.get("issue")
    rec["first_page"] = biblio.get("first_page")
    rec["language"] = w.get("language")
    rec["is_retracted"] = bool(w.get("is_retracted"))
    rec["is_paratext"] = bool(w.get("is_paratext")) or typ == "paratext"
    rec["cited_by"] = w.get("cited_by_count")
    rec["fwci"] = w.get("fwci")
    cnp = w.get("citation_normalized_percentile") or {}
    if isinstance(cnp, dict) and cnp:
        rec["top10"] = cnp.get("is_in_top_10_percent")
        rec["percentile"] = cnp.get("value")
    cby = w.get("counts_by_year")
    if cby:
        rec["counts_by_year"] = {int(x["year"]): int(x.get("cited_by_count") or 0) for x in cby if x.get("year")}
    rec["keywords"] = [k.get("display_name") if isinstance(k, dict) else str(k) for k in (w.get("keywords") or [])]
    rec["keywords"] = [k for k in rec["keywords"] if k]
    rec["index_keywords"] = [m.get("descriptor_name") for m in (w.get("mesh") or []) if m.get("descriptor_name")]
    pt = w.get("primary_topic") or {}
    rec["primary_topic"] = pt.get("display_name")
    sub = (pt.get("subfield") or {}).get("display_name")
    fld = (pt.get("field") or {}).get("display_name")
    rec["fields"] = [sub or fld] if (sub or fld) else []
    rec["countries_declared"] = w.get("countries_distinct_count")
    rec["institutions_declared"] = w.get("institutions_distinct_count")

    found_countries = set()
    # each author as a compact row (AuthorRows: chunk_part reads them as they are), each affiliation the
    # six fields its tail is resolved from; an institution's fields (keyed by the tuple of its five
    # values) and its id's short form (keyed by the id string) are converted once per block
    rows = []
    seen = cache if cache is not None else {}
    for au in w.get("authorships") or []:
        person = au.get("author") or {}
        full = person.get("display_name")
        raws = au.get("raw_affiliation_strings") or []
        affs = []
        covered = _NONE
        insts = au.get("institutions")
        if insts:
            raw_of = {}
            for af in au.get("affiliations") or []:
                for iid in af.get("institution_ids") or []:
                    short = seen.get(iid) if type(iid) is str else None   # (an id's short form)
                    if short is None:
                        short = _id(iid)
                        if type(iid) is str and short is not None:
                            seen[iid] = short
                    raw_of.setdefault(short, af.get("raw_affiliation_string"))
            one = raws[0] if len(raws) == 1 else None
            covered = set()
            for inst in insts:
                key = (inst.get("id"), inst.get("ror"), inst.get("display_name"), inst.get("type"),
                       inst.get("country_code"))
                try:
                    fields = seen.get(key)
                except TypeError:   # (a list or dict where a string belongs: converted, not kept)
                    fields = None
                    seen_it = False
                else:
                    seen_it = True
                if fields is None:
                    fields = (_id(key[0]), _ror(key[1]), _text(key[2]), _text(key[3]), _text(key[4]))
                    if seen_it:
                        seen[key] = fields
                affs.append((raw_of.get(fields[0]) or one,) + fields)
                if key[4]:
                    covered.add(key[4])
        if not affs:
            # no institution: keep the raw strings, parsed later like any other export
            affs = [(r, None, None, None, None, None) for r in raws if r]
        for cc in au.get("countries") or []:
            if cc and cc not in covered and not any(x[5] == cc for x in affs):
                if len(affs) == 1 and affs[0][1] is None and affs[0][5] is None:
                    affs[0] = affs[0][:5] + (cc,)   # the raw string's country, as OpenAlex parsed it
                else:
                    affs.append((None, None, None, None, None, cc))
            found_countries.add(cc)
        found_countries |= covered
        rows.append((au.get("raw_author_name") or full, full, _id(person.get("id")), person.get("orcid"),
                     bool(au.get("is_corresponding")), affs))
    rec["authors"] = AuthorRows(rows)
    if rec["countries_declared"] and rec["countries_declared"] > len(found_countries):
        report.warn("authorships truncated (countries_distinct_count exceeds the countries listed)", where)
    cited = w.get("referenced_works") or []
    if all(type(r) is str and r.startswith(PREFIX) for r in cited):  # the usual form: https://openalex.org/W...
        rec["references"] = OpenAlexIds([r[PREFIX_LEN:] for r in cited])  # (to Arrow as they are: chunk_part)
        return rec
    refs = []
    for r in cited:
        if isinstance(r, str) and r.startswith(PREFIX):
            rid = intern(r[PREFIX_LEN:])
            refs.append((rid, None, rid))
        elif r:
            rid = _id(r)
            refs.append((rid, find_doi(r) if "doi.org" in str(r) else None, rid))
    rec["references"] = refs
    return rec
