"""collabnet build --focus JP NL on the planted world: report.json against truth.json (the world's own checker)."""
import json
import subprocess
import sys

import pytest

from conftest import SEEDWORLD, SHARED, needs_seedworld

pytestmark = needs_seedworld


@pytest.mark.parametrize("fmt,file,baseline", [("openalex", "works.jsonl.gz", False), ("scopus", "scopus.csv", True),
                                               ("scopus2021", "scopus_2021layout.csv", True), ("wos", "savedrecs.txt", True)])
def test_report_matches_truth(tmp_path, fmt, file, baseline):
    out = tmp_path / fmt
    args = [sys.executable, "-m", "collabnet.cli", "build", str(SEEDWORLD / file), "--out", str(out), "--focus", "JP NL", "-q", "--no-views"]
    if baseline:
        args += ["--baseline", str(SEEDWORLD / "baseline.csv")]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    chk = subprocess.run([sys.executable, str(SHARED / "tools" / "check_against_truth.py"), str(out), str(SEEDWORLD),
                          "--format", fmt], capture_output=True, text=True)
    assert chk.returncode == 0, chk.stdout
    rep = json.loads((out / "report.json").read_text())
    truth = json.loads((SEEDWORLD / "truth.json").read_text())
    assert rep["bilateral_only_works"] == 367 and rep["bilateral_only_share"] == pytest.approx(0.07, abs=5e-4)
    assert rep["fwci_source"] == ("openalex" if fmt == "openalex" else "baseline")
    assert rep["fwci_mean"] == pytest.approx(truth["fwci_mean"], abs=0.01)
    want = truth["top10_share_flagged"] if fmt == "openalex" else truth["top10_share_by_baseline_threshold"]
    assert rep["top10_share"] == pytest.approx(want, abs=1e-3)
    assert rep["citations_total"] == truth["citations_total"]
    assert rep["growth"]["fold"] == pytest.approx(1.37, abs=0.005)
    assert rep["country_graph"] == {"nodes": 72, "edges": 2556}
    import csv
    edges = {tuple(sorted((e["source"], e["target"]))): e for e in csv.DictReader(open(out / "networks" / "country_edges.csv"))}
    for e in truth["country_graph"]["top_edges_full"]:
        assert int(edges[(e["a"], e["b"])]["works"]) == e["works"]
    for e in truth["country_graph"]["top_edges_fractional"]:
        assert float(edges[(e["a"], e["b"])]["weight"]) == pytest.approx(e["weight"], abs=1e-3)
    cen = list(csv.DictReader(open(out / "networks" / "country_centrality.csv")))
    assert len(cen) == 72
    deg = {r["node"]: int(r["degree"]) for r in cen}
    assert {k: deg[k] for k in truth["country_graph"]["degree"]} == truth["country_graph"]["degree"]
    # topics ran by default (the input has references) and the checker above scored them
    assert "topics NMI" in chk.stdout and (out / "topics" / "clusters.csv").exists()
    assert len(rep["topics"]) == rep["topics_info"]["described_clusters"] >= 31
    assert rep["topics"][0]["size"] == 165  # the COVID-19 topic, the largest planted one
