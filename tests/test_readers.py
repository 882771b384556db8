"""Each reader on a small hand-written fixture, with the exact rows it must produce."""
import json

import pytest

import collabnet


def rows(c, work_id):
    a = c.authorships[c.authorships["work_id"] == work_id]
    return [(r.position, r.institution, r.sector, r.country) for r in a.itertuples()]


def test_scopus_2023_layout(fixture_path):
    c = collabnet.read(fixture_path("scopus_2023.csv"))
    inp = c.meta["inputs"][0]
    assert inp["records"] == 4
    assert inp["merged_within_file"] == 1          # same DOI twice in the export
    assert c.meta["excluded"] == {"retracted": 1, "paratext": 0}
    assert len(c.works) == 2
    w = c.works.set_index("work_id").loc["doi:10.1234/abc.1"]
    assert (w["year"], w["cited_by_scopus"], w["doc_type"], w["eid"]) == (2020, 12, "article", "2-s2.0-1")
    assert w["keywords"] == "cardiology; collaboration"
    # an author with two affiliations, split with the Affiliations column
    assert rows(c, "doi:10.1234/abc.1") == [
        (0, "Keio University", "academic", "JP"), (0, "Osaka University", "academic", "JP"),
        (1, "Leiden University Medical Center", "academic", "NL"), (2, "Pfizer Inc.", "corporate", "US")]
    a = c.authorships
    assert a.loc[a["is_corresponding"], "author"].tolist() == ["de Vries A."]
    refs = c.references[c.references["work_id"] == "doi:10.1234/abc.1"]
    assert refs["doi"].tolist() == [None, "10.5555/ref.2"]
    # "[No author name available]" and Year 0000: kept, no authors, year null (reported)
    ed = c.works.set_index("work_id").loc["scopus:2-s2.0-4"]
    assert ed["n_authors"] == 0 and ed["year"] is collabnet.corpus.pd.NA
    assert any("year" in k for k in inp["warnings"])


def test_scopus_pre2023_layout(fixture_path):
    c = collabnet.read(fixture_path("scopus_2021.csv"))
    assert rows(c, "doi:10.1234/old.1") == [
        (0, "Univ Hosp Erlangen", "academic", "DE"), (1, "The University of Tokyo", "academic", "JP"),
        (2, "Beth Israel Deaconess Medical Center", "medical", "US"), (2, "The University of Tokyo", "academic", "JP")]
    assert c.works["cited_by_scopus"].tolist() == [3]


def test_wos_plain_text(fixture_path):
    c = collabnet.read(fixture_path("wos_plain.txt"))
    w = c.works.set_index("work_id")
    assert w.loc["doi:10.1234/abc.1", "title"] == "Bilateral collaboration in cardiology"
    assert (w.loc["doi:10.1234/abc.1", "cited_by_wos"], w.loc["doi:10.1234/abc.1", "cited_by_wos_all"]) == (10, 14)
    assert w.loc["doi:10.1234/abc.1", "doc_type"] == "article"   # "Article; Early Access"
    # C1 with bracketed groups (one naming two authors), a US zip, Hong Kong inside a Chinese address, and an
    # address without brackets, which stays unlinked (position -1)
    assert rows(c, "doi:10.1234/abc.1") == [
        (0, "Keio Univ", "academic", "JP"), (1, "Leiden Univ", "academic", "NL"), (2, "Leiden Univ", "academic", "NL"),
        (2, "Pfizer Inc", "corporate", "US"), (3, "Univ Hong Kong", "academic", "HK"), (-1, "Univ Oxford", "academic", "GB")]
    a = c.authorships
    assert a.loc[a["is_corresponding"], "author"].tolist() == ["de Vries, A"]
    old = a[a["work_id"] == "WOS:A1995000000002"]
    assert sorted(old["country"].dropna()) == ["KR", "US"]
    assert old.loc[old["position"] >= 0, "institution"].isna().all()
    assert c.references["doi"].tolist() == ["10.5555/ref.1", None]


