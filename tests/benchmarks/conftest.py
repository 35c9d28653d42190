"""The benchmark tests put ``benchmarks/`` on ``sys.path`` (its modules import each other by
name). ``benchmarks/replay.py`` would then shadow the ``replay`` package for any later
``import replay`` (the editable install finds packages after every path entry), so the package
is imported here first, before any test module of this folder is collected."""

import replay  # noqa: F401
