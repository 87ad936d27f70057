"""Find incidents and count them (CONTRACT section 5).

An incident is a run of ``conntrack_drop`` lines on one host with no gap longer than ``gap``
seconds; ``callbacks suppressed`` summaries between its drops (or conntrack's own up to one
ratelimit interval after the last) are counted with it, never start or extend it. The same
kernel message reaching several sources (dmesg, kern.log, messages, journal) counts once: per
host and second, the largest count any one source shows, never the sum.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model import Kind
from ..parsers.classify import CONNTRACK_MODULES, keeper
from .knowledge import SIZE_VALUE, match_recovery
from .model import ref

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
    """One host's timed events, sorted, with helpers the correlator asks about."""

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
        conntrack loaded (:meth:`keepers`).
        """
        ev = self.events
        loads = (ev["kind"] == Kind.MODULE_LOAD.value) & ev["module"].isin(CONNTRACK_MODULES)
        sysctl = (ev["kind"] == Kind.SYSCTL.value) & ev["conntrack_max"].notna()
        drops = ev["kind"] == Kind.CONNTRACK_DROP.value
        keep = ev.index.isin(self.keepers().index)
        return ev.loc[loads | sysctl | drops | self._snapshots(True) | keep]

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


#: The kernel's default ratelimit interval (``DEFAULT_RATELIMIT_INTERVAL``, 5 s): a conntrack
#: summary printed up to this long after the last drop may still be the burst's.
RATELIMIT_INTERVAL = pd.Timedelta(seconds=5)
#: A summary that names conntrack as its caller (``nf_conntrack: N callbacks suppressed``).
_CONNTRACK_SUMMARY = re.compile(r"\b(?:nf|ip)_conntrack:\s*\d+ callbacks suppressed")


def bursts(view: HostView, gap: float) -> Iterator[pd.DataFrame]:
    """Runs of drop lines on a host separated by more than ``gap`` seconds, with their summaries.

    Only ``conntrack_drop`` lines start, end and chain a run: ``callbacks suppressed`` summaries
    come from every subsystem that rate-limits (martian sources, TCP, ...). A summary joins a
    run when it sits between its first and last drop (the kernel prints it just before the next
    message of its ratelimit state), or, when it names conntrack as its caller, up to
    :data:`RATELIMIT_INTERVAL` after the last drop. Summaries outside are left out; the frame's
    ``attrs["suppressed_left_out"]`` holds those near the run (within ``gap``), for the report.
    """
    ev = view.events
    timed = ev.loc[ev["time"].notna()]
    drops = timed.loc[timed["kind"] == Kind.CONNTRACK_DROP.value]
    if drops.empty:
        return
    drops = drops.sort_values("time", kind="mergesort")
    supp = timed.loc[timed["kind"] == Kind.RATELIMIT_SUPPRESSED.value]
    named = supp["message"].fillna("").astype(str).str.contains(_CONNTRACK_SUMMARY, regex=True)
    ns = drops["time"].astype("int64").to_numpy()
    run = np.concatenate([[0], np.cumsum(np.diff(ns) > gap * 1e9)])
    for _, grp in drops.groupby(run, sort=True):
        first, last = grp["time"].iloc[0], grp["time"].iloc[-1]
        inside = (supp["time"] >= first) & (supp["time"] <= last)
        tail = named & (supp["time"] > last) & (supp["time"] <= last + RATELIMIT_INTERVAL)
        near = (supp["time"] >= first - pd.Timedelta(seconds=gap)) \
            & (supp["time"] <= last + pd.Timedelta(seconds=gap))
        out = pd.concat([grp, supp.loc[inside | tail]]).sort_values("time", kind="mergesort")
        out.attrs["suppressed_left_out"] = supp.loc[near & ~(inside | tail)]
        yield out


def per_second(rows: pd.DataFrame) -> pd.Series:
    """Counts per second, deduplicated across sources (max of any one source, not the sum).

    Rows without a time count together, under ``NaT``.
    """
    if rows.empty:
        return pd.Series(dtype="int64")
    sec = rows["time"].dt.floor("s")
    by_source = rows.groupby([sec, rows["source"]], sort=True, dropna=False)["count"].sum()
    return by_source.groupby(level=0, dropna=False).max().astype("int64")


@dataclass
class Counts:
    """The counted facts of one burst."""

    drops_logged: int
    drops_suppressed: int
    peak_per_second: int
    peak_per_minute: int
    drops_per_second: pd.Series
    #: Which ``callbacks suppressed`` summaries were counted or left out, and why.
    suppressed_reasons: list[str] = field(default_factory=list)


def count(burst: pd.DataFrame) -> Counts:
    """Count a burst's logged and suppressed drops per CONTRACT section 5."""
    drops = burst.loc[burst["kind"] == Kind.CONNTRACK_DROP.value]
    supp = burst.loc[burst["kind"] == Kind.RATELIMIT_SUPPRESSED.value]
    dps = per_second(drops)
    per_min = dps.groupby(pd.DatetimeIndex(dps.index).floor("min")).sum() if len(dps) else dps
    return Counts(
        drops_logged=int(dps.sum()),
        drops_suppressed=int(per_second(supp).sum()),
        peak_per_second=int(dps.max()) if len(dps) else 0,
        peak_per_minute=int(per_min.max()) if len(per_min) else 0,
        drops_per_second=dps,
        suppressed_reasons=_suppressed_reasons(drops, supp,
                                               burst.attrs.get("suppressed_left_out")),
    )


