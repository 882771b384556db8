"""collabnet: co-authorship network analysis from Scopus, Web of Science, OpenAlex and PubMed exports.

>>> import collabnet                                  # doctest: +SKIP
>>> corpus = collabnet.read("scopus.csv")             # doctest: +SKIP
>>> corpus.works, corpus.authorships, corpus.references  # doctest: +SKIP
"""
from .corpus import Corpus
from .errors import CollabnetError, InputError, UnsupportedFormat
from .read import read, read_file


def load_graph(path):
    """Read a graph export (GraphML, GEXF, Pajek, VOSviewer JSON/map/network, node/edge CSV) into networkx."""
    from .export import load_graph as _load
    return _load(path)


__version__ = "0.1.0"
__all__ = ["Corpus", "read", "read_file", "load_graph", "CollabnetError", "InputError", "UnsupportedFormat", "__version__"]
