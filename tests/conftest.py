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
