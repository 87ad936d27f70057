"""Cause and recovery (outcome.py): each recovery kind from the evidence that shows it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import conntrack_forensics as cf
from conntrack_forensics.correlate.knowledge import match_recovery, recovery_rules
from tests.conftest import set_mtime

BANNER = "kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)"
DROP = "kernel: nf_conntrack: table full, dropping packet."
T0 = 1493222607  # 2017-04-27 00:03:27 +08:00, the first drop


def _case(tmp_path: Path, history: list[tuple[int, str]], after: list[str] = ()) -> cf.Analysis:
    lines = [f"Apr 26 21:00:00 bogon {BANNER}"]
    lines += [f"Apr 27 00:03:{s:02d} bogon {DROP}" for s in range(27, 41)]
    lines += list(after) or ["Apr 27 00:20:00 bogon crond[1188]: (root) CMD (run-parts "
                             "/etc/cron.hourly)"]
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/messages").write_text("".join(f"{x}\n" for x in lines))
    (tmp_path / "root").mkdir()
    (tmp_path / "root/.bash_history").write_text(
        "".join(f"#{T0 + dt}\n{cmd}\n" for dt, cmd in history))
    return cf.analyze(tmp_path, tz="+08:00")


@pytest.mark.parametrize(("command", "kind"), [
    ("sysctl -w net.netfilter.nf_conntrack_max=262144", "conntrack_max_raised"),
    ("echo 262144 > /proc/sys/net/netfilter/nf_conntrack_max", "conntrack_max_raised"),
    ("sysctl -w net.ipv4.netfilter.ip_conntrack_max=131072", "conntrack_max_raised"),
    ("modprobe -r iptable_nat", "module_unloaded"),
    ("rmmod nf_conntrack_ipv4 nf_conntrack", "module_unloaded"),
    ("iptables -t raw -I PREROUTING -p tcp --dport 80 -j NOTRACK", "rules_changed"),
    ("iptables -t raw -A PREROUTING -p tcp --dport 443 -j CT --notrack", "rules_changed"),
    ("service iptables stop", "rules_changed"),
    ("iptables-restore < /etc/sysconfig/iptables", "rules_changed"),
    # (iptables -F is none: see RECOVERIES in test_knowledge.py)
])
def test_recovery_kinds_from_commands(tmp_path: Path, command: str, kind: str) -> None:
    (inc,) = _case(tmp_path, [(14, command)]).incidents
    assert inc.recovery is not None
    assert (inc.recovery.kind, inc.recovery.evidence) == (kind, command)
    assert inc.recovery.time.timestamp() == T0 + 14
    assert inc.recovery.source.endswith("root/.bash_history:2")


def test_the_action_nearest_the_last_drop_wins(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [
        (2, "sysctl -w net.netfilter.nf_conntrack_max=65536"),     # no larger: not a fix
        (5, "modprobe -r iptable_nat"),                              # fails while in use
        (14, "sysctl -w net.netfilter.nf_conntrack_max=262144"),     # this one ends it
        (120, "iptables -t raw -I PREROUTING -p tcp --dport 80 -j CT --notrack"),
    ]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "conntrack_max_raised"
    assert inc.recovery.time.timestamp() == T0 + 14


def test_a_smaller_size_is_no_recovery(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [(14, "sysctl -w net.netfilter.nf_conntrack_max=32768")]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "drops_stopped"


def test_an_action_before_a_reboot_wins_only_with_evidence_after_it(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [(14, "sysctl -w net.netfilter.nf_conntrack_max=262144")], after=[
        "Apr 27 00:03:50 bogon kernel: Kernel logging (proc) stopped.",
    ]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "conntrack_max_raised"
    (inc,) = _case(tmp_path / "b", [(60, "rmmod nf_conntrack")], after=[
        "Apr 27 00:03:50 bogon kernel: Kernel logging (proc) stopped.",
        "Apr 27 00:05:00 bogon kernel: Linux version 2.6.32-696.el6.x86_64 (x@y) #1 SMP",
    ]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "reboot"


def test_logged_sysctl_raise_is_a_recovery(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [], after=[
        "Apr 27 00:03:42 bogon root: sysctl net.netfilter.nf_conntrack_max = 262144",
        "Apr 27 00:20:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)",
    ]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "conntrack_max_raised"
    assert inc.recovery.source.endswith("messages:16")


def test_recovery_rules_are_valid() -> None:
    rules = recovery_rules()
    assert len({r.id for r in rules}) == len(rules) and all(r.reason for r in rules)
    assert match_recovery("iptables -L") is None and match_recovery("sysctl -a") is None


# ----------------------------------------------------- sizes set, and reloads of sysctl files

def _reload(tmp_path: Path, command: str, files: dict[str, tuple[str, str]],
            after: list[str] = ()) -> cf.Analysis:
    """The drops, root running ``command`` 14 s after the first, and sysctl files
    ``{path: (text, modification time)}``."""
    for rel, (text, mtime) in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        set_mtime(path, mtime)
    return _case(tmp_path, [(14, command)], after)


def test_sysctl_w_carries_the_new_size(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [(14, "sysctl -w net.netfilter.nf_conntrack_max=262144")]).incidents
    rec = inc.recovery
    assert rec is not None and (rec.kind, rec.conntrack_max) == ("conntrack_max_raised", 262144)
    assert "262,144 is above the 65,536 in force when the table filled" in rec.reasons
    assert rec.to_dict()["conntrack_max"] == 262144


def test_a_reload_of_a_file_that_raises_the_size(tmp_path: Path) -> None:
    conf = "# raised after the outage\nnet.netfilter.nf_conntrack_max = 262144\n"
    (inc,) = _reload(tmp_path, "sysctl -p /etc/sysctl.d/90-conntrack.conf", {
        "etc/sysctl.d/90-conntrack.conf": (conf, "2017-04-26T16:03:35+00:00"),  # 8 s before
    }).incidents
    rec = inc.recovery
    assert rec is not None and rec.kind == "conntrack_max_raised"
    assert rec.conntrack_max == 262144 and rec.time.timestamp() == T0 + 14
    said = " | ".join(rec.reasons)
    assert "sets net.netfilter.nf_conntrack_max = 262144" in said
    assert "etc/sysctl.d/90-conntrack.conf)" in said
    assert "262,144 is above the 65,536 in force" in said
    assert "last modified at 2017-04-26T16:03:35Z, before the command" in said


def test_sysctl_p_alone_reads_etc_sysctl_conf(tmp_path: Path) -> None:
    conf = "net.ipv4.ip_forward = 0\nnet.netfilter.nf_conntrack_max = 131072\n"
    (inc,) = _reload(tmp_path, "sysctl -p", {
        "etc/sysctl.conf": (conf, "2017-04-26T15:00:00+00:00"),
        "etc/sysctl.d/90-other.conf": ("net.netfilter.nf_conntrack_max = 999999\n",
                                       "2017-04-26T15:00:00+00:00"),  # not read by -p
    }).incidents
    rec = inc.recovery
    assert rec is not None and (rec.kind, rec.conntrack_max) == ("conntrack_max_raised", 131072)


def test_a_reload_of_a_file_not_in_the_evidence_raises_nothing(tmp_path: Path) -> None:
    (inc,) = _reload(tmp_path, "sysctl -p /etc/sysctl.d/90-conntrack.conf", {}).incidents
    rec = inc.recovery
    assert rec is not None and rec.kind == "drops_stopped" and rec.conntrack_max is None
    assert any("no file it read is in the evidence" in r and "not counted as raising" in r
               for r in rec.reasons), rec.reasons


def test_a_reload_of_a_file_that_sets_no_larger_size_raises_nothing(tmp_path: Path) -> None:
    (inc,) = _reload(tmp_path, "sysctl -p /etc/sysctl.d/90-conntrack.conf", {
        "etc/sysctl.d/90-conntrack.conf": ("net.netfilter.nf_conntrack_max = 65536\n"
                                           "net.netfilter.nf_conntrack_tcp_timeout_established"
                                           " = 86400\n", "2017-04-26T15:00:00+00:00"),
    }).incidents
    rec = inc.recovery
    assert rec is not None and rec.kind == "drops_stopped" and rec.conntrack_max is None
    assert any("65,536 is not above the 65,536 in force" in r for r in rec.reasons), rec.reasons


def test_a_file_modified_after_the_reload_is_not_what_it_applied(tmp_path: Path) -> None:
    (inc,) = _reload(tmp_path, "sysctl -p /etc/sysctl.d/90-conntrack.conf", {
        "etc/sysctl.d/90-conntrack.conf": ("net.netfilter.nf_conntrack_max = 262144\n",
                                           "2017-04-26T16:10:00+00:00"),  # 6 min after
    }).incidents
    rec = inc.recovery
    assert rec is not None and rec.kind == "drops_stopped"
    assert any("modified at 2017-04-26T16:10:00Z, after the command" in r for r in rec.reasons)


def test_sysctl_system_applies_the_directories_in_order(tmp_path: Path) -> None:
    old = "2017-04-26T15:00:00+00:00"
    (inc,) = _reload(tmp_path, "sudo sysctl --system", {
        # /etc wins a name over /usr/lib; names in order; /etc/sysctl.conf last (sets none)
        "usr/lib/sysctl.d/50-default.conf": ("net.netfilter.nf_conntrack_max = 131072\n", old),
        "usr/lib/sysctl.d/95-tuning.conf": ("net.netfilter.nf_conntrack_max = 524288\n", old),
        "etc/sysctl.d/95-tuning.conf": ("net.netfilter.nf_conntrack_max = 262144\n", old),
        "etc/sysctl.conf": ("kernel.sysrq = 0\nnet.ipv4.ip_forward = 0\n", old),
    }).incidents
    rec = inc.recovery
    assert rec is not None and (rec.kind, rec.conntrack_max) == ("conntrack_max_raised", 262144)
    assert any("the last file to set the size, /etc/sysctl.d/95-tuning.conf" in r
               for r in rec.reasons), rec.reasons
    assert any("not in the evidence could set it too" in r for r in rec.reasons)


def test_every_recovery_says_why(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [(14, "rmmod nf_conntrack_ipv4 nf_conntrack")]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "module_unloaded"
    assert inc.recovery.reasons == ["`rmmod nf_conntrack_ipv4 nf_conntrack` unloads connection "
                                    "tracking (rule module_unload)"]
    assert inc.recovery.to_dict()["conntrack_max"] is None


SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _with_recovery_details() -> list[Path]:
    out = []
    for case in sorted(SCENARIOS.glob("*/expected.json")):
        data = json.loads(case.read_text(encoding="utf-8"))
        if any(isinstance(i.get("recovery"), dict) and "conntrack_max" in i["recovery"]
               or "recovery_reasons_contain" in i for i in data["incidents"]):
            out.append(case.parent)
    return out


@pytest.mark.parametrize("case", _with_recovery_details(), ids=lambda p: p.name)
def test_scenario_recovery_size_and_reasons(case: Path, tmp_path: Path) -> None:
    """The size a recovery set and its reasons, as the scenario's README counts them."""
    exp = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    work = tmp_path / case.name
    shutil.copytree(case, work, symlinks=True,
                    ignore=shutil.ignore_patterns("README.md", "expected.json"))
    for rel, iso in exp.get("mtimes", {}).items():
        set_mtime(work / rel, iso.replace("Z", "+00:00"))
    got = cf.analyze(work).to_dict()["incidents"]
    assert len(got) == len(exp["incidents"])
    for want, inc in zip(exp["incidents"], got, strict=True):
        rec = inc["recovery"]
        if isinstance(want.get("recovery"), dict) and "conntrack_max" in want["recovery"]:
            assert rec is not None and rec["conntrack_max"] == want["recovery"]["conntrack_max"]
        for needle in want.get("recovery_reasons_contain", []):
            assert rec is not None and any(needle in r for r in rec["reasons"]), \
                (needle, rec and rec["reasons"])


