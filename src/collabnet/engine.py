"""The Dask engine for the read stage: ``collabnet build INPUT... --engine dask [--scheduler ADDRESS]``.

The driver streams each JSON Lines file in blocks of ``chunk_records`` lines (decompressing is cheap;
parsing and converting records is the costly Python work) and sends every block to a Dask worker,
which runs the same per-block function as the in-process reader (``openalex.parse_lines``); other
formats go to a worker as one task per file (``read_file``).  The driver gathers the blocks in input
order, adds up the per-file reports and assembles the corpus with the same ``build_corpus`` as the
default engine, so both engines give the same Corpus, report and networks, byte for byte.

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


def _read_block(path, lines, recno0):
    from .read import openalex
    from .read.common import FileReport
    rep = FileReport(path)
    recs = openalex.parse_lines(path, lines, recno0, rep)
    return recs, rep


def _read_whole(path, encoding):
    from .read import read_file
    return read_file(path, encoding=encoding)


def read_dask(*paths, scheduler: str | None = None, thesaurus=None, keep_retracted: bool = False,
              encoding: str | None = None, chunk_records: int = CHUNK_RECORDS, n_workers: int | None = None,
              timings: dict | None = None):
    """Read exports on a Dask cluster; returns the same Corpus as ``collabnet.read``."""
    _need_dask()
    import time

    from distributed import Client, LocalCluster

    from .clean.thesaurus import Thesaurus
    from .read import _gc_paused, build_corpus, stream_kind
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
                    futures.append((p, client.submit(_read_block, p, block, recno0, pure=False)))
            else:
                futures.append((p, client.submit(_read_whole, p, encoding, pure=False)))
        records, reports = [], {}
        for p, fut in futures:
            recs, rep = fut.result()
            records.extend(recs)
            if p in reports:
                reports[p].absorb(rep)
            else:
                reports[p] = rep
    finally:
        import logging
        logging.getLogger("distributed").setLevel(logging.CRITICAL)  # shutdown chatter is not the user's business
        client.close()
        if cluster is not None:
            cluster.close()
    for p, rep in reports.items():
        if rep.records == 0:
            raise InputError(p, "no records found in this file", hint="Is the export empty or cut off?")
    t1 = time.perf_counter()
    with _gc_paused():
        corpus = build_corpus(records, [reports[p] for p in dict.fromkeys(flat)], th or Thesaurus(), consume=True,
                              keep_retracted=keep_retracted)
    if timings is not None:
        timings.update(read=t1 - t0, clean=time.perf_counter() - t1)
    return corpus
