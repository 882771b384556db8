"""The columnar author path (read.scopus_authors) gives what the row-by-row path gives: the same records
(authors, full names, ids, affiliations, corresponding author) and the same Parts (authorship rows,
dictionaries and all), on made-up rows built to hit every test it makes, and on every real Scopus CSV."""
import csv
import hashlib
import importlib
import io
import random

import pytest

from collabnet.read.chunks import chunk_part
from collabnet.read.common import FileReport

from conftest import REAL, SHARED

sc = importlib.import_module("collabnet.read.scopus")
sa = importlib.import_module("collabnet.read.scopus_authors")
R = importlib.import_module("collabnet.read")

HEADER = ["Authors", "Author full names", "Author(s) ID", "Title", "Year", "Source title", "DOI", "Affiliations",
          "Authors with affiliations", "References", "Correspondence Address", "Document Type", "EID"]

AFFS = ["Department of Medicine, Keio University, Tokyo, Japan",
        "Department of Medicine, Keio University, Tokyo, Japan, Keio Hospital",   # (the first one extended)
        "Keio University, Tokyo, Japan",
        "Leiden University, Leiden, Netherlands",
        "D., Odd Institute, Osaka, Japan",                 # (starts with what looks like an initial)
        "Odd Institute, Osaka, Japan",                     # (and what is left of it after "D.")
        "Univ,Tokyo, Japan",                               # (not plain: a comma without a space)
        "Institute  of Science, Kyoto, Japan",            # (two spaces inside a segment: plain)
        "Ōsaka Institute, Ōsaka, Japan",                  # (non-ASCII edges)
        "Utrecht University, Utrecht, Netherlands",
        "Pfizer Inc., New York, NY, United States"]
NAMES = [("Tanaka, H.", "Tanaka, Hiroshi"), ("de Vries A.", "de Vries, Anna"), ("Smith, J., Jr.", "Smith, John"),
         ("Ōno, K.", "Ōno, Kenji"), ("Müller, Ö", "Müller, Özlem"), ("Li L.", "Li, Lin"),
         ("Jansen, D.", "Jansen, Dirk"), ("Jansen,D.", "Jansen, Dirk"), ("Ito , K.", "Ito, Kei"), ("Wang, X.", "Wang, Xiu"),
         ("İnce, A.", "İnce, Ayşe")]   # (a capital whose lower case is an ASCII letter and a dot: "i̇")


def _field(items, rng):
    """Items joined as Scopus does ("; "), now and then as it does not."""
    sep = rng.choices(["; ", ";", " ; ", ";  ", "; \u00a0"], weights=[30, 1, 1, 1, 1])[0]
    text = sep.join(items)
    k = rng.random()
    if k < 0.02:
        text += ";"
    elif k < 0.04:
        text = " " + text + " "
    elif k < 0.05 and len(items) > 1:
        text = text.replace("; ", "; ; ", 1)
    return text


