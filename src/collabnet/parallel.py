"""Work on the second core: a function run in a forked child process while the caller goes on.

collabnet's later stages are independent pieces (writing the corpus, centrality of a large graph,
graph exports, figures) that can overlap.  A forked child sees the parent's data without copying or
pickling it; only the (small) return value travels back through a pipe.  Where ``fork`` is not
available (Windows, macOS spawn default), or ``COLLABNET_WORKERS=1`` is set, the function simply runs
in the caller, at once: outputs are the same either way.
"""
from __future__ import annotations

import os
import traceback

from .errors import CollabnetError


def forking() -> bool:
    import multiprocessing as mp
    return os.environ.get("COLLABNET_WORKERS", "") != "1" and "fork" in mp.get_all_start_methods()


def _child(conn, fn, args, kwargs, reraise=False, stream=False):
    # everything inherited from the parent is frozen: the cyclic collector never walks it (a walk writes
    # to every object's header, which copies each page the child shares with the parent, and takes time)
    import gc
    gc.freeze()
    try:
        if stream:  # one message per item: neither side ever holds the whole result as one pickle
            for item in fn(*args, **kwargs):
                conn.send(("item", item))
            conn.send(("ok", None))
        else:
            value = fn(*args, **kwargs)
            conn.send(("ok", value))
    except CollabnetError as exc:
        try:
            conn.send(("raise", exc) if reraise else ("error", str(exc)))
        except Exception:
            conn.send(("error", str(exc)))
    except BaseException:  # report any other failure to the parent, whatever it was
        detail = traceback.format_exc(limit=6)
        try:
            conn.send(("error", detail))
        except Exception:
            pass
    finally:
        conn.close()


def _widen(conn) -> None:
    """Let a pipe hold up to 1 MB (Linux; 64 kB by default): the receiving thread takes a message in
    a few reads instead of dozens, and each read waits for the busy main thread to let go of the
    interpreter, while the sender stalls."""
    try:
        import fcntl
        with open("/proc/sys/fs/pipe-max-size") as f:
            size = min(int(f.read()), 1 << 20)
        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, size)
    except (ImportError, AttributeError, OSError, ValueError):
        pass


class Background:
    """Run ``fn(*args, **kwargs)`` in a forked child; ``result()`` waits and returns its value (or raises
    :class:`CollabnetError` with what went wrong in the child).  ``what`` names the work in that message;
    ``reraise``: a CollabnetError in the child (a bad input file) is raised as itself, unwrapped;
    ``daemon`` False: the child may fork children of its own (and is not killed when the parent exits);
    ``stream``: ``fn`` yields items, each sent as it is made and received by a thread of the caller's as
    it arrives, and ``result()`` is the list of them (a large result never travels as one message, which
    both processes would hold whole, next to its pickle)."""

    def __init__(self, fn, *args, what: str = "background work", daemon: bool = True, reraise: bool = False,
                 stream: bool = False, **kwargs):
        self.what = what
        self.proc = None
        self._value = None
        self._error = None
        self._done = False
        self._thread = None
        import multiprocessing as mp
        if forking() and not mp.current_process().daemon:  # (a daemon process may not have children)
            ctx = mp.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            if stream:
                _widen(self._recv)
            self.proc = ctx.Process(target=_child, args=(send, fn, args, kwargs, reraise, stream), daemon=daemon)
            self.proc.start()
            send.close()
            if stream:
                import threading
                self._items, self._final = [], None
                self._thread = threading.Thread(target=self._gather, daemon=True)
                self._thread.start()
        else:
            self._value = list(fn(*args, **kwargs)) if stream else fn(*args, **kwargs)
            self._done = True

    def _gather(self):
        """(the receiving thread of a stream) the items, until the child's last message."""
        try:
            while True:
                status, value = self._recv.recv()
                if status != "item":
                    self._final = (status, value)
                    return
                self._items.append(value)
        except EOFError:
            self._final = ("error", "the worker process ended without a result")

    def _message(self):
        if self._thread is not None:
            self._thread.join()
            status, value = self._final
            return status, (self._items if status == "ok" else value)
        try:
            return self._recv.recv()
        except EOFError:
            return "error", "the worker process ended without a result"

    def ready(self) -> bool:
        """Whether ``result()`` would return (or raise) without waiting."""
        if self._done:
            return True
        if self._thread is not None:
            return not self._thread.is_alive()
        return self._recv.poll()

    def result(self):
        if not self._done:
            status, value = self._message()
            self._recv.close()
            self.proc.join()
            if status == "ok" and self.proc.exitcode not in (0, None):
                status, value = "error", f"exit code {self.proc.exitcode}"
            self._done = True
            if status == "ok":
                self._value = value
            else:  # a message, or (status "raise") the child's own exception
                self._error = value
        if isinstance(self._error, BaseException):
            raise self._error
        if self._error is not None:
            raise CollabnetError(f"{self.what} failed: {self._error}")
        return self._value
