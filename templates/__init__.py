"""The Jinja2 templates of the report, shipped inside the package as ``reporter.templates``."""

from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent
