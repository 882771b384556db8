"""Reading exports into a Corpus: one module per format, sniffed from content."""
from __future__ import annotations

import contextlib
import gc
import os
import sys

from ..clean.resolve import resolve, unresolved_report, work_id_of
from ..clean.thesaurus import Thesaurus
from ..corpus import Corpus
from ..errors import InputError
from . import openalex, pubmed, scopus, wos
from .common import FileReport
from .merge import group_records, merge_group
from .sniff import sniff
from .textio import decode, head_bytes, read_bytes

__all__ = ["read", "read_file", "sniff"]


def read_file(path, encoding: str | None = None, report: FileReport | None = None) -> tuple[list[dict], FileReport]:
    """Records of one export file (format sniffed from its content) and what happened reading it."""
    path = os.fspath(path)
    report = report or FileReport(path)
    how = stream_kind(path, encoding)
    if how == "openalex-jsonl":
        # JSON Lines (the OpenAlex snapshot's format) is streamed line by line: memory stays flat
        if _split_worthwhile(path):
            return _finish(path, _jsonl_two_cores(path, report), report, "openalex")
        return _finish(path, list(openalex.parse(path, None, report)), report, "openalex")
    if how == "scopus":
        # a large UTF-8 Scopus CSV is parsed straight from the file: the decoded text is never held whole
        return _finish(path, _scopus_stream(path, report), report, "scopus")
    data = read_bytes(path)
    text = decode(path, data, encoding)
    del data
    fmt = sniff(path, text)
    if fmt == "scopus":
        it = scopus.parse(path, text, report)
    elif fmt == "wos":
        it = wos.parse_plain(path, text, report)
    elif fmt == "wos-tab":
        it = wos.parse_tabbed(path, text, report)
    elif fmt == "wos-csv":
        it = wos.parse_tabbed(path, text, report, long_names=True)
    elif fmt == "openalex":
        it = openalex.parse(path, text, report)
    else:
        it = pubmed.parse(path, text, report)
    records = list(it)
    return _finish(path, records, report, fmt)


STREAM_FROM_BYTES = 32 * 2 ** 20
SPLIT_FROM_BYTES = 2 * 2 ** 20   # a JSON Lines file this big (on disk) is parsed on two cores
SPLIT_BLOCK = 1000               # lines per block
SPLIT_CHILD = (1, 3)             # of every 5 blocks the child parses these 2: it also pickles its records


def _split_worthwhile(path) -> bool:
    from ..parallel import forking
    try:
        return forking() and os.path.getsize(path) >= SPLIT_FROM_BYTES
    except OSError:
        return False


def _jsonl_two_cores(path, report: FileReport) -> list[dict]:
    """Records of a JSON Lines file parsed by this process and a forked child, block by block (both read
    the whole stream; each converts its own blocks), put back in file order with the per-block reports
    added up in order: the same records and report as one process gives."""
    from ..parallel import Background
    child = Background(_jsonl_share, path, True, what=f"reading {path}")
    parts = _jsonl_share(path, False) + child.result()
    parts.sort(key=lambda part: part[0])
    records = []
    for _, recs, rep in parts:
        records.extend(recs)
        report.absorb(rep)
    return records


def _jsonl_share(path, child: bool) -> list:
    """[(block number, records, report)] of the blocks that the child (or the parent) parses."""
    def mine(b):
        return ((b % 5) in SPLIT_CHILD) == child
    out = []
    for b, recno0, lines in openalex.blocks(path, SPLIT_BLOCK, keep=mine):
        rep = FileReport(path)
        out.append((b, openalex.parse_lines(path, lines, recno0, rep), rep))
    return out


def stream_kind(path, encoding: str | None = None) -> str | None:
    """"openalex-jsonl" or "scopus" when the file is read as a stream (from its first 64 kB), else None."""
    head = head_bytes(path) if encoding is None else b""
    if not head:
        return None
    fmt = _sniff_head(path, head)
    if fmt == "openalex" and openalex.is_jsonl_head(head):
        return "openalex-jsonl"
    if fmt == "scopus" and _streamable(path, head):
        return "scopus"
    return None


