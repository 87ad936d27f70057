"""Syslog lines with month names of another language, read when the user names it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.cli import main
from conntrack_forensics.parsers._months import ENGLISH, month_names, month_of

FR = ["févr.", "mars", "avril", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def _drops(months: list[str]) -> str:
    # a program logging with strftime("%b %e %T") under LANG=fr_FR.UTF-8 (glibc's abbreviations)
    return "".join(f"{m} 14 10:0{i % 10}:0{i % 10} gw kernel: nf_conntrack: table full, "
                   "dropping packet\n" for i, m in enumerate(months))


@pytest.mark.parametrize(("locale", "token", "month"), [
    ("fr", "févr.", 2), ("fr", "avril", 4), ("fr", "août", 8), ("fr", "déc.", 12),
    ("de_DE.UTF-8", "Mär", 3), ("de", "März", 3), ("de", "Okt", 10), ("es", "ene", 1),
    ("pt_BR", "fev.", 2), ("ru", "сент.", 9), ("fr", "Dec", 12),
])
def test_month_names(locale: str, token: str, month: int) -> None:
    assert month_of(token, month_names(locale)) == month


def test_ambiguous_or_foreign_tokens_name_no_month() -> None:
    fr = month_names("fr")
    assert month_of("jui", fr) is None  # juin or juillet
    assert month_of("März", fr) is None


@given(st.sampled_from(sorted(ENGLISH)))
def test_english_names_stay_readable_in_any_locale(name: str) -> None:
    for locale in ("fr", "de", "ja"):
        assert month_of(name.title(), month_names(locale)) == ENGLISH[name]


def test_unknown_locale_is_a_usage_error() -> None:
    with pytest.raises(cf.UsageError, match="unknown locale"):
        month_names("xx_YY")


def test_french_months_are_read_only_with_the_hint(tmp_path: Path) -> None:
    (tmp_path / "messages").write_text(_drops(FR))
    assert cf.load(tmp_path, year=2023).events.empty  # not syslog without the hint
    events = cf.load(tmp_path, year=2023, locale="fr").events
    drops = events.loc[events["kind"] == "conntrack_drop"]
    assert drops["time"].dt.month.tolist() == list(range(2, 13))
    assert drops["host"].unique().tolist() == ["gw"]


def test_the_cli_takes_a_locale(tmp_path: Path) -> None:
    (tmp_path / "messages").write_text(_drops(["févr."] * 3))
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["report", str(tmp_path / "messages"), "--year", "2023",
                                  "--locale", "fr_FR.UTF-8", "-o", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert "gw-20230214T100000Z" in r.output
    bad = CliRunner().invoke(main, ["report", str(tmp_path), "--locale", "klingon"])
    assert bad.exit_code == 2 and "unknown locale" in bad.output
