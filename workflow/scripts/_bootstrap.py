"""Shared start of the command-line scripts: the library's import path."""

import sys
from pathlib import Path

LIBRARY_ROOT = Path(__file__).resolve().parents[1]  # workflow/, which holds couae/
if str(LIBRARY_ROOT) not in sys.path:
    sys.path.insert(0, str(LIBRARY_ROOT))
