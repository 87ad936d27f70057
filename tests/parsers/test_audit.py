from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.parsers import Head, ParseContext, parsers
from conntrack_forensics.parsers.audit import WINDOW
from tests.conftest import DATA
from tests.parsers.helpers import run_parser

SAMPLE = DATA / "audit" / "audit.log"
AUSEARCH = DATA / "audit" / "ausearch.txt"


def _parse(tmp_path: Path, text: str) -> tuple[pd.DataFrame, ParseContext]:
    p = tmp_path / "audit.log"
    p.write_text(text, encoding="utf-8")
    raw, ctx = run_parser("audit", p)
    if len(raw):
        raw = raw.sort_values("line", kind="mergesort").reset_index(drop=True)
    return raw, ctx


def _hex(text: str) -> str:
    return text.encode().hex().upper()


def test_raw_log() -> None:
    raw, ctx = run_parser("audit", SAMPLE)
    assert (ctx.records, ctx.skipped, len(raw)) == (59, 0, 19)
    assert not ctx.diag.rows
    raw = raw.sort_values("line").reset_index(drop=True)
    # the PAM records that tie a name to an id (sshd's session, sudo's check of alice) are
    # login events: the correlator names uid=1000 by them
    assert raw["kind"].value_counts().to_dict() == {
        "message": 8, "command": 5, "module_load": 4, "login": 2}
    logins = raw.loc[raw["kind"] == "login", "message"].tolist()
    assert logins == ["audit USER_START: root(uid=0) by sshd",
                      "audit USER_ACCT: alice(uid=1000) by sudo"]
    row = raw.loc[raw["line"] == 14].iloc[0]
    lines = SAMPLE.read_text().splitlines()
    expected = {
        "line": 14, "program": "iptables", "pid": 2811, "user": "root",
        "message": "iptables -t nat -L", "kind": "command", "count": 1,
        "command": "iptables -t nat -L", "iso": "2017-04-26T16:03:21.123Z",
    }
    assert {k: row[k] for k in expected} == expected
    # exact to the millisecond: the stamp's digits, not a float epoch
    for col in ("host", "module", "conntrack_max", "conntrack_buckets", "epoch", "not_before",
                "not_after"):
        assert pd.isna(row[col]), col
    assert (row["mon"], row["day"], row["sod"]) == (0, 0, 0.0)
    # the group's records, EOE aside, are the evidence
    assert row["evidence"] == "\n".join(ln.strip() for ln in lines[13:19])
    assert row["evidence"].startswith("type=SYSCALL msg=audit(1493222601.123:4567)")


def test_raw_log_logins_and_sudo() -> None:
    raw, _ = run_parser("audit", SAMPLE)
    raw = raw.sort_values("line").reset_index(drop=True)
    first = raw.iloc[0]
    assert first["kind"] == "message" and first["program"] == "sshd"
    assert first["message"].startswith("USER_AUTH op=PAM:authentication acct=root ")
    assert "ses=" not in first["message"]  # unset session ids are left out
    assert pd.isna(first["evidence"])  # plain messages carry no evidence column
    login = raw.loc[raw["message"].str.startswith("USER_LOGIN") & (raw["user"] == "root")]
    assert len(login) == 1 and "hostname=10.0.0.5" in login["message"].iloc[0]
    sudo = raw.loc[raw["program"] == "sudo"]
    cmd = sudo.loc[sudo["kind"] == "command"].iloc[0]
    assert cmd["message"] == "sudo /sbin/sysctl net.netfilter.nf_conntrack_count"
    assert cmd["command"] == "/sbin/sysctl net.netfilter.nf_conntrack_count"
    assert (cmd["user"], cmd["pid"]) == ("uid=1000", 2950)
    # the command sudo ran: login user alice (uid 1000) kept by auid though it ran as root
    child = raw.loc[(raw["kind"] == "command") & (raw["program"] == "sysctl")].iloc[0]
    assert child["user"] == "uid=1000"
    # its parent is the sudo of the USER_CMD record: noted in the command column
    assert child["message"] == "/sbin/sysctl net.netfilter.nf_conntrack_count"
    assert child["command"] == "sudo /sbin/sysctl net.netfilter.nf_conntrack_count"
    root_cmds = raw.loc[(raw["kind"] == "command") & (raw["user"] == "root")]
    assert (root_cmds["command"] == root_cmds["message"]).all()