def test_wos_c1_links_each_address_once_per_author(tmp_path):
    """C1 groups link by full name, else by short name (two authors may share one short name); an address
    repeated for an author is kept once; a name in no AU/AF stays unlinked (once) and is warned about each
    time; an address without brackets is unlinked."""
    text = "\n".join([
        "FN Clarivate Analytics Web of Science", "VR 1.0",
        "PT J",
        "AU Sato, T", "   Sato, T", "   Jansen, P",
        "AF Sato, Taro", "   Sato, Takeshi", "   Jansen, Piet",
        "TI Linking addresses", "PY 2020", "UT WOS:000000000000001",
        "C1 [Sato, Taro; Jansen, Piet] Univ Tokyo, Tokyo, Japan.",
        "   [Sato, T] Univ Tokyo, Tokyo, Japan.",
        "   [Jansen, Piet] Leiden Univ, Leiden, Netherlands.",
        "   [Smith, J] Harvard Univ, Cambridge, MA 02138 USA.",
        "   [Smith, J; Jansen, P] Harvard Univ, Cambridge, MA 02138 USA.",
        "   Delft Univ Technol, Delft, Netherlands.",
        "ER", "", "EF", ""])
    path = tmp_path / "savedrecs.txt"
    path.write_text(text, encoding="utf-8")
    c = collabnet.read(str(path), progress=False)
    a = c.authorships
    got = [(r.position, r.author, r.institution, r.country) for r in a.itertuples()]
    assert got == [
        # Sato, Taro: Tokyo by full name, then again by the short name "Sato, T": once
        (0, "Sato, T", "Univ Tokyo", "JP"),
        # Sato, Takeshi: Tokyo through the short name "Sato, T" only
        (1, "Sato, T", "Univ Tokyo", "JP"),
        # Jansen: Tokyo, Leiden, then Harvard through "Jansen, P" (his short name)
        (2, "Jansen, P", "Univ Tokyo", "JP"), (2, "Jansen, P", "Leiden Univ", "NL"),
        (2, "Jansen, P", "Harvard Univ", "US"),
        # Smith is in no AU/AF: Harvard unlinked once; the address without brackets unlinked
        (-1, None, "Harvard Univ", "US"), (-1, None, "Delft Univ Technol", "NL")]
    warned = c.meta["inputs"][0]["warnings"]
    assert warned == {"C1 names an author not in AU/AF (address kept unlinked)": 2}


def test_wos_tab_delimited_utf16(fixture_path):
    c = collabnet.read(fixture_path("wos_tabdelim.txt"))
    assert rows(c, "doi:10.1234/tab.1") == [
        (0, "Erasmus MC", "other", "NL"), (1, "Kyoto Univ", "academic", "JP"), (1, "Astellas Pharma Inc", "corporate", "JP")]
    assert c.works["cited_by_wos"].tolist() == [7]
    assert c.references["doi"].tolist() == [None, "10.5555/ref.9"]


def test_openalex_jsonl(fixture_path):
    c = collabnet.read(fixture_path("openalex_works.jsonl"))
    inp = c.meta["inputs"][0]
    assert (inp["records"], inp["merged_within_file"]) == (4, 1)        # W2 repeated (a repeated API page)
    assert c.meta["excluded"]["paratext"] == 1
    assert sorted(c.works["work_id"]) == ["W1", "W2"]
    w1 = c.works.set_index("work_id").loc["W1"]
    assert (w1["fwci_openalex"], bool(w1["top10_openalex"]), w1["cited_by_openalex"]) == (1.5, True, 15)
    assert w1["counts_by_year"] == '{"2020":6,"2021":9}'
    # an author with countries but no institution keeps the country
    assert rows(c, "W1") == [(0, "Keio University", "academic", "JP"),
                             (1, "Leiden University Medical Center", "medical", "NL"),
                             (2, "Pfizer Inc.", "corporate", "US"), (3, None, None, "HK")]
    a = c.authorships.set_index("institution")
    assert a.loc["Keio University", "institution_key"] == "ror:02kn6nx58"
    assert c.references["openalex_id"].tolist() == ["W2", "W99"]


def test_medline(fixture_path):
    c = collabnet.read(fixture_path("medline.nbib"))
    w = c.works.set_index("work_id")
    assert w.loc["doi:10.1234/abc.1", "doc_type"] == "review"
    assert w.loc["doi:10.1234/abc.1", "pmid"] == "123"
    # two AD lines for one author; the e-mail tail does not hide the country
    assert rows(c, "doi:10.1234/abc.1") == [
        (0, "Keio University", "academic", "JP"), (0, "Osaka University", "academic", "JP"),
        (1, "Leiden University Medical Center", "academic", "NL")]
    # an old record with one AD for the first author only: the address is the paper's, unlinked
    assert rows(c, "pmid:456") == [(0, None, None, None), (1, None, None, None), (-1, "Karolinska Institutet", "other", "SE")]


def test_same_paper_in_all_four_formats_is_one_work(fixture_path):
    c = collabnet.read(*(fixture_path(f) for f in
                         ("scopus_2023.csv", "wos_plain.txt", "openalex_works.jsonl", "medline.nbib")))
    w = c.works.set_index("doi").loc["10.1234/abc.1"]
    assert w["sources"] == "openalex;scopus;wos;pubmed"
    assert w["work_id"] == "W1"                      # structure from the best-structured source
    # citation counts are kept per source, never mixed; WoS keeps TC apart from Z9
    assert (w["cited_by_openalex"], w["cited_by_scopus"], w["cited_by_wos"], w["cited_by_wos_all"]) == (15, 12, 10, 14)
    assert (w["eid"], w["ut"], w["pmid"]) == ("2-s2.0-1", "WOS:000000000000001", "123")
    # references are never dropped in a merge: 2 OpenAlex ids + 2 Scopus + 2 WoS strings
    assert len(c.references[c.references["work_id"] == "W1"]) == 6
    assert rows(c, "W1")[0] == (0, "Keio University", "academic", "JP")
    files = {f["path"].rsplit("/", 1)[-1]: f for f in c.meta["inputs"]}
    assert files["wos_plain.txt"]["merged_with_earlier_files"] == 1
    assert files["medline.nbib"]["merged_with_earlier_files"] == 1
    assert files["openalex_works.jsonl"]["merged_with_earlier_files"] == 1
    assert c.citation_source() == "openalex"   # 2 works each from OpenAlex, Scopus, WoS: ties go by priority
    assert len(c.works) == 5  # abc.1, scopus editorial, WoS 1995 record, W2, pmid 456


