"""The Dask engine for the read stage: ``collabnet build INPUT... --engine dask [--scheduler ADDRESS]``.

The read is a map-reduce over chunks of records (collabnet.read.chunks).  The driver streams each JSON
Lines file in blocks of ``chunk_records`` lines (decompressing is cheap; parsing, converting and
resolving records is the costly Python work) and sends every block to a Dask worker, which parses it
and runs the same map step as the in-process reader (``chunk_part``: the block's records become
compact Arrow tables with institutions, sectors and countries resolved, plus their deduplication
keys).  A Scopus CSV is cut at row ends into pieces of about 16 MB (``read.scopus.cut_file``), each
read by a worker from the file (the workers see the driver's files); a WoS plain-text export is cut
after ER lines into blocks of ``chunk_records`` records, sent with their tasks; other formats go to a
worker as one task per file, which returns the file's parts.  Only the
parts come back.  The driver adds them up in input order and runs the same reduce step
(``corpus_of``: grouping duplicates, merging, work ids, exclusions) as the default engine, so both
engines give the same Corpus, report and networks, byte for byte.

Without an address a ``dask.distributed.LocalCluster`` is started on this machine.  Dask is optional:
``pip install collabnet[dask]``.
"""
from __future__ import annotations

import os

from .errors import CollabnetError, InputError

CHUNK_RECORDS = 20_000
PIECE_BYTES = 16 * 2 ** 20  # a Scopus CSV goes to the workers in pieces of about this size


def _need_dask():
    import importlib.util
    if importlib.util.find_spec("dask") is None or importlib.util.find_spec("distributed") is None:
        raise CollabnetError("--engine dask needs Dask: pip install 'collabnet[dask]' "
                             "(or pip install 'dask[distributed]')")


def _read_block(path, lines, recno0, thesaurus):
    from .read import openalex
    from .read.chunks import chunk_part
    from .read.common import FileReport
    rep = FileReport(path)
    return [chunk_part(openalex.parse_lines(path, lines, recno0, rep), thesaurus)], rep


def _pieces_result(client, path, futures, encoding, thesaurus):
    """(parts, report) of a file read in pieces (a Scopus CSV's, a WoS export's blocks): record numbers
    shifted by the pieces before, the reports added up in file order, a CSV's header check on the whole;
    the file read whole by one worker instead when a CSV piece did not end on its mark (the cut was not a
    row end: stray quotes)."""
    from .read import scopus
    from .read.common import FileReport
    got = [f.result() for f in futures]
    for f in futures:
        f.release()
    if not all(ok for _, _, ok, _, _ in got):
        parts, rep = client.submit(_read_whole, path, encoding, thesaurus, pure=False).result()
        return parts, rep
    parts, rep, done = [], FileReport(path), 0
    for piece_parts, piece_rep, _, records, _ in got:
        for part in piece_parts:
            if done:
                part.shift_records(done)
            parts.append(part)
        rep.absorb(piece_rep)
        done += records
    if rep.format == "scopus":
        scopus.check_header(path, got[0][4], rep)
    return parts, rep


def _read_whole(path, encoding, thesaurus):
    from .read import _finish, record_chunks
    from .read.chunks import chunk_part
    from .read.common import FileReport
    rep = FileReport(path)
    parts = [chunk_part(chunk, thesaurus) for chunk in record_chunks(path, encoding, rep)]
    _finish(path, sum(len(p) for p in parts), rep)
    return parts, rep


def _read_csv_piece(path, start, stop, line_base, last, thesaurus, chunk_records):
    """(parts, report, came to its mark or is the last piece, records, header mangled) of bytes
    [start, stop) of a Scopus CSV; records numbered from 1 in the piece."""
    from .read import _utf8_errors, scopus
    from .read.chunks import chunk_part
    from .read.common import FileReport
    layout = scopus.piece_layout(path, start, stop, line_base, mark=not last)
    rep, parts = FileReport(path, "scopus"), []
    with _utf8_errors(path, layout):
        for _, recs, r in scopus.blocks(layout, chunk_records):
            parts.append(chunk_part(recs, thesaurus))
            rep.absorb(r)
    return parts, rep, last or layout.reached_mark, layout.records, layout.mangled


def _read_wos_block(path, text, line0, thesaurus):
    """(parts, report, True, records, False) of one block of a WoS plain-text export (records from 1)."""
    from .read import wos
    from .read.chunks import chunk_part
    recs, rep = wos.plain_block(path, text, line0)
    return [chunk_part(recs, thesaurus)], rep, True, rep.records, False


