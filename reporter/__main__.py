"""``python -m reporter``."""

from reporter.cli.main import main

if __name__ == "__main__":  # the confirmation's worker processes re-import this module
    raise SystemExit(main())
