"""Every sample is picked by its own parser from content alone, and rejected by the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from conntrack_forensics.parsers import Head, parsers, pick
from tests.conftest import DATA

SAMPLES = sorted(p for p in DATA.rglob("*") if p.is_file() and p.parent.name in parsers())
NAMELESS_OK = {"bash_history", "syslog"}  # host_config's hostname file needs its name
#: Samples only their file name identifies (one number in /proc/sys/...): paths under DATA.
NAME_NEEDED = {"sysctl/nf_conntrack_max", "sysctl/ip_conntrack_count", "uptime/uptime"}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_picks_its_parser(path: Path) -> None:
    head = Head.from_bytes(path.name, path.read_bytes())
    parser, score = pick(head)
    assert parser is not None and parser.NAME == path.parent.name, score


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_picked_without_its_file_name(path: Path) -> None:
    if path.relative_to(DATA).as_posix() in NAME_NEEDED:
        pytest.skip("only the file name tells what this number is")
    head = Head.from_bytes("evidence.txt", path.read_bytes())
    parser, _ = pick(head)
    assert parser is not None and parser.NAME == path.parent.name


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_other_parsers_reject_sample(path: Path) -> None:
    head = Head.from_bytes(path.name, path.read_bytes())
    for name, parser in parsers().items():
        if name != path.parent.name:
            assert parser.sniff(head) < 0.5, name


@pytest.mark.parametrize("text", [
    "# README\n\nThis directory holds the logs of the web server.\n",
    '{"a": 1, "b": [1, 2, 3]}\n',
    "hello world\nthis is not a log\n",
])
def test_prose_is_not_picked(text: str) -> None:
    parser, _ = pick(Head.from_bytes("notes", text.encode()))
    assert parser is None
