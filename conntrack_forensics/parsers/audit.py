"""Linux audit logs: ``/var/log/audit/audit.log`` (raw) and ``ausearch`` output (``-i`` or not).

A raw record is one line::

    type=EXECVE msg=audit(1493222601.123:4567): argc=4 a0="iptables" a1="-t" a2="nat" a3="-L"

optionally prefixed by ``node=NAME`` (auditd's ``name_format``) and followed, in auditd 3's
``ENRICHED`` format, by a group separator (``0x1d``) and the interpreted names
(``AUID="root"``). One audit event is every record sharing the stamp
``msg=audit(TIME:SERIAL)``; the kernel ends multi-record events with ``type=EOE``.
``ausearch -i`` prints the same records with interpreted values (``auid=root
syscall=execve``), a local date (``msg=audit(04/27/2017 00:03:21.123:4567)``) and ``----``
between events.

Records are grouped into events while streaming: a group ends at its ``EOE``, at a ``----``,
or once :data:`WINDOW` further records have passed without one of its own (user-space
records have no ``EOE``; records of concurrent events may interleave a little). Each group
gives one event:

* a program execution (``EXECVE``) -> ``command``, the argument vector rebuilt (hex-encoded
  and split ``a1[0]=`` arguments decoded) and quoted like a shell would;
* ``sudo`` (``USER_CMD``) -> ``command`` with program ``sudo``; the execution of the command
  it ran (its parent being sudo) gets ``sudo`` in its ``command`` column;
* a module load (``KERN_MODULE``, or an ``init_module``/``finit_module`` system call) ->
  ``module_load``; so is the kernel's own ``modprobe -q -- MODULE`` request (module autoload),
  which is not a user's command;
* ``SYSTEM_BOOT`` / ``SYSTEM_SHUTDOWN`` -> ``boot`` / ``shutdown``;
* anything else (logins, authentication, configuration changes...) -> ``message``, the record
  type and its key fields.

The user is the login user (``auid``, kept across ``su`` and ``sudo``), else the ``uid``: the
interpreted name when the log has one, ``root`` for 0, else ``uid=N``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..model import Kind
from .base import Head, ParseContext, Parser, RawBatch
from .classify import Classified
from .registry import register

#: A group ends once this many records of other events have followed its last record.
WINDOW = 16
#: At most this many groups are open at once (the oldest is ended first).
MAX_OPEN = 64
#: Records kept per group (an event has a handful; the rest still count as read).
MAX_RECORDS = 256
#: Characters of a group's lines kept as evidence.
EVIDENCE_CAP = 2000
#: Longest ``message`` for record types without a dedicated reading.
SUMMARY_CAP = 300

_HEADER = re.compile(
    r"(?:node=(?P<node>\S+) )?type=(?P<type>[A-Za-z0-9_]+(?:\[\d+\])?) "
    r"msg=audit\((?P<stamp>[^()]*?):(?P<serial>\d+)\)\s*:?\s?(?P<body>.*)"
)
_SNIFF = re.compile(
    r"(?:node=\S+ )?type=[A-Z][A-Z0-9_]*(?:\[\d+\])? msg=audit\("
    r"(?:\d+\.\d+|\d\d/\d\d/\d{2,4} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"
)
_EPOCH = re.compile(r"(\d{1,12})(?:\.(\d{1,9}))?")
_MDY = re.compile(r"(\d\d)/(\d\d)/(\d\d|\d{4}) (\d\d):(\d\d):(\d\d)(\.\d{1,9})?")
_YMD = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d{1,9})?")
_RAW_FIELD = re.compile(r"(?<!\S)([A-Za-z_][\w\-\[\]]*)=(\"[^\"]*\"?|'[^']*'?|\S*)")
_KEY = re.compile(r"(?<!\S)([A-Za-z_][\w\-\[\]]*)=")
_INNER_MSG = re.compile(r"(?<!\S)msg='(.*)'")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_ARG = re.compile(r"a\d+(?:\[\d+\])?")
_SPACE = re.compile(r"\s")
_UNKNOWN_ID = re.compile(r"unknown\((\d+)\)")
#: Fields the kernel and libaudit hex-encode (unquoted) when the value has special characters.
_ENCODED = frozenset({
    "comm", "exe", "cwd", "name", "cmd", "proctitle", "acct", "path", "key", "data", "ocomm",
    "old", "new", "watch", "dir", "root_dir",
})
_UNSET = frozenset({"", "unset", "4294967295", "-1", "?", "(none)"})
#: System call numbers worth naming, by audit arch (x86_64, i386, aarch64).
_SYSCALLS: dict[str, dict[int, str]] = {
    "c000003e": {59: "execve", 322: "execveat", 175: "init_module", 313: "finit_module",
                 176: "delete_module"},
    "40000003": {11: "execve", 358: "execveat", 128: "init_module", 350: "finit_module",
                 129: "delete_module"},
    "c00000b7": {221: "execve", 281: "execveat", 105: "init_module", 273: "finit_module",
                 106: "delete_module"},
}
_ARCH_NAMES = {"x86_64": "c000003e", "i386": "40000003", "aarch64": "c00000b7"}
_EXEC_CALLS = frozenset({"execve", "execveat"})
_LOAD_CALLS = frozenset({"init_module", "finit_module"})
_SUMMARY_KEYS = (
    "op", "unit", "acct", "id", "ses", "syscall", "success", "exit", "table", "family", "entries",
    "name", "comm", "exe", "hostname", "addr", "terminal", "key", "res",
)
_NOTHING = frozenset({"", "?", "(null)", "(none)"})
_FAILED = frozenset({"failed", "no", "0", "fail"})
_NOTES = ("----", "time->")
_BAD_STAMP = "audit record without a valid msg=audit(time:serial) stamp"
_NOT_AUDIT = "line is not an audit record"
#: Record types whose fields make an event (the others are evidence only).
_READ = frozenset({"SYSCALL", "EXECVE", "PROCTITLE", "USER_CMD", "KERN_MODULE"})
#: Later stamps are corrupt (and beyond what a pandas time can hold).
_LAST_YEAR = 2261


_Key = tuple[str | None, str, str]  # node, stamp, serial


@dataclass
class _Group:
    line: int
    host: str | None
    iso: str
    last: int
    records: list[tuple[str, str]] = field(default_factory=list)  # type, body
    lines: list[str] = field(default_factory=list)
    chars: int = 0

    @property
    def interpreted(self) -> bool:
        """``ausearch -i`` output (local times) rather than raw records (UTC epochs)."""
        return not self.iso.endswith("Z")

    def add(self, rtype: str, body: str, text: str) -> None:
        if len(self.records) < MAX_RECORDS:
            self.records.append((rtype, body))
        if self.chars < EVIDENCE_CAP:
            self.lines.append(text)
            self.chars += len(text) + 1


@dataclass(frozen=True)
class _Event:
    kind: Kind
    message: str
    program: str | None = None
    pid: int | None = None
    user: str | None = None
    module: str | None = None
    rule: str | None = None
    command: str | None = None
    ppid: str | None = None


@register
class AuditParser(Parser):
    """auditd logs and ``ausearch`` output."""

    NAME = "audit"
    DESCRIPTION = "Linux audit log (/var/log/audit/audit.log) and ausearch output (raw or -i)"

    def sniff(self, head: Head) -> float:
        """Share of the first lines (ausearch separators aside) that are audit records."""
        lines = [ln for ln in head.lines if not ln.startswith(_NOTES) and ln != "<no matches>"]
        if not lines:
            return 0.0
        good = sum(1 for ln in lines if _SNIFF.match(ln))
        if good and good >= 0.6 * len(lines):
            return 0.95
        return 0.6 if good and good >= 0.3 * len(lines) else 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """Group records into events, one event per audit event."""
        groups: dict[_Key, _Group] = {}
        sudo: dict[tuple[str | None, str], None] = {}  # (node, pid) of recent sudo commands
        batch = RawBatch()
        seq = 0

        def close(key: _Key) -> None:
            _emit(groups.pop(key), batch, sudo)

        for chunk in ctx.chunks():
            for i, text in enumerate(chunk.lines):
                lineno = chunk.first + i
                line = text.strip()
                if not line:
                    continue
                if line.startswith(_NOTES) or line == "<no matches>":
                    if line.startswith("----"):
                        for open_key in list(groups):
                            close(open_key)
                    continue
                m = _HEADER.match(line)
                if m is None:
                    ctx.skip(lineno, _BAD_STAMP if "type=" in line[:80] else _NOT_AUDIT)
                    continue
                key = (m.group("node"), m.group("stamp"), m.group("serial"))
                group = groups.get(key)
                iso = _stamp_iso(key[1]) if group is None else group.iso
                if iso is None:
                    ctx.skip(lineno, _BAD_STAMP)
                    continue
                ctx.ok()
                seq += 1
                rtype = m.group("type").upper()
                if rtype == "EOE":
                    if group is not None:
                        close(key)
                    continue
                if group is None:
                    group = groups[key] = _Group(lineno, key[0], iso, seq)
                group.add(rtype, m.group("body"), line)
                group.last = seq
                if rtype == "USER_CMD":  # before its event ends: sudo's child may end first
                    pid = _fields(rtype, m.group("body"), group.interpreted).get("pid", "")
                    sudo[(key[0], pid.strip())] = None
                    if len(sudo) > MAX_OPEN:
                        del sudo[next(iter(sudo))]
                for stale in [k for k, g in groups.items() if seq - g.last > WINDOW]:
                    close(stale)
                while len(groups) > MAX_OPEN:
                    close(next(iter(groups)))
            if len(batch):
                yield batch
                batch = RawBatch()
        for key in list(groups):
            close(key)
        if len(batch):
            yield batch


# ------------------------------------------------------------------------------ records


def _stamp_iso(stamp: str) -> str | None:
    """The time of a stamp as ISO text: UTC for raw epochs, local (no offset) for ausearch -i."""
    stamp = stamp.strip()
    em = _EPOCH.fullmatch(stamp)
    return _utc_iso(em.group(1), em.group(2)) if em is not None else _local_iso(stamp)


def _utc_iso(seconds: str, frac: str | None) -> str | None:
    """A raw stamp as RFC 3339 UTC text: exact to the digit, where a float epoch is not."""
    try:
        when = dt.datetime.fromtimestamp(int(seconds), dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    if when.year > _LAST_YEAR:
        return None
    return f"{when:%Y-%m-%dT%H:%M:%S}{'.' + frac if frac else ''}Z"


def _local_iso(stamp: str) -> str | None:
    """``04/27/2017 00:03:21.123`` (ausearch -i, local time) as ISO text without an offset."""
    m = _MDY.fullmatch(stamp)
    if m is not None:
        mo, d, y, h, mi, s, frac = m.groups()
        year = int(y) + (2000 if len(y) == 2 else 0)
    else:
        m = _YMD.fullmatch(stamp)
        if m is None:
            return None
        y, mo, d, h, mi, s, frac = m.groups()
        year = int(y)
    if not 1970 <= year <= _LAST_YEAR:
        return None
    try:
        dt.datetime(year, int(mo), int(d), int(h), int(mi), int(s))
    except ValueError:
        return None
    return f"{year:04d}-{mo}-{d}T{h}:{mi}:{s}{frac or ''}"


def _fields(rtype: str, body: str, interpreted: bool) -> dict[str, str]:
    """A record's fields by name (first occurrence wins), values unquoted and decoded."""
    body, _, enriched = body.partition("\x1d")
    out: dict[str, str] = {}
    if interpreted:
        m = _INNER_MSG.search(body)
        if m is not None:
            _interpreted_fields(body[:m.start()] + body[m.end():], out)
            _interpreted_fields(m.group(1), out)
        else:
            _interpreted_fields(body, out)
    else:
        _raw_fields(rtype, body, out, decode=True)
    if enriched:
        _raw_fields(rtype, enriched, out, decode=False)
    return out


