"""The author fields of a window of Scopus rows on Arrow arrays (the columnar author path).

A Scopus row's authors come from Authors, Author full names (the 2023+ layout; the earlier one has
Author(s) ID instead), Affiliations, Authors with affiliations and Correspondence Address.
``scopus._convert`` works them out one author at a time in Python, which was four fifths of a Scopus read.
Most rows are regular: every field's items are separated as Scopus separates them with nothing to strip,
there is one full name ("name (digits)") or id per name and one entry per name, and each entry of
Authors with affiliations is a name and one or two of the row's affiliations.  :func:`author_window`
finds the regular rows of a window and their authors and authorship rows on arrays, without a Python
object per author, and ``chunk_part`` takes them as Arrow slices.  An entry is split as
``scopus.split_author_entry`` splits it (its first tests, and its search when the rest is two known
affiliations); every other entry goes to that function, and every row not regular to ``_convert``, so
the records and the corpus are the ones the row-by-row path gives (tested on made-up rows built to hit
every test here, and on every real Scopus file).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import AuthorsView, new_aff, new_author, ranges, string_bytes

# the characters str.strip() takes (str.isspace), as an RE2 class body
_W = "".join(f"\\x{{{c:x}}}" for c in range(0x110000) if chr(c).isspace())
# a stripped field split on "; " gives the items that splitting it on ";" and stripping each gives when
# it has no ";" that is not followed by a space (each ";" then ends an item) and none of its items is
# empty or has anything to strip (see _items)
_LONE_SEMICOLON = ";(?:[^ ]|$)"   # (a regex: RE2 finds the ";" first, much faster than a substring search)
_SEG = f"[^,;{_W}](?:[^,;]*[^,;{_W}])?"      # a comma-separated segment with nothing to strip
_PLAIN = f"^{_SEG}(?:, {_SEG})*$"               # what scopus._plain accepts (segments joined by ", ")
# scopus.full_name_id's "Surname, Given (digits)": the name has no line break and does not end in a space
_FULL = f"^[^;\\n]*[^;{_W}] \\([0-9]+\\)$"
_NO_AUTHOR = "(?i)^\\[no author name available\\]$"
_MISSING = None  # set from scopus.MISSING on first use (no import cycle)


class AuthorWindow:
    """The authors of the regular rows of a window (``regular[r]``): author ``j`` has ``names[j]``,
    ``fulls[j]`` (its "Author full names" item; ``fulls`` None: the earlier layout), ``ids[j]``,
    ``corr[j]``; row ``r``'s authors are ``a_lo[r]:a_hi[r]`` (its first one's name ``first_names[r]``), its
    authorship rows ``s_lo[r]:s_hi[r]``; authorship row ``s`` is author ``s_author[s]``'s, address
    ``s_raw[s]`` (null: none)."""

    __slots__ = ("regular", "names", "fulls", "ids", "corr", "a_lo", "a_hi", "s_author", "s_raw", "s_lo", "s_hi",
                 "first_names")


class AuthorSlice(AuthorsView):
    """The authors of one regular row (``rec["authors"]``), kept in its window's arrays: ``chunk_part``
    takes them as slices.  Elsewhere it is the list of author dicts that ``_convert`` makes."""

    __slots__ = ("win", "row")

    def __init__(self, win: AuthorWindow, row: int):
        self.win, self.row = win, row

    def __len__(self) -> int:
        return int(self.win.a_hi[self.row] - self.win.a_lo[self.row])

    def first_name(self) -> str:
        """The first author's name (what duplicates are told apart by), without making the dicts."""
        return self.win.first_names[self.row]

    def authors(self) -> list[dict]:
        from .scopus import full_name_id
        w, r = self.win, self.row
        lo, hi = int(w.a_lo[r]), int(w.a_hi[r])
        fulls = ([full_name_id(f)[0] for f in w.fulls[lo:hi].to_pylist()] if w.fulls is not None else
                 [None] * (hi - lo))
        out = [new_author(n, f, i, corresponding=bool(c)) for n, f, i, c in
               zip(w.names[lo:hi].to_pylist(), fulls, w.ids[lo:hi].to_pylist(), w.corr[lo:hi].tolist())]
        s_lo, s_hi = int(w.s_lo[r]), int(w.s_hi[r])
        for j, raw in zip(w.s_author[s_lo:s_hi].tolist(), w.s_raw[s_lo:s_hi].to_pylist()):
            if raw is not None:
                out[j - lo]["affs"].append(new_aff(raw))
        return out


def _np(a) -> np.ndarray:
    return a.to_numpy(zero_copy_only=False)


