"""modprobe.d configuration: what each conntrack line does, as kmod does it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conntrack_forensics.parsers import Head, parsers, pick
from tests.conftest import DATA
from tests.parsers.helpers import run_parser

SAMPLE = DATA / "modprobe_conf" / "conntrack.conf"


def test_the_sample_is_one_configuration_event() -> None:
    raw, ctx = run_parser("modprobe_conf", SAMPLE)
    # six directives (the bonding options continued over two lines count once), no garbage
    assert (ctx.records, ctx.skipped) == (6, 0)
    (row,) = raw.to_dict("records")
    assert (row["kind"], row["program"], row["line"]) == ("snapshot", "modprobe.d", 3)
    assert row["conntrack_max"] is None and row["conntrack_buckets"] is None  # not state
    assert row["capture"] == "at"  # no time of its own
    assert row["evidence"].splitlines() == [
        "options nf_conntrack hashsize=262144", "install iptable_nat /bin/true",
        "install ip6table_nat /bin/true", "blacklist nf_conntrack_ftp"]
    message = row["message"]
    assert "sets hashsize 262144 when nf_conntrack loads" in message
    assert "runs /bin/true instead of loading iptable_nat (blocked" in message
    assert "nf_conntrack_ftp's aliases is refused; by name or as a dependency it still loads" \
        in message
    assert "bonding" not in message and "net-pf-10" not in message


def test_an_install_command_that_loads_something_is_not_a_block(tmp_path: Path) -> None:
    path = tmp_path / "nf.conf"
    path.write_text("install nf_conntrack /usr/bin/logger -t modprobe nf_conntrack; "
                    "/sbin/modprobe --ignore-install nf_conntrack $CMDLINE_OPTS\n")
    raw, _ = run_parser("modprobe_conf", path)
    (row,) = raw.to_dict("records")
    assert "runs this command instead of loading nf_conntrack directly" in row["message"]
    assert "blocked" not in row["message"]


def test_dashes_and_continuations(tmp_path: Path) -> None:
    path = tmp_path / "ct.conf"
    path.write_text("# comment\noptions nf-conntrack \\\n    hashsize=131072 \\\n    acct=1\n")
    raw, ctx = run_parser("modprobe_conf", path)
    assert (ctx.records, ctx.skipped) == (1, 0)
    (row,) = raw.to_dict("records")
    assert row["line"] == 2
    assert row["message"] == ("modprobe configuration: options nf_conntrack hashsize=131072 "
                              "acct=1: sets hashsize 131072 when nf_conntrack loads")


def test_a_file_without_conntrack_lines_gives_no_event(tmp_path: Path) -> None:
    path = tmp_path / "blacklist.conf"
    path.write_text("blacklist pcspkr\nblacklist snd_pcsp\noptions snd-hda-intel power_save=1\n")
    raw, ctx = run_parser("modprobe_conf", path)
    assert raw.empty and (ctx.records, ctx.skipped) == (3, 0)


def test_lines_that_are_not_directives_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "ct.conf"
    path.write_text("options nf_conntrack hashsize=262144\nhashsize=262144\n")
    raw, ctx = run_parser("modprobe_conf", path)
    assert len(raw) == 1 and (ctx.records, ctx.skipped) == (2, 1)
    assert [(r.line, r.message) for r in ctx.diag.rows] == [(2, "not a modprobe.d line")]


@pytest.mark.parametrize("text", [
    "nameserver 10.0.0.2\noptions ndots:5 timeout:1\n",  # resolv.conf
    "net.netfilter.nf_conntrack_max = 262144\n",  # sysctl.d
    "Apr 27 00:03:27 bogon kernel: nf_conntrack: table full, dropping packet.\n",
])
def test_other_files_are_not_modprobe_configuration(text: str) -> None:
    assert parsers()["modprobe_conf"].sniff(Head.from_bytes("x.conf", text.encode())) < 0.5


def test_picked_by_content() -> None:
    parser, _ = pick(Head.from_bytes("evidence.txt", b"install nf_conntrack /bin/false\n"))
    assert parser is not None and parser.NAME == "modprobe_conf"
