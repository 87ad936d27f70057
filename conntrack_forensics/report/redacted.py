"""Redacted copies of results: every string of an analysis, a load or an events table.

:func:`collect` gathers the host and user names the evidence states (columns, fields,
``/etc/passwd`` accounts and their real names, home directories), :func:`redact` teaches them to
a :class:`.Redactor` and returns a copy of any result (dataclasses, lists, dicts, DataFrames)
with every string passed through :meth:`.Redactor.text`; the renderers then work unchanged on
the copy. Learning from the whole object first means a name is replaced everywhere, even where
nothing marks it as a name.

Example:
    >>> import conntrack_forensics as cf
    >>> from conntrack_forensics.report.redact import Redactor
    >>> events = cf.load("sample_logs/sosreport-web1").events
    >>> clean = redact_events(events, Redactor("k"))
    >>> "web1" in " ".join(clean["message"].dropna()), clean["host"].iloc[0].startswith("host-")
    (False, True)
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from .redact import HOME_PATH, SYSTEM_USERS, Redactor, is_user_name

T = TypeVar("T")

#: Fields and columns that hold a host name, and a user name.
HOST_FIELDS = frozenset({"host", "hosts"})
USER_FIELDS = frozenset({"user", "run_as"})
#: The passwd snapshot's words (``account alice uid=1000 home=/home/alice shell=/bin/zsh``).
_ACCOUNT = re.compile(r"^account (?P<name>\S+) uid=(?P<uid>\d+) home=(?P<home>\S*)")
#: An ``/etc/passwd`` line: its fifth field is the owner's real name (GECOS).
_PASSWD = re.compile(r"^(?P<name>[^:\s]+):[^:]*:(?P<uid>\d+):\d+:(?P<gecos>[^:]*):")
#: pam's ``alice(uid=1000)``.
_PAM = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]*)\(uid=(\d+)\)")
#: Fields whose values are the tool's vocabulary (``cause``, ``kind``...), never evidence.
VOCABULARY_FIELDS = frozenset({"kind", "cause", "rule", "format", "time_quality", "id", "tz",
                               "tz_source", "year_source", "level", "locale", "via"})
#: ``schema`` of the mapping file (:func:`map_document`).
MAP_SCHEMA = "conntrack-forensics/redaction-map/v1"
#: Lowest uid of a person's account (below: system accounts); ``nobody`` is 65534.
FIRST_PERSON_UID = 1000


@dataclasses.dataclass
class Found:
    """Names an evidence states, by kind, before filtering."""

    hosts: set[str] = dataclasses.field(default_factory=set)
    users: set[str] = dataclasses.field(default_factory=set)
    system: set[str] = dataclasses.field(default_factory=set)
    people: set[str] = dataclasses.field(default_factory=set)

    def teach(self, redactor: Redactor) -> None:
        """Give the names to ``redactor`` (system accounts left out)."""
        users = {u for u in self.users if u.lower() not in self.system}
        redactor.learn(hosts=sorted(self.hosts), users=sorted(users), people=sorted(self.people))


def collect(obj: Any, found: Found | None = None) -> Found:
    """The host names, user names and real names stated anywhere in ``obj``.

    Example:
        >>> found = collect({"host": "web1", "note": "/home/alice/.bash_history"})
        >>> found.hosts, found.users
        ({'web1'}, {'alice'})
    """
    found = found if found is not None else Found()
    for key, value in _walk(obj):
        if isinstance(value, str):
            _text(value, found)
            if key in HOST_FIELDS:
                found.hosts.add(value)
            elif key in USER_FIELDS and is_user_name(value):
                found.users.add(value)
        elif isinstance(value, pd.DataFrame):
            _frame(value, found)
    _accounts_only(found)
    return found


def redact(obj: T, redactor: Redactor) -> T:
    """A copy of ``obj`` whose every string went through ``redactor`` (after it learned them).

    Dataclasses are copied field by field, DataFrames column by column (their dtypes kept);
    numbers, times and enumerations are kept as they are.
    """
    collect(obj).teach(redactor)
    return _copy(obj, redactor)


def redact_events(events: pd.DataFrame, redactor: Redactor, context: Any = None) -> pd.DataFrame:
    """A redacted copy of an events table (the ``timeline`` command's input).

    Args:
        events: the table (all of it, or the rows of one host).
        redactor: its key decides the pseudonyms: the same key gives the report's.
        context: more evidence to learn names from, such as the whole ``LoadResult``
            when ``events`` is a part of it.
    """
    found = collect(events)
    if context is not None:
        collect(context, found)
    found.teach(redactor)
    return _copy(events, redactor)


def map_document(redactor: Redactor) -> dict[str, Any]:
    """The mapping file's content: each real value and its pseudonym, per kind (never the key).

    Example:
        >>> r = Redactor("k")
        >>> _ = r.text("from 10.0.0.7")
        >>> map_document(r)["pseudonyms"]
        {'ipv4': {'10.0.0.7': 'ip4-fdb3e155'}}
    """
    return {"schema": MAP_SCHEMA, "keyed": redactor.keyed, "pseudonyms": redactor.mapping()}


def map_text(redactor: Redactor) -> str:
    """:func:`map_document` as JSON text (sorted, so deterministic for a given key)."""
    return json.dumps(map_document(redactor), indent=2, ensure_ascii=False) + "\n"


def write_map(redactor: Redactor, path: str | os.PathLike[str]) -> str:
    """Write :func:`map_text` to ``path``; the text written."""
    text = map_text(redactor)
    Path(path).write_text(text, encoding="utf-8")
    return text


def _walk(obj: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    if isinstance(obj, str) or isinstance(obj, pd.DataFrame):
        yield key, obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _walk(getattr(obj, f.name), f.name)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(k, None)
            yield from _walk(v, k if isinstance(k, str) else None)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            yield from _walk(v, key)


def _text(text: str, found: Found) -> None:
    if "/" in text:
        for m in HOME_PATH.finditer(text):
            found.users.add(m.group("name"))


def _frame(frame: pd.DataFrame, found: Found) -> None:
    for col in frame.columns:
        if not _is_text(frame[col]):
            continue
        values = [v for v in frame[col].dropna().unique() if isinstance(v, str)]
        if col in HOST_FIELDS:
            found.hosts.update(values)
        elif col in USER_FIELDS:
            found.users.update(v for v in values if is_user_name(v))
        for v in values:
            _text(v, found)
            _account(v, found)


def _account(text: str, found: Found) -> None:
    m = _ACCOUNT.match(text)
    if m is not None:
        person = _is_person(int(m["uid"]), m["home"])
        (found.users if person else found.system).add(m["name"].lower() if not person
                                                        else m["name"])
        return
    m = _PASSWD.match(text)
    if m is not None:
        gecos = m["gecos"].split(",", 1)[0].strip()
        if int(m["uid"]) >= FIRST_PERSON_UID and gecos and gecos.lower() != m["name"].lower():
            found.people.add(gecos)
        return
    for name, uid in _PAM.findall(text):
        if int(uid) >= FIRST_PERSON_UID:
            found.users.add(name)


def _is_person(uid: int, home: str) -> bool:
    return (FIRST_PERSON_UID <= uid < 65534) or home.startswith(("/home/", "/Users/"))


def _accounts_only(found: Found) -> None:
    """A system account (per passwd or everywhere) is no one's name, even as a ``user``."""
    found.system |= {u for u in found.users if u.lower() in SYSTEM_USERS}
    found.people = {p for p in found.people if p.lower() not in found.system}


def _is_text(col: pd.Series) -> bool:
    """Free text: string and object columns (categorical ones hold vocabularies: kind...)."""
    dtype = col.dtype
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)


def _copy(obj: Any, r: Redactor) -> Any:
    if type(obj) is str:  # an enumeration (a str subclass) is vocabulary: kept
        return r.text(obj)
    if isinstance(obj, pd.DataFrame):
        return _copy_frame(obj, r)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: _copy(getattr(obj, f.name), r) for f in dataclasses.fields(obj)
                   if f.init and f.name not in VOCABULARY_FIELDS}
        return dataclasses.replace(obj, **changes)
    if isinstance(obj, dict):
        return {_copy(k, r): _copy(v, r) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy(v, r) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_copy(v, r) for v in obj)
    return obj


def _copy_frame(frame: pd.DataFrame, r: Redactor) -> pd.DataFrame:
    out = frame.copy()
    for col in frame.columns:
        series = frame[col]
        if not _is_text(series):
            continue
        values = {v: r.text(v) for v in series.dropna().unique() if isinstance(v, str)}
        out[col] = series.astype(object).map(
            lambda v, values=values: values.get(v, v) if isinstance(v, str) else v
        ).astype(series.dtype)
    return out