# ------------------------------------------- reboots need the kernel to have started again

RSYSLOG = '[origin software="rsyslogd" swVersion="5.8.10" x-pid="1187" x-info="http://www.rsyslog.com"]'


def test_a_logging_restart_is_no_reboot(tmp_path: Path) -> None:
    """`service rsyslog restart` on CentOS 6: the daemon's stop and start, no kernel boot."""
    (inc,) = _case(tmp_path, [], after=[
        f"Apr 27 00:04:10 bogon rsyslogd: {RSYSLOG} exiting on signal 15.",
        "Apr 27 00:04:10 bogon kernel: imklog 5.8.10, log source = /proc/kmsg started.",
        f"Apr 27 00:04:10 bogon rsyslogd: {RSYSLOG} start",
        "Apr 27 00:20:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)",
    ]).incidents
    rec = inc.recovery
    assert rec is not None and rec.kind == "drops_stopped", rec
    assert rec.source.endswith("messages:15")  # the last drop
    assert any("exiting on signal 15" in r and "not a reboot" in r for r in rec.reasons)


@pytest.mark.parametrize("lines", [
    # CentOS 6: rsyslog stops, the next boot's banner
    [f"Apr 27 00:04:10 bogon rsyslogd: {RSYSLOG} exiting on signal 15.",
     "Apr 27 00:05:02 bogon kernel: imklog 5.8.10, log source = /proc/kmsg started.",
     f"Apr 27 00:05:02 bogon rsyslogd: {RSYSLOG} start",
     "Apr 27 00:05:02 bogon kernel: Linux version 2.6.32-696.el6.x86_64 (x@y) #1 SMP"],
    # the kernel's last words, then rsyslog's start
    ["Apr 27 00:04:10 bogon kernel: reboot: Restarting system",
     f"Apr 27 00:05:02 bogon rsyslogd: {RSYSLOG} start"],
    # systemd going down, then systemd starting again
    ["Apr 27 00:04:10 bogon systemd[1]: Reached target Shutdown.",
     "Apr 27 00:05:02 bogon systemd[1]: systemd 219 running in system mode. (+PAM +AUDIT)"],
], ids=["banner", "reboot-restarting", "systemd"])
def test_a_reboot_shows_the_kernel_started_again(tmp_path: Path, lines: list[str]) -> None:
    (inc,) = _case(tmp_path, [], after=lines).incidents
    rec = inc.recovery
    assert rec is not None and rec.kind == "reboot", rec
    assert (rec.time - inc.end).total_seconds() == 30  # 00:04:10, the reboot's first line