def test_module_loads_and_kernel_request() -> None:
    raw, _ = run_parser("audit", SAMPLE)
    loads = raw.loc[raw["kind"] == "module_load"].sort_values("line")
    assert loads["module"].tolist() == ["iptable_nat", "nf_conntrack", "nf_nat", "iptable_nat"]
    request = loads.iloc[0]
    # the kernel's modprobe (module autoload) is not a user's command
    assert request["message"] == \
        "kernel requested module iptable_nat (/sbin/modprobe -q -- iptable_nat)"
    loaded = loads.iloc[1]
    assert loaded["message"] == "kernel module nf_conntrack loaded (finit_module by modprobe)"
    assert (loaded["program"], loaded["user"]) == ("modprobe", "root")
    assert "type=KERN_MODULE" in loaded["evidence"]
    assert not (raw["message"].str.contains("modprobe") & (raw["kind"] == "command")).any()


def test_ausearch_interpreted() -> None:
    raw, ctx = run_parser("audit", AUSEARCH)
    assert (ctx.records, ctx.skipped, len(raw)) == (15, 0, 5)
    assert not ctx.diag.rows
    assert raw["epoch"].isna().all()
    assert raw["iso"].tolist() == [
        "2017-04-27T00:02:10.489", "2017-04-27T00:03:21.123", "2017-04-27T00:03:21.152",
        "2017-04-27T00:04:02.318", "2017-04-27T00:06:10.512"]
    row = raw.iloc[1]
    assert (row["message"], row["program"], row["pid"], row["user"], row["line"]) == (
        "iptables -t nat -L", "iptables", 2811, "root", 4)
    assert raw.iloc[2]["module"] == "nf_conntrack" and raw.iloc[2]["user"] == "root"
    assert raw.iloc[3]["message"] == "grep 'table full' /var/log/messages"
    sudo = raw.iloc[4]
    assert (sudo["kind"], sudo["program"], sudo["user"], sudo["command"]) == (
        "command", "sudo", "alice", "/sbin/sysctl net.netfilter.nf_conntrack_count")


def test_hex_arguments(tmp_path: Path) -> None:
    text = (
        'type=SYSCALL msg=audit(1493222601.123:4567): arch=c000003e syscall=59 success=yes '
        'exit=0 ppid=2794 pid=2811 auid=0 uid=0 ses=1 comm="iptables" exe="/sbin/iptables" '
        'key=(null)\n'
        'type=EXECVE msg=audit(1493222601.123:4567): argc=3 a0="iptables" a1=2D74206E6174 '
        'a2="-L"\n'
        'type=EOE msg=audit(1493222601.123:4567): \n'
        "type=USER_CMD msg=audit(1493222602.000:4568): pid=2950 uid=1000 auid=1000 ses=3 "
        "msg='cwd=\"/root\" cmd=69707461626C6573202D74206E6174202D4C terminal=pts/0 "
        "res=success'\n"
    )
    raw, ctx = _parse(tmp_path, text)
    assert (ctx.records, ctx.skipped, len(raw)) == (4, 0, 2)
    assert raw.iloc[0]["message"] == "iptables '-t nat' -L"  # a1 decoded, quoted
    assert raw.iloc[1]["message"] == "sudo iptables -t nat -L"
    assert raw.iloc[1]["command"] == "iptables -t nat -L"