def test_title_match_needs_same_first_author(tmp_path, fixture_path):
    from collabnet.read.merge import group_records
    from collabnet.read.common import new_author, new_record
    a, b, d = (new_record("scopus", "x", i) for i in range(3))
    for r in (a, b, d):
        r["title"], r["year"] = "On the Same Title!", 2020
    a["authors"], b["authors"], d["authors"] = [new_author("Tanaka H.")], [new_author("Tanaka, Hiroshi")], [new_author("Smith J.")]
    groups = group_records([a, b, d])
    assert [len(g) for g in groups] == [2, 1]


@pytest.mark.parametrize("slice_rows", [250_000, 3])
def test_corpus_survives_save_and_load(tmp_path, fixture_path, monkeypatch, slice_rows):
    """The build analyses the corpus it loads back from Parquet: every table comes back equal, with its
    dtypes, also when the tables are written a few rows at a time (one row group per slice)."""
    import collabnet.corpus as cc
    monkeypatch.setattr(cc, "PARQUET_SLICE", slice_rows)
    c = collabnet.read(*[fixture_path(n) for n in ("scopus_2023.csv", "wos_plain.txt", "openalex_works.jsonl",
                                                   "medline.nbib")], progress=False)
    assert len(c.authorships) > 3 and len(c.references) > 3  # so the small slices do split the tables
    c.save(tmp_path / "corpus")
    back = cc.Corpus.load(tmp_path / "corpus")
    for name in ("works", "authorships", "references"):
        a, b = getattr(c, name), getattr(back, name)
        assert list(a.columns) == list(b.columns)
        assert list(a.dtypes) == list(b.dtypes), name
        assert a.equals(b), name
    assert back.meta["inputs"] == c.meta["inputs"]
    # the build's load: the references are read from their file when first used, and equal the same
    lazy = cc.Corpus.load(tmp_path / "corpus", lazy_references=True)
    assert "references" not in vars(lazy) and lazy.works.equals(c.works)
    assert lazy.references.equals(c.references) and "references" in vars(lazy)
    with pytest.raises(AttributeError):
        lazy.no_such_table


