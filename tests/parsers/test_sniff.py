"""Every sample is picked by its own parser from content alone, and rejected by the others.

Binary samples (journal files, stored gzipped) are picked by their magic bytes, as the loader
does: on the first decompressed bytes, before any sniffing.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from conntrack_forensics.inputs.source import HEAD_BYTES
from conntrack_forensics.parsers import Head, parsers, pick, pick_binary
from tests.conftest import DATA

SAMPLES = sorted(p for p in DATA.rglob("*")
                 if p.is_file() and p.parent.name in parsers() and p.name != "README.md")
NAMELESS_OK = {"bash_history", "syslog"}  # host_config's hostname file needs its name
#: Samples only their file name identifies (one number in /proc/sys/...): paths under DATA.
NAME_NEEDED = {"sysctl/nf_conntrack_max", "sysctl/ip_conntrack_count", "uptime/uptime",
               "conntrack_stats/conntrack_-C", "uname/uname_-r"}


def _content(path: Path) -> bytes:
    """A sample's bytes; a gzipped one's first decompressed bytes, as the loader reads them."""
    data = path.read_bytes()
    if data.startswith(b"\x1f\x8b"):
        with gzip.open(path) as fh:
            return fh.read(HEAD_BYTES)
    return data


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_picks_its_parser(path: Path) -> None:
    data = _content(path)
    binary = pick_binary(data)
    if binary is not None or parsers()[path.parent.name].MAGIC is not None:
        assert binary is not None and binary.NAME == path.parent.name
        return
    head = Head.from_bytes(path.name, data)
    parser, score = pick(head)
    assert parser is not None and parser.NAME == path.parent.name, score


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_picked_without_its_file_name(path: Path) -> None:
    if path.relative_to(DATA).as_posix() in NAME_NEEDED:
        pytest.skip("only the file name tells what this number is")
    data = _content(path)
    binary = pick_binary(data)
    if binary is not None:
        assert binary.NAME == path.parent.name
        return
    head = Head.from_bytes("evidence.txt", data)
    parser, _ = pick(head)
    assert parser is not None and parser.NAME == path.parent.name


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_other_parsers_reject_sample(path: Path) -> None:
    data = _content(path)
    head = Head.from_bytes(path.name, data)
    for name, parser in parsers().items():
        if name != path.parent.name:
            assert parser.sniff(head) < 0.5, name
            assert not (parser.MAGIC and data.startswith(parser.MAGIC)), name


@pytest.mark.parametrize("text", [
    "# README\n\nThis directory holds the logs of the web server.\n",
    '{"a": 1, "b": [1, 2, 3]}\n',
    "hello world\nthis is not a log\n",
])
def test_prose_is_not_picked(text: str) -> None:
    parser, _ = pick(Head.from_bytes("notes", text.encode()))
    assert parser is None
    assert pick_binary(text.encode()) is None
