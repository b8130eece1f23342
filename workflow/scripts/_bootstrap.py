"""Shared start-up of the command-line scripts: import path and logging."""
import logging
import sys
from pathlib import Path

LIBRARY_ROOT = Path(__file__).resolve().parents[1]  # workflow/, which holds couae/
if str(LIBRARY_ROOT) not in sys.path:
    sys.path.insert(0, str(LIBRARY_ROOT))


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