def test_arrow_schema_is_pyarrow_s_own_without_converting_every_column():
    """The schema the sliced Parquet writer uses equals ``pa.Schema.from_pandas`` (types and pandas
    metadata) for string columns that start missing, all-missing columns (None or NaN), nullable integers
    and flags, and for a column of lists (left to pyarrow whole) and an empty table."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from collabnet.corpus import arrow_schema
    df = pd.DataFrame({
        "text": pd.Series([None, np.nan, "a", "b"], dtype=object),
        "none": pd.Series([None] * 4, dtype=object),
        "nan": pd.Series([np.nan] * 4, dtype=object),
        "count": pd.array([1, None, 3, 4], dtype="Int64"),
        "flag": pd.array([True, None, False, True], dtype="boolean"),
        "position": np.arange(4, dtype=np.int32),
        "share": [0.5, np.nan, 1.0, 0.0],
    })
    lists = df.assign(items=pd.Series([["x"], [], None, ["y", "z"]], dtype=object))
    for frame in (df, lists, df.iloc[:0]):
        want = pa.Schema.from_pandas(frame, preserve_index=False)
        assert arrow_schema(frame).equals(want, check_metadata=True)
    assert arrow_schema(df).field("text").type == pa.string() and arrow_schema(df).field("none").type == pa.null()


def test_parquet_slices_are_written_in_order_on_a_second_thread_and_errors_surface(tmp_path, fixture_path,
                                                                                   monkeypatch):
    """The writer thread gets the slices in order; an error in the writer (disk full) or in the making of
    a slice reaches the caller, without a hang, and a corpus whose write failed is not left behind."""
    import threading

    import collabnet.corpus as cc
    got, threads = [], set()

    def write(x):
        threads.add(threading.current_thread().name)
        got.append(x)
    cc._pipelined(iter(range(50)), write)
    assert got == list(range(50)) and threads == {"parquet-writer"}

    def full(x):
        if x == 3:
            raise OSError(28, "No space left on device")
        got.append(x)
    got.clear()
    with pytest.raises(OSError, match="No space left"):
        cc._pipelined(iter(range(1000)), full)
    assert got == [0, 1, 2]

    def slices():
        yield 1
        yield 2
        raise ValueError("bad slice")
    got.clear()
    with pytest.raises(ValueError, match="bad slice"):
        cc._pipelined(slices(), got.append)
    assert got == [1, 2]

    # a failing write of a real corpus, its tables in slices of 3 rows: nothing is left in place
    monkeypatch.setattr(cc, "PARQUET_SLICE", 3)
    c = collabnet.read(fixture_path("openalex_works.jsonl"), progress=False)
    assert len(c.authorships) > 3   # (written in two slices: the second one fails)
    real = cc._pipelined

    def failing(items, w):
        n = [0]

        def go(x):
            n[0] += 1
            if n[0] > 1:
                raise OSError(28, "No space left on device")
            w(x)
        return real(items, go)
    monkeypatch.setattr(cc, "_pipelined", failing)
    with pytest.raises(OSError):
        c.save(tmp_path / "corpus")
    assert not (tmp_path / "corpus").exists() and not list(tmp_path.glob(".corpus-*"))


def test_read_makes_the_references_table_when_first_used(tmp_path, fixture_path):
    """``collabnet.read`` keeps the parsed references in the reader's Arrow parts and makes the pandas
    table on first use (most analyses never use it): equal to what the build writes, a merged work's
    references included; pickling or copying the corpus makes the table first."""
    import copy
    import pickle

    import collabnet.corpus as cc
    from collabnet.read import read_into
    files = [fixture_path(n) for n in ("scopus_2023.csv", "wos_plain.txt", "openalex_works.jsonl", "medline.nbib")]
    c = collabnet.read(*files, progress=False)
    assert "references" not in vars(c) and "references not loaded yet" in repr(c)
    read_into(tmp_path / "corpus", *files, progress=False)
    written = cc.Corpus.load(tmp_path / "corpus").references
    assert len(written) > 3
    back = pickle.loads(pickle.dumps(c))            # makes the table, then pickles it with the rest
    assert "references" in vars(c) and "_references_make" not in vars(c)
    assert back.references.equals(written) and c.references.equals(written)
    assert f"{len(written)} references" in repr(c)
    d = collabnet.read(*files, progress=False)
    assert copy.deepcopy(d).references.equals(written) and d.references.equals(written)
    # threads that use the table at once: it is made once, and each of them gets it (a race that a
    # try can miss: ten tries)
    from concurrent.futures import ThreadPoolExecutor
    for _ in range(10):
        e = collabnet.read(*files, progress=False)
        with ThreadPoolExecutor(8) as pool:
            tables = list(pool.map(lambda _: e.references, range(8)))
        assert all(t is tables[0] for t in tables) and tables[0].equals(written)


@pytest.mark.parametrize("slice_rows", [250_000, 3])
def test_read_into_writes_the_corpus_that_read_gives(tmp_path, fixture_path, monkeypatch, slice_rows):
    """``read_into`` (what the build runs) writes the references straight from the parts' Arrow
    dictionaries, merged works' references included: what loads back equals ``collabnet.read``."""
    import collabnet.corpus as cc
    from collabnet.read import read_into
    monkeypatch.setattr(cc, "PARQUET_SLICE", slice_rows)
    # two more works that cite, read last: their rows come before the merged work's in the parts, after it
    # in the table
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps({"id": f"https://openalex.org/W{i}", "title": f"Work {i}", "publication_year": 2021,
                                        "type": "article", "authorships": [],
                                        "referenced_works": [f"https://openalex.org/W{j}" for j in refs]}) + "\n"
                            for i, refs in ((7, (1, 2, 50)), (8, (7, 51)))), encoding="utf-8")
    files = [fixture_path(n) for n in ("scopus_2023.csv", "wos_plain.txt", "openalex_works.jsonl", "medline.nbib")]
    files.append(str(more))
    c = collabnet.read(*files, progress=False)
    read_into(tmp_path / "corpus", *files, progress=False)
    back = cc.Corpus.load(tmp_path / "corpus")
    r = back.references
    assert len(r[r["work_id"] == "W1"]) == 6      # the merged work's union (2 + 2 + 2), in the table's order
    assert r["work_id"].tolist()[-5:] == ["W7"] * 3 + ["W8"] * 2
    assert r["raw"].tolist()[-5:] == ["W1", "W2", "W50", "W7", "W51"]
    assert int(r["position"].max()) >= 3 and r["cited_work_id"].isna().all()
    for name in ("works", "authorships", "references"):
        a, b = getattr(c, name), getattr(back, name)
        assert list(a.dtypes) == list(b.dtypes), name
        assert a.equals(b), name


