"""Reading exports into a Corpus: one module per format, sniffed from content."""
from __future__ import annotations

import contextlib
import gc
import itertools
import os
from math import inf
import sys

from ..clean.resolve import finish_authorships, finish_references, finish_works, unresolved_report
from ..clean.thesaurus import Thesaurus
from ..corpus import Corpus
from ..errors import InputError
from ..memory import bulk_allocation
from . import openalex, pubmed, scopus, wos, wos_stream
from .common import FileReport, plain_authors
from .chunks import Assembly, assemble, chunk_part
from .sniff import sniff
from .textio import decode, head_bytes, is_gzip, read_bytes

__all__ = ["read", "read_into", "read_file", "record_chunks", "file_parts", "sniff"]

CHUNK_RECORDS = 5_000            # records per chunk: the raw records held at once
STREAM_FROM_BYTES = 32 * 2 ** 20
SPLIT_FROM_BYTES = 2 * 2 ** 20   # a JSON Lines file this big (on disk) is parsed on two cores
FIRST_HALF = 0.53                # the share of a CSV file (streamed from disk) the parent reads (the child
                                 # also counts the lines before its half, and sends its parts)
SPLIT_BLOCK = 2500               # lines per block (a part); the child converts every other block


def read_file(path, encoding: str | None = None, report: FileReport | None = None) -> tuple[list[dict], FileReport]:
    """Records of one export file (format sniffed from its content) and what happened reading it."""
    path = os.fspath(path)
    report = report or FileReport(path)
    records = [r for chunk in record_chunks(path, encoding, report) for r in chunk]
    _finish(path, len(records), report)
    return records, report


def record_chunks(path, encoding: str | None = None, report: FileReport | None = None, size: int | None = None):
    """Lists of at most ``size`` records of one export file, in file order (``report`` counts what is read
    and skipped).  JSON Lines and large Scopus CSVs are streamed from disk; other files are decoded whole."""
    path = os.fspath(path)
    report = report if report is not None else FileReport(path)
    blocks, finish, local_numbers, _ = _block_reader(path, encoding)
    done = 0
    for _, recs, rep in blocks(size or CHUNK_RECORDS, None):
        plain_authors(recs)   # (authors kept on arrays for chunk_part: made the dicts they stand for)
        if local_numbers and done:
            for r in recs:
                r["record"] += done
        done += rep.records
        report.absorb(rep)
        yield recs
    if finish is not None:
        finish(report)


def _batched(it, size: int):
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def file_parts(path, encoding: str | None, report: FileReport, thesaurus: Thesaurus | None = None):
    """The :class:`~.chunks.Part` of every block of records of one file, in file order; a large file
    (JSON Lines, Scopus CSV, WoS plain text) has its blocks converted by this process and a forked child
    (both read the whole file; each converts its own blocks)."""
    path = os.fspath(path)
    blocks, finish, local_numbers, halves = _block_reader(path, encoding)
    split = local_numbers is not None and _split_worthwhile(path)
    parts = _two_halves(path, halves, thesaurus) if split and halves is not None else None
    if parts is None:
        parts = (_two_cores(path, blocks, thesaurus) if split else
                 ((chunk_part(recs, thesaurus), rep) for _, recs, rep in blocks(CHUNK_RECORDS, None)))
    done = 0  # records of the blocks so far (to number the records of a block that counts from 1)
    for part, rep in parts:
        if local_numbers and done:
            part.shift_records(done)
        done += rep.records
        report.absorb(rep)
        yield part
    if finish is not None:
        finish(report)


