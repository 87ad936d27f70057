"""What a sysctl reload set, read from the configuration files in the evidence.

``sysctl -p [FILE...]`` applies the files named (``/etc/sysctl.conf`` without one);
``sysctl --system`` (and ``systemd-sysctl``) every ``*.conf`` of the sysctl.d directories, then
``/etc/sysctl.conf`` (:func:`.knowledge.sysctl_load`). The command shows no value: the value is
in the files, which the sysctl parser reads into ``sysctl.conf`` events (path, the conntrack
lines, the file's modification time as ``not_after``). A reload raised the table only when the
evidence holds the file that set ``nf_conntrack_max`` last, its value is above the size in
force, and the file was not modified after the command (else it may have held something else
when it was applied). Anything less is said in the reasons and is not counted as a raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..model import Kind
from ..times import rfc3339
from .knowledge import CONF_MAX, SYSCTL_CONF, SYSCTL_DIRS, SysctlLoad

#: The ``program`` of the events the sysctl parser writes for configuration files.
SYSCTL_CONFIG_PROGRAM = "sysctl.conf"
#: Configuration events the correlator keeps although they carry no time.
CONFIG_PROGRAMS = (SYSCTL_CONFIG_PROGRAM,)
_SYSTEM_FILE = re.compile(r"(?:^|[/!])(?P<path>(?P<dir>" + "|".join(
    re.escape(d.lstrip("/")) for d in SYSCTL_DIRS) + r")/(?P<name>[^/]+\.conf)|"
    + re.escape(SYSCTL_CONF.lstrip("/")) + r")$")
_TRUNCATED = re.compile(r"^\.\.\. \(\d+ more lines\)$", re.M)


@dataclass
class Applied:
    """What one reload did to the table size, as far as the evidence shows."""

    raised: bool
    value: int | None = None
    reasons: list[str] = field(default_factory=list)


def applied(events: pd.DataFrame, row: Any, command: str, load: SysctlLoad,
            conntrack_max: int | None) -> Applied:
    """The ``nf_conntrack_max`` a reload (the command event ``row``) set, and why it is known.

    Args:
        events: the host's events, with its ``sysctl.conf`` events.
        row: the command's event.
        command: its command line.
        load: what the command applies.
        conntrack_max: the table size in force when the table filled, if known.
    """
    configs = events.loc[(events["kind"] == Kind.SNAPSHOT.value)
                         & (events["program"] == SYSCTL_CONFIG_PROGRAM)]
    when = rfc3339(row["time"])
    if load.system:
        files = _system_files(configs)
        missing: list[str] = []
        what = "the sysctl.d directories and " + SYSCTL_CONF
    else:
        files = [(path, _find(configs, path)) for path in load.files]
        missing = [path for path, found in files if found is None]
        what = ", ".join(load.files)
    setting = None
    for i, (path, found) in enumerate(files):
        if found is None:
            continue
        lines = list(CONF_MAX.finditer(str(found["evidence"])))
        if lines:
            setting = (i, path, found, lines[-1])
    head = f"`{command}` at {when} applied {what}"
    if setting is None:
        shown = [path for path, found in files if found is not None]
        cut = [path for path, found in files
               if found is not None and _TRUNCATED.search(str(found["evidence"]))]
        why = (f"{', '.join(cut)} holds more conntrack lines than the evidence keeps" if cut
               else f"{', '.join(shown)} in the evidence sets no nf_conntrack_max" if shown
               and not missing else "no file it read is in the evidence with an "
               "nf_conntrack_max setting (a file it read may be missing, or set none)")
        return Applied(False, None, [f"{head}: {why}, so it is not counted as raising the "
                                     "table size"])
    i, path, found, line = setting
    value = int(line.group("value"))
    later_missing = [p for p, f in files[i + 1:] if f is None]
    sets = f"{line.group('key')} = {value} ({found['source']})"
    reasons = [f"{head}, which sets {sets}" if what == path else
               f"{head}; the last file to set the size, {path}, sets {sets}"]
    if later_missing:
        reasons.append(f"{', '.join(later_missing)}, applied after it, is not in the evidence "
                       "and may set another value, so it is not counted as raising the table "
                       "size")
        return Applied(False, None, reasons)
    modified = found["not_after"]
    if not pd.isna(modified) and modified > row["time"]:
        reasons.append(f"{path} was modified at {rfc3339(modified)}, after the command: what "
                       "it held when applied is not in the evidence, so it is not counted as "
                       "raising the table size")
        return Applied(False, None, reasons)
    if conntrack_max is not None and value <= conntrack_max:
        reasons.append(f"{value:,} is not above the {conntrack_max:,} in force when the table "
                       "filled: not a raise")
        return Applied(False, value, reasons)
    reasons.append(f"{value:,} is above the {conntrack_max:,} in force when the table filled"
                   if conntrack_max is not None else
                   "the size in force when the table filled is not in the evidence")
    if not pd.isna(modified):
        reasons.append(f"{path} was last modified at {rfc3339(modified)}, before the command")
    else:
        reasons.append(f"the evidence does not give {path}'s modification time: the value is "
                       "the file's as collected")
    if load.system:
        reasons.append("files of the sysctl.d directories that are not in the evidence could "
                       "set it too")
    return Applied(True, value, reasons)


def _find(configs: pd.DataFrame, path: str) -> Any | None:
    """The configuration event of the file at ``path`` on the host (one, or none)."""
    rel = path.lstrip("/")
    if not rel or path == "-":
        return None
    ends = ("/" + rel, "!" + rel, "!/" + rel) if path.startswith("/") else ("/" + rel,)
    hits = configs.loc[configs["source"].map(
        lambda s: str(s) == path or str(s).endswith(ends))]
    if hits["source"].nunique() != 1:
        return None  # not in the evidence, or a relative path that names several files
    return hits.iloc[0]


def _system_files(configs: pd.DataFrame) -> list[tuple[str, Any]]:
    """``--system``'s files in the evidence, in the order applied.

    A name's first directory wins, names are applied in order, ``/etc/sysctl.conf`` last.
    """
    chosen: dict[str, tuple[int, str, Any]] = {}
    last: tuple[str, Any] | None = None
    for _i, found in configs.iterrows():
        m = _SYSTEM_FILE.search(str(found["source"]))
        if m is None:
            continue
        if m.group("name") is None:
            last = (SYSCTL_CONF, found)
            continue
        rank = [d.lstrip("/") for d in SYSCTL_DIRS].index(m.group("dir"))
        held = chosen.get(m.group("name"))
        if held is None or rank < held[0]:
            chosen[m.group("name")] = (rank, "/" + m.group("path"), found)
    out = [(path, found) for _name, (_rank, path, found) in sorted(chosen.items())]
    return out + ([last] if last is not None else [])