def test_wos_reprint_names_and_block_cuts_match_the_patterns_they_replace():
    """The linear-time scans of a WoS export find exactly what the regular expressions found: the names
    marked "(corresponding author)" (hand-listed cases, then every string of a small alphabet up to 6
    pieces), the ER lines, and the line count of a slice (str.splitlines)."""
    import itertools
    import re
    from collabnet.read import wos
    pattern = re.compile(r"([^;()]+?)\s*\(corresponding author\)")
    mark = "(corresponding author)"
    assert wos.corresponding_names(f"Tanaka, H {mark}, Keio Univ, Tokyo, Japan.; de Vries, A {mark}, Leiden") == [
        "Tanaka, H", " de Vries, A"]  # the space after ";" (the name key ignores it)
    assert wos.corresponding_names(f"Univ X (Dept Y){mark}") == []          # ")" right before: no name
    assert wos.corresponding_names(f"Univ X (Dept Y)  {mark}") == [" "]     # the lazy group takes one space
    assert wos.corresponding_names("a" * 50_000) == []                       # was quadratic
    pieces = ["a", " ", ";", "(", ")", mark]
    for n in range(7):
        for combo in itertools.product(pieces, repeat=n):
            s = "".join(combo)
            assert wos.corresponding_names(s) == [m.group(1) for m in pattern.finditer(s)], s
    text = "FN x\nER\nPT J\nER extra\r\nERR\nER\n\u2028ER\rAU a\x0cER"
    assert wos._er_ends(text) == [m.end() for m in wos._ER_LINE.finditer(text)] == [7, 22, 29]
    breaks = [c for c in wos._OTHER_BREAKS if c in text]
    assert breaks == ["\r", "\x0c", "\u2028"]
    for a in range(len(text) + 2):
        for b in range(a, len(text) + 2):
            assert wos._count_lines(text, a, b, breaks) == len(text[a:b].splitlines()), (a, b)


def test_scopus_author_entry_split_with_first_segments():
    """An author's entry of `Authors with affiliations` splits into the name and the known affiliations,
    whether the name takes one segment (pre-2023 "Liu F.") or two (2023 "Liu, F."), and the shortcut
    (only segments that start a known affiliation can start the tiling) and the fast path (a name and
    one known affiliation in its joined form) change nothing."""
    from collabnet.read.scopus import first_segments, split_author_entry
    known = {"Dept A, Univ A, Tokyo, Japan", "Inst B, Osaka, Japan", "Univ A, Tokyo, Japan"}
    assert first_segments(known) == {"Dept A", "Inst B", "Univ A"}
    cases = {
        "Liu F., Dept A, Univ A, Tokyo, Japan, Inst B, Osaka, Japan":
            ("Liu F.", ["Dept A, Univ A, Tokyo, Japan", "Inst B, Osaka, Japan"]),
        "Liu, F., Inst B, Osaka, Japan, Univ A, Tokyo, Japan":
            ("Liu, F.", ["Inst B, Osaka, Japan", "Univ A, Tokyo, Japan"]),
        "van der Berg, J.-P., Dept A, Univ A, Tokyo, Japan": ("van der Berg, J.-P.", ["Dept A, Univ A, Tokyo, Japan"]),
        # nothing tiles: "Surname, I." keeps two segments, the rest is one affiliation
        "Smith, J., Unknown Lab, Paris, France": ("Smith, J.", ["Unknown Lab, Paris, France"]),
    }
    cases["Doe, J., Odd , Lab,, Paris"] = ("Doe, J.", ["Odd, Lab, Paris"])
    for entry, expected in cases.items():
        assert split_author_entry(entry, known | {"Odd, Lab, Paris"}) == expected, entry
        # the shortcut for a name of one or two segments and one known affiliation changes nothing
        assert split_author_entry(entry, known, first_segments(known)) == expected, entry
    # a known string not in its joined form ("Odd , Lab,, Paris") is no shortcut: the search does not
    # find it either (its segments, stripped, are joined again)
    odd = known | {"Odd , Lab,, Paris"}
    assert split_author_entry("Doe, J., Odd , Lab,, Paris", odd) == ("Doe, J.", ["Odd, Lab, Paris"])
    assert split_author_entry("Doe, J., Odd , Lab,, Paris", odd, first_segments(odd)) == ("Doe, J.", ["Odd, Lab, Paris"])


def test_scopus_tiling_looks_only_where_a_known_affiliation_starts():
    """_tile with first_segments skips the positions where no known affiliation starts: on random
    entries and affiliation sets (which overlap: "Univ A, Tokyo" and "Univ A, Tokyo, Japan") it finds
    exactly the tiling of the full longest-first search, or none when that finds none."""
    import random
    from collabnet.read.scopus import _tile, first_segments
    rng = random.Random(7)
    vocab = ["Dept A", "Univ A", "Tokyo", "Japan", "Inst B", "Osaka", "Lab C"]
    found = missed = 0
    for _ in range(3000):
        known = {", ".join(rng.choices(vocab, k=rng.randint(1, 4))) for _ in range(rng.randint(1, 5))}
        segs = rng.choices(vocab, k=rng.randint(1, 8))
        if rng.random() < 0.5:   # an entry made of known affiliations, so that tilings exist
            segs = [x for a in rng.choices(sorted(known), k=rng.randint(1, 3)) for x in a.split(", ")]
        full = _tile(segs, known)
        assert _tile(segs, known, first_segments(known)) == full, (segs, known)
        found += full is not None
        missed += full is None
    assert found > 1000 and missed > 500   # both outcomes were tried


