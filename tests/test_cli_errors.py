"""Bad input: one clear line naming the file, exit code 2, no traceback, nothing half-written."""
import gzip
import json
import subprocess
import sys

import pytest

import collabnet


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "collabnet.cli", *args], capture_output=True, text=True, cwd=cwd)


SCOPUS_HEAD = '"Authors","Author full names","Title","Year","Source title","Cited by","DOI","Affiliations","EID"\n'


def bad_inputs(tmp):
    cases = {}
    (tmp / "empty.csv").write_text("")
    cases["empty.csv"] = "empty"
    (tmp / "unknown.txt").write_text("hello world\nthis is not an export\n")
    cases["unknown.txt"] = "unsupported format"
    (tmp / "binary.csv").write_bytes(bytes(range(256)) * 20)
    cases["binary.csv"] = "binary"
    (tmp / "latin1.csv").write_bytes((SCOPUS_HEAD + '"Müller A.","Müller, Anna (1)","Title","2020","J","1","","Univ Köln, Köln, Germany","2-s2.0-1"\n').encode("latin-1"))
    cases["latin1.csv"] = "not UTF-8"
    (tmp / "missing_cols.csv").write_text('"Authors","Source title","EID"\n"A B.","J","2-s2.0-1"\n')
    cases["missing_cols.csv"] = "required column"
    (tmp / "truncated.json").write_text('{"results": [{"id": "https://openalex.org/W1", "authorships": [')
    cases["truncated.json"] = "not valid JSON"
    (tmp / "refs.ris").write_text("TY  - JOUR\nTI  - A title\nER  - \n")
    cases["refs.ris"] = "RIS"
    (tmp / "cut.txt").write_text("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Tanaka, H\nTI A cut record\n")
    cases["cut.txt"] = "none of its 1 records"
    with gzip.open(tmp / "broken.jsonl.gz", "wb") as f:
        f.write(b'{"id": "https://openalex.org/W1"}\n' * 50)
    data = (tmp / "broken.jsonl.gz").read_bytes()
    (tmp / "broken.jsonl.gz").write_bytes(data[: len(data) // 2])
    cases["broken.jsonl.gz"] = "gzip"
    return cases


def test_each_bad_input_exits_2_with_one_clear_line(tmp_path):
    for name, words in bad_inputs(tmp_path).items():
        out = tmp_path / ("out_" + name)
        r = run("build", str(tmp_path / name), "--out", str(out))
        assert r.returncode == 2, (name, r.stderr)
        assert "Traceback" not in r.stderr
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, (name, r.stderr)
        assert name in lines[0] and words in lines[0], (name, lines[0])
        assert not out.exists(), name   # nothing written


def test_unsupported_format_names_the_supported_ones(tmp_path):
    (tmp_path / "x.ris").write_text("TY  - JOUR\nER  - \n")
    with pytest.raises(collabnet.UnsupportedFormat) as e:
        collabnet.read(tmp_path / "x.ris")
    assert "Scopus CSV" in str(e.value) and "Web of Science" in str(e.value) and "OpenAlex" in str(e.value)


def test_encoding_option_reads_latin1(tmp_path):
    (tmp_path / "latin1.csv").write_bytes((SCOPUS_HEAD + '"Müller A.","Müller, Anna (1)","Title","2020","J","1","","Univ Köln, Köln, Germany","2-s2.0-1"\n').encode("latin-1"))
    r = run("build", str(tmp_path / "latin1.csv"), "--out", str(tmp_path / "o"), "--encoding", "latin-1")
    assert r.returncode == 0, r.stderr
    c = collabnet.Corpus.load(tmp_path / "o")
    assert c.authorships["institution"].tolist() == [None, "Univ Köln"]  # no author links: unlinked


def test_bad_row_is_skipped_and_counted(tmp_path):
    body = ('"A B.","A, B (1)","Good","2020","J","1","10.1/a","Univ X, Paris, France","2-s2.0-1"\n'
            '"C D.","C, D (2)","Broken row","2020"\n'
            '"E F.","E, F (3)","Also good","2021","J","","10.1/b","Univ Y, Rome, Italy","2-s2.0-3"\n')
    (tmp_path / "s.csv").write_text(SCOPUS_HEAD + body)
    r = run("build", str(tmp_path / "s.csv"), "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    f = s["files"][0]
    assert f["records"] == 3 and s["works"] == 2
    (reason, n), = f["skipped"].items()
    assert n == 1 and "4 fields" in reason
    assert f["skipped_examples"][reason] == [f"{tmp_path / 's.csv'}:3"]
    assert "skipped 1" in r.stdout


def test_bad_jsonl_line_is_skipped_and_counted(tmp_path):
    good = json.dumps({"id": "https://openalex.org/W9", "title": "T", "publication_year": 2020, "authorships": []})
    (tmp_path / "w.jsonl").write_text(good + "\n{not json\n" + good.replace("W9", "W10") + "\n")
    c = collabnet.read(tmp_path / "w.jsonl")
    assert sorted(c.works["work_id"]) == ["W10", "W9"]
    assert list(c.meta["inputs"][0]["skipped_examples"].values())[0] == [f"{tmp_path / 'w.jsonl'}:line 2"]


def test_help_on_every_command():
    for args in (["--help"], ["build", "--help"]):
        r = run(*args)
        assert r.returncode == 0 and "Usage" in r.stdout


def test_build_writes_corpus_and_summary_deterministically(tmp_path, fixture_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"o{k}"
        r = run("build", fixture_path("scopus_2023.csv"), fixture_path("wos_plain.txt"), "--out", str(out))
        assert r.returncode == 0, r.stderr
        outs.append(out)
    for name in ("corpus/works.parquet", "corpus/authorships.parquet", "corpus/references.parquet",
                 "corpus/meta.json", "summary.json"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    c = collabnet.Corpus.load(outs[0])
    assert len(c.works) == 3
    s = json.loads((outs[0] / "summary.json").read_text())
    assert s["works"] == 3 and s["excluded"]["retracted"] == 1


def test_thesaurus_overrides_rules(tmp_path, fixture_path):
    th = tmp_path / "th.csv"
    th.write_text("variant,canonical,ror,type,country\nErasmus MC,Erasmus University Medical Center,,healthcare,\n"
                  "Astellas Pharma Inc,drop,,,\n")
    c = collabnet.read(fixture_path("wos_tabdelim.txt"), thesaurus=str(th))
    a = c.authorships
    assert a["institution"].tolist() == ["Erasmus University Medical Center", "Kyoto Univ", None]
    assert a["sector"].tolist() == ["medical", "academic", None]
    assert a["country"].tolist() == ["NL", "JP", "JP"]    # dropping the institution keeps the country
    assert c.meta["thesaurus"]["hits"] == 2


def test_build_says_what_it_is_doing_unless_quiet(tmp_path):
    """Between "read N works" and the report, the build names each long step: the networks (their
    sizes, counted here from the corpus by hand), the indicators, and the writing; -q prints nothing."""
    import itertools
    import os
    src = os.path.join(os.path.dirname(__file__), "fixtures", "wos_plain.txt")   # (6 countries, 7 institutions, 11 links: no two counts alike)
    r = run("build", src, "--out", str(tmp_path / "o"), "--no-views", "--no-topics")
    assert r.returncode == 0, r.stderr
    a = collabnet.Corpus.load(tmp_path / "o" / "corpus").authorships
    countries = a["country"].dropna().nunique()
    inst = a.dropna(subset=["institution_key"]).groupby("work_id")["institution_key"].apply(set)
    links = {pair for s in inst for pair in itertools.combinations(sorted(s), 2)}
    n_inst = a["institution_key"].dropna().nunique()
    said = [ln for ln in r.stderr.splitlines() if ln.startswith(("read ", "networks built", "writing the report"))]
    assert said == [
        said[0],
        f"networks built: {countries:,} countries, {n_inst:,} institutions ({len(links):,} links); computing "
        "the indicators ...",
        "writing the report, tables and graph exports ...",
    ], r.stderr
    assert said[0].startswith("read ") and r.stdout.startswith("report: ")
    q = run("build", src, "--out", str(tmp_path / "q"), "--no-views", "--no-topics", "-q")
    assert q.returncode == 0 and q.stderr == "" and q.stdout == ""