def _row(rng, i, old):
    n = rng.choice([1, 1, 2, 3, 4, 6])
    people = [rng.choice(NAMES) for _ in range(n)]
    names = [p[0] for p in people]
    if rng.random() < 0.03:
        names[0] = "[No author name available]"
    if rng.random() < 0.03:
        names[-1] += ","
    ids = [str(rng.randrange(10**9, 10**11)) for _ in people]
    fulls = []
    for (_, full), aid in zip(people, ids):
        k = rng.random()
        fulls.append(f"{full} ({aid})" if k < 0.9 else f"{full}({aid})" if k < 0.93 else full if k < 0.95 else
                     f"{full} (Jr.) ({aid})" if k < 0.97 else f"{full}\u00a0({aid})" if k < 0.98 else
                     f"{full}\n ({aid})" if k < 0.99 else f"{full} (١٢٣)")
    if rng.random() < 0.03:
        fulls = fulls[:-1]
    row_affs = rng.sample(AFFS, rng.choice([1, 2, 3, 4]))
    special = rng.random()
    if special < 0.1:   # an affiliation and the same one extended, an author with the extended one and another
        row_affs = AFFS[:2] + AFFS[3:4]
    elif special < 0.2:  # "D., ..." and "...": which one an author "Jansen, D." has depends on the first test
        row_affs = AFFS[4:6] + AFFS[:1]
        names[0] = rng.choice(["Jansen, D.", "Jansen,D."])
        fulls[:1] = ["Jansen, Dirk (1)"]
    elif special < 0.25:  # two cuts of one entry with known first parts: the longer one's rest is two more
        row_affs = AFFS[:2] + [AFFS[3], AFFS[9], "Keio Hospital, " + AFFS[3] + ", " + AFFS[9]]
    elif special < 0.3:   # "Jansen, D., " then "D., ..." and another: also one affiliation after "D., "
        row_affs = [AFFS[4], AFFS[2], AFFS[5] + ", " + AFFS[2]]
        names[0] = "Jansen, D."
    entries = []
    for name in names:
        k = rng.random()
        mine = ([rng.choice(row_affs)] if k < 0.7 else rng.sample(row_affs, min(2, len(row_affs))) if k < 0.85 else
                [row_affs[0], row_affs[0]] if k < 0.88 else row_affs[:3] if k < 0.93 else
                ["Somewhere Else, Nara, Japan"] if k < 0.96 else [])
        if special < 0.1 and rng.random() < 0.5:
            mine = [AFFS[1], AFFS[3]]
        elif special < 0.2 and name.startswith("Jansen") and rng.random() < 0.7:
            mine = [AFFS[5]] if rng.random() < 0.5 else [AFFS[5], AFFS[0]]
        elif special < 0.25 and name == names[0]:
            mine = [AFFS[1], AFFS[3], AFFS[9]]
        elif special < 0.3 and name == names[0]:
            mine = [AFFS[5], AFFS[2]]   # (the name's "D." starts the first one)
        k = rng.random()
        # (now and then no name, or a name followed by no space, two, or a no-break space)
        lead = "" if k < 0.03 else name
        glue = ", " if k < 0.9 else "," if k < 0.93 else ",  " if k < 0.96 else ",\u00a0"
        entries.append(glue.join([lead] + mine[:1]) + "".join(", " + m for m in mine[1:]) if mine else name)
    if rng.random() < 0.03 and len(entries) > 1:
        entries = entries[:-1]
    L, W = _field(row_affs, rng), _field(entries, rng)
    k = rng.random()
    if k < 0.04:
        L, W = "", ""
    elif k < 0.06:
        L = ""
    elif k < 0.08:
        W = ""
    elif k < 0.09:
        L = "N/A"
    elif k < 0.13:   # character references (which _convert unescapes first), one followed by a space
        L, W = (x.replace("University", "Universit&#xE9;").replace("Institute", "Institut&#xE9; of") for x in (L, W))
    k = rng.random()
    corr = ("" if k < 0.4 else f"{names[-1]}; {row_affs[0]}; email: x@y.org" if k < 0.7 else
            f"{people[0][1].split(', ')[1][0]}. {names[0].split(',')[0]}; somewhere" if k < 0.85 else
            "N/A" if k < 0.88 else "Nobody; nowhere" if k < 0.93 else   # (and a character reference)
            f"{names[-1].replace('a', '&#x61;', 1)}; {row_affs[0]}; email: x@y.org")
    if old:   # the earlier layout: "Tanaka H., Li L." (now and then with ";"), ids "111;222;"
        A = ", ".join(nm.replace(", ", " ", 1) for nm in names) if rng.random() < 0.95 else _field(names, rng)
        I = ";".join(ids) + rng.choice([";", ";", "", "; ", ";;"])
        if rng.random() < 0.03:
            I = ";".join(ids[1:]) + ";"
    else:
        A, I = _field(names, rng), "; ".join(ids)
    if rng.random() < 0.02:
        A = ""
    elif rng.random() < 0.03:
        A = "N/A"   # (a missing-value mark: the names come from the full names)
    return [A, _field(fulls, rng), I, f"Paper {i}", "2020", "Journal", f"10.1/x.{i}", L, W,
            "Ref A, (2019) J, 1; Ref B, 10.2/y", corr, "Article", f"2-s2.0-{i}"]


def _made_up(tmp_path, rows=600, seed=7, old=False):
    """Made-up rows; ``old``: the pre-2023 layout (no full names; names "Tanaka H.", comma-separated)."""
    rng = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([h for h in HEADER if h != "Author full names"] if old else HEADER)
    for i in range(rows):
        row = _row(rng, i, old)
        w.writerow(row[:1] + row[2:] if old else row)
    p = tmp_path / "authors.csv"
    p.write_text(out.getvalue(), encoding="utf-8")
    return p


def _records(p, columnar, monkeypatch, window):
    monkeypatch.setattr(sc, "COLUMNAR", columnar)
    monkeypatch.setattr(sc, "ARROW_WINDOW", window)
    layout = sc.piece_layout(str(p), 0, None, 0, mark=False)
    return [(recs, rep.to_dict()) for _, recs, rep in sc.blocks(layout, 7)]


def _digest(part) -> str:
    h = hashlib.sha1(str(part.keys).encode())
    for table in (part.works, part.authorships, part.references):
        h.update(str(table.schema).encode())
        for col in table.columns:
            col = col.combine_chunks()
            h.update(str(col.to_pylist()).encode())
            if hasattr(col, "dictionary"):
                h.update(str((col.dictionary.to_pylist(), col.indices.to_pylist())).encode())
    return h.hexdigest()


