"""Large Scopus CSVs are parsed straight from the file; the result equals reading the whole text."""
import glob
import importlib
import os

import pandas as pd
import pytest

import collabnet
from collabnet.errors import InputError

from conftest import FIXTURES, SHARED

rd = importlib.import_module("collabnet.read")  # the package (collabnet.read is also the function)

REAL = sorted(glob.glob(str(SHARED / "data" / "real" / "scopus" / "*.csv")))


def _both(monkeypatch, path):
    whole = collabnet.read(path, progress=False)
    monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
    streamed = collabnet.read(path, progress=False)
    monkeypatch.undo()
    return whole, streamed


@pytest.mark.parametrize("path", [str(FIXTURES / "scopus_2023.csv"), str(FIXTURES / "scopus_2021.csv")] + REAL,
                         ids=os.path.basename)
def test_streamed_scopus_equals_whole_text(monkeypatch, path):
    try:
        whole, streamed = _both(monkeypatch, path)
    except InputError as exc:  # a file collabnet refuses must be refused the same way when streamed
        monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
        with pytest.raises(InputError) as again:
            collabnet.read(path, progress=False)
        assert again.value.message.split(" (")[0] == exc.message.split(" (")[0]
        return
    assert len(whole.works) > 0
    for name in ("works", "authorships", "references"):
        pd.testing.assert_frame_equal(getattr(whole, name), getattr(streamed, name))
    assert whole.meta["inputs"] == streamed.meta["inputs"]


def test_streamed_non_utf8_scopus_is_a_clear_error(monkeypatch, tmp_path):
    src = (FIXTURES / "scopus_2023.csv").read_text(encoding="utf-8")
    bad = tmp_path / "latin.csv"
    bad.write_bytes(src.encode("utf-8") + "\n".join([src.splitlines()[1].replace("Japan", "Jap\u00e1n")]).encode("latin-1"))
    monkeypatch.setattr(rd, "STREAM_FROM_BYTES", 0)
    with pytest.raises(InputError, match="not UTF-8") as exc:
        collabnet.read(str(bad), progress=False)
    assert "latin-1" in exc.value.hint and exc.value.where.startswith("after record")
