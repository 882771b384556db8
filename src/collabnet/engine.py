"""The Dask engine for the read stage: ``collabnet build INPUT... --engine dask [--scheduler ADDRESS]``.

The read is a map-reduce over chunks of records (collabnet.read.chunks).  The driver streams each JSON
Lines file in blocks of ``chunk_records`` lines (decompressing is cheap; parsing, converting and
resolving records is the costly Python work) and sends every block to a Dask worker, which parses it
and runs the same map step as the in-process reader (``chunk_part``: the block's records become
compact Arrow tables with institutions, sectors and countries resolved, plus their deduplication
keys); other formats go to a worker as one task per file, which returns the file's parts.  Only the
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


def _read_whole(path, encoding, thesaurus):
    from .read import _finish, record_chunks
    from .read.chunks import chunk_part
    from .read.common import FileReport
    rep = FileReport(path)
    parts = [chunk_part(chunk, thesaurus) for chunk in record_chunks(path, encoding, rep)]
    _finish(path, sum(len(p) for p in parts), rep)
    return parts, rep


def read_dask(*paths, scheduler: str | None = None, thesaurus=None, keep_retracted: bool = False,
              encoding: str | None = None, chunk_records: int = CHUNK_RECORDS, n_workers: int | None = None,
              timings: dict | None = None):
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
        futures = []  # (path, future) in input order
        for p in flat:
            if stream_kind(p, encoding) == "openalex-jsonl":
                from .read.openalex import blocks
                for _, recno0, block in blocks(p, chunk_records):
                    futures.append((p, client.submit(_read_block, p, block, recno0, th, pure=False)))
            else:
                futures.append((p, client.submit(_read_whole, p, encoding, th, pure=False)))
        asm, reports, counts = Assembly(), {}, {}
        for p, fut in futures:
            parts, rep = fut.result()
            for part in parts:
                asm.add(part)
                counts[p] = counts.get(p, 0) + len(part)
            if p in reports:
                reports[p].absorb(rep)
            else:
                reports[p] = rep
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