def test_going_down_without_a_new_boot_is_no_reboot(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [], after=[
        "Apr 27 00:04:10 bogon systemd[1]: Reached target Shutdown.",
    ]).incidents
    assert inc.recovery is None


# ------------------------------------------------ an action the drops outlived is an attempt

def _long(tmp_path: Path, history: list[tuple[int, str]], after: list[str]) -> cf.Analysis:
    """Drops every 30 s from 00:03:27 for 29.5 min (to 00:32:57), root's history, ``after``."""
    lines = [f"Apr 26 21:00:00 bogon {BANNER}"]
    lines += [f"Apr 27 00:{3 + (27 + 30 * k) // 60:02d}:{(27 + 30 * k) % 60:02d} bogon {DROP}"
              for k in range(60)]
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/messages").write_text("".join(f"{x}\n" for x in lines + after))
    (tmp_path / "root").mkdir()
    (tmp_path / "root/.bash_history").write_text(
        "".join(f"#{T0 + dt}\n{cmd}\n" for dt, cmd in history))
    return cf.analyze(tmp_path, tz="+08:00")


def test_an_action_the_drops_outlived_is_an_attempt(tmp_path: Path) -> None:
    (inc,) = _long(tmp_path, [(300, "sysctl -w net.netfilter.nf_conntrack_max=262144")], [
        f"Apr 27 00:34:00 bogon rsyslogd: {RSYSLOG} exiting on signal 15.",
        "Apr 27 00:34:40 bogon kernel: Linux version 2.6.32-696.el6.x86_64 (x@y) #1 SMP",
    ]).incidents
    assert inc.end.timestamp() == T0 + 1770
    rec = inc.recovery
    assert rec is not None and rec.kind == "reboot", rec
    assert rec.time.timestamp() == T0 + 1833
    assert any("was an attempt: drops went on to 2017-04-26T16:32:57Z, 1470 s after it" in r
               for r in rec.reasons), rec.reasons


