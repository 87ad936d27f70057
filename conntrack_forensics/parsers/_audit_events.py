"""What one audit event means: its records (grouped by :mod:`.audit`) read as one row.

* a program execution (``EXECVE``) -> ``command``, the argument vector rebuilt (hex-encoded
  and split ``a1[0]=`` arguments decoded) and quoted like a shell would;
* ``sudo`` (``USER_CMD``) -> ``command`` with program ``sudo``;
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

import re
import shlex
from dataclasses import dataclass

from ..model import Kind
from ._audit_records import clean, record_fields

#: Longest ``message`` for record types without a dedicated reading.
SUMMARY_CAP = 300

_SPACE = re.compile(r"\s")
_UNKNOWN_ID = re.compile(r"unknown\((\d+)\)")
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
#: Record types whose fields make an event (the others are evidence only).
_READ = frozenset({"SYSCALL", "EXECVE", "PROCTITLE", "USER_CMD", "KERN_MODULE"})


@dataclass(frozen=True)
class Event:
    """What one audit event means: the row it gives."""

    kind: Kind
    message: str
    program: str | None = None
    pid: int | None = None
    user: str | None = None
    module: str | None = None
    rule: str | None = None
    command: str | None = None
    ppid: str | None = None


def describe(records: list[tuple[str, str]], interpreted: bool) -> Event:
    """What one audit event means (only the records that say it are read field by field)."""
    by_type: dict[str, list[dict[str, str]]] = {}
    for n, (rtype, body) in enumerate(records):
        if n == 0 or rtype in _READ:
            by_type.setdefault(rtype, []).append(record_fields(rtype, body, interpreted))
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
        cmd = clean(f.get("cmd", "")).strip()
        res = f.get("res", "").lower()
        if cmd and res not in _FAILED:
            return Event(Kind.COMMAND, f"sudo {cmd}", "sudo", _int(f.get("pid")), _user(f),
                         command=cmd)
        return Event(Kind.MESSAGE, _summary("USER_CMD", f, extra=("cmd",)), "sudo",
                     _int(f.get("pid")), _user(f))
    account = _account(main_type, main)
    if account is not None:
        return Event(Kind.LOGIN, account, program, pid, user)
    kind = {"SYSTEM_BOOT": Kind.BOOT, "SYSTEM_SHUTDOWN": Kind.SHUTDOWN}.get(main_type,
                                                                           Kind.MESSAGE)
    summary = _summary(main_type, main, call=call)
    if main_type == "SYSCALL" and "PROCTITLE" in by_type:
        title = _proctitle(by_type["PROCTITLE"][0].get("proctitle", ""))
        if title:
            summary += f" proctitle={clean(' '.join(title))}"
    return Event(kind, summary[:SUMMARY_CAP], program, pid, user)


def _module_load(
    by_type: dict[str, list[dict[str, str]]], call: str | None, syscall: dict[str, str] | None,
    program: str | None, pid: int | None, user: str | None,
) -> Event:
    name = None
    if "KERN_MODULE" in by_type:
        raw = clean(by_type["KERN_MODULE"][0].get("name", "")).strip()
        name = _module_name(raw) if raw not in _NOTHING else None
    how = call or "KERN_MODULE"
    by = f" by {program}" if program else ""
    if syscall is not None and syscall.get("success", "").lower() in _FAILED:
        what = f"kernel module {name}" if name else "kernel module"
        return Event(Kind.MESSAGE,
                     f"{what} failed to load ({how}{by}, exit={syscall.get('exit', '?')})",
                     program, pid, user)
    what = f"kernel module {name} loaded" if name else "kernel module loaded, name not logged"
    return Event(Kind.MODULE_LOAD, f"{what} ({how}{by})", program, pid, user, module=name,
                 rule="audit_kern_module")


def _execution(
    argv: list[str], proc: dict[str, str], program: str | None, pid: int | None,
    user: str | None,
) -> Event:
    cmdline = shlex.join(argv)
    program = program or argv[0].rsplit("/", 1)[-1] or None
    ids = [proc[k].strip() for k in ("auid", "AUID") if k in proc]
    no_login = bool(ids) and all(v in _UNSET for v in ids)
    if no_login and argv[0].rsplit("/", 1)[-1] == "modprobe" and argv[1:3] == ["-q", "--"] \
            and len(argv) == 4:
        # The kernel's request_module(): module autoload, a consequence rather than a command.
        name = _module_name(argv[3])
        return Event(Kind.MODULE_LOAD, f"kernel requested module {name} ({cmdline})",
                     program, pid, user, module=name, rule="audit_module_request")
    if no_login and proc.get("ppid", "").strip() == "2":
        return Event(Kind.MESSAGE, f"kernel usermode helper: {cmdline}"[:SUMMARY_CAP],
                     program, pid, user)
    return Event(Kind.COMMAND, cmdline, program, pid, user, ppid=proc.get("ppid", "").strip())


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
            args.append(clean(merged[key]))
        elif f"{key}[0]" in merged:
            pieces = []
            j = 0
            while f"{key}[{j}]" in merged:
                pieces.append(merged[f"{key}[{j}]"])
                j += 1
            args.append(clean("".join(pieces)))
        else:
            break
        i += 1
    return args


def _proctitle(value: str) -> list[str]:
    """PROCTITLE's argv (NUL-separated once decoded; space-joined by ``ausearch -i``)."""
    if value in _NOTHING:
        return []
    return [clean(a) for a in value.split("\x00") if a]