def _match(strings, pattern) -> np.ndarray:
    return _np(pc.fill_null(pc.match_substring_regex(strings, pattern), False))


def _stripped(col: pa.Array) -> pa.Array:
    from .chunks import strip_strings
    return strip_strings(col)[0]


def _items(field: pa.Array, sep: str = "; "):
    """(each item's row, the items, the items' count per row, per row: whether its items are what splitting
    the (stripped) field on ";" (``sep`` "; "), or on ", ", and stripping each item gives, none empty)."""
    from .chunks import _odd_edges
    lists = pc.split_pattern(field, sep)
    counts = _np(pc.list_value_length(lists)).astype(np.int64)
    row_of, items = np.repeat(np.arange(len(field)), counts), pc.list_flatten(lists)
    # an item is clean unless empty or with an edge character that str.strip might take: only those
    # whose first or last character is not ASCII (or is a space) are looked at in Python
    odd = np.flatnonzero(_odd_edges(items))
    bad = np.zeros(len(items), dtype=bool)
    if len(odd):
        bad[odd] = [not v or v.strip() != v for v in items.take(pa.array(odd, type=pa.int64())).to_pylist()]
    clean = np.bincount(row_of, weights=bad, minlength=len(field)) == 0
    if sep == "; ":
        clean &= ~_match(field, _LONE_SEMICOLON)
    return row_of, items, counts, clean


def _all(ok: np.ndarray, row_of: np.ndarray, n: int) -> np.ndarray:
    """Per row: whether every one of its items is ``ok``."""
    return np.bincount(row_of, weights=~ok, minlength=n) == 0


def _substrings(arr: pa.Array, lo: np.ndarray, hi: np.ndarray) -> pa.Array:
    """Each string's bytes [lo, hi) (character boundaries; an empty string where hi <= lo) as a new string
    array.  (Each string is seen as three, before, within and after the cut, on the same bytes, and the
    middle ones are taken.)"""
    off, _ = string_bytes(arr)
    m = len(arr)
    size = np.diff(off)
    lo = np.clip(np.asarray(lo, dtype=np.int64), 0, size)
    hi = np.clip(np.asarray(hi, dtype=np.int64), lo, size)
    three = np.empty(3 * m + 1, dtype=np.int32)
    three[0:3 * m:3] = off[:-1]
    three[1::3] = off[:-1] + lo
    three[2::3] = off[:-1] + hi
    three[-1] = off[-1]
    view = pa.Array.from_buffers(pa.string(), 3 * m, [None, pa.py_buffer(three), arr.buffers()[2]])
    return view.take(pa.array(np.arange(m, dtype=np.int64) * 3 + 1))


def _ids(fulls: pa.Array) -> pa.Array:
    """The digits between the last "(" and the closing ")" of each "name (digits)" (all matched _FULL)."""
    off, data = string_bytes(fulls)
    # the "(" before the digits: looked for from the end, a byte further each time, in the strings whose
    # "(" is not found yet
    paren = off[1:] - 2
    todo = np.flatnonzero(paren >= off[:-1])
    while len(todo):
        todo = todo[data[paren[todo]] != 0x28]
        paren[todo] -= 1
        todo = todo[paren[todo] >= off[:-1][todo]]
    return _substrings(fulls, paren + 1 - off[:-1], np.diff(off) - 1)


def _two(cands: np.ndarray, texts: pa.Array, e_row: np.ndarray, known, l_row: np.ndarray, a_len: np.ndarray):
    """(the entries of ``cands`` whose text is two known affiliations "a, b" as split_author_entry's search
    cuts it, the codes of a and b, two per entry): of the places where the text can be cut after a
    segment, a is the only one giving a known string, and b is known.  (Only cuts as long as one of the
    row's affiliations are looked at.)"""
    none = np.zeros(0, dtype=np.int64)
    if not len(cands) or not len(a_len):
        return none, none
    cand = texts.take(pa.array(cands, type=pa.int64()))
    off, data = string_bytes(cand)
    lo, hi = off[0], off[-1]
    at = np.flatnonzero((data[lo:hi - 1] == 0x2C) & (data[lo + 1:hi] == 0x20)) + lo   # each ", "
    owner = np.searchsorted(off, at, side="right") - 1
    cut = at - off[owner]
    longest = int(a_len.max()) + 1
    lengths = np.sort(l_row * longest + a_len)
    rows = e_row[cands]
    q = rows[owner] * longest + cut
    fits = lengths[np.minimum(np.searchsorted(lengths, q), len(lengths) - 1)] == q
    at, owner, cut = at[fits], owner[fits], cut[fits]
    prefix = _substrings(cand.take(pa.array(owner, type=pa.int64())), np.zeros(len(at), dtype=np.int64), cut)
    is_known, a_code = known(rows[owner], prefix)
    hits = np.bincount(owner, weights=is_known, minlength=len(cands))
    one = np.flatnonzero(is_known)
    one = one[hits[owner[one]] == 1]
    whose = owner[one]
    rest = _substrings(cand.take(pa.array(whose, type=pa.int64())), at[one] - off[whose] + 2, np.diff(off)[whose])
    b_known, b_code = known(rows[whose], rest)
    ok = b_known & (b_code != a_code[one])   # (the same affiliation twice would be one)
    return cands[whose[ok]], np.stack([a_code[one][ok], b_code[ok]], axis=1).ravel()


