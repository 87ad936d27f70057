from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.parsers import Head, ParseContext, parsers, pick
from tests.conftest import DATA
from tests.parsers.helpers import run_parser


def _value(row: pd.Series, column: str) -> object:
    value = row[column]
    return None if pd.isna(value) else value


# file, records, line, module, conntrack_loaded, message
EXPECTED = [
    ("nft_list_ruleset", 89, 42, "nf_nat", True,
     "nft ruleset: tables ip filter, ip nat, inet firewalld; 3 nat chains; 13 rules need "
     "conntrack (ct status, ct state, masquerade, xt target MASQUERADE, dnat)"),
    ("nft_-a_list_ruleset", 33, 13, "nf_conntrack", True,
     'nft ruleset: tables inet filter, inet raw; 1 rule needs conntrack (ct state); notrack for '
     'iifname "eth0" tcp dport { 80, 443 }, oifname "eth0" tcp sport { 80, 443 }'),
]


@pytest.mark.parametrize(("name", "records", "line", "module", "loaded", "message"), EXPECTED,
                         ids=[e[0] for e in EXPECTED])
def test_sample(name: str, records: int, line: int, module: str | None, loaded: bool | None,
                message: str) -> None:
    raw, ctx = run_parser("nft", DATA / "nft" / name)
    assert (ctx.records, ctx.skipped, len(raw)) == (records, 0, 1)
    assert not ctx.diag.rows
    row = raw.iloc[0]
    assert row["message"] == message
    assert row["program"] == "nft"
    assert row["kind"] == "snapshot"
    assert _value(row, "module") == module
    assert _value(row, "conntrack_loaded") == loaded
    assert _value(row, "iso") is None and row["capture"] == "at"  # the `date` beside it
    assert row["line"] == line


def test_all_samples_expected() -> None:
    assert {p.name for p in (DATA / "nft").iterdir()} == {e[0] for e in EXPECTED}


def test_evidence_names_table_and_chain() -> None:
    raw, _ = run_parser("nft", DATA / "nft" / "nft_-a_list_ruleset")
    assert raw.iloc[0]["evidence"].split("\n") == [
        "table inet filter {",
        "inet filter input: ct state vmap { invalid : drop, established : accept, related : "
        "accept }",
        "table inet raw {",
        'inet raw prerouting: iifname "eth0" tcp dport { 80, 443 } notrack',
        'inet raw output: oifname "eth0" tcp sport { 80, 443 } notrack',
    ]


def test_evidence_keeps_a_few_of_each_kind() -> None:
    raw, _ = run_parser("nft", DATA / "nft" / "nft_list_ruleset")
    evidence = raw.iloc[0]["evidence"].split("\n")
    assert "ip nat POSTROUTING: type nat hook postrouting priority srcnat; policy accept;" in \
        evidence
    assert sum(": ct state" in e for e in evidence) <= 3


def _run(tmp_path: Path, text: str, name: str = "ruleset") -> tuple[pd.DataFrame, ParseContext]:
    p = tmp_path / name
    p.write_text(text)
    return run_parser("nft", p)


def test_stateless_ruleset_tells_nothing(tmp_path: Path) -> None:
    raw, ctx = _run(tmp_path, (
        "table inet filter {\n\tchain input {\n"
        "\t\ttype filter hook input priority 0; policy accept;\n"
        "\t\ticmp type { echo-request, redirect } accept\n"
        "\t\ticmp type redirect drop\n"
        '\t\ttcp dport 22 accept comment "masquerade dnat to ct state"\n'
        "\t}\n}\n"
    ))
    row = raw.iloc[0]
    assert row["message"] == "nft ruleset: table inet filter; no rules need conntrack"
    assert pd.isna(row["conntrack_loaded"]) and pd.isna(row["module"])


def test_nat_chain_alone_means_loaded(tmp_path: Path) -> None:
    raw, ctx = _run(tmp_path, (
        "table ip nat {\n\tchain postrouting {\n"
        "\t\ttype nat hook postrouting priority 100; policy accept;\n\t}\n}\n"
    ))
    row = raw.iloc[0]
    assert row["message"] == "nft ruleset: table ip nat; 1 nat chain; no rules need conntrack"
    assert bool(row["conntrack_loaded"]) and row["module"] == "nf_nat" and row["line"] == 3


def test_ct_status_dnat_is_not_a_nat_statement(tmp_path: Path) -> None:
    raw, _ = _run(tmp_path, (
        "table ip filter {\n\tchain forward {\n"
        "\t\ttype filter hook forward priority filter; policy drop;\n"
        "\t\tct status dnat accept\n\t}\n}\n"
    ))
    row = raw.iloc[0]
    assert row["message"] == "nft ruleset: table ip filter; 1 rule needs conntrack (ct status)"
    assert row["module"] == "nf_conntrack"


