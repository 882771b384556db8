"""bench/correctness.py sorts a peer's country labels as a reader would (checked by hand)."""
import importlib.util
import os

import pytest

pytest.importorskip("country_converter")
HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_correctness", os.path.join(HERE, "..", "bench", "correctness.py"))
correctness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(correctness)


def test_labels_sorted_into_countries_variants_fragments_and_the_rest():
    labels = {"Japan": 5, "United States": 3, "USA": 2, "AK 99503 USA": 1, "MA": 1, "England": 4, "Scotland": 2,
              "UK": 1, "Boston": 1}
    k = correctness.classify(labels)
    assert k["country"] == [(5, "Japan"), (4, "England"), (3, "United States")]
    assert k["variant"] == [(2, "Scotland (GB)"), (2, "USA (US)"), (1, "UK (GB)")]
    assert k["us_fragment"] == [(1, "AK 99503 USA"), (1, "MA")]   # MA: Massachusetts, not Morocco
    assert k["not_country"] == [(1, "Boston")]
    assert k["records_per_code"] == {"JP": 5, "US": 5, "GB": 7}