def _suppressed_reasons(drops: pd.DataFrame, supp: pd.DataFrame,
                        left: pd.DataFrame | None) -> list[str]:
    """Sentences saying which suppression summaries were counted and which were left out."""
    out: list[str] = []
    if drops.empty:
        return out
    last = drops["time"].max()
    between = supp.loc[supp["time"] <= last]
    after = supp.loc[supp["time"] > last]
    if len(between):
        out.append(f"{len(between)} summary line(s) between the first and last drop counted "
                   f"({int(per_second(between).sum()):,} suppressed): the kernel prints a "
                   "summary just before the next drop")
    if len(after):
        out.append(f"{len(after)} nf_conntrack summary line(s) within "
                   f"{int(RATELIMIT_INTERVAL.total_seconds())} s after the last drop counted "
                   f"({int(per_second(after).sum()):,} suppressed): they name conntrack")
    if left is not None and len(left):
        out.append(f"{len(left)} summary line(s) near the incident left out "
                   f"({int(per_second(left).sum()):,} suppressed): outside its drops and not "
                   "conntrack's (other subsystems rate-limit too: martian sources, TCP, ...)")
    return out


def table_size(view: HostView, before: pd.Timestamp) -> tuple[int | None, int | None]:
    """``(conntrack_max, conntrack_buckets)`` in force at ``before``.

    The kernel banner gives both; a later sysctl change (logged, or a ``sysctl -w`` / ``echo N
    > /proc/...`` command) or snapshot overrides. When nothing before tells, a snapshot
    captured later (a sosreport taken after the outage) stands for the value, unless a sysctl
    change between the two may have altered it.
    """
    ev = view.events
    kinds = [Kind.MODULE_LOAD.value, Kind.SYSCTL.value, Kind.SNAPSHOT.value]
    sized = pd.concat([ev.loc[ev["kind"].isin(kinds)], _size_commands(ev)])
    sized = sized.sort_values("time", kind="mergesort")
    known = sized.loc[sized["time"] <= before]
    later = sized.loc[(sized["time"] > before) & (sized["kind"] == Kind.SNAPSHOT.value)]
    changes = sized.loc[(sized["time"] > before) & (sized["kind"] == Kind.SYSCTL.value)]

    def pick(column: str) -> int | None:
        values = known[column].dropna()
        if len(values):
            return int(values.iloc[-1])
        after = later[column].dropna()
        if len(after) and (changes.empty or changes["time"].min() > later.loc[
                after.index[0], "time"]):
            return int(after.iloc[0])
        return None

    return pick("conntrack_max"), pick("conntrack_buckets")


def _size_commands(ev: pd.DataFrame) -> pd.DataFrame:
    """Timed commands that set the table size, as ``sysctl`` rows carrying the new size."""
    cmds = ev.loc[(ev["kind"] == Kind.COMMAND.value) & ev["time"].notna()
                  & ev["command"].str.contains("conntrack_max", regex=False).fillna(False)]
    rows = []
    for i, command in cmds["command"].items():
        rule = match_recovery(str(command))
        values = SIZE_VALUE.findall(str(command))
        if rule is not None and rule.id == "sysctl_raise_max" and values:
            rows.append(i)
    out = cmds.loc[rows].copy()
    out["kind"] = Kind.SYSCTL.value
    out["conntrack_max"] = pd.array(
        [int(SIZE_VALUE.findall(str(c))[-1]) for c in out["command"]], dtype="Int64")
    return out


def table_fill(
    view: HostView, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[int | None, pd.Timestamp | None, str | None]:
    """Entries in the table from the snapshot nearest the incident (within a day of it).

    Returns the count, when it was captured and where (``path:line``), or ``None``s.
    """
    ev = view.events
    snaps = ev.loc[(ev["kind"] == Kind.SNAPSHOT.value) & ev["conntrack_count"].notna()
                   & ev["time"].notna()]
    if snaps.empty:
        return None, None, None
    distance = (snaps["time"] - start).abs().where(snaps["time"] < start,
                                                  (snaps["time"] - end).clip(lower=pd.Timedelta(0)))
    near = distance.loc[distance <= FILL_WINDOW]
    if near.empty:
        return None, None, None
    row = snaps.loc[near.idxmin()]
    return int(row["conntrack_count"]), row["time"], ref(row["source"], row["line"])