def test_split_argument_and_proctitle(tmp_path: Path) -> None:
    long_arg = "x" * 30 + " é " + "y" * 30
    data = long_arg.encode().hex().upper()
    cut = data.index("C3") + 2  # split inside the two bytes of "é"
    title = _hex("ls\x00-l\x00my dir")
    text = (
        f"type=SYSCALL msg=audit(1493222601.000:10): arch=c000003e syscall=59 success=yes "
        f"exit=0 ppid=1 pid=5 auid=0 uid=0 comm=\"echo\" exe=\"/bin/echo\" key=(null)\n"
        f"type=EXECVE msg=audit(1493222601.000:10): argc=3 a0=\"echo\" a1_len={len(long_arg)} "
        f"a1[0]={data[:cut]}\n"
        f"type=EXECVE msg=audit(1493222601.000:10): a1[1]={data[cut:]} a2=\"end\"\n"
        f"type=EOE msg=audit(1493222601.000:10): \n"
        # no EXECVE record: the command line comes from PROCTITLE
        f"type=SYSCALL msg=audit(1493222602.000:11): arch=c000003e syscall=59 success=yes "
        f"exit=0 ppid=1 pid=6 auid=1000 uid=1000 comm=\"ls\" exe=\"/bin/ls\" key=(null)\n"
        f"type=PROCTITLE msg=audit(1493222602.000:11): proctitle={title}\n"
        f"type=EOE msg=audit(1493222602.000:11): \n"
    )
    raw, _ = _parse(tmp_path, text)
    assert raw["message"].tolist() == [f"echo '{long_arg}' end", "ls -l 'my dir'"]
    assert raw["user"].tolist() == ["root", "uid=1000"]


def test_interleaved_serials(tmp_path: Path) -> None:
    def rec(t: str, serial: int, body: str) -> str:
        return f"type={t} msg=audit(1493222601.{serial:03d}:{serial}): {body}"

    lines = [
        rec("SYSCALL", 1, 'arch=c000003e syscall=59 success=yes pid=100 auid=0 uid=0 comm="a"'),
        rec("SYSCALL", 2, 'arch=c000003e syscall=59 success=yes pid=200 auid=500 uid=500 '
                          'comm="b"'),
        rec("EXECVE", 2, 'argc=2 a0="b" a1="two"'),
        rec("USER_LOGIN", 3, "pid=300 uid=0 auid=0 msg='op=login id=0 res=success'"),
        rec("EXECVE", 1, 'argc=2 a0="a" a1="one"'),
        rec("CWD", 2, 'cwd="/"'),
        rec("EOE", 2, ""),
        rec("PROCTITLE", 1, "proctitle=61006F6E65"),
        rec("EOE", 1, ""),
    ]
    raw, ctx = _parse(tmp_path, "\n".join(lines) + "\n")
    assert ctx.records == 9 and len(raw) == 3
    assert raw[["line", "message", "pid", "user"]].values.tolist() == [
        [1, "a one", 100, "root"], [2, "b two", 200, "uid=500"],
        [4, "USER_LOGIN op=login id=0 res=success", 300, "root"]]
    assert raw.iloc[0]["evidence"].count("\n") == 2  # SYSCALL, EXECVE, PROCTITLE


def test_group_without_eoe_ends_after_window(tmp_path: Path) -> None:
    user = "type=USER_LOGIN msg=audit(1493222601.000:1): pid=1 uid=0 auid=0 msg='op=login'"
    filler = [f"type=DAEMON_START msg=audit(1493222602.000:{n}): op=start res=success"
              for n in range(100, 100 + WINDOW + 1)]
    raw, _ = _parse(tmp_path, "\n".join([user, *filler, user]) + "\n")
    # the late record of serial 1 comes after the group was ended: a second event
    assert (raw["line"] == 1).sum() == 1 and (raw["line"] == WINDOW + 3).sum() == 1
    assert len(raw) == WINDOW + 3


