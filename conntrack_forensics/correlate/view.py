"""One host's evidence, and what the correlator asks of it.

In: the events table of one host.
Out: :class:`HostView`: boots and restarts, conntrack's evidence and unloads, services that
keep it loaded, the firewall tool and the kernel.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pandas as pd

from ..model import Kind
from ..parsers.classify import CONNTRACK_MODULES, keeper
from .knowledge import unloads_conntrack

DROP_KINDS = (Kind.CONNTRACK_DROP.value, Kind.RATELIMIT_SUPPRESSED.value)
UNKNOWN_HOST = "unknown"
#: Boot events closer than this are one boot seen by several sources.
SAME_BOOT = pd.Timedelta(minutes=2)
#: Evidence of each firewall tool, most specific first.
_FIREWALLS = (
    ("firewalld", re.compile(r"\bfirewalld\b|\bfirewall-cmd\b")),
    ("nft", re.compile(r"(?:^|\s)nft(?:\s|$)|\bnftables\b")),
    ("iptables", re.compile(r"\bip6?tables")),
)
#: A snapshot this close to an incident tells how full the table was.
FILL_WINDOW = pd.Timedelta(days=1)
_KERNEL_VERSION = re.compile(r"Linux version (\S+)")
#: How a rules snapshot says some of its rules need conntrack.
_NEEDS_CONNTRACK = r"\b\d+ rules? needs? conntrack\b"
#: Logging daemons: their own start and stop lines show a logging restart, not a reboot.
_LOG_DAEMONS = frozenset({"rsyslogd", "syslogd", "syslog-ng", "klogd", "journald",
                          "systemd-journald"})
_LOG_DAEMON_LINE = re.compile(
    r'^\[origin software="rsyslogd"|exiting on signal \d+|^Kernel logging \(proc\) '
    r"(?:stopped|started)|^imklog \S+, log source|^syslogd [\d.]+: restart|^klogd [\d.]+")
#: Lines the kernel prints only while it boots (or its last line): the kernel started again.
#: Only those the classifier marks boot/shutdown count (today the banner and ``reboot:``).
_EARLY_BOOT = re.compile(
    r"^(?:Linux version \d|Command line: |KERNEL supported cpus|BIOS-provided physical RAM map"
    r"|BIOS-e820: |Initializing cgroup subsys cpuset|Booting paravirtualized kernel"
    r"|reboot: Restarting system)")
#: Lines of a system going down (not a daemon's own stop): a reboot once a new boot follows.
_GOING_DOWN = re.compile(
    r"^(?:Reached target (?:System )?(?:Shutdown|Reboot|Power-Off|Halt)\b"
    r"|Switching to runlevel: [06]\b)|shutting down for system (?:halt|reboot)")


@dataclass
class HostView:
    """One host's timed events, sorted, with helpers the correlator asks about.

    ``events`` is not changed after the view is made: what is asked of it for every
    candidate (services that keep conntrack, unloads, whether loads are logged) is computed
    once.
    """

    host: str
    events: pd.DataFrame

    def boot_start(self, t: pd.Timestamp) -> pd.Timestamp | None:
        """The time of the last boot at or before ``t`` (``None`` when none is in evidence).

        Boot lines of one boot reach sources at different times (the kernel's ring has the
        truth, a syslog daemon stamps them when it starts): boot events less than
        :data:`SAME_BOOT` apart are one boot, which began at the earliest of them.
        """
        ev = self.events
        boots = ev.loc[(ev["kind"] == Kind.BOOT.value) & (ev["time"] <= t), "time"]
        if boots.empty:
            return None
        times = boots.sort_values().to_list()
        first = times[-1]
        for earlier in reversed(times[:-1]):
            if first - earlier > SAME_BOOT:
                break
            first = earlier
        return first

    def restart(self, after: pd.Timestamp, until: pd.Timestamp) -> pd.Series | None:
        """The first event in ``[after, until]`` showing the host went down and came back.

        The kernel started again: its banner (or another early boot line the classifier marks
        a boot), ``reboot: Restarting system``, systemd starting in system mode, a journal
        ``_BOOT_ID`` other than the one before ``after`` on a classified line; or the system
        going down (``Reached target Shutdown``, runlevel 0/6, ``shutdown``) followed by any
        boot. A logging daemon's own stop and start (``exiting on
        signal 15``, rsyslogd's ``start``, imklog) is a logging restart, no reboot.
        """
        ev = self.events
        msg = ev["message"].fillna("").astype(str).str.strip()
        prog = ev["program"].fillna("").astype(str)
        stamped = ev["time"].notna()
        daemon = prog.isin(_LOG_DAEMONS) | msg.str.contains(_LOG_DAEMON_LINE, regex=True)
        kinds = ev["kind"].isin([Kind.BOOT.value, Kind.SHUTDOWN.value])
        # only classified lines: plain lines may be folded into background rows
        kernel = kinds & msg.str.contains(_EARLY_BOOT, regex=True) & ~daemon
        systemd = (ev["kind"] == Kind.BOOT.value) & ~daemon
        ids = ev["boot_id"]
        before = ids.loc[stamped & (ev["time"] <= after)].dropna()
        # classified rows only: plain lines may be folded into background rows
        plain = ev["kind"].isin([Kind.MESSAGE.value, Kind.BACKGROUND.value])
        new_id = (ids.notna() & (ids != before.iloc[-1]) & ~plain).fillna(False).astype(bool) \
            if len(before) else pd.Series(False, index=ev.index)
        booted = stamped & (kernel | systemd | new_id)
        down = stamped & kinds & ~daemon & msg.str.contains(_GOING_DOWN, regex=True)
        if down.any():
            first_boot = ev.loc[booted | (stamped & (ev["kind"] == Kind.BOOT.value)), "time"]
            later = [t for t in ev.loc[down, "time"] if (first_boot > t).any()]
            down = down & ev["time"].isin(later)
        window = stamped & (ev["time"] >= after) & (ev["time"] <= until)
        hits = ev.loc[window & (booted | down)]
        return hits.iloc[0] if len(hits) else None

    def conntrack_evidence(self) -> pd.DataFrame:
        """Events that prove conntrack was loaded at their time.

        Besides loads, sysctls, drops and snapshots: the start of a service that keeps
        conntrack loaded (:attr:`keepers`).
        """
        ev = self.events
        loads = (ev["kind"] == Kind.MODULE_LOAD.value) & ev["module"].isin(CONNTRACK_MODULES)
        sysctl = (ev["kind"] == Kind.SYSCTL.value) & ev["conntrack_max"].notna()
        drops = ev["kind"] == Kind.CONNTRACK_DROP.value
        keep = ev.index.isin(self.keepers.index)
        return ev.loc[loads | sysctl | drops | self._snapshots(True) | keep]

    @functools.cached_property
    def announces_loads(self) -> bool:
        """Whether the host's logs ever show a conntrack module load (a banner, an audit load).

        Newer kernels print no ``nf_conntrack version`` banner when the module loads: on such a
        host no conntrack activity earlier in the logs is the normal case, not evidence that
        conntrack was not loaded.
        """
        ev = self.events
        return bool(((ev["kind"] == Kind.MODULE_LOAD.value)
                     & ev["module"].isin(CONNTRACK_MODULES)).any())

    @functools.cached_property
    def keepers(self) -> pd.DataFrame:
        """Starts of services that keep conntrack loaded (``data/services.toml``).

        A service whose rules need conntrack only when they are stateful or NAT counts when a
        rules snapshot of the host shows such rules. The frame gains ``keeper`` (the service
        rule) as a column.
        """
        ev = self.events
        services = ev.loc[ev["kind"] == Kind.SERVICE.value]
        rules = [keeper(str(m), None if pd.isna(p) else str(p))
                 for m, p in zip(services["message"], services["program"], strict=True)]
        stateful = self.stateful_rules() is not None
        take = [r is not None and (r.conntrack == "always" or stateful) for r in rules]
        out = services.loc[take].copy()
        out["keeper"] = [r for r, t in zip(rules, take, strict=True) if t]
        return out

    def stateful_rules(self) -> pd.Series | None:
        """The first rules snapshot showing stateful or NAT rules (iptables, nft), if any."""
        ev = self.events
        snaps = ev.loc[(ev["kind"] == Kind.SNAPSHOT.value)
                       & ev["message"].str.contains(_NEEDS_CONNTRACK, regex=True, na=False)]
        return snaps.iloc[0] if len(snaps) else None

    @functools.cached_property
    def unloads(self) -> pd.DataFrame:
        """Timed commands that unload conntrack itself (:func:`.knowledge.unloads_conntrack`)."""
        ev = self.events
        cmds = ev.loc[(ev["kind"] == Kind.COMMAND.value) & ev["time"].notna()
                      & ev["command"].str.contains(r"rmmod|modprobe", regex=True).fillna(False)]
        return cmds.loc[[unloads_conntrack(str(c)) for c in cmds["command"]]]

    def cleared_at(self, t: pd.Timestamp) -> tuple[pd.Timestamp | None, pd.Series | None]:
        """Since when conntrack's state before ``t`` is its own: the boot, or a later unload.

        Returns the time and the unloading command's row (``None`` when it is the boot).
        Conntrack evidence before that time says nothing of ``t``: a module unloaded
        (``rmmod nf_conntrack``, ``modprobe -r iptable_nat``) is loaded again only by something
        later, and evidence after the unload (drops going on) shows when it did not go.
        """
        boot = self.boot_start(t)
        gone = self.unloads
        gone = gone.loc[(gone["time"] < t) & ((gone["time"] >= boot) if boot is not None
                                              else True)]
        if len(gone):
            row = gone.iloc[-1]
            return row["time"], row
        return boot, None

    def unloaded_evidence(self) -> pd.DataFrame:
        """Snapshots that show conntrack was *not* loaded at their time (lsmod, sysctl -a)."""
        return self.events.loc[self._snapshots(False)]

    def _snapshots(self, loaded: bool) -> pd.Series:
        ev = self.events
        said = ev["conntrack_loaded"] == loaded
        return (ev["kind"] == Kind.SNAPSHOT.value) & said.fillna(False).astype(bool)

    def firewall(self) -> str | None:
        """The host's firewall tool per the evidence: firewalld, nft, iptables or ``None``."""
        ev = self.events
        said = ev.loc[ev["kind"].isin([Kind.COMMAND.value, Kind.SERVICE.value,
                                       Kind.SNAPSHOT.value]), ["command", "program"]]
        text = " ".join(said["command"].dropna().astype(str)) + " " + \
            " ".join(said["program"].dropna().astype(str))
        for tool, pattern in _FIREWALLS:
            if pattern.search(text):
                return tool
        return None

    def kernel_version(self, at: pd.Timestamp) -> str | None:
        """The kernel release from the boot banner nearest before ``at`` (else the next one)."""
        ev = self.events
        banners = ev.loc[(ev["kind"] == Kind.BOOT.value)
                         & ev["message"].str.contains("Linux version", regex=False)]
        before = banners.loc[banners["time"] <= at].iloc[::-1]
        after = banners.loc[banners["time"] > at]
        for msg in pd.concat([before, after])["message"]:
            m = _KERNEL_VERSION.search(msg)
            if m:
                return m.group(1)
        return None


def host_views(events: pd.DataFrame) -> dict[str, HostView]:
    """Events split by host (missing host names grouped as ``unknown``)."""
    ev = events.assign(host=events["host"].fillna(UNKNOWN_HOST))
    return {str(h): HostView(str(h), g) for h, g in ev.groupby("host", sort=True)}


__all__ = ["DROP_KINDS", "FILL_WINDOW", "UNKNOWN_HOST", "HostView", "host_views"]