def test_drops_within_the_settle_time_do_not_undo_an_action(tmp_path: Path) -> None:
    # raised 30 s before the last drop: lines in flight, clocks a few seconds apart
    (inc,) = _long(tmp_path, [(1740, "sysctl -w net.netfilter.nf_conntrack_max=262144")], [
        "Apr 27 00:50:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)",
    ]).incidents
    rec = inc.recovery
    assert rec is not None and rec.kind == "conntrack_max_raised"
    assert rec.time.timestamp() == T0 + 1740


# ---------------------------------------------- a load in the first drop's second is before it

LOAD = "kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)"


@pytest.mark.parametrize(("order", "cause"), [
    ("load-first", "module_autoload"),    # the table filled within the second
    ("drop-first", "unknown"),            # the load's line follows the drop's: after it
])
def test_a_load_in_the_first_drops_second(tmp_path: Path, order: str, cause: str) -> None:
    first = [f"Apr 27 00:03:27 bogon {LOAD}", f"Apr 27 00:03:27 bogon {DROP}"]
    if order == "drop-first":
        first.reverse()
    lines = ["Apr 26 23:00:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)",
             *first, *[f"Apr 27 00:03:{s:02d} bogon {DROP}" for s in range(28, 41)],
             "Apr 27 00:20:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)"]
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/messages").write_text("".join(f"{x}\n" for x in lines))
    (inc,) = cf.analyze(tmp_path, tz="+08:00").incidents
    assert inc.cause == cause
    if cause == "module_autoload":
        where = f"{tmp_path}/var/log/messages:2"
        assert inc.cause_reasons[0].endswith(f"0 s before the first drop ({where})")