def test_scopus_full_name_and_id():
    """An `Author full names` item splits into the name and the Scopus author id in its last brackets,
    found with string methods as the regex it replaced did (worked out by hand)."""
    from collabnet.read.scopus import full_name_id
    cases = {
        "Liu, Fang (57201234567)": ("Liu, Fang", "57201234567"),
        "van der Berg, J.-P.  (123)": ("van der Berg, J.-P.", "123"),
        "Smith, J. (Jr.) (42)": ("Smith, J. (Jr.)", "42"),     # the last brackets hold the id
        "(7)": ("", "7"),
        "Smith, J.": ("Smith, J.", None),                      # no id
        "Smith, J. (12a)": ("Smith, J. (12a)", None),          # not digits
        "Smith, J. ()": ("Smith, J. ()", None),
        "Smith, J. (\u00b2)": ("Smith, J. (\u00b2)", None),  # a superscript is no decimal digit
        "Smith,\nJ. (5)": ("Smith,\nJ. (5)", None),          # a line break inside the name
        "Smith, J.\n(5)": ("Smith, J.", "5"),                 # one before the brackets is a space
    }
    for item, expected in cases.items():
        assert full_name_id(item) == expected, item


def test_reference_strings_table_equals_the_per_record_tuples():
    """chunk_part finds the DOIs of reference strings once per distinct string and keeps one reference
    per key (DOI, else the string) within a record on arrays; worked out by hand here, and the same
    as the per-record tuple path (dedup_refs) that OpenAlex records take."""
    import numpy as np
    import pyarrow as pa
    from collabnet.read.chunks import _ref_tuples, _split_fields, _string_refs_table
    from collabnet.read.merge import dedup_refs
    per_record = [
        # record 0: the same string twice; two strings with one DOI (the second goes); a string without one
        ["Smith J., A study, Nature, 2001, DOI 10.1000/ABC.", "Smith J., A study, Nature, 2001, DOI 10.1000/ABC.",
         "Smith, J. (2001) A study. doi:10.1000/abc", "Jones K., Untitled notes (1999)"],
        # record 1: the strings of record 0 again (kept: repeats count within a record only)
        ["Jones K., Untitled notes (1999)", "Smith, J. (2001) A study. doi:10.1000/abc"],
        # record 2: a percent-encoded DOI, and a string that is its own DOI exactly after another with it
        ["Lee, 2010, 10.1234/x%28y%29", "see 10.5555/zz", "10.5555/zz"],
    ]
    rec_of = np.repeat(np.arange(3), [len(r) for r in per_record])
    got = _string_refs_table(rec_of, pa.array([s for r in per_record for s in r])).to_pydict()

    def expected_of(per_record):
        expected = {"rec": [], "position": [], "raw": [], "doi": [], "openalex_id": []}
        for i, refs in enumerate(per_record):
            for j, (raw, doi, oa) in enumerate(dedup_refs(_ref_tuples(refs))):
                for k, v in zip(expected, (i, j, raw, doi, oa)):
                    expected[k].append(v)
        return expected
    assert got == expected_of(per_record)
    # the same references as Scopus "; "-separated fields, split on arrays, and the str.strip of odd edges:
    # a no-break space, an em space, a tab, an empty piece, a piece of spaces only
    fields = ["; ".join(r) for r in per_record]
    fields[1] = " \u00a0" + fields[1] + "\u2003; ;    ; \tend (2000)"
    # (the tuple path of a field splits it the same way, with str)
    assert _ref_tuples(fields[1])[:3] == [("Jones K., Untitled notes (1999)", None, None),
                                          ("Smith, J. (2001) A study. doi:10.1000/abc", "10.1000/abc", None),
                                          ("end (2000)", None, None)]
    split = _split_fields(np.arange(3), list(fields))
    assert _string_refs_table(*split).to_pydict() == expected_of(fields)
    assert split[0].tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert got["rec"] == [0, 0, 1, 1, 2, 2]
    assert got["position"] == [0, 1, 0, 1, 0, 1]
    assert got["raw"] == ["Smith J., A study, Nature, 2001, DOI 10.1000/ABC.", "Jones K., Untitled notes (1999)",
                          "Jones K., Untitled notes (1999)", "Smith, J. (2001) A study. doi:10.1000/abc",
                          "Lee, 2010, 10.1234/x%28y%29", "see 10.5555/zz"]
    assert got["doi"] == ["10.1000/abc", None, None, "10.1000/abc", "10.1234/x(y)", "10.5555/zz"]
    assert got["openalex_id"] == [None] * 6
    # strings with "10." and no DOI, DOIs in other cases and spellings, strings without "10." (which never
    # reach the DOI search), at random: the arrays give what the per-record tuples give
    import random
    rnd = random.Random(7)
    pieces = ["Vol. 10. pp. 1-9", "10.", "x 10.12/short", "DOI 10.1000/ABC", "doi:10.1000/abc.", "10.1000/abc",
              "10.5555/zz", "https://doi.org/10.5555/ZZ", "Jones K. (1999)", "Jones K. (1999)", "Lee, 2010",
              "10.1234/x%28y%29", "A. B., Title 2010.", "W. 10,5 mg"]
    many = [[" ".join(rnd.sample(pieces, rnd.randint(1, 3))) for _ in range(rnd.randint(1, 6))] for _ in range(300)]
    rec_of = np.repeat(np.arange(len(many)), [len(r) for r in many])
    table = _string_refs_table(rec_of, pa.array([x for r in many for x in r])).to_pydict()
    assert table == expected_of(many)
    assert 0 < sum(d is not None for d in table["doi"]) < len(table["doi"])


