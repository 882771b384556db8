import os
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
SHARED = Path(os.environ.get("COLLABNET_SHARED", HERE.parent.parent / "shared"))
SEEDWORLD = SHARED / "data" / "seedworld" / "jpnl"
REAL = SHARED / "data" / "real"

needs_seedworld = pytest.mark.skipif(not (SEEDWORLD / "truth.json").exists(),
                                     reason="../shared/data/seedworld not present (a user's clone)")
needs_real = pytest.mark.skipif(not (REAL / "MANIFEST.tsv").exists(), reason="../shared/data/real not present")


@pytest.fixture
def fixture_path():
    return lambda name: str(FIXTURES / name)


@pytest.fixture(scope="session")
def seed_openalex():
    """The seed world read from its OpenAlex file, once per test session."""
    if not (SEEDWORLD / "truth.json").exists():
        pytest.skip("../shared/data/seedworld not present (a user's clone)")
    import collabnet
    return collabnet.read(str(SEEDWORLD / "works.jsonl.gz"), progress=False)


def read_tree(folder) -> dict:
    """relative path -> bytes of every file under folder (for byte-identical output checks)."""
    out = {}
    for root, _, names in os.walk(folder):
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, folder)] = f.read()
    return out
