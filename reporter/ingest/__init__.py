"""Read training logs into the canonical ``Run`` (design.md, "The canonical run").

``read_run(path)`` detects the format through the registry in ``reporter.ingest.registry``;
reader modules (and pandas, numpy, torch) are imported only when a path is read.
"""

from reporter.ingest.aliases import CANONICAL, canonical_name
from reporter.ingest.discover import discover, read_tree
from reporter.ingest.registry import FORMATS, FormatInfo, detect, formats, read_run
from reporter.ingest.run import Run

__all__ = [
    "CANONICAL",
    "FORMATS",
    "FormatInfo",
    "Run",
    "canonical_name",
    "detect",
    "discover",
    "formats",
    "read_run",
    "read_tree",
]