def test_rule_over_several_lines_is_one_rule(tmp_path: Path) -> None:
    raw, ctx = _run(tmp_path, (
        "table inet filter {\n\tchain input {\n"
        "\t\ttype filter hook input priority filter; policy drop;\n"
        "\t\tct state vmap {\n"
        "\t\t\testablished : accept,\n"
        "\t\t\trelated : accept,\n"
        "\t\t\tinvalid : drop }\n"
        "\t\tip daddr 10.0.0.1 dnat ip to 10.0.0.2\n"
        "\t}\n"
        "\tct helper ftp-standard {\n\t\ttype \"ftp\" protocol tcp\n\t\tl3proto ip\n\t}\n"
        "}\n"
    ))
    assert (ctx.records, ctx.skipped) == (14, 0)
    assert not ctx.diag.rows
    row = raw.iloc[0]
    assert row["message"] == ("nft ruleset: table inet filter; 2 rules need conntrack "
                              "(ct state, dnat)")
    assert "inet filter: ct helper ftp-standard {" in row["evidence"]


def test_rules_file_is_configuration(tmp_path: Path) -> None:
    raw, ctx = _run(tmp_path, (
        "#!/usr/sbin/nft -f\n\nflush ruleset\n\n"
        "table ip nat {\n\tchain postrouting {\n"
        "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
        '\t\toifname "eth0" masquerade\n\t}\n}\n'
    ), name="nftables.conf")
    assert ctx.skipped == 0
    row = raw.iloc[0]
    assert row["message"] == ("nft rules file (configuration, not the loaded state): table ip "
                              "nat; 1 nat chain; 1 rule needs conntrack (masquerade)")
    assert pd.isna(row["conntrack_loaded"])


def test_malformed_lines_are_skipped(tmp_path: Path) -> None:
    raw, ctx = _run(tmp_path, (
        "}\n"  # 1: closes nothing
        "table ip nat {\n"
        "\tgarbage here\n"  # 3: not a block in a table
        "\tchain postrouting {\n"
        "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
        "\t\tChain INPUT (policy ACCEPT)\n"  # 6: not an nft rule
        "\t\tmasquerade\n"
        "\t\tmeta l4proto tcp }\n"  # 8: closes more than it opens
        "\t}\n"
        "}\n"
        "Chain OUTPUT (policy ACCEPT)\n"  # 11: outside a table
        "table inet filter {\n"
        "\tchain input {\n"  # never closed
    ))
    assert (ctx.records, ctx.skipped, len(raw)) == (13, 5, 1)
    assert {(d.line, d.message) for d in ctx.diag.rows} == {
        (1, "closing brace outside any block"),
        (3, "not a chain, set, map or object in a table"),
        (6, "not an nft rule"),
        (8, "unbalanced closing brace"),
        (11, "not inside a table (nft list ruleset starts each block with 'table')"),
        (12, "2 block(s) not closed at the end of the file (cut listing?), the outermost "
             "opened here"),
    }
    assert raw.iloc[0]["message"] == ("nft ruleset: tables ip nat, inet filter; 1 nat chain; "
                                      "1 rule needs conntrack (masquerade)")


def test_sniff() -> None:
    nft = parsers()["nft"]
    ruleset = (DATA / "nft" / "nft_list_ruleset").read_bytes()
    assert pick(Head.from_bytes("evidence.txt", ruleset))[0] is nft
    for text in (
        "nft add table inet filter\nnft list ruleset\nsudo nft -f /etc/nftables.conf\n",
        "# table ip nat {\n",
        "Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\n",
        "chain input {\n\tct state established accept\n}\n",
    ):
        assert nft.sniff(Head.from_bytes("evidence.txt", text.encode())) < 0.5, text


_VALID = [
    "table ip nat {", "table inet filter { # handle 1", "chain postrouting {", "set s {",
    "type nat hook postrouting priority srcnat; policy accept;", "ct state established accept",
    'oifname "eth0" masquerade', "dnat to 10.0.0.2", "tcp dport 80 notrack", "}", "{",
    "elements = { 1.2.3.4,", "5.6.7.8 }", "ct state vmap {", "# Warning: table ip nat is managed",
    'xt target "MASQUERADE"', "flush ruleset", "type ipv4_addr", "",
]
_LINE = st.one_of(
    st.sampled_from(_VALID),
    st.text(st.characters(codec="utf-8"), max_size=60),
).map(lambda s: s.replace("\n", " ").replace("\r", " "))


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_LINE, max_size=40))
def test_property_every_line_counted(tmp_path: Path, text_lines: list[str]) -> None:
    p = tmp_path / "nft_list_ruleset"
    p.write_text("\n".join(text_lines) + "\n", encoding="utf-8")
    raw, ctx = run_parser("nft", p)
    nonblank = sum(1 for ln in text_lines if ln.replace("\x00", "").strip())
    assert ctx.records == nonblank
    assert ctx.skipped <= ctx.records
    assert len(raw) <= 1