def test_a_whole_second_load_in_another_source_is_before_the_drop(tmp_path: Path) -> None:
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/messages").write_text("".join(f"{x}\n" for x in [
        "Apr 26 23:00:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)",
        *[f"Apr 27 00:03:{s:02d} bogon {DROP}" for s in range(27, 41)],
        "Apr 27 00:20:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)"]))
    (tmp_path / "var/log/kern.log").write_text(f"Apr 27 00:03:27 bogon {LOAD}\n")
    (inc,) = cf.analyze(tmp_path, tz="+08:00").incidents
    assert inc.cause == "module_autoload"


def test_a_restart_in_the_last_drops_second_follows_it(tmp_path: Path) -> None:
    """The kernel's last line stamped the same whole second as the last drop, on the next line."""
    (inc,) = _case(tmp_path, [], after=[
        "Apr 27 00:03:40 bogon kernel: reboot: Restarting system",
        "Apr 27 00:05:02 bogon kernel: Linux version 2.6.32-696.el6.x86_64 (x@y) #1 SMP",
        "Apr 27 00:20:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)",
    ]).incidents
    rec = inc.recovery
    assert rec is not None and rec.kind == "reboot" and rec.time == inc.end, rec
    assert rec.source.endswith("messages:16")


def test_an_attempt_nearer_the_last_drop_does_not_hide_the_fix(tmp_path: Path) -> None:
    (inc,) = _long(tmp_path, [(1670, "sysctl -w net.netfilter.nf_conntrack_max=131072"),
                              (1880, "modprobe -r iptable_nat nf_nat nf_conntrack_ipv4")], [
        "Apr 27 00:50:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)",
    ]).incidents
    rec = inc.recovery
    assert rec is not None and rec.kind == "module_unloaded", rec
    assert rec.time.timestamp() == T0 + 1880
    assert any("nf_conntrack_max=131072` at 2017-04-26T16:31:17Z" in r and "attempt" in r
               for r in rec.reasons), rec.reasons