def _block_reader(path, encoding):
    """(blocks(size, keep), finish(report) or None, records numbered per block: True/False, None when the
    format is not split, halves() or None) for one file; ``blocks`` yields (block number, records,
    report); ``halves()``: a CSV's (first half's Layout, a function that makes the second half's) when
    the file can be cut in two at a row end (``scopus.split_text``), else None."""
    how = stream_kind(path, encoding)
    if how == "openalex-jsonl":
        def jsonl_blocks(size, keep):
            for b, recno0, lines in openalex.blocks(path, size, keep=keep):
                rep = FileReport(path)
                yield b, openalex.parse_lines(path, lines, recno0, rep), rep
        return jsonl_blocks, None, False, None
    if how == "wos":
        def wos_stream_blocks(size, keep):
            return wos_stream.blocks(path, size, keep)
        return wos_stream_blocks, None, True, None
    layouts = []
    check = lambda report: scopus.check(layouts[0], report)  # noqa: E731
    if how == "scopus":
        def scopus_stream_blocks(size, keep):
            yield from _scopus_stream(path, size, keep, layouts)

        def stream_halves():
            if is_gzip(path):  # (head_bytes is what the gzip stream begins with)
                return None
            # cut where a row likely starts (the first half's mark proves it), else where the quotes say
            size = os.path.getsize(path)
            at = scopus.likely_row_start(path, int(size * FIRST_HALF))
            pieces = scopus.cut_file(path, size // 2) if at is None or at >= size else [(0, at, 0), (at, None, None)]
            if len(pieces) != 2:
                return None
            with _utf8_errors(path, None):
                first, second = scopus.file_halves(path, pieces)
            layouts.append(first)
            return first, second
        return scopus_stream_blocks, check, False, stream_halves
    data = read_bytes(path)
    text = decode(path, data, encoding)
    del data
    fmt = sniff(path, text)
    if fmt == "scopus":
        def scopus_blocks(size, keep):
            layouts.append(scopus.text_layout(path, text))
            yield from scopus.blocks(layouts[-1], size, keep)

        def text_halves():
            at = scopus.split_text(text)
            if at is None:
                return None
            first, second = scopus.text_halves(path, text, at)
            layouts.append(first)
            return first, second
        return scopus_blocks, check, False, text_halves
    if fmt == "wos":
        found = {}  # size -> the blocks' cuts, found once (a parent that primes them shares them with its child)

        def cuts(size):
            if size not in found:
                found[size] = wos.plain_cuts(text, size)
            return found[size]

        def wos_blocks(size, keep):
            return wos.plain_blocks(path, text, size, keep, cuts(size))
        wos_blocks.prime = cuts
        return wos_blocks, None, True, None
    rep = FileReport(path)
    if fmt == "wos-tab":
        it = wos.parse_tabbed(path, text, rep)
    elif fmt == "wos-csv":
        it = wos.parse_tabbed(path, text, rep, long_names=True)
    elif fmt == "openalex":
        it = openalex.parse(path, text, rep)
    else:
        it = pubmed.parse(path, text, rep)

    def whole(size, keep):
        # the parser counts into one report for the file: it comes with a last, empty block
        b = -1
        for b, recs in enumerate(_batched(it, size)):
            yield b, recs, FileReport(path)
        yield b + 1, [], rep
    return whole, None, None, None


def _two_halves(path, halves, thesaurus):
    """(part, report) of every block of a CSV cut in two at a row end: the first half converted by this
    process, the second by a forked child, in file order; None (nothing read) when the file cannot be cut,
    or when its first half did not end where the cut is (stray quotes): the caller then reads it whole."""
    from ..parallel import Background
    got = halves()
    if got is None:
        return None
    first, second = got
    child = Background(_second_half, path, second, thesaurus, what=f"reading {path}", reraise=True, stream=True)
    try:
        with _utf8_errors(path, first):
            mine = [(chunk_part(recs, thesaurus), rep) for _, recs, rep in scopus.blocks(first, SPLIT_BLOCK)]
    except BaseException:
        _reap(child)
        raise
    if not first.reached_mark:  # the cut is not a row end of the whole file: the child's rows are wrong
        _reap(child)
        return None
    theirs = child.result()
    for _, part, rep in theirs:
        if first.records:  # the child numbered its records from 1
            part.shift_records(first.records)
        mine.append((part, rep))
    return mine


def _reap(child) -> Exception | None:
    """Wait for a child whose result is not wanted; what it raised, if anything."""
    try:
        child.result()
    except Exception as exc:
        return exc
    return None


def _second_half(path, second, thesaurus):
    """(block number, part, report) of each block of a CSV's second half (in the child)."""
    layout = second()
    with _utf8_errors(path, layout):
        for b, recs, rep in scopus.blocks(layout, SPLIT_BLOCK):
            yield b, chunk_part(recs, thesaurus), rep


def _two_cores(path, blocks, thesaurus):
    """(part, report) of every block of a file, converted by this process (even blocks) and a forked
    child (odd blocks: Parts are compact Arrow tables, cheap to send back), in file order; the reports
    per block add up to what one process reports."""
    from ..parallel import Background
    if hasattr(blocks, "prime"):  # what both processes would work out alike: once, before the fork
        blocks.prime(SPLIT_BLOCK)
    child = Background(_share, blocks, True, thesaurus, what=f"reading {path}", reraise=True, stream=True)
    try:
        mine = list(_share(blocks, False, thesaurus))
    except InputError as exc:  # the child may have met an earlier bad block: that one is the error
        theirs = _reap(child)
        if isinstance(theirs, InputError) and getattr(theirs, "block", inf) < getattr(exc, "block", inf):
            raise theirs from None
        raise
    parts = sorted(mine + child.result(), key=lambda x: x[0])
    for _, part, rep in parts:
        yield part, rep


def _share(blocks, child: bool, thesaurus):
    """(block number, part, report) of each block that the child (odd blocks) or the parent converts."""
    for b, recs, rep in blocks(SPLIT_BLOCK, lambda b: (b % 2 == 1) == child):
        yield b, chunk_part(recs, thesaurus), rep


def _split_worthwhile(path) -> bool:
    from ..parallel import forking
    try:
        return forking() and os.path.getsize(path) >= SPLIT_FROM_BYTES
    except OSError:
        return False


def stream_kind(path, encoding: str | None = None) -> str | None:
    """"openalex-jsonl", "scopus" or "wos" (plain text) when the file is read as a stream (from its first
    64 kB), else None."""
    head = head_bytes(path) if encoding is None else b""
    if not head:
        return None
    fmt = _sniff_head(path, head)
    if fmt == "openalex" and openalex.is_jsonl_head(head):
        return "openalex-jsonl"
    if fmt == "scopus" and _streamable(path, head):
        return "scopus"
    if fmt == "wos" and utf8_head(head) and not is_gzip(path):
        return "wos"
    return None


def _streamable(path, head: bytes) -> bool:
    """A file big enough to be worth streaming, and UTF-8 (no UTF-16 byte-order mark, no NUL bytes)."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return False
    return size >= STREAM_FROM_BYTES and utf8_head(head)


def utf8_head(head: bytes) -> bool:
    """The first bytes of a file (or of its gzip stream) that may be UTF-8 text: no UTF-16 byte-order
    mark, no NUL byte."""
    return head[:2] not in (b"\xff\xfe", b"\xfe\xff") and b"\x00" not in head


def _scopus_stream(path, size: int, keep, layouts: list):
    """Blocks of a large UTF-8 Scopus CSV parsed straight from the file (the decoded text is never held)."""
    from .textio import opener
    with _utf8_errors(path, layouts):
        if not is_gzip(path):
            layouts.append(scopus.piece_layout(path, 0, None, 0, mark=False))
            yield from scopus.blocks(layouts[-1], size, keep)
            return
        with opener(path)(path, "rt", encoding="utf-8-sig", newline="") as fh:
            layouts.append(scopus.Layout(path, fh))
            yield from scopus.blocks(layouts[-1], size, keep)


@contextlib.contextmanager
def _utf8_errors(path, layout):
    """Turn a decoding error of a streamed CSV (or a damaged gzip stream) into an InputError that says
    after which record; ``layout``: the Layout being read, or the list whose last item will be it."""
    try:
        yield
    except UnicodeDecodeError as exc:
        lay = (layout[-1] if layout else None) if isinstance(layout, list) else layout
        # (a second half counts its records from 1 but knows its lines: it says the line)
        where = (f"after line {lay.line_base + lay.reader.line_num}" if lay is not None and lay.line_base else
                 f"after record {lay.records if lay else 0}")
        raise InputError(path, f"is not UTF-8 (byte 0x{exc.object[exc.start]:02x} cannot be decoded)", where=where,
                         hint="Re-export it as UTF-8, or name its encoding, e.g. --encoding latin-1") from None
    except (OSError, EOFError) as exc:
        raise InputError(path, f"the gzip stream is damaged or truncated ({exc})",
                         hint="Download or copy the file again") from None


def _sniff_head(path, head: bytes) -> str | None:
    try:
        return sniff(path, head.decode("utf-8", errors="ignore"))
    except Exception:
        return None


def _finish(path, n_records: int, report: FileReport):
    """``n_records``, or a clear error when a file gave none."""
    if report.records == 0:
        raise InputError(path, f"no records found in this {report.format or 'export'} file",
                         hint="Is the export empty or cut off?")
    if not n_records:
        reasons = "; ".join(f"{n} {r}" for r, n in report.skipped.most_common(2))
        raise InputError(path, f"none of its {report.records} records could be read ({reasons})")
    return n_records


def read(*paths, thesaurus: str | Thesaurus | None = None, keep_retracted: bool = False,
         encoding: str | None = None, progress: bool | None = None, timings: dict | None = None) -> Corpus:
    """Read one or more export files (Scopus, WoS, OpenAlex, PubMed; mixed) into one deduplicated Corpus.

    >>> import collabnet  # doctest: +SKIP
    >>> c = collabnet.read("scopus.csv", "savedrecs.txt")  # doctest: +SKIP
    """
    flat, th = _inputs(paths, thesaurus)
    with _gc_paused(), bulk_allocation():
        return _read(flat, th, keep_retracted, encoding, progress, timings if timings is not None else {})


def read_into(directory, *paths, thesaurus: str | Thesaurus | None = None, keep_retracted: bool = False,
              encoding: str | None = None, progress: bool | None = None, timings: dict | None = None) -> dict:
    """Read export files like :func:`read` and write the corpus to ``directory`` (as ``Corpus.save``
    does: the same files), one table at a time: each table is written and dropped before the next is
    made, so the memory holds one table, never the whole corpus.  Returns the corpus's meta.

    >>> import collabnet.read as rd  # doctest: +SKIP
    >>> rd.read_into("outputs/run1/corpus", "works.jsonl.gz")  # doctest: +SKIP
    """
    flat, th = _inputs(paths, thesaurus)
    timings = timings if timings is not None else {}
    with _gc_paused(), bulk_allocation():
        return _read(flat, th, keep_retracted, encoding, progress, timings, save_to=os.fspath(directory))


def _inputs(paths, thesaurus):
    flat = []
    for p in paths:
        if isinstance(p, (list, tuple)):
            flat.extend(p)
        else:
            flat.append(p)
    if not flat:
        raise InputError(None, "no input files given", hint="Name one or more export files")
    th = Thesaurus.load(thesaurus) if isinstance(thesaurus, (str, os.PathLike)) else thesaurus
    return flat, th


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


def _read(flat, th, keep_retracted, encoding, progress, timings, save_to: str | None = None):
    import time
    t0 = time.perf_counter()
    show = sys.stderr.isatty() if progress is None else progress
    asm, reports = Assembly(), []
    bar = None
    if show:
        from tqdm import tqdm
        bar = tqdm(desc="reading", unit=" records", file=sys.stderr, leave=False)
    for p in flat:
        rep = FileReport(os.fspath(p))
        n = 0
        for part in file_parts(p, encoding, rep, th):
            asm.add(part)
            n += len(part)
            if bar is not None:
                bar.set_postfix_str(os.path.basename(os.fspath(p)))
                bar.update(len(part))
        _finish(os.fspath(p), n, rep)
        reports.append(rep)
    if bar is not None:
        bar.close()
        print("merging duplicates, resolving institutions" + (" and writing the corpus" if save_to else "") + " ...",
              file=sys.stderr)
    t1 = time.perf_counter()
    if save_to is None:
        corpus = corpus_of(asm, reports, th, keep_retracted=keep_retracted)
        timings.update(read=t1 - t0, clean=time.perf_counter() - t1)
        return corpus
    from ..corpus import write_corpus
    write_corpus(save_to, lambda put: corpus_of(asm, reports, th, keep_retracted=keep_retracted, put=put, timings=timings))
    timings.update(read=t1 - t0, clean=time.perf_counter() - t1 - timings.get("save", 0.0))
    return timings.pop("meta")


OVERLAP_WRITE_WORKS = 300_000   # works up to which the works and references are written by a forked child


def _put_works_and_references(put, works, references) -> None:
    from ..corpus import PARQUET_SLICE
    put("works", works)
    put("references", references(PARQUET_SLICE))   # (Arrow batches: no Python string made)


def corpus_of(asm: Assembly, reports: list[FileReport], thesaurus: Thesaurus | None = None,
              keep_retracted: bool = False, put=None, timings: dict | None = None) -> Corpus | None:
    """The reduce step: deduplicate and merge the parts' records, exclude retracted items and paratext,
    unify institution names, and assemble the Corpus.  ``put(name, table or meta)``: each table is handed
    to it (to be written) and dropped as soon as it is made, references first, and None is returned;
    ``timings["save"]``: the seconds ``put`` took, ``timings["meta"]``: the meta."""
    import time
    import pyarrow as pa
    th = thesaurus or Thesaurus()
    works, authorships, references, excluded, steps = assemble(asm, reports, keep_retracted=keep_retracted)
    works = finish_works(works)
    spent = 0.0
    first = None
    if put is not None:
        # the works and references are written by a forked child while this process resolves the
        # authorships and writes them: the writes (pandas' strings to Arrow, Parquet encoding) on two cores.
        # Not for a large corpus: the child's own buffers and the pages it copies from this process grow
        # with the corpus (3 GB more at the peak of a million works), for a second or two saved
        from ..parallel import Background
        if len(works) > OVERLAP_WRITE_WORKS:
            t = time.perf_counter()
            _put_works_and_references(put, works, references)
            spent += time.perf_counter() - t
        else:
            first = Background(_put_works_and_references, put, works, references,
                               what="writing the works and references", reraise=True)
        works = None
    auth, how = finish_authorships(authorships(), th)
    pa.default_memory_pool().release_unused()   # the parts' buffers, back to the system
    meta = {
        "inputs": [r.to_dict() for r in reports],
        "dedup_steps": steps,
        "excluded": excluded,
        "keep_retracted": keep_retracted,
        "thesaurus": {"path": th.path, "entries": len(th), "hits": th.hits} if th.path else None,
        "sector_sources": how,
        "unresolved": unresolved_report(auth),
    }
    if put is None:
        return Corpus.with_references_made_later(works, auth, lambda: finish_references(references()), meta)
    t = time.perf_counter()
    put("authorships", auth)
    if first is not None:
        first.result()
    put("meta", meta)
    spent += time.perf_counter() - t
    if timings is not None:
        timings.update(save=spent, meta=meta)
    return None
