"""collabnet: co-authorship network analysis from Scopus, Web of Science, OpenAlex and PubMed exports.

>>> import collabnet                                  # doctest: +SKIP
>>> corpus = collabnet.read("scopus.csv")             # doctest: +SKIP
>>> corpus.works, corpus.authorships, corpus.references  # doctest: +SKIP
"""
from .corpus import Corpus
from .errors import CollabnetError, InputError, UnsupportedFormat
from .read import read, read_file

__version__ = "0.1.0"
__all__ = ["Corpus", "read", "read_file", "CollabnetError", "InputError", "UnsupportedFormat", "__version__"]