def test_module_load_variants(tmp_path: Path) -> None:
    text = "\n".join([
        # init_module (x86_64 175) without KERN_MODULE: a load, name unknown
        'type=SYSCALL msg=audit(1493222601.000:1): arch=c000003e syscall=175 success=yes '
        'exit=0 pid=10 auid=0 uid=0 comm="insmod" exe="/usr/bin/kmod" key="modules"',
        "type=EOE msg=audit(1493222601.000:1): ",
        # failed load
        'type=SYSCALL msg=audit(1493222602.000:2): arch=c000003e syscall=313 success=no '
        'exit=-17 pid=11 auid=0 uid=0 comm="modprobe" exe="/usr/bin/kmod" key="modules"',
        'type=KERN_MODULE msg=audit(1493222602.000:2): name="nf_conntrack"',
        "type=EOE msg=audit(1493222602.000:2): ",
        # a newer kernel's standalone KERN_MODULE, with a node name
        'node=web1 type=KERN_MODULE msg=audit(1493222603.000:3): name="nf-conntrack"',
        # ausearch -i: the syscall named
        "type=SYSCALL msg=audit(04/27/2017 00:03:21.152:4) : arch=x86_64 "
        "syscall=finit_module success=yes exit=0 pid=12 auid=unset uid=root comm=modprobe ",
        "type=KERN_MODULE msg=audit(04/27/2017 00:03:21.152:4) : name=nf_nat ",
        # auditd 3 ENRICHED: names after a group separator
        'type=SYSCALL msg=audit(1493222605.000:5): arch=c000003e syscall=313 success=yes '
        'exit=0 pid=13 auid=1000 uid=0 comm="modprobe" key=(null)\x1dARCH=x86_64 '
        'SYSCALL=finit_module AUID="alice" UID="root"',
        'type=KERN_MODULE msg=audit(1493222605.000:5): name="xt_conntrack"',
        "type=EOE msg=audit(1493222605.000:5): ",
    ]) + "\n"
    raw, ctx = _parse(tmp_path, text)
    assert ctx.skipped == 0
    assert raw["kind"].tolist() == [
        "module_load", "message", "module_load", "module_load", "module_load"]
    assert raw.iloc[0]["message"] == "kernel module loaded, name not logged (init_module by insmod)"
    assert pd.isna(raw.iloc[0]["module"])
    assert raw.iloc[1]["message"] == \
        "kernel module nf_conntrack failed to load (finit_module by modprobe, exit=-17)"
    assert (raw.iloc[2]["module"], raw.iloc[2]["host"]) == ("nf_conntrack", "web1")
    assert raw.iloc[3]["module"] == "nf_nat" and raw.iloc[3]["user"] == "root"
    assert raw.iloc[4]["module"] == "xt_conntrack" and raw.iloc[4]["user"] == "alice"


def test_special_records(tmp_path: Path) -> None:
    text = "\n".join([
        "type=SYSTEM_BOOT msg=audit(1493222000.100:7): pid=600 uid=0 auid=4294967295 "
        "ses=4294967295 msg=' comm=\"systemd-update-utmp\" exe=\"/usr/lib/systemd/"
        "systemd-update-utmp\" hostname=? addr=? terminal=? res=success'",
        "type=USER_CMD msg=audit(1493222601.000:8): pid=2950 uid=1000 auid=1000 ses=3 "
        f"msg='cwd=\"/root\" cmd={_hex('iptables -F')} terminal=pts/0 res=failed'",
        # a kernel usermode helper that is not modprobe
        'type=SYSCALL msg=audit(1493222602.000:9): arch=c000003e syscall=59 success=yes '
        'exit=0 ppid=2 pid=900 auid=4294967295 uid=0 comm="hotplug" key=(null)',
        'type=EXECVE msg=audit(1493222602.000:9): argc=1 a0="/sbin/hotplug"',
        "type=EOE msg=audit(1493222602.000:9): ",
        # a watched file opened: a plain message with the system call and process title
        'type=SYSCALL msg=audit(1493222603.000:10): arch=c000003e syscall=2 success=yes '
        'exit=3 pid=901 auid=0 uid=0 comm="vi" exe="/usr/bin/vi" key="iptables-config"',
        "type=PROCTITLE msg=audit(1493222603.000:10): proctitle=7669002F6574632F73797363"
        "6F6E6669672F6970746162",
        "type=EOE msg=audit(1493222603.000:10): ",
    ]) + "\n"
    raw, _ = _parse(tmp_path, text)
    assert raw["kind"].tolist() == ["boot", "message", "message", "message"]
    assert raw.iloc[0]["message"].startswith("SYSTEM_BOOT comm=systemd-update-utmp")
    assert raw.iloc[1]["message"] == 'USER_CMD ses=3 terminal=pts/0 res=failed cmd="iptables -F"'
    assert raw.iloc[2]["message"] == "kernel usermode helper: /sbin/hotplug"
    assert raw.iloc[3]["message"] == (
        "SYSCALL syscall=2 success=yes exit=3 comm=vi exe=/usr/bin/vi key=iptables-config "
        "proctitle=vi /etc/sysconfig/iptab")


