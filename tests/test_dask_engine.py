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
def test_dask_engine_equals_default_on_a_real_file_in_blocks(tmp_path):
    """Real OpenAlex JSON Lines in blocks of 7 records, plus a real API page and a WoS file read whole on a
    worker, on a fresh local cluster (no address): same corpus as the default engine, duplicates merged alike."""
    import collabnet
    import pandas as pd
    from collabnet.engine import read_dask
    files = [str(REAL / "openalex" / "snowball_cited.jsonl"), str(REAL / "openalex" / "vector_borne_disease_search_200.json"),
             str(REAL / "wos" / "kth_2025_nobom.txt")]
    a = collabnet.read(*files, progress=False)
    b = read_dask(*files, chunk_records=7, n_workers=2)
    for t in ("works", "authorships", "references"):
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t))
    assert a.meta == b.meta
