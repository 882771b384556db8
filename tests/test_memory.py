"""collabnet.memory.bulk_allocation: numpy on ordinary pages and Arrow on the C heap while reading, put
back as they were afterwards, and a user's own setting left alone."""
import pyarrow as pa
import pytest

from collabnet.memory import _numpy_hugepage_switch, bulk_allocation


def _numpy_hugepages():
    switch = _numpy_hugepage_switch()
    before = switch(True)    # (the switch returns what was set; set it back at once)
    switch(before)
    return before


@pytest.fixture
def defaults(monkeypatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    pool = pa.default_memory_pool()
    switch = _numpy_hugepage_switch()
    pages = switch(True)
    pa.set_memory_pool(pa.mimalloc_memory_pool())
    yield
    switch(pages)
    pa.set_memory_pool(pool)


def test_inside_the_block_and_put_back(defaults):
    with bulk_allocation():
        assert pa.default_memory_pool().backend_name == "system"
        assert _numpy_hugepages() is False
        with bulk_allocation():      # (nested: the same, and the outer settings are what it puts back)
            assert pa.default_memory_pool().backend_name == "system"
        assert pa.default_memory_pool().backend_name == "system"
        assert _numpy_hugepages() is False
        a = pa.array(["x"] * 100_000)   # a buffer of the C heap, freed after the pool is put back
    assert pa.default_memory_pool().backend_name == "mimalloc"
    assert _numpy_hugepages() is True
    assert a.to_pylist()[-1] == "x"
    del a


def test_put_back_after_an_error(defaults):
    with pytest.raises(KeyError):
        with bulk_allocation():
            raise KeyError("x")
    assert pa.default_memory_pool().backend_name == "mimalloc"
    assert _numpy_hugepages() is True


def test_the_users_own_settings_are_left_alone(defaults, monkeypatch):
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    with bulk_allocation():
        assert pa.default_memory_pool().backend_name == "mimalloc"
        assert _numpy_hugepages() is True


def test_reading_runs_inside_it(defaults, monkeypatch):
    """collabnet.read works within the block (what a chunk allocates comes from the C heap)."""
    from pathlib import Path
    import collabnet
    from collabnet.read import chunks
    seen = []
    part = chunks.chunk_part

    def spy(*args, **kwargs):
        seen.append(pa.default_memory_pool().backend_name)
        return part(*args, **kwargs)
    rd = __import__("importlib").import_module("collabnet.read")
    monkeypatch.setattr(rd, "chunk_part", spy)
    c = collabnet.read(str(Path(__file__).parent / "fixtures" / "wos_plain.txt"), progress=False)
    assert len(c.works) > 0 and seen and set(seen) == {"system"}
    assert pa.default_memory_pool().backend_name == "mimalloc"


def test_the_graphs_are_built_inside_it(defaults, monkeypatch):
    """country_graph and institution_graph (and cooccurrence) work within the block too, and leave the
    settings as they found them."""
    from toy import toy_corpus
    from collabnet import networks
    seen = []
    inc = networks.incidence

    def spy(*args, **kwargs):
        seen.append(pa.default_memory_pool().backend_name)
        return inc(*args, **kwargs)
    monkeypatch.setattr(networks, "incidence", spy)
    corpus = toy_corpus()
    G = networks.country_graph(corpus)
    I = networks.institution_graph(corpus)
    networks.cooccurrence(corpus)
    assert G.number_of_nodes() > 0 and I.number_of_nodes() > 0
    assert seen == ["system"] * 3
    assert pa.default_memory_pool().backend_name == "mimalloc" and _numpy_hugepages() is True
