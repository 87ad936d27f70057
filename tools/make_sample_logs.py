"""Regenerate sample_logs/ byte for byte: three written (not copied) incident reproductions.

    python tools/make_sample_logs.py

Each case gets its logs in a host-root layout, a README.md and an expected.json whose figures
are counted here from the lines written (they are the oracle of tests/test_samples.py).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "sample_logs"
CST = dt.timezone(dt.timedelta(hours=8))
UTC = dt.timezone.utc


@dataclass
class Log:
    """Lines of one file with their times, written sorted (stable) by time."""

    lines: list[tuple[dt.datetime, int, str]] = field(default_factory=list)

    def add(self, t: dt.datetime, text: str) -> None:
        self.lines.append((t, len(self.lines), text))

    def sorted(self) -> list[tuple[dt.datetime, str]]:
        return [(t, s) for t, _, s in sorted(self.lines)]


def bsd(t: dt.datetime, host: str, rest: str) -> str:
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S} {host} {rest}"


def iso(t: dt.datetime, host: str, rest: str) -> str:
    return f"{t.isoformat(timespec='microseconds')} {host} {rest}"


def z(t: dt.datetime, precise: bool = False) -> str:
    """RFC 3339 UTC, to the second or (precise) to the microseconds the line carries."""
    text = t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if precise and t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "Z"


def write(path: Path, lines: list[str], gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode()
    if gz:
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                    filename="") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


def burst(
    rng: random.Random, start: dt.datetime, end: dt.datetime, drop: str,
    suppressed: str, repeats: bool,
) -> tuple[list[tuple[dt.datetime, str, int, str]], int]:
    """Kernel lines of a ratelimited drop burst: (time, text, drops, kind) and suppressed sum.

    net_ratelimit lets 10 messages through per 5 s window; the rest are counted and reported
    as "N callbacks suppressed" when the next window opens.
    """
    out: list[tuple[dt.datetime, str, int, str]] = []
    supp_total = 0
    t = start
    first = True
    while t <= end:
        if not first:
            n = rng.randint(300, 2900) if "__" in suppressed else rng.randint(1200, 6000)
            out.append((t, suppressed.format(n=n), 0, "suppressed"))
            supp_total += n
        first = False
        budget = rng.choice([10, 10, 10, 10, 8, 6])
        used = 0
        while used < budget:
            lt = t + dt.timedelta(microseconds=rng.randint(0, 1_900_000) + used * 1000)
            if repeats and used + 4 <= budget and rng.random() < 0.25:
                k = rng.randint(2, budget - used - 1)
                out.append((lt, drop, 1, "drop"))
                rt = lt + dt.timedelta(seconds=1)
                out.append((rt, f"last message repeated {k} times", k, "repeat"))
                used += 1 + k
            else:
                out.append((lt, drop, 1, "drop"))
                used += 1
        t += dt.timedelta(seconds=5)
    return out, supp_total


def per_second_peak(drops: list[tuple[dt.datetime, int]]) -> int:
    counts: dict[dt.datetime, int] = {}
    for t, n in drops:
        key = t.replace(microsecond=0)
        counts[key] = counts.get(key, 0) + n
    return max(counts.values())


# --------------------------------------------------------------------------- case 1: bogon


def bogon(rng: random.Random, default_history: bool = False) -> None:
    """The seed; with ``default_history``, as CentOS leaves it: bash without HISTTIMEFORMAT
    (the history holds commands only) and auditd's default records of the ssh login."""
    host = "bogon"
    base = ROOT / ("bogon-default-history" if default_history else "bogon-nat-listing")
    begin = dt.datetime(2017, 4, 26, 3, 10, 1, tzinfo=CST)
    login = dt.datetime(2017, 4, 26, 23, 58, 12, tzinfo=CST)
    filter_list = dt.datetime(2017, 4, 26, 23, 59, 40, tzinfo=CST)
    nat_list = dt.datetime(2017, 4, 27, 0, 3, 21, tzinfo=CST)
    first_drop = dt.datetime(2017, 4, 27, 0, 3, 27, tzinfo=CST)
    last_window = dt.datetime(2017, 4, 27, 0, 9, 27, tzinfo=CST)
    shutdown = dt.datetime(2017, 4, 27, 0, 9, 36, tzinfo=CST)
    boot = dt.datetime(2017, 4, 27, 0, 11, 5, tzinfo=CST)
    stop = dt.datetime(2017, 4, 27, 0, 13, 0, tzinfo=CST)

    msgs, secure, cron, mail = Log(), Log(), Log(), Log()
    rsys = 'rsyslogd: [origin software="rsyslogd" swVersion="5.8.10" x-pid="{pid}" ' \
        'x-info="http://www.rsyslog.com"] {what}'
    msgs.add(begin, rsys.format(pid=1520, what="rsyslogd was HUPed"))
    # background: ntpd, abrt, yum, kernel chatter, auditd, until the shutdown
    t = begin
    while t < shutdown:
        t += dt.timedelta(seconds=rng.randint(600, 2400))
        if t >= shutdown:
            break
        r = rng.random()
        if r < 0.55:
            msgs.add(t, "ntpd[1432]: 0.0.0.0 c615 05 clock_sync")
        elif r < 0.65:
            msgs.add(t, "ntpd[1432]: kernel reports TIME_ERROR: 0x41: Clock Unsynchronized")
        elif r < 0.75:
            msgs.add(t, f"kernel: hrtimer: interrupt took {rng.randint(9000, 90000)} ns")
        elif r < 0.85:
            msgs.add(t, f"abrtd: Directory 'ccpp-2017-04-26-{t:%H:%M:%S}-{rng.randint(2000, 9000)}' creation detected"
                     )
            msgs.add(t + dt.timedelta(seconds=1),
                     "abrtd: Duplicate: core backtrace; DUP_OF_DIR: /var/spool/abrt/ccpp-2017-"
                     "04-12-10:31:04-20211")
        elif r < 0.93:
            msgs.add(t, f"yum[{rng.randint(20000, 30000)}]: Updated: "
                     f"{rng.choice(['tzdata-2017b-1.el6.noarch', 'openssl-1.0.1e-57.el6.x86_64', 'httpd-tools-2.2.15-59.el6.centos.x86_64'])}")
        else:
            msgs.add(t, "kernel: possible SYN flooding on port 80. Sending cookies.")
    # the incident
    msgs.add(filter_list, "kernel: ip_tables: (C) 2000-2006 Netfilter Core Team")
    msgs.add(nat_list, "kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)")
    lines, supp = burst(rng, first_drop, last_window, "kernel: nf_conntrack: table full, "
                        "dropping packet.", "kernel: __ratelimit: {n} callbacks suppressed",
                        repeats=True)
    drops = []
    for lt, text, n, kind in lines:
        msgs.add(lt, text)
        if kind != "suppressed":
            drops.append((lt, n))
    for minute in range(4, 10):
        msgs.add(dt.datetime(2017, 4, 27, 0, minute, 50, tzinfo=CST),
                 "ntpd[1432]: 0.0.0.0 c615 05 clock_sync")
    msgs.add(shutdown, "kernel: Kernel logging (proc) stopped.")
    msgs.add(shutdown, rsys.format(pid=1520, what="exiting on signal 15."))
    # the boot
    msgs.add(boot, "kernel: imklog 5.8.10, log source = /proc/kmsg started.")
    msgs.add(boot, rsys.format(pid=1508, what="start"))
    for text in BOOT_CENTOS6:
        msgs.add(boot, f"kernel: {text}")
    later = boot + dt.timedelta(seconds=9)
    for text in ["auditd[1208]: Started dispatcher: /sbin/audispd pid: 1210",
                 "auditd[1208]: Init complete, auditd 2.4.5 listening for events (startup "
                 "state enable)", "ntpd[1432]: ntpd 4.2.6p5@1.2349-o Wed Apr 12 21:24:06 UTC 2017 "
                 "(1)", "ntpd[1432]: Listen normally on 2 eth0 10.20.30.5 UDP 123",
                 "ntpd[1432]: 0.0.0.0 c016 06 restart", "abrtd: Init complete, entering main loop"]:
        later += dt.timedelta(seconds=rng.randint(1, 6))
        msgs.add(later, text)
    msgs.add(stop, "ntpd[1432]: 0.0.0.0 c615 05 clock_sync")

    # secure, cron, maillog
    for when, ip, user in [(dt.datetime(2017, 4, 26, 9, 12, 44, tzinfo=CST), "10.20.30.41", "deploy"),
                           (dt.datetime(2017, 4, 26, 15, 40, 2, tzinfo=CST), "10.20.30.41", "deploy"),
                           (login, "10.20.30.40", "root")]:
        pid = rng.randint(20000, 30000)
        secure.add(when, f"sshd[{pid}]: Accepted publickey for {user} from {ip} port "
                   f"{rng.randint(40000, 60000)} ssh2")
        secure.add(when, f"sshd[{pid}]: pam_unix(sshd:session): session opened for user {user} "
                   "by (uid=0)")
        if user != "root":
            secure.add(when + dt.timedelta(minutes=rng.randint(5, 40)),
                       f"sshd[{pid}]: pam_unix(sshd:session): session closed for user {user}")
    secure.add(shutdown, "sshd[1622]: Received signal 15; terminating.")
    secure.add(boot + dt.timedelta(seconds=14), "sshd[1620]: Server listening on 0.0.0.0 port 22.")
    t = begin.replace(minute=10, second=1)
    while t < shutdown:
        cron.add(t, f"CROND[{rng.randint(10000, 30000)}]: (root) CMD (/usr/lib64/sa/sa1 1 1)")
        if t.minute == 0:
            cron.add(t + dt.timedelta(seconds=1), f"CROND[{rng.randint(10000, 30000)}]: (root) "
                     "CMD (run-parts /etc/cron.hourly)")
            cron.add(t + dt.timedelta(seconds=1), f"run-parts(/etc/cron.hourly)[{rng.randint(10000, 30000)}]: starting 0anacron")
            cron.add(t + dt.timedelta(seconds=1), f"run-parts(/etc/cron.hourly)[{rng.randint(10000, 30000)}]: finished 0anacron")
        t += dt.timedelta(minutes=10)
    cron.add(boot + dt.timedelta(seconds=20), "crond[1702]: (CRON) STARTUP (1.4.4)")
    for h in (4, 9, 14, 19):
        t = dt.datetime(2017, 4, 26, h, 20, rng.randint(0, 59), tzinfo=CST)
        qid = f"{rng.getrandbits(40):010X}"
        mail.add(t, f"postfix/pickup[{rng.randint(2000, 9000)}]: {qid}: uid=0 from=<root>")
        mail.add(t, f"postfix/cleanup[{rng.randint(2000, 9000)}]: {qid}: message-id=<20170426{t:%H%M%S}.{qid}@bogon.localdomain>")
        mail.add(t, f"postfix/qmgr[1811]: {qid}: from=<root@bogon.localdomain>, size=812, nrcpt=1 (queue active)")
        mail.add(t + dt.timedelta(seconds=1), f"postfix/local[{rng.randint(2000, 9000)}]: {qid}: to=<root@bogon.localdomain>, orig_to=<root>, relay=local, delay=0.05, delays=0.03/0.01/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)")
        mail.add(t + dt.timedelta(seconds=1), f"postfix/qmgr[1811]: {qid}: removed")
    mail.add(shutdown, "postfix/master[1803]: terminating on signal 15")
    mail.add(boot + dt.timedelta(seconds=17), "postfix/master[1800]: daemon started -- version 2.6.6, configuration /etc/postfix")

    files = {"var/log/messages": msgs, "var/log/secure": secure, "var/log/cron": cron,
             "var/log/maillog": mail}
    counts: dict[str, int] = {}
    for rel, log in files.items():
        text = [bsd(t, host, s) for t, s in log.sorted()]
        write(base / rel, text)
        counts[rel] = len(text)
    write(base / "etc/sysconfig/clock", ['ZONE="Asia/Shanghai"'])
    write(base / "etc/sysconfig/network", ["NETWORKING=yes", f"HOSTNAME={host}"])
    counts["etc/sysconfig/clock"], counts["etc/sysconfig/network"] = 1, 2

    history = []
    old = dt.datetime(2017, 4, 18, 10, 2, 11, tzinfo=CST)
    for cmd in OLD_HISTORY:
        old += dt.timedelta(minutes=rng.randint(1, 600))
        history.append((old, cmd))
    session = [(login + dt.timedelta(seconds=s), c) for s, c in [
        (9, "uptime"), (15, "df -h"), (21, "free -m"), (40, "netstat -ant | wc -l")]]
    session += [(filter_list, "iptables -L"),
                (filter_list + dt.timedelta(seconds=50), "ls /etc/sysconfig/"),
                (nat_list, "iptables -t nat -L"),
                (nat_list + dt.timedelta(seconds=31), "tail /var/log/messages"),
                (nat_list + dt.timedelta(seconds=58), "dmesg | tail -20"),
                (dt.datetime(2017, 4, 27, 0, 5, 10, tzinfo=CST), "service httpd restart"),
                (dt.datetime(2017, 4, 27, 0, 7, 2, tzinfo=CST),
                 "cat /proc/sys/net/netfilter/nf_conntrack_count"),
                (dt.datetime(2017, 4, 27, 0, 9, 34, tzinfo=CST), "reboot")]
    hist_lines = []
    for when, cmd in history + session:
        hist_lines += [cmd] if default_history else [f"#{int(when.timestamp())}", cmd]
    write(base / "root/.bash_history", hist_lines)
    counts["root/.bash_history"] = len(hist_lines)
    if default_history:
        audit = audit_login(rng, login, boot, shutdown)
        write(base / "var/log/audit/audit.log", audit)
        counts["var/log/audit/audit.log"] = len(audit)

    expected: dict[str, object] = {
        "host": host,
        "start": z(min(x[0] for x in lines)),
        "end": z(max(x[0] for x in lines)),
        "drops_logged": sum(n for _, n in drops),
        "drops_suppressed": supp,
        "peak_drops_per_second": per_second_peak(drops),
        "conntrack_max": 65536,
        "conntrack_buckets": 16384,
        "trigger_command": "iptables -t nat -L",
        "trigger_user": "root",
        "trigger_time": None if default_history else z(nat_list),
        "cause": "module_autoload",
        "recovery_kind": "reboot",
        "recovery_time": z(shutdown),
        "tz": "Asia/Shanghai",
        "year": 2017,
        "line_counts": counts,
    }
    if default_history:
        expected["history_timestamps"] = False
        # `iptables -L` ran at most 30 s before the ip_tables banner it caused; the nat
        # listing after it in the same session. `reboot` ran before the shutdown.
        expected["trigger_not_before"] = z(filter_list - dt.timedelta(seconds=30))
        expected["trigger_not_after"] = z(shutdown)
    finish(base, expected, README_DEFAULT if default_history else README_BOGON)