def _raw_fields(rtype: str, text: str, out: dict[str, str], *, decode: bool) -> None:
    execve = decode and rtype == "EXECVE"
    for key, tok in _RAW_FIELD.findall(text):
        first = tok[:1]
        if first == "'" and key == "msg":
            _raw_fields(rtype, tok.strip("'"), out, decode=decode)
        elif key in out:
            continue
        elif first == '"' or first == "'":
            out[key] = tok[1:-1] if len(tok) >= 2 and tok[-1] == first else tok[1:]
        elif decode and (key in _ENCODED or (execve and _ARG.fullmatch(key))) \
                and _HEX.fullmatch(tok):
            out[key] = bytes.fromhex(tok).decode("utf-8", "surrogateescape")
        else:
            out[key] = tok


def _interpreted_fields(text: str, out: dict[str, str]) -> None:
    """``ausearch -i`` fields: a value runs to the next ``key=`` (values may hold spaces)."""
    keys = list(_KEY.finditer(text))
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(text)
        value = text[m.end():end].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in ("'", '"'):
            value = value[1:-1]
        out.setdefault(m.group(1), value)


# ------------------------------------------------------------------------------- events


def _emit(group: _Group, batch: RawBatch, sudo: dict[tuple[str | None, str], None]) -> None:
    if not group.records:
        return
    ev = _describe(group.records, group.interpreted)
    if ev.kind is Kind.COMMAND and ev.program != "sudo" and (group.host, ev.ppid) in sudo:
        # run by sudo (its USER_CMD's process is the parent): say so for trigger ranking
        ev = dataclasses.replace(ev, command=f"sudo {ev.message}")
    cls = Classified(ev.kind, rule=ev.rule, module=ev.module)
    batch.add(
        group.line, ev.message, host=group.host, program=ev.program, pid=ev.pid, user=ev.user,
        cls=cls, evidence="\n".join(group.lines)[:EVIDENCE_CAP], command=ev.command,
        iso=group.iso,
    )