def _spy(monkeypatch):
    seen = {"rows": 0, "regular": 0, "slow": 0}
    window, entry = sa.author_window, sc.split_author_entry

    def spy_window(*args, **kw):
        w = window(*args, **kw)
        seen["rows"] += len(w.regular)
        seen["regular"] += int(w.regular.sum())
        return w

    def spy_entry(*args):
        seen["slow"] += 1
        return entry(*args)
    monkeypatch.setattr(sa, "author_window", spy_window)
    monkeypatch.setattr(sc, "split_author_entry", spy_entry)
    return seen


@pytest.mark.parametrize("old", [False, True])
@pytest.mark.parametrize("window", [3000, 40000, 1 << 22])
def test_columnar_authors_equal_the_row_by_row_ones(tmp_path, monkeypatch, window, old):
    p = _made_up(tmp_path, old=old)
    expected = _records(p, False, monkeypatch, window)
    seen = _spy(monkeypatch)
    got = _records(p, True, monkeypatch, window)
    # the made-up rows reach both paths: regular rows, and rows and entries left to Python
    assert seen["rows"] == 600 and 200 < seen["regular"] < 560 and seen["slow"] > 20
    assert sum(isinstance(r["authors"], sa.AuthorSlice) for recs, _ in got for r in recs) == seen["regular"]
    assert got == expected   # (an AuthorSlice equals the list of author dicts it stands for)
    # the Parts of the same blocks (chunks mixing rows of both paths), to the dictionaries' order
    parts = [[_digest(chunk_part(recs)) for recs, _ in run]
             for run in (_records(p, False, monkeypatch, window), _records(p, True, monkeypatch, window))]
    assert parts[0] == parts[1]


def test_an_author_slice_is_its_author_dicts(tmp_path, monkeypatch):
    p = tmp_path / "one.csv"
    with open(p, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerow(["Tanaka, H.; Li L.", "Tanaka, Hiroshi (111); Li, Lin (222)", "111; 222", "T", "2020", "J", "",
                    "Keio University, Tokyo, Japan; Leiden University, Leiden, Netherlands",
                    "Tanaka, H., Keio University, Tokyo, Japan, Leiden University, Leiden, Netherlands; "
                    "Li L., Leiden University, Leiden, Netherlands", "", "Li L.; Leiden", "Article", "2-s2.0-1"])
    (recs, _), = _records(p, True, monkeypatch, 1 << 20)
    authors = recs[0]["authors"]
    assert isinstance(authors, sa.AuthorSlice) and len(authors) == 2
    keio, leiden = "Keio University, Tokyo, Japan", "Leiden University, Leiden, Netherlands"
    got = [(a["name"], a["full_name"], a["id"], a["corresponding"], [x["raw"] for x in a["affs"]]) for a in authors]
    assert got == [
        ("Tanaka, H.", "Tanaka, Hiroshi", "111", False, [keio, leiden]),
        ("Li L.", "Li, Lin", "222", True, [leiden])]
    assert authors[0]["name"] == "Tanaka, H." and authors[1:][0]["id"] == "222"
    # records handed to callers are plain
    got, _ = R.read_file(str(p))
    assert type(got[0]["authors"]) is list and got[0]["authors"] == list(authors)


SCOPUS = sorted((REAL / "scopus").glob("*.csv")) if (REAL / "scopus").is_dir() else []


@pytest.mark.skipif(not SCOPUS, reason="needs ../shared/data/real")
def test_real_scopus_files_give_the_same_parts(monkeypatch):
    monkeypatch.setattr(R, "SPLIT_FROM_BYTES", 1 << 62)   # (one process: the digests are of every block)
    seen = _spy(monkeypatch)
    for path in SCOPUS:
        digests = []
        for columnar in (False, True):
            monkeypatch.setattr(sc, "COLUMNAR", columnar)
            rep = FileReport(str(path))
            try:
                digests.append(([_digest(p) for p in R.file_parts(str(path), None, rep, None)], rep.to_dict()))
            except Exception as exc:   # (a file the reader refuses: refused alike)
                digests.append(repr(exc))
        assert digests[0] == digests[1], path.name
    assert seen["regular"] > 900   # (the real files' new-layout rows take the columnar path)


SEED = SHARED / "data" / "seedworld" / "jpnl"


@pytest.mark.skipif(not (SEED / "scopus.csv").is_file(), reason="needs ../shared/data/seedworld")
@pytest.mark.parametrize("name", ["scopus.csv", "scopus_2021layout.csv"])
def test_every_seed_world_row_takes_the_columnar_path(monkeypatch, name):
    """The planted world's 5,244 rows (both layouts): every row regular, every entry (one or two
    affiliations) found on arrays, none left to split_author_entry."""
    monkeypatch.setattr(R, "SPLIT_FROM_BYTES", 1 << 62)
    seen = _spy(monkeypatch)
    path = str(SEED / name)
    rep = FileReport(path)
    parts = list(R.file_parts(path, None, rep, None))
    assert rep.records == seen["rows"] == seen["regular"] == 5244
    assert seen["slow"] == 0
    assert sum(len(p.works) for p in parts) == 5244
