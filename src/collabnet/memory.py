"""How a read and a build allocate their many large, short-lived buffers."""
from __future__ import annotations

import contextlib
import os


def _numpy_hugepage_switch():
    """numpy's switch of transparent huge pages for large arrays (returns the previous setting), or None."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage   # numpy 2
    except ImportError:
        try:
            from numpy.core.multiarray import _set_madvise_hugepage    # numpy 1.x
        except ImportError:
            return None
    return _set_madvise_hugepage


@contextlib.contextmanager
def bulk_allocation():
    """Within this block, numpy allocates large arrays on ordinary pages and Arrow its buffers from the C
    heap (``pyarrow.system_memory_pool``); both are put back as they were on leaving.

    Reading and cleaning make and drop thousands of buffers of a few MB: a window of a file, a column of
    a chunk, a pickled part.  By default numpy asks the kernel for transparent huge pages for every array
    of 4 MB or more (``madvise``), and pyarrow allocates from mimalloc, which hands freed pages back to
    the kernel soon after.  Either way, fresh pages come back from the kernel for each new buffer, and
    the kernel zeroes them first, 2 MB at a time for a huge page: a sixth to a quarter of a read's CPU
    time went to that (seen in ``perf``: ``clear_page_erms`` under page faults of huge pages).  With
    ordinary pages and the C heap, freed memory is reused in the process.  A setting the user made with
    ``NUMPY_MADVISE_HUGEPAGE`` or ``ARROW_DEFAULT_MEMORY_POOL`` is left alone."""
    undo = []
    switch = None if "NUMPY_MADVISE_HUGEPAGE" in os.environ else _numpy_hugepage_switch()
    if switch is not None:
        before = switch(False)
        undo.append(lambda: switch(before))
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        import pyarrow as pa
        pool = pa.default_memory_pool()
        if pool.backend_name != "system":
            pa.set_memory_pool(pa.system_memory_pool())
            undo.append(lambda: pa.set_memory_pool(pool))
    try:
        yield
    finally:
        for fn in reversed(undo):
            fn()
