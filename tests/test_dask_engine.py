"""--engine dask gives the same corpus, report.json and graphs as the default engine (skipped without Dask)."""

import pytest

from conftest import REAL, SEEDWORLD, needs_real, needs_seedworld, read_tree

dask = pytest.importorskip("distributed", reason="Dask is not installed (pip install 'collabnet[dask]')")




def _build(tmp_path, name, args):
    from click.testing import CliRunner
    from collabnet.cli import main
    r = CliRunner().invoke(main, ["build", *args, "--out", str(tmp_path / name), "-q", "--no-views"])
    assert r.exit_code == 0, r.output
    return read_tree(tmp_path / name)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster
    import logging
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as c:
        yield c.scheduler_address


@needs_seedworld
@pytest.mark.parametrize("file", ["works.jsonl.gz", "scopus.csv", "savedrecs.txt"])
def test_dask_engine_equals_default_on_seed_world(tmp_path, cluster, file):
    args = [str(SEEDWORLD / file), "--focus", "JP NL", "--no-topics"]
    a = _build(tmp_path, "local", args)
    b = _build(tmp_path, "dask", args + ["--engine", "dask", "--scheduler", cluster])
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []  # corpus parquet, report.json, tables, graph files
    assert "corpus/works.parquet" in a and "report.json" in a and "networks/institution.graphml" in a


@needs_real
def test_dask_engine_equals_default_on_a_real_file_in_blocks(tmp_path, monkeypatch):
    """Real OpenAlex JSON Lines in blocks of 7 records, a real API page read whole on a worker and a WoS
    file in blocks of 7 records (cut after ER lines by the driver), on a fresh local cluster (no address):
    same corpus as the default engine (record numbers, skip examples' lines), duplicates merged alike."""
    import collabnet
    import pandas as pd
    from collabnet.engine import read_dask
    seen = _spy_pieces(monkeypatch)
    files = [str(REAL / "openalex" / "snowball_cited.jsonl"), str(REAL / "openalex" / "vector_borne_disease_search_200.json"),
             str(REAL / "wos" / "kth_2025_nobom.txt")]
    a = collabnet.read(*files, progress=False)
    b = read_dask(*files, chunk_records=7, n_workers=2)
    for t in ("works", "authorships", "references"):
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t))
    assert a.meta == b.meta
    assert [len(s) for s in seen] == [14]  # the WoS file's 95 records: 13 blocks of 7 and one of 4


def _stray_quote_csv(tmp_path):
    """12 rows whose index keywords span three lines, the first row's title with a stray quote outside
    quotes ('5" disk', which the csv module keeps as it is): after it the quote count is odd at every row
    end, so a cut found by counting quotes lands inside a quoted field."""
    import csv
    import io

    from conftest import FIXTURES
    rows = list(csv.reader(open(FIXTURES / "scopus_2023.csv", encoding="utf-8-sig", newline="")))
    col = {h: i for i, h in enumerate(rows[0])}
    body = []
    for i in range(12):
        r = list(rows[1 + i % (len(rows) - 1)])
        r[col["EID"]], r[col["DOI"]], r[col["Title"]] = f"2-s2.0-8{i:09d}", f"10.9999/fb.{i}", f"Paper {i}"
        r[col["Index Keywords"]] = f"kw {i}\nsecond line\nthird"
        body.append(r)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([rows[0]] + body)
    p = tmp_path / "stray.csv"
    p.write_text(buf.getvalue().replace(",Paper 0,", ',Paper 0 5" disk,', 1), encoding="utf-8")
    return p


def _spy_pieces(monkeypatch):
    import collabnet.engine as engine
    seen = []
    real = engine._pieces_result

    def spy(client, path, futures, *args):
        seen.append([f.result()[2] for f in futures])
        return real(client, path, futures, *args)
    monkeypatch.setattr(engine, "_pieces_result", spy)
    return seen


@needs_real
def test_dask_engine_reads_scopus_csvs_in_pieces(tmp_path, cluster, monkeypatch):
    """Every real Scopus CSV cut into pieces of about 100 kB (up to 38), read by two workers, gives
    the default engine's corpus and report; a file whose quotes fool the cut (a stray quote) is noticed by
    the pieces' marks and read whole, with the same result; the spreadsheet-mangled file is refused alike."""
    import collabnet
    import pandas as pd
    from collabnet.engine import read_dask
    from collabnet.errors import InputError
    seen = _spy_pieces(monkeypatch)
    files = sorted((REAL / "scopus").glob("*.csv")) + [_stray_quote_csv(tmp_path)]
    for f in files:
        if "mangled" in f.name:
            with pytest.raises(InputError) as one:
                collabnet.read(f, progress=False)
            with pytest.raises(InputError) as two:
                read_dask(f, scheduler=cluster, piece_bytes=100_000)
            assert str(one.value) == str(two.value) and "do not match the header" in str(one.value)
            continue
        a = collabnet.read(f, progress=False)
        b = read_dask(f, scheduler=cluster, piece_bytes=100_000 if f.name != "stray.csv" else 300)
        for t in ("works", "authorships", "references"):
            pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t))
        assert a.meta == b.meta, f.name
    assert max(len(s) for s in seen) >= 30  # (the larger files were cut into dozens of pieces)
    *real, stray = seen
    assert all(all(ok) for ok in real)
    assert len(stray) == 13 and stray.count(False) == 12  # every cut of the stray file is inside a field