def _summary(rtype: str, f: dict[str, str], *, call: str | None = None,
             extra: tuple[str, ...] = ()) -> str:
    parts = [rtype]
    for key in _SUMMARY_KEYS + extra:
        if key not in f and (key != "syscall" or not call):
            continue  # (most keys: the record has no such field)
        value = call if key == "syscall" and call else f.get(key)
        if value is None or value.strip() in _NOTHING or (
                key in ("ses", "id") and value.strip() in _UNSET):
            continue
        value = clean(value).strip()
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
    comm = clean(f.get("comm", "")).strip()
    if comm and comm not in _NOTHING:
        return comm
    exe = clean(f.get("exe", "")).strip()
    if exe and exe not in _NOTHING:
        return exe.rsplit("/", 1)[-1] or None
    return None


#: PAM records whose ``acct`` is the person behind a numeric id: a login's session (its new
#: ``auid``) and sudo's own check of its caller (the caller's ``uid``). sudo's and su's
#: session records name the target account instead, and are not used.
_LOGIN_EXES = frozenset({"sshd", "login", "gdm-session-worker", "systemd-logind"})
_ACCOUNT_OPS = {"PAM:session_open": "auid", "PAM:accounting": "uid",
                "PAM:authentication": "uid"}


def _account(rtype: str, f: dict[str, str]) -> str | None:
    """``audit USER_START: alice(uid=1000) by sshd`` when a PAM record ties a name to an id.

    >>> _account("USER_START", {"op": "PAM:session_open", "acct": "alice", "auid": "1000",
    ...                         "uid": "0", "exe": "/usr/sbin/sshd", "res": "success"})
    'audit USER_START: alice(uid=1000) by sshd'
    """
    if rtype not in ("USER_START", "USER_ACCT", "USER_AUTH", "USER_LOGIN"):
        return None
    acct = clean(f.get("acct", "")).strip().strip('"')
    exe = clean(f.get("exe", "")).strip().rsplit("/", 1)[-1]
    key = _ACCOUNT_OPS.get(f.get("op", ""))
    if not acct or acct in _NOTHING or key is None or f.get("res", "") != "success":
        return None
    if key == "auid" and exe not in _LOGIN_EXES:
        return None
    if key == "uid" and exe != "sudo":
        return None
    uid = f.get(key, "").strip()
    if not uid.isdigit() or uid == "4294967295":
        return None
    return f"audit {rtype}: {acct}(uid={uid}) by {exe}"


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
    value = clean(value).strip()
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