def test_malformed_lines_are_counted(tmp_path: Path) -> None:
    good = SAMPLE.read_text().splitlines()[:8]
    text = "\n".join([
        *good[:3],
        "garbage that is not an audit record",
        "type=SYSCALL msg=audit(not a time:12): arch=c000003e",
        "type=EXECVE msg=audit(13/45/2017 00:00:00.000:13) : argc=1 a0=x",
        "",
        *good[3:],
        "time->Thu Apr 27 00:03:21 2017",  # plain ausearch notes are not records
        "----",
        "<no matches>",
    ]) + "\n"
    raw, ctx = _parse(tmp_path, text)
    assert (ctx.records, ctx.skipped) == (11, 3)
    assert len(raw) == 7
    folded = {(r.message, r.line, r.count) for r in ctx.diag.rows}
    assert folded == {
        ("line is not an audit record", 4, 1),
        ("audit record without a valid msg=audit(time:serial) stamp", 5, 2),
    }


def test_sniff_scores() -> None:
    audit = parsers()["audit"]
    assert audit.sniff(Head.from_bytes("audit.log", SAMPLE.read_bytes())) == 0.95
    assert audit.sniff(Head.from_bytes("x", AUSEARCH.read_bytes())) == 0.95
    syslog_line = (b"Apr 27 00:03:21 bogon audispd: node=bogon type=EXECVE "
                   b"msg=audit(1493222601.123:4567): argc=2 a0=\"iptables\" a1=\"-L\"\n")
    assert audit.sniff(Head.from_bytes("messages", syslog_line)) == 0.0
    assert audit.sniff(Head.from_bytes("x", b"type=foo\nhello\n")) == 0.0


_CHARS = st.characters(codec="utf-8", exclude_characters="\n\r")
_VALID = st.builds(
    lambda t, sec, ms, serial, body: f"type={t} msg=audit({sec}.{ms:03d}:{serial}): {body}",
    st.sampled_from(["SYSCALL", "EXECVE", "PROCTITLE", "USER_CMD", "KERN_MODULE", "EOE",
                     "CWD", "PATH", "USER_LOGIN"]),
    st.integers(10**9, 2 * 10**9), st.integers(0, 999), st.integers(1, 30),
    st.text(_CHARS, max_size=60) | st.sampled_from([
        'argc=2 a0="x" a1=41', "a1[0]=4 a1_len=x argc=zz", "proctitle=ZZ", "syscall=175",
        "name=", "cmd=4 res=failed msg='", 'arch=40000003 syscall=11 auid=-1 ppid=2']),
)
_INTERPRETED = st.builds(
    lambda serial, body: f"type=EXECVE msg=audit(04/27/2017 00:03:21.123:{serial}) : {body}",
    st.integers(1, 30), st.text(_CHARS, max_size=60),
)
_GARBAGE = st.text(_CHARS, min_size=1, max_size=40).map(
    lambda s: "x " + s)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_VALID, _INTERPRETED, _GARBAGE), max_size=40))
def test_property_records(tmp_path: Path, lines: list[str]) -> None:
    raw, ctx = _parse(tmp_path, "\n".join(lines) + "\n")
    garbage = sum(1 for ln in lines if ln.startswith("x "))
    assert ctx.skipped == garbage
    assert ctx.records - ctx.skipped == len(lines) - garbage
    assert len(raw) <= ctx.records - ctx.skipped


def test_end_to_end_trigger(tmp_path: Path) -> None:
    (tmp_path / "messages").write_text(
        "Apr 27 00:03:21 bogon kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)\n"
        "Apr 27 00:03:27 bogon kernel: nf_conntrack: table full, dropping packet.\n"
    )
    shutil.copy(SAMPLE, tmp_path / "audit.log")
    analysis = cf.analyze([tmp_path], tz="+08:00", year=2017, full=True)
    audit = analysis.events.loc[analysis.events["format"] == "audit"]
    assert len(audit) == 19 and (audit["host"] == "bogon").all()
    (incident,) = analysis.incidents
    trigger = incident.trigger
    assert trigger is not None
    assert (trigger.command, trigger.user) == ("iptables -t nat -L", "root")
    assert trigger.time == pd.Timestamp("2017-04-26T16:03:21.123Z")
    assert trigger.source.endswith("audit.log:14")
