"""Web of Science plain text streamed from the file in windows of bytes (docs/decisions.md).

A window is about ``WINDOW`` bytes cut after an ER line, so no record spans two windows and the parser
starts each window as it would there in the whole text.  A window is parsed on arrays (numpy over the
bytes: lines, tags, records; the values gathered into Arrow strings) when every line in it is one the
plain-text parser (``wos._plain``) reads without a question: a tag line, a continuation line after a
field's tag line, or a blank line, with no line break that ``str.splitlines`` knows besides ``\\n`` and
``\\r\\n``.  Any other window is decoded and given to ``wos._plain``; both give the same records.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .common import FileReport, StringRun, count_byte
from .wos import JOINED, _OTHER_BREAKS, _count_lines, _plain, _record

WINDOW = 16 * 2 ** 20
_BOM = b"\xef\xbb\xbf"
_BREAKS = [c.encode("utf-8") for c in _OTHER_BREAKS if c != "\r"]  # besides \n and \r\n
_BREAK_BYTES = [(c, [c[k:k + 1] for k in range(len(c))]) for c in _BREAKS]
# the tags wos._record reads (the others, the abstract first, are never made strings)
WANTED = ("TI", "UT", "DI", "PM", "PY", "EY", "SO", "VL", "IS", "BP", "AR", "LA", "DT", "TC", "Z9", "DE",
          "ID", "WC", "FU", "FX", "AU", "AF", "C1", "RP", "CR")
_IS_JOINED = np.array([t in JOINED for t in WANTED])
_CR_SLOT = WANTED.index("CR")
assert _CR_SLOT == len(WANTED) - 1


def _code(tag: str) -> int:
    return ord(tag[0]) * 256 + ord(tag[1])


_SLOT = np.full(65536, -1, np.int16)  # tag code -> its place in WANTED
for _i, _t in enumerate(WANTED):
    _SLOT[_code(_t)] = _i
_SKIPPED = np.array([_code(t) for t in ("FN", "VR", "EF")])
_ER = _code("ER")
_UPPER = np.zeros(256, bool)
_UPPER[ord("A"):ord("Z") + 1] = True
_UPPER_OR_DIGIT = _UPPER.copy()
_UPPER_OR_DIGIT[ord("0"):ord("9") + 1] = True
_PLAIN_EDGE = np.zeros(256, bool)  # a byte str.strip never takes off, alone or as part of a character
_PLAIN_EDGE[0x21:0x7f] = True


def blocks(path: str, size: int, keep=None):
    """(block number, records, report) of each window (at most ``size`` records) of a UTF-8 plain-text
    export, records numbered from 1 in each block; ``keep(block number)`` False: the window is only
    counted, not parsed."""
    line0 = 1   # the line the window starts on (as str.splitlines numbers the whole text)
    nl0 = 0     # "\n" before the window (for the line of an encoding error, as textio.decode says it)
    for b, (buf, odd) in enumerate(_windows(path, size)):
        if keep is None or keep(b):
            rep = FileReport(path, "wos")
            try:
                recs = _parse(path, buf, odd, line0, nl0, rep)
            except InputError as exc:
                exc.block = b  # (two processes: the error of the first block in the file is the one said)
                raise
            yield b, recs, rep
        nl = count_byte(buf, 10)
        line0 += _splitlines_count(buf, nl, odd)
        nl0 += nl


def _windows(path: str, size: int):
    """(bytes, odd) of each window of the file: the bytes end after an ER line, the ``size``-th if there
    are more (the last window at the end of the file); odd: the window has a line break other than \\n
    and \\r\\n."""
    with open(path, "rb") as f:
        buf = f.read(WINDOW)
        while buf.startswith(_BOM):  # (textio.decode strips every leading byte-order mark)
            buf = buf[len(_BOM):]
        eof = False
        while buf or not eof:
            # a window of fewer bytes than WINDOW, or with no ER line yet (a long record): read on
            cut = None if len(buf) < WINDOW and not eof else _after_er(buf, size, last=not eof)
            if cut is None and not eof:
                more = f.read(WINDOW)
                eof = not more
                buf += more
                continue
            win, buf = (buf, b"") if cut is None else (buf[:cut], buf[cut:])
            yield win, _odd_breaks(win)


def _after_er(buf: bytes, size: int, last: bool) -> int | None:
    """Where the ``size``-th ER line of ``buf`` ends (after its "\\n"); with fewer, the last one if
    ``last``, else None.  The line must be an ER line to either parser: "ER", or "ER " and more, with
    no other line break, and end in "\\n"."""
    seen, end = 0, None
    for i in _er_starts(buf):
        j = buf.find(b"\n", i + 1)
        if j < 0:
            break
        if _is_er_line(buf[i + 1:j]):
            seen += 1
            end = j + 1
            if seen == size:
                return end
    return end if last else None


_NL_E = 10 + 256 * ord("E")  # b"\nE" read as a little-endian uint16


def _er_starts(buf: bytes) -> list[int]:
    """The offsets of every b"\\nER" in ``buf``, in order (numpy over byte pairs, not a search per
    record)."""
    n = len(buf) - 2  # (the last place b"\nER" can start)
    if n <= 0:
        return []
    at = []
    for k in (0, 1):
        m = (len(buf) - k) // 2
        pairs = np.frombuffer(buf, "<u2", count=m, offset=k)
        at.append(np.flatnonzero(pairs == _NL_E) * 2 + k)
    at = np.sort(np.concatenate(at))
    at = at[at < n]
    a = np.frombuffer(buf, np.uint8)
    return at[a[at + 2] == ord("R")].tolist()


def _is_er_line(line: bytes) -> bool:
    if line.endswith(b"\r"):
        line = line[:-1]
    if b"\r" in line or any(c in line for c in _BREAKS):
        return False
    line = line.rstrip(b"\t ")
    return line == b"ER" or line.startswith(b"ER ")


def _odd_breaks(buf: bytes) -> bool:
    if b"\r" in buf:
        cr = buf.count(b"\r")
        if buf.count(b"\r\n") != cr:
            return True
    # a break of more than one byte is looked for only when each of its bytes is there (memchr, fast)
    return any(all(b in buf for b in parts) and (len(parts) == 1 or c in buf) for c, parts in _BREAK_BYTES)


def _splitlines_count(buf: bytes, nl: int, odd: bool) -> int:
    """``len(buf.decode().splitlines())``."""
    if odd:
        text = buf.decode("utf-8", "surrogateescape")  # (a window another process parses may not be UTF-8)
        return _count_lines(text, 0, len(text), [c for c in _OTHER_BREAKS if c in text])
    return nl + (1 if buf and not buf.endswith(b"\n") else 0)


def _parse(path: str, buf: bytes, odd: bool, line0: int, nl0: int, rep: FileReport) -> list[dict]:
    """The records of one window (numbered from 1)."""
    try:
        # UTF-8 checked in C, on the window's own bytes (a copy into a new Arrow buffer costs more than the
        # check: its pages are new to the process each window)
        pa.Array.from_buffers(pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(buf)], np.int64)),
                                                     pa.py_buffer(buf)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        try:
            buf.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = nl0 + buf[: exc.start].count(b"\n") + 1
            raise InputError(path, f"is not UTF-8 (byte 0x{buf[exc.start]:02x} cannot be decoded)",
                             where=f"line {line}",
                             hint="Re-export it as UTF-8, or name its encoding, e.g. --encoding latin-1") from None
    got = None if odd else _fields_on_arrays(buf, line0)
    if got is None:
        return list(_plain(path, buf.decode("utf-8"), rep, line0))
    out = []
    for recno, (line, fields) in enumerate(got, 1):
        rep.records += 1
        rec = _record(path, recno, line, fields, rep)
        if rec is not None:
            out.append(rec)
    return out


def _shrink(pos: np.ndarray, limit: np.ndarray, a: np.ndarray, step: int, strip: np.ndarray) -> None:
    """Move each ``pos`` by ``step`` (+1: from the start, -1: from the end) past the bytes in ``strip``,
    never past ``limit`` (in place)."""
    look = 0 if step > 0 else -1
    idx = np.arange(len(pos))
    while len(idx):
        p = pos[idx]
        room = p < limit[idx] if step > 0 else p > limit[idx]
        idx = idx[room]
        p = p[room]
        idx = idx[strip[a[p + look]]]
        pos[idx] += step


_SPACE_TAB = np.zeros(256, bool)
_SPACE_TAB[[9, 32]] = True
_CR = np.zeros(256, bool)
_CR[13] = True


def _fields_on_arrays(buf: bytes, line0: int):
    """[(line of its first tag, {tag: [values]})] of each record of a window, as wos._plain makes them
    (the tags in WANTED only), or None when a line is not plain (wos._plain says what it does there)."""
    a = np.frombuffer(buf, np.uint8)
    n = len(a)
    nl = np.flatnonzero(a == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [n]))
    if starts[-1] == n:  # the text ends with a line break: no line after it
        starts, ends = starts[:-1], ends[:-1]
    if not len(starts):
        return []
    e = ends.copy()
    _shrink(e, starts, a, -1, _CR)       # line.rstrip("\r") (one, as "\r\n"; a bare \r is an odd break)
    _shrink(e, starts, a, -1, _SPACE_TAB)  # .rstrip("\t ")
    length = e - starts
    pad = np.concatenate((a, np.zeros(3, np.uint8)))  # (the first three bytes of every line, safely)
    b0, b1, b2 = pad[starts], pad[starts + 1], pad[starts + 2]
    blank = length == 0
    cont = ~blank & ((b0 == 9) | ((length >= 3) & (b0 == 32) & (b1 == 32) & (b2 == 32)))
    tag = ~blank & ~cont & (length >= 2) & _UPPER[b0] & _UPPER_OR_DIGIT[b1] & ((length == 2) | (b2 == 32))
    if not (blank | cont | tag).all():
        return None
    code = b0.astype(np.int32) * 256 + b1
    tag_at = np.flatnonzero(tag)
    cont_at = np.flatnonzero(cont)
    owner = np.searchsorted(tag_at, cont_at) - 1  # the tag line a continuation line continues
    if len(cont_at) and (owner[0] < 0 or np.isin(code[tag_at[owner]], np.append(_SKIPPED, _ER)).any()):
        return None  # (after FN/VR/EF the parser continues the tag before, after ER none: not plain)
    is_er = tag & (code == _ER)
    content = tag & ~is_er & ~np.isin(code, _SKIPPED)
    er_at = np.flatnonzero(is_er)
    rec_of = np.searchsorted(er_at, np.arange(len(starts)))  # ER lines before the line
    if content[er_at[-1] + 1 if len(er_at) else 0:].any():
        return None  # a record with no ER line (the end of a cut-off file): wos._plain reports it
    # the records: ER-ended runs with a content tag line; a record's line: its first content tag line
    first_content = np.flatnonzero(content)
    rec_ids, first = np.unique(rec_of[first_content], return_index=True)
    rec_line = first_content[first] + line0
    # the values: content tag lines and continuation lines of a wanted tag
    line_tag = np.zeros(len(starts), np.int32)
    line_tag[tag_at] = code[tag_at]
    line_tag[cont_at] = code[tag_at[owner]]
    slot = _SLOT[line_tag]
    take = (content | cont) & (slot >= 0)
    at = np.flatnonzero(take)
    vs = np.where(cont[at], starts[at], np.minimum(starts[at] + 3, e[at]))
    ve = e[at].copy()
    _shrink(vs, ve, a, 1, _SPACE_TAB)   # .strip() of the value (spaces and tabs; see below for the rest)
    lens = ve - vs
    # the values without copying the window: the strings of the window cut at every value's start and
    # end (a value, the bytes to the next value, a value, ...), of which every other one is taken
    cuts = np.empty(2 * len(at) + 2, np.int32)
    cuts[0], cuts[-1] = 0, n
    cuts[1:-1:2], cuts[2:-1:2] = vs, ve
    pieces = pa.StringArray.from_buffers(len(cuts) - 1, pa.py_buffer(cuts), pa.py_buffer(buf))
    # the values are pieces[piece] until one is changed (stripped further, joined): then they are copied
    # out (values); else they are copied once, in their final order, at the end
    piece = np.arange(1, len(cuts) - 1, 2)
    values = None
    # a value whose first or last byte is not printable ASCII may have more for str.strip to take off
    nonempty = lens > 0
    odd = np.zeros(len(at), bool)
    odd[nonempty] = ~_PLAIN_EDGE[a[vs[nonempty]]] | ~_PLAIN_EDGE[a[ve[nonempty] - 1]]
    is_cont = cont[at]
    if odd.any():
        values = pieces.take(pa.array(piece))
        which = np.flatnonzero(odd)
        stripped = [s.strip() for s in values.take(pa.array(which)).to_pylist()]
        mask = np.zeros(len(at), bool)
        mask[which] = True
        values = pc.replace_with_mask(values, pa.array(mask), pa.array(stripped, pa.string()))
        gone = np.zeros(len(at), bool)  # a continuation line that was all white space: a blank line
        gone[which] = [not s for s in stripped]
        gone &= is_cont
        if gone.any():
            keep = ~gone
            values, at, is_cont = values.filter(pa.array(keep)), at[keep], is_cont[keep]
    vslot = slot[at].astype(np.int64)
    vrec = rec_of[at]
    # one value per tag line; a continuation line of a JOINED tag joins its value with " "
    new_value = ~(is_cont & _IS_JOINED[vslot])
    if not new_value.all():
        if values is None:
            values = pieces.take(pa.array(piece))
        group = np.cumsum(new_value) - 1
        bounds = np.flatnonzero(np.diff(group, prepend=-1))
        lists = pa.ListArray.from_arrays(pa.array(np.append(bounds, len(group)).astype(np.int32)), values)
        values = pc.binary_join(lists, " ")
        vslot, vrec = vslot[bounds], vrec[bounds]
    # the CR values (one a line, never joined) stay in Arrow; the empty ones go here, as wos._record drops
    # them (the values are stripped: empty is what a strip leaves empty)
    is_ref = vslot == _CR_SLOT
    if is_ref.any():
        empty = (lens if values is None else pc.binary_length(values).to_numpy(zero_copy_only=False)) == 0
        drop = is_ref & empty
        if drop.any():
            keep = ~drop
            vslot, vrec = vslot[keep], vrec[keep]
            if values is None:
                piece = piece[keep]
            else:
                values = values.filter(pa.array(keep))
    # per record, per tag: the values in line order
    order = np.lexsort((vrec, vslot))  # stable: by tag, then record, then line
    values = pieces.take(pa.array(piece[order])) if values is None else values.take(pa.array(order))
    vslot, vrec = vslot[order], vrec[order]
    n_py = int(np.searchsorted(vslot, _CR_SLOT))  # (CR is the last tag: its values come last)
    strings = values.slice(0, n_py).to_pylist()
    refs = values.slice(n_py)
    fields = {r: {} for r in rec_ids.tolist()}
    cut = np.flatnonzero(np.diff(vslot * (len(starts) + 1) + vrec, prepend=-1))
    stops = np.append(cut[1:], len(order)).tolist()
    for lo, hi, r, t in zip(cut.tolist(), stops, vrec[cut].tolist(), vslot[cut].tolist()):
        fields[r][WANTED[t]] = strings[lo:hi] if lo < n_py else StringRun(refs, lo - n_py, hi - n_py)
    return [(line, fields[r]) for r, line in zip(rec_ids.tolist(), rec_line.tolist())]
