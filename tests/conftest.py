from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _one_thread():
    # Tests compare floating-point results; keep the thread count fixed.
    torch.set_num_threads(1)


@pytest.fixture
def repo() -> Path:
    return REPO