def _wos_blocks(path, encoding, chunk_records):
    """A WoS plain-text export's blocks of ``chunk_records`` records, cut after ER lines by the driver
    (which decodes the file, as the default reader does): [(text, first line number)], or None when the
    file is not one (a file of one block is sent as that block: the driver has decoded it already)."""
    from .read import _sniff_head, sniff, wos
    from .read.textio import decode, head_bytes, read_bytes
    if _sniff_head(path, head_bytes(path)) != "wos":
        return None
    text = decode(path, read_bytes(path), encoding)
    if sniff(path, text) != "wos":
        return None
    cuts = wos.plain_cuts(text, chunk_records)
    return [(text[a:b], line0) for a, b, line0 in cuts]


def _csv_pieces(path, encoding, piece_bytes):
    """Where to cut a Scopus CSV for the workers: [(start, stop, lines before)], or None when the file is
    read whole by one worker (not a plain UTF-8 Scopus CSV, or too small to cut)."""
    from .read import _sniff_head, scopus, utf8_head
    from .read.textio import head_bytes, is_gzip
    head = head_bytes(path)  # (empty for a missing file: the whole-file task says what is wrong)
    if encoding is not None or not head or is_gzip(path):
        return None
    if not utf8_head(head) or _sniff_head(path, head) != "scopus":
        return None
    pieces = scopus.cut_file(path, piece_bytes)
    return pieces if len(pieces) > 1 else None


def read_dask(*paths, scheduler: str | None = None, thesaurus=None, keep_retracted: bool = False,
              encoding: str | None = None, chunk_records: int = CHUNK_RECORDS, n_workers: int | None = None,
              timings: dict | None = None, piece_bytes: int = PIECE_BYTES):
    """Read exports on a Dask cluster; returns the same Corpus as ``collabnet.read``."""
    _need_dask()
    import time

    from distributed import Client, LocalCluster

    from .clean.thesaurus import Thesaurus
    from .read import _finish, _gc_paused, corpus_of, stream_kind
    from .read.chunks import Assembly
    t0 = time.perf_counter()
    flat = [os.fspath(p) for p in paths]
    if not flat:
        raise InputError(None, "no input files given", hint="Name one or more export files")
    th = Thesaurus.load(thesaurus) if isinstance(thesaurus, (str, os.PathLike)) else thesaurus
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        import logging
        cluster = LocalCluster(n_workers=n_workers or min(2, os.cpu_count() or 1), threads_per_worker=1,
                               processes=True, dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        import warnings
        warnings.filterwarnings("ignore", message=".*large graph.*")  # blocks travel with their tasks by design
        futures = []  # (path, future or a CSV's list of piece futures) in input order
        for p in flat:
            if stream_kind(p, encoding) == "openalex-jsonl":
                from .read.openalex import blocks
                for _, recno0, block in blocks(p, chunk_records):
                    futures.append((p, client.submit(_read_block, p, block, recno0, th, pure=False)))
                continue
            pieces = _csv_pieces(p, encoding, piece_bytes)
            wos_blocks = None if pieces else _wos_blocks(p, encoding, chunk_records)
            if pieces:
                futures.append((p, [client.submit(_read_csv_piece, p, a, b, lines, k == len(pieces) - 1, th,
                                                  chunk_records, pure=False)
                                    for k, (a, b, lines) in enumerate(pieces)]))
            elif wos_blocks:
                futures.append((p, [client.submit(_read_wos_block, p, text, line0, th, pure=False)
                                    for text, line0 in wos_blocks]))
                del wos_blocks
            else:
                futures.append((p, client.submit(_read_whole, p, encoding, th, pure=False)))
        asm, reports, counts = Assembly(), {}, {}
        for p, fut in futures:
            parts, rep = _pieces_result(client, p, fut, encoding, th) if isinstance(fut, list) else fut.result()
            for part in parts:
                asm.add(part)
                counts[p] = counts.get(p, 0) + len(part)
            if p in reports:
                reports[p].absorb(rep)
            else:
                reports[p] = rep
            if not isinstance(fut, list):
                fut.release()
    finally:
        import logging
        logging.getLogger("distributed").setLevel(logging.CRITICAL)  # shutdown chatter is not the user's business
        client.close()
        if cluster is not None:
            cluster.close()
    for p, rep in reports.items():
        _finish(p, counts.get(p, 0), rep)
    t1 = time.perf_counter()
    with _gc_paused():
        corpus = corpus_of(asm, [reports[p] for p in dict.fromkeys(flat)], th or Thesaurus(),
                           keep_retracted=keep_retracted)
    if timings is not None:
        timings.update(read=t1 - t0, clean=time.perf_counter() - t1)
    return corpus