def test_openalex_ids_table_equals_the_per_record_tuples():
    """OpenAlex cited-work ids go to Arrow as they are; an id twice in one record is kept once (the first),
    and the table is the one the per-record tuples (raw = OpenAlex id, no DOI) give."""
    import numpy as np
    import pyarrow as pa
    from collabnet.read.chunks import OpenAlexIds, _ids_refs_table, _ref_tuples
    from collabnet.read.merge import dedup_refs
    per_record = [OpenAlexIds(["W1", "W2", "W1", "W3"]), OpenAlexIds(["W2"]), OpenAlexIds(["W4", "W4"])]
    rec_of = np.repeat(np.arange(3), [len(r) for r in per_record])
    got = _ids_refs_table(rec_of, pa.array([s for r in per_record for s in r])).to_pydict()
    assert got == {"rec": [0, 0, 0, 1, 2], "position": [0, 1, 2, 0, 0], "raw": ["W1", "W2", "W3", "W2", "W4"],
                   "doi": [None] * 5, "openalex_id": ["W1", "W2", "W3", "W2", "W4"]}
    tuples = [(i, j, *t) for i, r in enumerate(per_record) for j, t in enumerate(dedup_refs(_ref_tuples(r)))]
    assert [tuple(got[k][n] for k in got) for n in range(5)] == tuples


def test_odd_edges_read_from_the_buffers_are_the_characters():
    """_split_fields strips only the strings whose first or last character is not an ASCII letter, digit
    or punctuation mark (or that are empty); read from the UTF-8 bytes, that is the character's own test,
    on sliced arrays too."""
    import random

    import pyarrow as pa
    import pyarrow.compute as pc
    from collabnet.read.chunks import _odd_edges
    random.seed(1)
    alphabet = ["a", " ", "\t", "é", "\u00a0", "Z", "~", "!", "\u2003", "中", "\x7f", "\x1f", "😀"]
    values = ["".join(random.choice(alphabet) for _ in range(random.randint(0, 4))) for _ in range(3000)]
    flat = pc.list_flatten(pc.split_pattern(pa.array(["; ".join(values[i:i + 7]) for i in range(0, 3000, 7)]), "; "))
    for arr in (pa.array(values), pa.array(values).slice(17, 2000), flat, flat.slice(5)):
        expected = [not s or not ("!" <= s[0] <= "~") or not ("!" <= s[-1] <= "~") for s in arr.to_pylist()]
        assert _odd_edges(arr).tolist() == expected
    assert _odd_edges(pa.array(["", ""])).tolist() == [True, True]  # (no data buffer to read)


def test_authorship_rows_of_a_chunk_equal_the_per_row_resolution():
    """chunk_part resolves an address given alone once per chunk (the same string on many rows): its rows
    are those that authorship_row makes one by one, with one string object per distinct value; an
    address with an id or a country of its own is resolved on its own row."""
    from collabnet.clean.resolve import authorship_row
    from collabnet.clean.thesaurus import Thesaurus
    from collabnet.read.chunks import AUTH_SCHEMA, chunk_part
    from collabnet.read.common import new_aff, new_author, new_record
    tokyo = "Dept. of Physics, University of Tokyo, Tokyo, Japan"

    def records():
        recs = []
        for i, affs in enumerate([
                [new_aff(tokyo)],
                [new_aff(tokyo), new_aff("Philips Research, Eindhoven, Netherlands")],
                [new_aff("Dept. of Physics, University of Tokyo, Tokyo", country="JP")],   # a country given
                [new_aff(tokyo, inst_id="I74801974", inst_name="The University of Tokyo", inst_type="education",
                         country="JP")],
                []]):
            rec = new_record("scopus", "x.csv", i + 1, i + 2)
            rec["title"] = f"Paper {i}"
            a = new_author("Sato T.", "Sato, Taro", "123")
            a["affs"] = affs
            rec["authors"] = [a, new_author("Jansen P.")]
            rec["unlinked"] = [new_aff(tokyo)] if i == 4 else []
            recs.append(rec)
        return recs

    th = Thesaurus()
    pool: dict = {}
    expected = []
    for i, rec in enumerate(records()):
        for pos, au in enumerate(rec["authors"]):
            for aff in au["affs"] or [None]:
                expected.append(authorship_row(i, pos, au, aff, th, pool))
        for aff in rec["unlinked"]:
            expected.append(authorship_row(i, -1, None, aff, th, pool))
    table = chunk_part(records(), th).authorships
    got = table.to_pylist()
    assert [tuple(r[f.name] for f in AUTH_SCHEMA) for r in got] == expected
    # each string column's dictionary: its distinct values in order of first appearance, as encoding the
    # rows one by one gives
    for f in AUTH_SCHEMA:
        if str(f.type).startswith("dictionary"):
            col = table.column(f.name).combine_chunks()
            assert col.dictionary.to_pylist() == list(dict.fromkeys(v for v in col.to_pylist() if v is not None))
    assert len(got) == 12   # 2 + 3 + 2 + 2 + (2 authors without an address, 1 unlinked address)
    # the address alone and with an id resolve differently: by its parsed name, and by the OpenAlex id
    keys = [r["institution_key"] for r in got if r["rec"] in (0, 3) and r["position"] == 0]
    assert keys[0].startswith("name:") and keys[1] == "openalex:I74801974"
    assert [r["country"] for r in got if r["position"] == 0] == ["JP", "JP", "NL", "JP", "JP", None]
    assert [r["country"] for r in got if r["position"] == -1] == ["JP"]


