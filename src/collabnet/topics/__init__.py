"""Topics: cluster the works by citation links, label and describe the clusters (methods.md 7)."""
from .run import TopicOptions, Topics, default_resolution, has_references, run_topics, sweep, write_topics

__all__ = ["TopicOptions", "Topics", "default_resolution", "has_references", "run_topics", "sweep", "write_topics"]
