"""Sub-commands of the ``reporter`` CLI, each with ``add_arguments`` and ``run``."""