def _streamable(path, head: bytes) -> bool:
    """A file big enough to be worth streaming, and UTF-8 (no UTF-16 byte-order mark, no NUL bytes)."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return False
    return size >= STREAM_FROM_BYTES and head[:2] not in (b"\xff\xfe", b"\xfe\xff") and b"\x00" not in head


def _scopus_stream(path, report) -> list[dict]:
    from .textio import opener
    try:
        with opener(path)(path, "rt", encoding="utf-8-sig", newline="") as fh:
            return list(scopus.parse(path, fh, report))
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 (byte 0x{exc.object[exc.start]:02x} cannot be decoded)",
                         where=f"after record {report.records}",
                         hint="Re-export it as UTF-8, or name its encoding, e.g. --encoding latin-1") from None
    except (OSError, EOFError) as exc:
        raise InputError(path, f"the gzip stream is damaged or truncated ({exc})",
                         hint="Download or copy the file again") from None


def _sniff_head(path, head: bytes) -> str | None:
    try:
        return sniff(path, head.decode("utf-8", errors="ignore"))
    except Exception:
        return None


def _finish(path, records, report, fmt):
    if report.records == 0:
        raise InputError(path, f"no records found in this {report.format or fmt} file",
                         hint="Is the export empty or cut off?")
    if not records:
        reasons = "; ".join(f"{n} {r}" for r, n in report.skipped.most_common(2))
        raise InputError(path, f"none of its {report.records} records could be read ({reasons})")
    return records, report


def read(*paths, thesaurus: str | Thesaurus | None = None, keep_retracted: bool = False,
         encoding: str | None = None, progress: bool | None = None, timings: dict | None = None) -> Corpus:
    """Read one or more export files (Scopus, WoS, OpenAlex, PubMed; mixed) into one deduplicated Corpus.

    >>> import collabnet  # doctest: +SKIP
    >>> c = collabnet.read("scopus.csv", "savedrecs.txt")  # doctest: +SKIP
    """
    flat = []
    for p in paths:
        if isinstance(p, (list, tuple)):
            flat.extend(p)
        else:
            flat.append(p)
    if not flat:
        raise InputError(None, "no input files given", hint="Name one or more export files")
    th = Thesaurus.load(thesaurus) if isinstance(thesaurus, (str, os.PathLike)) else thesaurus
    with _gc_paused():
        return _read(flat, th, keep_retracted, encoding, progress, timings if timings is not None else {})


@contextlib.contextmanager
def _gc_paused():
    """Reading builds millions of small dicts and lists that live until the corpus is assembled; the
    cyclic garbage collector would rescan them again and again (a third of the read time).  Reference
    counting still frees everything; the collector runs once at the end."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
            gc.collect()


def _read(flat, th, keep_retracted, encoding, progress, timings) -> Corpus:
    import time
    t0 = time.perf_counter()
    show = sys.stderr.isatty() if progress is None else progress
    records, reports = [], []
    bar = None
    if show:
        from tqdm import tqdm
        bar = tqdm(total=len(flat), desc="reading", unit="file", file=sys.stderr, leave=False)
    for p in flat:
        recs, rep = read_file(p, encoding=encoding)
        records.extend(recs)
        reports.append(rep)
        if bar is not None:
            bar.set_postfix_str(f"{os.path.basename(os.fspath(p))}: {rep.records} records")
            bar.update(1)
    if bar is not None:
        bar.close()
    t1 = time.perf_counter()
    corpus = build_corpus(records, reports, th, keep_retracted=keep_retracted, consume=True)
    timings.update(read=t1 - t0, clean=time.perf_counter() - t1)
    return corpus


def build_corpus(records: list[dict], reports: list[FileReport], thesaurus: Thesaurus | None = None,
                 keep_retracted: bool = False, consume: bool = False) -> Corpus:
    """Deduplicate, exclude retracted items and paratext, resolve affiliations, and assemble the Corpus.

    ``consume``: empty each record dict once it has been merged and turned into table rows, so the
    memory of the raw records is reused for the tables (peak memory: the larger of the two, not the sum).
    """
    by_path = {r.path: r for r in reports}
    groups = group_records(records)
    steps = dict(group_records.last_steps)
    works = []
    excluded = {"retracted": 0, "paratext": 0}
    for g in groups:
        seen_files = set()
        for r in g:
            if r["file"] in seen_files:
                by_path[r["file"]].merged_within += 1
            elif seen_files:
                by_path[r["file"]].merged_across += 1
            seen_files.add(r["file"])
        w = merge_group(g)
        first_file = g[0]["file"]
        if consume:  # w holds what it needs (its lists are shared with, or copied from, the records)
            for r in g:
                r.clear()
        if not keep_retracted and (w["is_retracted"] or w["is_paratext"]):
            why = "retracted" if w["is_retracted"] else "paratext"
            excluded[why] += 1
            by_path[first_file].excluded[why] += 1
            continue
        w["work_id"] = work_id_of(w)
        works.append(w)
    # distinct works keep distinct ids even when two share a fallback id
    seen = {}
    for w in works:
        base = w["work_id"]
        if base in seen:
            seen[base] += 1
            w["work_id"] = f"{base}#{seen[base]}"
        else:
            seen[base] = 0
    th = thesaurus or Thesaurus()
    works_df, auth, refs, how = resolve(works, th, consume=consume)
    meta = {
        "inputs": [r.to_dict() for r in reports],
        "dedup_steps": steps,
        "excluded": excluded,
        "keep_retracted": keep_retracted,
        "thesaurus": {"path": th.path, "entries": len(th), "hits": th.hits} if th.path else None,
        "sector_sources": how,
        "unresolved": unresolved_report(auth),
    }
    return Corpus(works_df, auth, refs, meta)
