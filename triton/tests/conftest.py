"""Shared fixtures: put triton/ on sys.path so tests import ipt_synth like serve.py does."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import List

import pytest

TRITON_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TRITON_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

RICH_TEXT = """Solar Power in Cities
Solar panels convert sunlight into electricity. Many cities installed panels on public buildings in 2019 because energy prices rose sharply. As a result, the city of Lyon cut its power bill by 30 percent. However, the panels do not work well in the dark winter months. Although installation is expensive, the savings repay the cost within eight years. For example, Berlin recovered its investment in six years. Engineers expect that storage batteries will become cheaper, so more households will adopt solar power. The mayor of Vienna said the program would expand to 400 schools by 2030."""

PLAIN_TEXT = (
    "The river Thames flows through London and into the North Sea. It has been an important trade route "
    "for centuries. Today the river supports many species of fish because the water quality has improved. "
    "Boats carry tourists past famous landmarks such as the Tower of London. The river does not freeze in "
    "winter anymore."
)


def free_ports(n: int) -> List[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture
def rich_text() -> str:
    return RICH_TEXT


@pytest.fixture
def plain_text() -> str:
    return PLAIN_TEXT