def audit_login(rng: random.Random, login: dt.datetime, boot: dt.datetime,
                shutdown: dt.datetime) -> list[str]:
    """auditd with CentOS 6's default (empty) rules: PAM records of root's ssh login, the
    daemon's end at the shutdown and start at the boot. No command is recorded."""
    out = []
    serial = 3121

    def rec(kind: str, t: dt.datetime, body: str) -> None:
        nonlocal serial
        stamp = t.timestamp() + rng.randint(1, 999) / 1000
        out.append(f"type={kind} msg=audit({stamp:.3f}:{serial}): {body}")
        serial += 1

    pid = rng.randint(20000, 30000)
    ctx = "subj=system_u:system_r:sshd_t:s0-s0:c0.c1023"
    pam = ("exe=\"/usr/sbin/sshd\" hostname=10.20.30.40 addr=10.20.30.40 terminal=ssh "
           "res=success'")
    t = login - dt.timedelta(seconds=1)
    rec("USER_AUTH", t, f"user pid={pid} uid=0 auid=4294967295 ses=4294967295 {ctx} "
        f"msg='op=PAM:authentication acct=\"root\" {pam}")
    rec("USER_ACCT", t, f"user pid={pid} uid=0 auid=4294967295 ses=4294967295 {ctx} "
        f"msg='op=PAM:accounting acct=\"root\" {pam}")
    rec("CRED_ACQ", t, f"user pid={pid} uid=0 auid=4294967295 ses=4294967295 {ctx} "
        f"msg='op=PAM:setcred acct=\"root\" {pam}")
    rec("LOGIN", login, f"login pid={pid} uid=0 old auid=4294967295 new auid=0 old ses="
        "4294967295 new ses=412")
    rec("USER_START", login, f"user pid={pid} uid=0 auid=0 ses=412 {ctx} "
        f"msg='op=PAM:session_open acct=\"root\" {pam}")
    rec("USER_LOGIN", login, f"user pid={pid + 2} uid=0 auid=0 ses=412 {ctx} "
        f"msg='op=login id=0 {pam}")
    rec("DAEMON_END", shutdown, "auditd normal halt, sending auid=0 pid=1 subj=system_u:"
        "system_r:init_t:s0 res=success")
    rec("DAEMON_START", boot + dt.timedelta(seconds=9), "auditd start, ver=2.4.5 format=raw "
        "kernel=2.6.32-696.el6.x86_64 auid=4294967295 pid=1208 subj=system_u:system_r:"
        "auditd_t:s0 res=success")
    return out