def _describe(records: list[tuple[str, str]], interpreted: bool) -> _Event:
    """What one audit event means (only the records that say it are read field by field)."""
    by_type: dict[str, list[dict[str, str]]] = {}
    for n, (rtype, body) in enumerate(records):
        if n == 0 or rtype in _READ:
            by_type.setdefault(rtype, []).append(_fields(rtype, body, interpreted))
    syscall = by_type["SYSCALL"][0] if "SYSCALL" in by_type else None
    main_type, main = records[0][0], by_type[records[0][0]][0]
    if syscall is not None:
        main_type, main = "SYSCALL", syscall
    program, pid, user = _program(main), _int(main.get("pid")), _user(main)
    call = _syscall_name(syscall) if syscall is not None else None

    if "KERN_MODULE" in by_type or call in _LOAD_CALLS:
        return _module_load(by_type, call, syscall, program, pid, user)
    if "EXECVE" in by_type or call in _EXEC_CALLS:
        argv = _argv(by_type.get("EXECVE", []))
        if not argv and "PROCTITLE" in by_type:
            argv = _proctitle(by_type["PROCTITLE"][0].get("proctitle", ""))
        if argv:
            return _execution(argv, syscall or main, program, pid, user)
    if "USER_CMD" in by_type:
        f = by_type["USER_CMD"][0]
        cmd = _clean(f.get("cmd", "")).strip()
        res = f.get("res", "").lower()
        if cmd and res not in _FAILED:
            return _Event(Kind.COMMAND, f"sudo {cmd}", "sudo", _int(f.get("pid")), _user(f),
                          command=cmd)
        return _Event(Kind.MESSAGE, _summary("USER_CMD", f, extra=("cmd",)), "sudo",
                      _int(f.get("pid")), _user(f))
    kind = {"SYSTEM_BOOT": Kind.BOOT, "SYSTEM_SHUTDOWN": Kind.SHUTDOWN}.get(main_type,
                                                                           Kind.MESSAGE)
    summary = _summary(main_type, main, call=call)
    if main_type == "SYSCALL" and "PROCTITLE" in by_type:
        title = _proctitle(by_type["PROCTITLE"][0].get("proctitle", ""))
        if title:
            summary += f" proctitle={_clean(' '.join(title))}"
    return _Event(kind, summary[:SUMMARY_CAP], program, pid, user)


