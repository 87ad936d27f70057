from __future__ import annotations

from pathlib import Path

import pytest

from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.inputs import iter_sources
from conntrack_forensics.parsers import ParseContext, parsers
from conntrack_forensics.parsers.base import Hints
from tests.conftest import DATA


def _hints(path: Path) -> Hints:
    diag = Diagnostics()
    (source,) = list(iter_sources([path], diag))
    hints = Hints()
    ctx = ParseContext(source, diag, hints)
    assert list(parsers()["host_config"].parse(ctx)) == []
    assert ctx.skipped == 0
    return hints


@pytest.mark.parametrize(("name", "zone"), [
    ("clock", "Asia/Shanghai"), ("timezone", "Asia/Shanghai"), ("timedatectl", "Etc/UTC"),
])
def test_zone_hints(name: str, zone: str) -> None:
    (got,) = _hints(DATA / "host_config" / name).tz.values()
    assert got[0] == zone


def test_host_hint_is_short_name() -> None:
    (got,) = _hints(DATA / "host_config" / "network").host.values()
    assert got[0] == "bogon"


def test_hostname_file(tmp_path: Path) -> None:
    p = tmp_path / "hostname"
    p.write_text("web1.example.com\n")
    (got,) = _hints(p).host.values()
    assert got[0] == "web1"
