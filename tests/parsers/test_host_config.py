from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.inputs.walk import iter_sources
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


_LINE = st.one_of(
    st.builds(lambda k, v: f'{k}="{v}"', st.sampled_from(["ZONE", "HOSTNAME", "UTC", "ARC"]),
              st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=20)),
    st.sampled_from(["Asia/Shanghai", "UTC", "       Time zone: Europe/Berlin (CET, +0100)",
                     "# comment"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_LINE, max_size=12))
def test_every_line_is_read_without_error(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "clock"
    path.write_text("\n".join(lines) + "\n")
    diag = Diagnostics()
    (source,) = list(iter_sources([path], diag))
    ctx = ParseContext(source, diag, Hints())
    assert list(parsers()["host_config"].parse(ctx)) == []
    body = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    assert ctx.records == len(body) and ctx.skipped == 0
