"""Write sample_logs/sosreport-web1: a sosreport taken on a CentOS 7 web server while it dropped.

    python tools/make_sample_logs.py      (writes every case, this one included)

The same kernel lines reach three sources, as on a real host: ``var/log/messages`` (rsyslog,
stamped when it read them: the boot's lines all carry rsyslog's start time, 14.6 s late),
``sos_commands/logs/journalctl_--no-pager`` (short format, no year) and
``sos_commands/kernel/dmesg`` (seconds since boot). The snapshots (date, uptime, uname, lsmod,
sysctl -a, /proc/net/stat/nf_conntrack, iptables) were captured at 10:15:02 local time.
``expected.json`` is counted from what is written here.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

from make_sample_logs import CST, UTC, Log, burst, finish, per_second_peak, write, z

HOST = "web1"
KERNEL = "3.10.0-1160.el7.x86_64"
BANNER = (f"Linux version {KERNEL} (mockbuild@kbuilder.bsys.centos.org) (gcc version 4.8.5 "
          "20150623 (Red Hat 4.8.5-44) (GCC) ) #1 SMP Mon Oct 19 16:18:59 UTC 2020")
#: (seconds after boot, kernel message) of the boot, conntrack's banner among them.
BOOT_RING = [
    (0.0, BANNER),
    (0.0, "Command line: BOOT_IMAGE=/vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/"
          "centos-root ro crashkernel=auto rd.lvm.lv=centos/root rhgb quiet LANG=en_US.UTF-8"),
    (0.0, "e820: BIOS-provided physical RAM map:"),
    (0.0, "DMI: VMware, Inc. VMware Virtual Platform/440BX Desktop Reference Platform, BIOS "
          "6.00 12/12/2018"),
    (0.000914, "Hypervisor detected: VMware"),
    (0.417223, "smpboot: CPU0: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz (fam: 06, model: 55, "
               "stepping: 07)"),
    (1.204513, "Freeing unused kernel memory: 1876k freed"),
    (2.318841, "XFS (dm-0): Mounting V5 Filesystem"),
    (3.102577, "systemd[1]: systemd 219 running in system mode. (+PAM +AUDIT +SELINUX +IMA "
               "-APPARMOR +SMACK +SYSVINIT +UTMP +LIBCRYPTSETUP +GCRYPT +GNUTLS +ACL +XZ +LZ4 "
               "-SECCOMP +BLKID +ELFUTILS +KMOD +IDN)"),
    (5.884120, "vmxnet3 0000:0b:00.0 ens192: intf type 0x0 (VMXNET3)"),
    (9.201774, "ip_tables: (C) 2000-2006 Netfilter Core Team"),
    (9.412683, "nf_conntrack version 0.5.0 (16384 buckets, 65536 max)"),
    (9.604415, "Netfilter messages via NETLINK v0.30."),
    (10.071332, "IPv6: ADDRCONF(NETDEV_UP): ens192: link is not ready"),
    (10.073104, "vmxnet3 0000:0b:00.0 ens192: NIC Link is Up 10000 Mbps"),
]
RSYSLOG_DELAY = 14.6
SYSCTL_KEYS = {
    "kernel.hostname": "web1.example.com", "kernel.osrelease": KERNEL, "kernel.ostype": "Linux",
    "kernel.panic": "0", "kernel.pid_max": "32768", "kernel.sysrq": "16",
    "kernel.threads-max": "31116", "vm.swappiness": "30", "vm.overcommit_memory": "0",
    "fs.file-max": "796542", "net.core.somaxconn": "128", "net.core.netdev_max_backlog": "1000",
    "net.ipv4.ip_forward": "0", "net.ipv4.tcp_syncookies": "1", "net.ipv4.tcp_fin_timeout": "60",
    "net.ipv4.tcp_max_syn_backlog": "512", "net.ipv4.ip_local_port_range": "32768\t60999",
    "net.ipv4.conf.all.rp_filter": "1", "net.ipv4.conf.ens192.rp_filter": "1",
    "net.ipv6.conf.all.disable_ipv6": "0", "net.unix.max_dgram_qlen": "512",
    "net.netfilter.nf_conntrack_acct": "0", "net.netfilter.nf_conntrack_buckets": "16384",
    "net.netfilter.nf_conntrack_checksum": "1", "net.netfilter.nf_conntrack_count": "65536",
    "net.netfilter.nf_conntrack_expect_max": "256", "net.netfilter.nf_conntrack_max": "65536",
    "net.netfilter.nf_conntrack_tcp_timeout_established": "432000",
    "net.netfilter.nf_conntrack_tcp_timeout_time_wait": "120", "net.nf_conntrack_max": "65536",
}
SYSCTL_FILLER = [f"net.ipv4.conf.{dev}.{key} = {val}" for dev in ("all", "default", "ens192", "lo")
                 for key, val in [("accept_redirects", 1), ("accept_source_route", 0),
                                  ("arp_announce", 0), ("arp_ignore", 0), ("forwarding", 0),
                                  ("log_martians", 0), ("secure_redirects", 1),
                                  ("send_redirects", 1)]]
LSMOD = """Module                  Size  Used by
xt_conntrack           12760  12
ipt_MASQUERADE         12678  3
nf_nat_masquerade_ipv4    13430  1 ipt_MASQUERADE
iptable_nat            12875  1
nf_nat_ipv4            14115  1 iptable_nat
nf_nat                 26583  2 nf_nat_ipv4,nf_nat_masquerade_ipv4
nf_conntrack_ipv4      15053  14
nf_defrag_ipv4         12729  1 nf_conntrack_ipv4
nf_conntrack          139264  5 nf_nat,nf_nat_ipv4,xt_conntrack,nf_nat_masquerade_ipv4,nf_conntrack_ipv4
iptable_filter         12810  1
ip_tables              27126  2 iptable_filter,iptable_nat
vmw_vmci               67168  0
vmxnet3                58059  0
xfs                   997727  2
libcrc32c              12644  2 xfs,nf_nat
dm_mod                124501  10
"""
IPTABLES_FILTER = """Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
 418M  302G ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
 1204 72240 ACCEPT     all  --  lo     *       0.0.0.0/0            0.0.0.0/0
 8813K  528M INPUT_direct  all  --  *      *       0.0.0.0/0            0.0.0.0/0
  912 54720 DROP       all  --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate INVALID
 8813K  528M ACCEPT     tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80 ctstate NEW
    0     0 REJECT     all  --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-prohibited

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain OUTPUT (policy ACCEPT 402M packets, 611G bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain INPUT_direct (1 references)
 pkts bytes target     prot opt in     out     source               destination
"""


def main(rng: random.Random, root: Path) -> None:
    """Write the case into ``root / "sosreport-web1"``."""
    base = root / "sosreport-web1"
    boot = dt.datetime(2024, 5, 18, 2, 11, 4, 250000, tzinfo=CST)
    first_drop = dt.datetime(2024, 5, 20, 10, 2, 13, 118204, tzinfo=CST)
    capture = dt.datetime(2024, 5, 20, 10, 15, 2, tzinfo=CST)
    last_window = capture - dt.timedelta(seconds=4)
    journal_end = capture + dt.timedelta(seconds=3)

    msgs, secure, journal = Log(), Log(), Log()
    ring: list[tuple[dt.datetime, str]] = []
    rsyslog_start = boot + dt.timedelta(seconds=RSYSLOG_DELAY)
    for up, text in BOOT_RING:
        t = boot + dt.timedelta(seconds=up)
        ring.append((t, text))
        journal.add(t, f"kernel: {text}")
        msgs.add(max(t, rsyslog_start), f"kernel: {text}")
    for t, text in [
        (rsyslog_start, 'rsyslogd: [origin software="rsyslogd" swVersion="8.24.0-57.el7_9.3" '
                        'x-pid="1012" x-info="http://www.rsyslog.com"] start'),
        (boot + dt.timedelta(seconds=11.2), "systemd[1]: Starting firewalld - dynamic firewall "
                                            "daemon..."),
        (boot + dt.timedelta(seconds=12.9), "systemd[1]: Started firewalld - dynamic firewall "
                                            "daemon."),
        (boot + dt.timedelta(seconds=16.4), "systemd[1]: Started The Apache HTTP Server."),
    ]:
        msgs.add(t, text)
        journal.add(t, text)
    # background until the capture
    t = rsyslog_start
    while t < journal_end:
        t += dt.timedelta(seconds=rng.randint(240, 1500), microseconds=rng.randint(0, 999999))
        if t >= journal_end:
            break
        r = rng.random()
        if r < 0.4:
            text = (f"systemd[1]: Started Session {rng.randint(100, 999)} of user root.")
        elif r < 0.7:
            text = "chronyd[702]: Selected source 10.20.0.1"
        elif r < 0.85:
            text = (f"systemd-logind[698]: New session {rng.randint(100, 999)} of user root.")
        else:
            text = "crond[1188]: (CRON) INFO (RANDOM_DELAY will be scaled with factor 47% if used.)"
        msgs.add(t, text)
        journal.add(t, text)
    # the incident: drops until the capture, ratelimited; SYN floods as the table fills
    lines, supp = burst(rng, first_drop, last_window,
                        "kernel: nf_conntrack: table full, dropping packet",
                        "kernel: net_ratelimit: {n} callbacks suppressed", repeats=False)
    drops: list[tuple[dt.datetime, int]] = []
    for lt, text, n, kind in lines:
        msgs.add(lt, text)
        journal.add(lt, text)
        ring.append((lt, text.removeprefix("kernel: ")))
        if kind != "suppressed":
            drops.append((lt, n))
    login = dt.datetime(2024, 5, 20, 10, 9, 41, tzinfo=CST)
    sudo = dt.datetime(2024, 5, 20, 10, 14, 40, tzinfo=CST)
    for t, text in [
        (login, "sshd[30211]: Accepted publickey for alice from 10.20.4.17 port 53122 ssh2: "
                "RSA SHA256:Xq1Gm1oYc3R0Wm9kZXJhdGVsbHlsb25nZmluZ2VycHJpbnQ"),
        (login + dt.timedelta(milliseconds=40), "sshd[30211]: pam_unix(sshd:session): session "
                                                "opened for user alice by (uid=0)"),
        (sudo, "sudo:   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
               "COMMAND=/sbin/sosreport --batch --tmp-dir /var/tmp"),
    ]:
        secure.add(t, text)
        journal.add(t, text)
    counts: dict[str, int] = {}

    def local(t: dt.datetime) -> str:
        return f"{t.astimezone(CST):%b %d %H:%M:%S}"

    text = [f"{local(t)} {HOST} {s}" for t, s in msgs.sorted()]
    write(base / "var/log/messages", text)
    counts["var/log/messages"] = len(text)
    text = [f"{local(t)} {HOST} {s}" for t, s in secure.sorted()]
    write(base / "var/log/secure", text)
    counts["var/log/secure"] = len(text)
    head = (f"-- Logs begin at {boot.astimezone(CST):%a %Y-%m-%d %H:%M:%S} CST, end at "
            f"{journal_end:%a %Y-%m-%d %H:%M:%S} CST. --")
    text = [head] + [f"{local(t)} {HOST} {s}" for t, s in journal.sorted()]
    write(base / "sos_commands/logs/journalctl_--no-pager", text)
    counts["sos_commands/logs/journalctl_--no-pager"] = len(text) - 1  # the header is no event
    ring.sort(key=lambda x: x[0])
    text = [f"[{(t - boot).total_seconds():12.6f}] {s}" for t, s in ring]
    write(base / "sos_commands/kernel/dmesg", text)
    counts["sos_commands/kernel/dmesg"] = len(text)

    up = capture - boot
    hours, minutes = divmod(int(up.total_seconds() % 86400) // 60, 60)
    write(base / "sos_commands/date/date", [f"{capture:%a %b %d %H:%M:%S} CST {capture:%Y}"])
    write(base / "sos_commands/date/date_--utc",
          [f"{capture.astimezone(UTC):%a %b %d %H:%M:%S} UTC {capture:%Y}"])
    write(base / "sos_commands/host/uptime",
          [f" {capture:%H:%M:%S} up {up.days} days, {hours:2d}:{minutes:02d},  1 user,  "
           "load average: 7.82, 6.95, 4.11"])
    write(base / "sos_commands/host/hostname", ["web1.example.com"])
    write(base / "sos_commands/kernel/uname_-a",
          [f"Linux web1.example.com {KERNEL} #1 SMP Mon Oct 19 16:18:59 UTC 2020 x86_64 "
           "x86_64 x86_64 GNU/Linux"])
    write(base / "sos_commands/kernel/lsmod", LSMOD.rstrip("\n").split("\n"))
    keys = [f"{k} = {v}" for k, v in SYSCTL_KEYS.items()] + SYSCTL_FILLER
    write(base / "sos_commands/kernel/sysctl_-a", sorted(keys))
    logged = sum(n for _, n in drops)
    stat = ["entries  searched found new invalid ignore delete delete_list insert insert_failed "
            "drop early_drop icmp_error  expect_new expect_create expect_delete search_restart"]
    for cpu_drop in (logged + supp // 2, supp - supp // 2):
        stat.append(f"00010000  00000000 0a3c91f2 003591c2 00002866 099bd7a3 0034b945 0034af89 "
                    f"0035a1b7 {cpu_drop:08x} {cpu_drop:08x} 00000000 00000011  00000000 "
                    "00000000 00000000 00000003")
    write(base / "proc/net/stat/nf_conntrack", stat)
    write(base / "sos_commands/networking/iptables_-t_filter_-nvL",
          IPTABLES_FILTER.rstrip("\n").split("\n"))
    write(base / "version.txt", ["sosreport: 3.9", "plugin api version: 1.0"])
    (base / "etc").mkdir(parents=True, exist_ok=True)
    for link, target in [("etc/localtime", "../usr/share/zoneinfo/Asia/Shanghai"),
                         ("date", "sos_commands/date/date"),
                         ("hostname", "sos_commands/host/hostname"),
                         ("lsmod", "sos_commands/kernel/lsmod"),
                         ("uname", "sos_commands/kernel/uname_-a"),
                         ("uptime", "sos_commands/host/uptime")]:
        path = base / link
        if path.is_symlink() or path.exists():
            path.unlink()
        os.symlink(target, path)

    expected = {
        "host": HOST,
        "start": z(first_drop.replace(microsecond=0)),
        "end": z(max(t for t, *_ in lines).replace(microsecond=0)),
        "time_precision_seconds": 1,
        "drops_logged": logged,
        "drops_suppressed": supp,
        "peak_drops_per_second": per_second_peak(drops),
        "conntrack_max": 65536,
        "conntrack_buckets": 16384,
        "trigger_command": None,
        "trigger_user": None,
        "trigger_time": None,
        "cause": "capacity",
        "recovery_kind": None,
        "recovery_time": None,
        "tz": "Asia/Shanghai",
        "year": 2024,
        "capture": z(capture),
        "line_counts": counts,
    }
    finish(base, expected, README)


README = """# sosreport-web1: a sosreport taken while a CentOS 7 web server dropped connections

A written reproduction of what support engineers are usually handed: a sosreport. `web1` is a
CentOS 7.9 VM (kernel 3.10.0-1160.el7, zone Asia/Shanghai through the `etc/localtime` link)
running Apache behind firewalld, so conntrack has been loaded since boot (firewalld's
`ctstate` rules; the kernel printed `nf_conntrack version 0.5.0 (16384 buckets, 65536 max)`
nine seconds into the boot of 18 May 2024). On 20 May a traffic spike filled the table; from
10:02:13 local time the kernel logged `nf_conntrack: table full, dropping packet` ten times per
five seconds with `net_ratelimit: N callbacks suppressed` for the rest. At 10:14:40 alice ran
`sudo sosreport --batch`; the report was collected at 10:15:02 while the drops went on.

Layout: a sosreport directory. The same kernel lines are in `var/log/messages` (rsyslog read
the boot's lines 14.6 s late), `sos_commands/logs/journalctl_--no-pager` (short format, no
year) and `sos_commands/kernel/dmesg` (seconds since boot): they must count once. Snapshots:
`sos_commands/date/date` (the capture time, local) and `date_--utc`, `sos_commands/host/uptime`,
`hostname`, `sos_commands/kernel/{{uname_-a,lsmod,sysctl_-a}}`, `proc/net/stat/nf_conntrack`
(the kernel's own drop counters), `sos_commands/networking/iptables_-t_filter_-nvL`. The
top-level `date`, `hostname`, `lsmod`, `uname` and `uptime` are links, as sos makes them.

## Findings the report must show

- one incident on host `{host}`, from {start} to {end} (to the second);
- {drops_logged} drops logged (once, though three sources carry them), {drops_suppressed}
  suppressed, peak {peak_drops_per_second} per second; table size {conntrack_max} max,
  {conntrack_buckets} buckets, full (65,536 entries) when captured at {capture};
- no credible trigger (the only command, `sosreport`, came after the first drop);
- cause `{cause}`: conntrack loaded at boot, two days before;
- recovery none: the evidence ends while dropping;
- zone {tz} from the `etc/localtime` link, year {year} from the `date` output.

`expected.json` holds these figures, counted by `tools/make_sosreport_sample.py` from what it
wrote.
"""