def _in_row(rows: np.ndarray, codes, sets: np.ndarray, size: int) -> np.ndarray:
    """Per item: whether its row's set holds it (``codes``: into one list of ``size`` distinct strings, null:
    in no set; ``sets``: the sorted row * size + code of every row's set's strings)."""
    c = _np(pc.fill_null(codes, -1)).astype(np.int64)
    key = rows * size + c
    at = np.minimum(np.searchsorted(sets, key), max(len(sets) - 1, 0))
    return (c >= 0) & (sets[at] == key) if len(sets) else np.zeros(len(key), dtype=bool)


def author_window(A: pa.Array, F: pa.Array | None, I: pa.Array | None, L: pa.Array, W: pa.Array,
                  C: pa.Array | None, author_key, new_layout: bool = True) -> AuthorWindow:
    """The regular rows of a window and their authors (see the module's docstring), from its raw Authors,
    Author full names (the 2023+ layout) or Author(s) ID (the earlier one), Affiliations, Authors with
    affiliations and Correspondence Address columns."""
    global _MISSING
    if _MISSING is None:
        from .scopus import MISSING
        _MISSING = pa.array(sorted(MISSING), type=pa.string())
    from .scopus import split_author_entry
    n = len(A)
    regular = np.ones(n, dtype=bool)
    ids_col = F if new_layout else I
    for c in (A, ids_col, L, W, C):   # (a character reference is unescaped by _convert: such rows go its way)
        if c is not None:
            regular &= ~_match(c, "&#")   # (a regex: RE2 finds the "&" first, much faster than a substring search)
    A, L, W = (_stripped(c) for c in (A, L, W))
    ids_col = _stripped(ids_col) if ids_col is not None else None   # (None: the earlier layout without ids)
    for c in (A, ids_col, L, W):
        if c is not None:
            regular &= ~_np(pc.is_in(c, value_set=_MISSING))
    with_affs = _np(pc.binary_length(L)) > 0
    regular &= with_affs == (_np(pc.binary_length(W)) > 0)
    # names (scopus._split_authors): split on ";" (the earlier layout: on ", " when the field has no ";"),
    # none ending in "," nor "[no author name available]"
    if new_layout:
        a_row, names, a_count, clean = _items(A)
    else:
        a_row, names, a_count, clean = _items(A, ", ")
        clean &= ~_np(pc.match_substring_regex(A, ";"))   # (those are split on ";": left to _convert)
    ok = ~_match(names, _NO_AUTHOR) & ~_np(pc.ends_with(names, ","))
    regular &= clean & _all(ok, a_row, n)
    if new_layout:   # full names: one per name, each "name (digits)"
        f_row, fulls, f_count, clean = _items(ids_col)
        regular &= clean & _all(_match(fulls, _FULL), f_row, n) & (f_count == a_count)
    elif I is not None:   # ids: Author(s) ID's items (split on ";", stripped, the empty ones dropped), one a name
        lists = pc.split_pattern(ids_col, ";")
        f_row = np.repeat(np.arange(n), _np(pc.list_value_length(lists)).astype(np.int64))
        items = _stripped(pc.list_flatten(lists))
        some = _np(pc.binary_length(items)) > 0
        items, f_row = items.filter(pa.array(some)), f_row[some]
        regular &= np.bincount(f_row, minlength=n) == a_count
    # entries: one per name
    w_row, entries, w_count, clean_w = _items(W)
    l_row, affs, _, clean_l = _items(L)
    regular &= ~with_affs | (clean_w & clean_l & (w_count == a_count))
    # the regular rows' authors (and entries, one per author where the row has affiliations)
    keep_a = regular[a_row]
    names, a_row = names.filter(pa.array(keep_a)), a_row[keep_a]
    if new_layout:
        fulls = fulls.filter(pa.array(regular[f_row]))   # (f_count == a_count in these rows: the items line up)
        ids = _ids(fulls)
    else:
        ids = items.filter(pa.array(regular[f_row])) if I is not None else pa.nulls(len(names), type=pa.string())
        fulls = None
    nA = len(names)
    counts = np.where(regular, a_count, 0)
    a_hi = np.cumsum(counts)
    a_lo = a_hi - counts
    aff_row = regular & with_affs
    keep_w = aff_row[w_row]
    entries, e_row = entries.filter(pa.array(keep_w)), w_row[keep_w]
    e_author = np.flatnonzero(aff_row[a_row])   # each entry's author (entries of a row follow its names)
    keep_l = aff_row[l_row]
    affs, l_row = affs.filter(pa.array(keep_l)), l_row[keep_l]
    distinct = pc.unique(affs)
    size = len(distinct)
    a_code = _np(pc.index_in(affs, value_set=distinct)).astype(np.int64)
    plain = _match(distinct, _PLAIN)
    row_sets = np.sort(l_row * size + a_code)
    a_len = np.diff(string_bytes(affs)[0])
    firsts = _stripped(pc.list_element(pc.split_pattern(distinct, ",", max_splits=1), 0))   # (first_segments)
    f_distinct = pc.unique(firsts)
    f_code = _np(pc.index_in(firsts, value_set=f_distinct)).astype(np.int64)
    first_sets = np.sort(l_row * len(f_distinct) + f_code[a_code])

    def known(rows, strings):
        """(whether each string is one of its row's affiliations, and a plain one; its distinct code)"""
        codes = pc.index_in(strings, value_set=distinct)
        c = _np(pc.fill_null(codes, 0)).astype(np.int64)
        return _in_row(rows, codes, row_sets, size) & (plain[c] if size else False), c
    # split_author_entry's first tests, on arrays: the text after the entry's first comma (not its first
    # character), stripped, is a known (plain) affiliation; else the text after its second comma is, and
    # the segment between them starts no known affiliation.  The text after a comma is taken from after
    # one space: where more is to strip, it is no affiliation (those have nothing to strip), and the
    # tests that follow find nothing either (the entry goes to split_author_entry)
    eo, ed = string_bytes(entries)
    e_len = np.diff(eo)

    def after(comma, there):
        """Where the text after each comma starts (``there``: the entry has that comma; else its end)."""
        space = there & (comma + 1 < e_len)
        space[space] = ed[(eo[:-1] + comma + 1)[space]] == 0x20
        return np.where(there, comma + 1 + space, e_len)
    first = _np(pc.find_substring(entries, ",")).astype(np.int64)
    rest1 = _substrings(entries, after(first, first > 0), e_len)
    hit1, _ = known(e_row, rest1)
    tail = _substrings(entries, first + 1, np.where(first > 0, e_len, 0))
    second = _np(pc.find_substring(tail, ",")).astype(np.int64)
    second = np.where(second >= 0, second + first + 1, -1)
    # (an empty segment is in no set: the search then starts at the text after it, as rest2's tests do)
    s1 = _stripped(_substrings(entries, first + 1, np.where(second > 0, second, 0)))
    s1_ok = (second > 0) & ~_in_row(e_row, pc.index_in(s1, value_set=f_distinct), first_sets, len(f_distinct))
    rest2 = _substrings(entries, after(second, s1_ok), e_len)
    hit2, _ = known(e_row, rest2)
    fast = hit1 | hit2
    rest = pc.if_else(pa.array(hit1), rest1, rest2)
    # two affiliations: split_author_entry's search from the segment after the first comma (the first
    # segment of a known affiliation, so it is tried: rest1 "a, b"), else from the one after the second
    # (tried when the first is known to start none: rest2 "a, b").  Its search takes the longest known
    # string first: of the places where the text can be cut after a segment, only the one after a may
    # give a known string, and b must then be known whole
    done = fast.copy()
    pair, pair_codes = [], []
    for there, texts in ((first > 0, rest1), (s1_ok, rest2)):
        got, codes = _two(np.flatnonzero(~done & there), texts, e_row, known, l_row, a_len)
        done[got] = True
        pair.append(got)
        pair_codes.append(codes)
    pair, pair_codes = np.concatenate(pair), np.concatenate(pair_codes)
    # the other entries: split_author_entry itself, with its row's affiliations
    slow = np.flatnonzero(~done)
    slow_affs: dict = {}
    if len(slow):
        from .scopus import first_segments
        rows_slow = np.unique(e_row[slow])
        at = np.flatnonzero(np.isin(l_row, rows_slow))
        by_row: dict = {}
        for r, a in zip(l_row[at].tolist(), affs.take(pa.array(at, type=pa.int64())).to_pylist()):
            by_row.setdefault(r, []).append(a)
        sets = {}
        for k, r, e in zip(slow.tolist(), e_row[slow].tolist(),
                           entries.take(pa.array(slow, type=pa.int64())).to_pylist()):
            if r not in sets:
                kn = set(by_row.get(r, ()))
                sets[r] = (kn, first_segments(kn))
            got, seen = [], set()
            for a in split_author_entry(e, *sets[r])[1]:
                if a not in seen:
                    seen.add(a)
                    got.append(a)
            slow_affs[k] = got
    # authorship rows: one per author without affiliations or with one, else one per affiliation; each
    # row's address is taken from [the entries' rests, the pairs' two, the slow entries' strings] (-1: none)
    per_author = np.ones(nA, dtype=np.int64)
    per_author[e_author[pair]] = 2
    for k, got in slow_affs.items():
        per_author[e_author[k]] = max(len(got), 1)
    s_author = np.repeat(np.arange(nA), per_author)
    first_s = np.cumsum(per_author) - per_author
    src = np.full(len(s_author), -1, dtype=np.int64)
    src[first_s[e_author[fast]]] = np.flatnonzero(fast)
    pieces = [rest]
    base = len(rest)
    if len(pair):
        rows_of = first_s[e_author[pair]]
        src[rows_of] = base + 2 * np.arange(len(pair))
        src[rows_of + 1] = base + 2 * np.arange(len(pair)) + 1
        pieces.append(distinct.take(pa.array(pair_codes, type=pa.int64())))
        base += 2 * len(pair)
    extra: list = []
    for k, got in slow_affs.items():
        f = first_s[e_author[k]]
        src[f:f + len(got)] = range(base + len(extra), base + len(extra) + len(got))
        extra += got
    if extra:
        pieces.append(pa.array(extra, type=pa.string()))
    pool = pa.concat_arrays(pieces) if len(pieces) > 1 else rest
    s_raw = pool.take(pa.array(src, mask=src < 0, type=pa.int64()))
    # the corresponding author: the first whose name's key (author_key) is the key of the address's first
    # item; the names' keys on arrays where they are ASCII (lower case, letters a-z only), else in Python
    corr = np.zeros(nA, dtype=bool)
    if C is not None:
        C = _stripped(C)
        rows = np.flatnonzero(regular & (_np(pc.binary_length(C)) > 0) & ~_np(pc.is_in(C, value_set=_MISSING)))
        cnames = np.array([author_key(c.split(";", 1)[0])
                           for c in C.take(pa.array(rows, type=pa.int64())).to_pylist()], dtype=object)
        rows = rows[cnames != ""] if len(rows) else rows
        cnames = cnames[cnames != ""] if len(cnames) else cnames
        if len(rows):
            who = ranges(a_lo[rows], counts[rows])   # the authors of those rows
            theirs = names.take(pa.array(who, type=pa.int64()))
            keys = pc.replace_substring_regex(pc.ascii_lower(theirs), "[^a-z]", "")
            odd = np.flatnonzero(~_np(pc.string_is_ascii(theirs)))
            if len(odd):
                keys = pc.replace_with_mask(keys, pa.array(np.isin(np.arange(len(who)), odd)), pa.array(
                    [author_key(v) for v in theirs.take(pa.array(odd, type=pa.int64())).to_pylist()], type=pa.string()))
            row_of = np.repeat(np.arange(len(rows)), counts[rows])
            hit = np.flatnonzero(_np(pc.equal(keys, pa.array(cnames, type=pa.string()).take(pa.array(row_of)))))
            _, first = np.unique(row_of[hit], return_index=True)   # (the first match of each row)
            corr[who[hit[first]]] = True
    w = AuthorWindow()
    w.regular, w.names, w.fulls, w.ids, w.corr = regular, names, fulls, ids, corr
    w.a_lo, w.a_hi = a_lo, a_hi
    w.first_names = np.empty(n, dtype=object)
    has = np.flatnonzero(counts > 0)
    w.first_names[has] = names.take(pa.array(a_lo[has], type=pa.int64())).to_pylist()
    rows_per = np.bincount(a_row, weights=per_author, minlength=n).astype(np.int64)
    w.s_hi = np.cumsum(rows_per)
    w.s_lo = w.s_hi - rows_per
    w.s_author, w.s_raw = s_author, s_raw
    return w