def _module_load(
    by_type: dict[str, list[dict[str, str]]], call: str | None, syscall: dict[str, str] | None,
    program: str | None, pid: int | None, user: str | None,
) -> _Event:
    name = None
    if "KERN_MODULE" in by_type:
        raw = _clean(by_type["KERN_MODULE"][0].get("name", "")).strip()
        name = _module_name(raw) if raw not in _NOTHING else None
    how = call or "KERN_MODULE"
    by = f" by {program}" if program else ""
    if syscall is not None and syscall.get("success", "").lower() in _FAILED:
        what = f"kernel module {name}" if name else "kernel module"
        return _Event(Kind.MESSAGE,
                      f"{what} failed to load ({how}{by}, exit={syscall.get('exit', '?')})",
                      program, pid, user)
    what = f"kernel module {name} loaded" if name else "kernel module loaded, name not logged"
    return _Event(Kind.MODULE_LOAD, f"{what} ({how}{by})", program, pid, user, module=name,
                  rule="audit_kern_module")


def _execution(
    argv: list[str], proc: dict[str, str], program: str | None, pid: int | None,
    user: str | None,
) -> _Event:
    cmdline = shlex.join(argv)
    program = program or argv[0].rsplit("/", 1)[-1] or None
    ids = [proc[k].strip() for k in ("auid", "AUID") if k in proc]
    no_login = bool(ids) and all(v in _UNSET for v in ids)
    if no_login and argv[0].rsplit("/", 1)[-1] == "modprobe" and argv[1:3] == ["-q", "--"] \
            and len(argv) == 4:
        # The kernel's request_module(): module autoload, a consequence rather than a command.
        name = _module_name(argv[3])
        return _Event(Kind.MODULE_LOAD, f"kernel requested module {name} ({cmdline})",
                      program, pid, user, module=name, rule="audit_module_request")
    if no_login and proc.get("ppid", "").strip() == "2":
        return _Event(Kind.MESSAGE, f"kernel usermode helper: {cmdline}"[:SUMMARY_CAP],
                      program, pid, user)
    return _Event(Kind.COMMAND, cmdline, program, pid, user, ppid=proc.get("ppid", "").strip())