# ------------------------------------------------------------------------ case 2: k8s node


def k8s(rng: random.Random) -> None:
    host = "k8s-node-3"
    base = ROOT / "k8s-node-capacity"
    boot = dt.datetime(2024, 3, 11, 6, 2, 7, 114302, tzinfo=UTC)
    day2 = dt.datetime(2024, 3, 13, tzinfo=UTC)
    day3 = dt.datetime(2024, 3, 14, tzinfo=UTC)
    first_drop = dt.datetime(2024, 3, 14, 9, 12, 3, 481205, tzinfo=UTC)
    last_window = dt.datetime(2024, 3, 14, 9, 17, 38, 0, tzinfo=UTC)
    stop = dt.datetime(2024, 3, 14, 12, 0, 0, tzinfo=UTC)

    syslog, kern = Log(), Log()
    t = boot
    for text in BOOT_UBUNTU:
        t += dt.timedelta(microseconds=rng.randint(1000, 90000))
        syslog.add(t, text)
    proxy = dt.datetime(2024, 3, 11, 6, 2, 41, 118320, tzinfo=UTC)
    for text in [
        'kube-proxy[2211]: I0311 06:02:41.118320    2211 conntrack.go:100] "Set sysctl" '
        'entry="net/netfilter/nf_conntrack_max" value=131072',
        'kube-proxy[2211]: I0311 06:02:41.118511    2211 conntrack.go:100] "Set sysctl" '
        'entry="net/netfilter/nf_conntrack_tcp_timeout_established" value=86400',
        'kube-proxy[2211]: I0311 06:02:41.131907    2211 server.go:865] "Version info" '
        'version="v1.28.7"',
        'kube-proxy[2211]: I0311 06:02:41.202113    2211 proxier.go:283] "Using iptables '
        'Proxier"',
    ]:
        proxy += dt.timedelta(microseconds=rng.randint(100, 5000))
        syslog.add(proxy, text)
    t = proxy
    while t < stop:
        t += dt.timedelta(seconds=rng.randint(300, 1500), microseconds=rng.randint(0, 999999))
        if t >= stop:
            break
        r = rng.random()
        if r < 0.4:
            syslog.add(t, f"kubelet[1834]: I{t:%m%d %H:%M:%S.%f}    1834 kubelet_node_status.go:"
                       "493] \"Fast updating node status as it just became ready\""
                       if r < 0.02 else f"kubelet[1834]: I{t:%m%d %H:%M:%S.%f}    1834 "
                       "kubelet_getters.go:187] \"Pod status updated\" pod=\"kube-system/"
                       "coredns-5dd5756b68-8xj2k\" status=\"Running\"")
        elif r < 0.6:
            syslog.add(t, f"containerd[1210]: time=\"{t.isoformat(timespec='microseconds')}\" "
                       "level=info msg=\"ImageCreate event name:\\\"registry.k8s.io/pause:3.9\\\"\"")
        elif r < 0.8:
            syslog.add(t, "systemd[1]: Started session-" f"{rng.randint(100, 999)}.scope - "
                       "Session of User ops.")
        else:
            syslog.add(t, f"CRON[{rng.randint(100000, 300000)}]: (root) CMD (command -v "
                       "debian-sa1 > /dev/null && debian-sa1 1 1)")
    lines, supp = burst(rng, first_drop, last_window,
                        "kernel: nf_conntrack: nf_conntrack: table full, dropping packet",
                        "kernel: net_ratelimit: {n} callbacks suppressed", repeats=False)
    drops = []
    for lt, text, n, kind in lines:
        syslog.add(lt, text)
        kern.add(lt, text)
        if kind != "suppressed":
            drops.append((lt, n))
    for minute in range(12, 18, 2):
        pt = dt.datetime(2024, 3, 14, 9, minute, 30, 411020, tzinfo=UTC)
        syslog.add(pt, f"kubelet[1834]: I{pt:%m%d %H:%M:%S.%f}    1834 prober.go:107] \"Probe "
                   "failed\" probeType=\"Readiness\" pod=\"shop/frontend-7c9d8f-5lq2w\" "
                   "output=\"Get \\\"http://10.244.3.17:8080/healthz\\\": context deadline "
                   "exceeded\"")
    counts: dict[str, int] = {}
    everything = syslog.sorted()
    parts = {
        "var/log/syslog.2.gz": [x for x in everything if x[0] < day2],
        "var/log/syslog.1": [x for x in everything if day2 <= x[0] < day3],
        "var/log/syslog": [x for x in everything if x[0] >= day3],
    }
    for rel, rows in parts.items():
        text = [iso(t, host, s) for t, s in rows]
        write(base / rel, text, gz=rel.endswith(".gz"))
        counts[rel] = len(text)
    kern_text = [iso(t, host, s) for t, s in kern.sorted()]
    write(base / "var/log/kern.log", kern_text)
    counts["var/log/kern.log"] = len(kern_text)
    write(base / "etc/hostname", [host])
    counts["etc/hostname"] = 1

    expected = {
        "host": host,
        "start": z(min(x[0] for x in lines), precise=True),
        "end": z(max(x[0] for x in lines), precise=True),
        "drops_logged": sum(n for _, n in drops),
        "drops_suppressed": supp,
        "peak_drops_per_second": per_second_peak(drops),
        "conntrack_max": 131072,
        "conntrack_buckets": None,
        "trigger_command": None,
        "trigger_user": None,
        "trigger_time": None,
        "cause": "capacity",
        "recovery_kind": "drops_stopped",
        "recovery_time": z(max(t for t, _ in drops), precise=True),
        "tz": "UTC",
        "year": None,
        "line_counts": counts,
    }
    finish(base, expected, README_K8S)