def test_affiliations_that_differ_in_one_field_resolve_apart_within_a_chunk():
    """chunk_part resolves each distinct affiliation once per chunk: two that share all but one of the
    fields the resolution reads (raw string, OpenAlex id, ROR, name, type, country) must not share a
    row tail.  Each pair below differs in one field; the rows are the ones worked out by hand."""
    from collabnet.clean.thesaurus import Thesaurus
    from collabnet.read.chunks import chunk_part
    from collabnet.read.common import new_aff, new_author, new_record
    base = dict(inst_id="I1", ror=None, inst_name="University of Tokyo", inst_type="education", country="JP")
    variants = [{}, {"inst_id": "I2"}, {"ror": "057zh3y96"}, {"inst_name": "Todai"},
                {"inst_type": "company"}, {"country": "NL"}, {"raw": "Tokyo, Japan"}]
    recs = []
    for i, v in enumerate(variants):
        rec = new_record("openalex", "x.jsonl", i + 1, i + 1)
        rec["title"] = f"Paper {i}"
        a = new_author("Sato T.")
        a["affs"] = [new_aff(v.get("raw"), **{k: v.get(k, x) for k, x in base.items()})]
        rec["authors"] = [a]
        recs.append(rec)
    got = chunk_part(recs, Thesaurus()).authorships.to_pylist()
    assert [(r["raw_affiliation"], r["institution_key"], r["institution"], r["sector"], r["country"])
            for r in got] == [
        (None, "openalex:I1", "University of Tokyo", "academic", "JP"),
        (None, "openalex:I2", "University of Tokyo", "academic", "JP"),
        (None, "ror:057zh3y96", "University of Tokyo", "academic", "JP"),
        (None, "openalex:I1", "Todai", "academic", "JP"),
        (None, "openalex:I1", "University of Tokyo", "corporate", "JP"),
        (None, "openalex:I1", "University of Tokyo", "academic", "NL"),
        ("Tokyo, Japan", "openalex:I1", "University of Tokyo", "academic", "JP"),
    ]


def test_scopus_numeric_character_references_do_not_split_affiliations(tmp_path):
    """A Scopus export (real: iot_fog_scientopy_2019.csv) that writes "ü" as "&#x00FC;": the ";" of the
    reference is no affiliation separator.  The field is read with its references made characters; a
    control character's reference stays as written."""
    import collabnet
    head = '"Authors","Author full names","Title","Year","Source title","DOI","Affiliations","Authors with affiliations","EID"\n'
    aff = "Institut f&#x00FC;r Informatik, University of G&#x00F6;ttingen, G&#246;ttingen, Germany"
    row = (f'"Kim, A.; Lee, B.","Kim, A. (1); Lee, B. (2)","Fog &#x2013; edge&#x0D;","2019","J","10.1/x",'
           f'"{aff}; Seoul National University, Seoul, South Korea",'
           f'"Kim, A., {aff}; Lee, B., Seoul National University, Seoul, South Korea","2-s2.0-1"\n')
    (tmp_path / "s.csv").write_text(head + row, encoding="utf-8")
    c = collabnet.read(str(tmp_path / "s.csv"), progress=False)
    a = c.authorships.sort_values("position")
    assert a["raw_affiliation"].tolist() == [
        "Institut für Informatik, University of Göttingen, Göttingen, Germany",
        "Seoul National University, Seoul, South Korea"]
    assert a["country"].tolist() == ["DE", "KR"]
    assert c.works["title"].tolist() == ["Fog \u2013 edge&#x0D;"]


def test_wos_plain_numeric_character_references(tmp_path):
    """Web of Science plain text with numeric character references (its tab-delimited files are
    unescaped whole): keywords and addresses keep their ";" inside a reference."""
    import collabnet
    text = ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU M&#x00FC;ller, A\nAF M&#x00FC;ller, Anna\n"
            "TI A title\nSO J\nDE non&#8208;native; invasive\n"
            "C1 [M&#x00FC;ller, Anna] Inst Informat, G&#x00F6;ttingen, Germany.\nPY 2020\nUT WOS:1\nER\n\nEF\n")
    (tmp_path / "w.txt").write_text(text, encoding="utf-8")
    c = collabnet.read(str(tmp_path / "w.txt"), progress=False)
    a = c.authorships
    assert a["raw_affiliation"].tolist() == ["Inst Informat, Göttingen, Germany."]
    assert a["country"].tolist() == ["DE"] and a["position"].tolist() == [0]
    assert c.works["keywords"].iloc[0] == "non\u2010native; invasive"   # (two keywords, joined by "; ")