def _argv(execs: list[dict[str, str]]) -> list[str]:
    """The argument vector from an event's EXECVE records (split arguments joined)."""
    merged: dict[str, str] = {}
    for f in execs:
        for k, v in f.items():
            merged.setdefault(k, v)
    argc = _int(merged.get("argc"))
    args: list[str] = []
    i = 0
    while argc is None or i < argc:
        key = f"a{i}"
        if key in merged:
            args.append(_clean(merged[key]))
        elif f"{key}[0]" in merged:
            pieces = []
            j = 0
            while f"{key}[{j}]" in merged:
                pieces.append(merged[f"{key}[{j}]"])
                j += 1
            args.append(_clean("".join(pieces)))
        else:
            break
        i += 1
    return args


def _proctitle(value: str) -> list[str]:
    """PROCTITLE's argv (NUL-separated once decoded; space-joined by ``ausearch -i``)."""
    if value in _NOTHING:
        return []
    return [_clean(a) for a in value.split("\x00") if a]


def _summary(rtype: str, f: dict[str, str], *, call: str | None = None,
             extra: tuple[str, ...] = ()) -> str:
    parts = [rtype]
    for key in _SUMMARY_KEYS + extra:
        value = call if key == "syscall" and call else f.get(key)
        if value is None or value.strip() in _NOTHING or (
                key in ("ses", "id") and value.strip() in _UNSET):
            continue
        value = _clean(value).strip()
        if _SPACE.search(value):
            value = f'"{value}"'
        parts.append(f"{key}={value}")
    return " ".join(parts)


def _syscall_name(f: dict[str, str]) -> str | None:
    named = f.get("SYSCALL")
    if named:
        return named
    value = f.get("syscall", "").strip()
    if not value.isdigit():
        return value or None
    arch = f.get("ARCH") or f.get("arch") or "c000003e"
    arch = _ARCH_NAMES.get(arch, arch).lower()
    return _SYSCALLS.get(arch, {}).get(int(value), value)


def _module_name(name: str) -> str:
    """Module names use ``_`` (``modprobe nf-conntrack`` loads ``nf_conntrack``)."""
    base = name.rsplit("/", 1)[-1]
    for suffix in (".xz", ".gz", ".zst", ".ko"):
        base = base.removesuffix(suffix)
    return base.replace("-", "_")


def _program(f: dict[str, str]) -> str | None:
    comm = _clean(f.get("comm", "")).strip()
    if comm and comm not in _NOTHING:
        return comm
    exe = _clean(f.get("exe", "")).strip()
    if exe and exe not in _NOTHING:
        return exe.rsplit("/", 1)[-1] or None
    return None


def _user(f: dict[str, str]) -> str | None:
    """The login user (``auid``) else ``uid``: a name, ``root`` for 0, else ``uid=N``."""
    for key in ("auid", "uid"):
        for candidate in (f.get(key.upper()), f.get(key)):
            name = _id_name(candidate)
            if name is not None:
                return name
    return None


def _id_name(value: str | None) -> str | None:
    if value is None:
        return None
    value = _clean(value).strip()
    if value in _UNSET:
        return None
    m = _UNKNOWN_ID.fullmatch(value)
    if m is not None:
        value = m.group(1)
    if value.isdigit():
        n = int(value)
        return "root" if n == 0 else f"uid={n}"
    return value


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def _clean(text: str) -> str:
    """Text decoded from hex, made valid UTF-8 (bytes that were not become U+FFFD)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