def finish(base: Path, expected: dict[str, object], readme: str) -> None:
    (base / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    (base / "README.md").write_text(readme.format(**expected))


BOOT_CENTOS6 = [
    "Initializing cgroup subsys cpuset",
    "Initializing cgroup subsys cpu",
    "Linux version 2.6.32-696.el6.x86_64 (mockbuild@c1bm.rdu2.centos.org) (gcc version 4.4.7 "
    "20120313 (Red Hat 4.4.7-18) (GCC) ) #1 SMP Tue Mar 21 19:29:05 UTC 2017",
    "Command line: ro root=/dev/mapper/vg_bogon-lv_root rd_NO_LUKS LANG=en_US.UTF-8 rd_NO_MD "
    "rd_LVM_LV=vg_bogon/lv_swap SYSFONT=latarcyrheb-sun16 crashkernel=auto rd_LVM_LV=vg_bogon/"
    "lv_root KEYBOARDTYPE=pc KEYTABLE=us rd_NO_DM rhgb quiet",
    "KERNEL supported cpus:",
    "  Intel GenuineIntel",
    "  AMD AuthenticAMD",
    "  Centaur CentaurHauls",
    "BIOS-provided physical RAM map:",
    " BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)",
    " BIOS-e820: 0000000000100000 - 00000000bffd9000 (usable)",
    " BIOS-e820: 0000000100000000 - 0000000440000000 (usable)",
    "DMI 2.8 present.",
    "SMBIOS version 2.8 @ 0xF6A40",
    "Hypervisor detected: KVM",
    "last_pfn = 0x440000 max_arch_pfn = 0x400000000",
    "init_memory_mapping: 0000000000000000-00000000bffd9000",
    "ACPI: RSDP 00000000000f6a00 00014 (v00 BOCHS )",
    "Setting APIC routing to flat.",
    "No NUMA configuration found",
    "Memory: 16332276k/17825792k available (5461k kernel code, 1049124k absent, 444392k reserved, "
    "7140k data, 1332k init)",
    "Hierarchical RCU implementation.",
    "NR_IRQS:33024 nr_irqs:440",
    "Console: colour VGA+ 80x25",
    "console [tty0] enabled",
    "Detected 2399.998 MHz processor.",
    "Calibrating delay loop (skipped) preset value.. 4799.99 BogoMIPS (lpj=2399998)",
    "Security Framework initialized",
    "SELinux:  Initializing.",
    "Mount-cache hash table entries: 256",
    "CPU: Physical Processor ID: 0",
    "Brought up 4 CPUs",
    "NET: Registered protocol family 16",
    "PCI: Using configuration type 1 for base access",
    "NET: Registered protocol family 2",
    "TCP established hash table entries: 524288 (order: 11, 8388608 bytes)",
    "TCP: Hash tables configured (established 524288 bind 65536)",
    "e1000: Intel(R) PRO/1000 Network Driver - version 7.3.21-k8-NAPI",
    "e1000 0000:00:03.0: eth0: (PCI:33MHz:32-bit) 52:54:00:12:34:56",
    "EXT4-fs (dm-0): mounted filesystem with ordered data mode. Opts: ",
    "Adding 8388604k swap on /dev/mapper/vg_bogon-lv_swap.  Priority:-1 extents:1 "
    "across:8388604k ",
    "e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX",
    "NET: Registered protocol family 10",
]

BOOT_UBUNTU = [
    "kernel: Linux version 6.5.0-21-generic (buildd@lcy02-amd64-091) (x86_64-linux-gnu-gcc-12 "
    "(Ubuntu 12.3.0-1ubuntu1~22.04) 12.3.0, GNU ld (GNU Binutils for Ubuntu) 2.38) "
    "#21~22.04.1-Ubuntu SMP PREEMPT_DYNAMIC Fri Feb  9 13:32:52 UTC 2",
    "kernel: Command line: BOOT_IMAGE=/vmlinuz-6.5.0-21-generic root=/dev/mapper/ubuntu--vg-"
    "ubuntu--lv ro",
    "kernel: DMI: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014",
    "kernel: Memory: 32731416K/33553900K available",
    "kernel: NET: Registered PF_INET protocol family",
    "kernel: Netfilter messages via NETLINK v0.30.",
    "kernel: bridge: filtering via arp/ip/ip6tables is no longer available by default. Update "
    "your scripts to load br_netfilter if you need this.",
    "kernel: Bridge firewalling registered",
    "systemd[1]: systemd 249.11-0ubuntu3.12 running in system mode (+PAM +AUDIT +SELINUX "
    "+APPARMOR +IMA +SMACK +SECCOMP +GCRYPT +GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS "
    "+FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY -P11KIT "
    "-QRENCODE +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified)",
    "systemd[1]: Hostname set to <k8s-node-3>.",
    "rsyslogd: [origin software=\"rsyslogd\" swVersion=\"8.2112.0\" x-pid=\"812\" "
    "x-info=\"https://www.rsyslog.com\"] start",
    "systemd[1]: Started containerd.service - containerd container runtime.",
    "containerd[1210]: time=\"2024-03-11T06:02:13.512203Z\" level=info msg=\"containerd "
    "successfully booted in 0.071224s\"",
    "systemd[1]: Started kubelet.service - kubelet: The Kubernetes Node Agent.",
    "kubelet[1834]: I0311 06:02:15.002131    1834 server.go:467] \"Kubelet version\" "
    "kubeletVersion=\"v1.28.7\"",
]

OLD_HISTORY = [
    "yum update -y", "vi /etc/httpd/conf/httpd.conf", "service httpd reload",
    "tail -f /var/log/httpd/access_log", "df -h", "du -sh /var/www/html/*",
    "ls -la /var/www/html", "cd /var/www/html", "git pull", "service httpd reload",
    "top", "free -m", "tail -n 100 /var/log/httpd/error_log", "uptime",
    "cat /etc/redhat-release", "chkconfig --list | grep 3:on", "ss -s",
    "netstat -ant | grep :80 | wc -l", "vi /etc/sysctl.conf", "sysctl -p",
    "crontab -l", "ls /etc/cron.d/", "logout",
]

README_BOGON = """# bogon-nat-listing: listing the nat table takes down a web server

A written reproduction of the incident this project exists for. `bogon` is a busy CentOS 6.9
web server (kernel 2.6.32-696.el6, rsyslog 5.8.10, zone Asia/Shanghai, +08:00) on which
connection tracking was not loaded: the iptables service was off. Late on 26 April 2017 root
logged in over ssh, ran `iptables -L` (filter table: loads `ip_tables` only, harmless) and then
`iptables -t nat -L`. Listing the nat table loaded `iptable_nat`, hence `nf_nat` and
`nf_conntrack` (the kernel printed its banner, 16384 buckets and 65536 max). Every live
connection started being tracked, the table filled within seconds, and from 00:03:27 local time
the kernel dropped new connections, logging `nf_conntrack: table full, dropping packet.` at
most ten times per five seconds (`__ratelimit: N callbacks suppressed` counts the rest; rsyslog
folded some identical lines into `last message repeated N times`). Restarting httpd did not
help; root rebooted at 00:09:34 and the drops ended.

Layout: `var/log/{{messages,secure,cron,maillog}}` (RFC 3164, no year), `root/.bash_history` (with
HISTTIMEFORMAT timestamps: it carries the year), `etc/sysconfig/clock` (the zone) and
`etc/sysconfig/network` (the host name).

## Findings the report must show

- one incident on host `{host}`, from {start} to {end} (UTC);
- {drops_logged} drops logged (repeat lines expanded), {drops_suppressed} suppressed, peak
  {peak_drops_per_second} per second; table size {conntrack_max} max, {conntrack_buckets} buckets;
- trigger `{trigger_command}` by {trigger_user} at {trigger_time}; `iptables -L` ranked low;
- cause `{cause}`; recovery `{recovery_kind}` at {recovery_time};
- zone {tz} from `etc/sysconfig/clock`, year {year} inferred from the dated shell history.

`expected.json` holds these figures, counted by `tools/make_sample_logs.py` from what it wrote.
"""

README_DEFAULT = """# bogon-default-history: the seed as CentOS leaves the evidence

The same incident as [bogon-nat-listing](../bogon-nat-listing/README.md), with the evidence a
default CentOS 6 install keeps: bash has no `HISTTIMEFORMAT`, so `root/.bash_history` holds
the commands without a single time, and auditd runs with its default (empty) rule set, so
`var/log/audit/audit.log` records root's ssh login and the daemon's stop and start, but no
command. The seed's own host most likely looked like this.

Nothing says when `iptables -t nat -L` ran. The history's order still bounds it: it is in the
last session of the file (after the `logout` that ends the older ones), after `iptables -L`,
whose `ip_tables` load the kernel announced at 23:59:40 local time (so `iptables -L` ran at
most 30 s before, and the nat listing after that), and before `reboot`, which ran before the
shutdown at 00:09:36. Within those ten minutes nf_conntrack was loaded at 00:03:21, six
seconds before the first drop, and no timed record (no sudo, no audited command, no service
start) explains that load: the nat listing is the only command that can have.

Layout: as bogon-nat-listing, with the history untimed and `var/log/audit/audit.log` added
(its records carry the year: the syslog files carry none, and the files' modification times
are not kept by git).

## Findings the report must show

- one incident on host `{host}`, from {start} to {end} (UTC);
- {drops_logged} drops logged (repeat lines expanded), {drops_suppressed} suppressed, peak
  {peak_drops_per_second} per second; table size {conntrack_max} max, {conntrack_buckets} buckets;
- trigger `{trigger_command}` by {trigger_user}, its time not recorded: after
  {trigger_not_before} and before {trigger_not_after}, with a confidence below a timed
  trigger's; `iptables -L` ranked low;
- cause `{cause}`; recovery `{recovery_kind}` at {recovery_time};
- zone {tz} from `etc/sysconfig/clock`, year {year} from the audit records.

`expected.json` holds these figures, counted by `tools/make_sample_logs.py` from what it wrote.
"""

README_K8S = """# k8s-node-capacity: a Kubernetes node whose conntrack table simply fills

A written reproduction of the modern form of the failure. `k8s-node-3` is an Ubuntu 22.04
Kubernetes worker with the HWE kernel 6.5.0-21; rsyslog is set to `RSYSLOG_FileFormat`, so
lines carry RFC 3339 times with offsets (UTC here) and the year. kube-proxy set
`nf_conntrack_max` to 131072 at boot on 11 March 2024, so conntrack had been loaded for three
days when a traffic spike on 14 March filled the table. The kernel printed the newer doubled
prefix `nf_conntrack: nf_conntrack: table full, dropping packet`, ten lines per five seconds,
with `net_ratelimit: N callbacks suppressed` swallowing thousands more. Nobody ran a command;
readiness probes failed; the spike ended and the drops stopped by themselves.

Layout: `var/log/syslog.2.gz`, `syslog.1`, `syslog` (a rotated set, read oldest first),
`var/log/kern.log` (the same kernel lines again: they must count once), `etc/hostname`.

## Findings the report must show

- one incident on host `{host}`, from {start} to {end};
- {drops_logged} drops logged (not doubled by kern.log), {drops_suppressed} suppressed, peak
  {peak_drops_per_second} per second; table size {conntrack_max} (from kube-proxy's sysctl);
- no credible trigger; cause `{cause}`: conntrack active since boot;
- recovery `{recovery_kind}` at {recovery_time}.

`expected.json` holds these figures, counted by `tools/make_sample_logs.py` from what it wrote.
"""

INDEX = """# Sample logs

Four incidents, written for this project (not copied from anywhere), each in the layout of a
host's file system. `python tools/make_sample_logs.py` regenerates them byte for byte.

| case | what it shows |
|---|---|
| [bogon-default-history](bogon-default-history/README.md) | the seed as CentOS keeps it: no timestamps in root's bash history; the trigger named, its time bounded by its neighbours |
| [bogon-nat-listing](bogon-nat-listing/README.md) | the seed: CentOS 6.9, `iptables -t nat -L` autoloads conntrack, table full, reboot |
| [k8s-node-capacity](k8s-node-capacity/README.md) | Ubuntu/Kubernetes, module loaded since boot, ratelimited drops, capacity, stop by themselves |
| [sosreport-web1](sosreport-web1/README.md) | a sosreport of a CentOS 7 web server taken mid-incident: messages, journal and dmesg counted once, snapshots at the capture time |

Run one: `python -m conntrack_forensics report sample_logs/bogon-nat-listing`.
The real third-party logs used as background in the tests stay in `../shared/data/loghub/`.
"""


def main() -> None:
    import make_sosreport_sample

    bogon(random.Random(20170427))
    bogon(random.Random(20170427), default_history=True)
    k8s(random.Random(20240314))
    make_sosreport_sample.main(random.Random(20240520), ROOT)
    (ROOT / "README.md").write_text(INDEX)


if __name__ == "__main__":
    main()
