"""Who acted, by name: numeric ids resolved from the evidence itself.

Audit records name the login uid (``auid=1000``); sudo and sshd name the login name; pam ties the
two (``session opened for user root by alice(uid=1000)``); a sosreport's ``etc/passwd`` lists
every account; a history file's directory (``home/alice/``) names its owner. :class:`Identities`
collects what one host's evidence says and turns ``uid=1000`` into ``alice``, so one person is
named one way in the report.

Example:
    >>> ids = Identities({1000: "alice"})
    >>> ids.name("uid=1000"), ids.uid("alice"), ids.name("bob")
    ('alice', 1000, 'bob')
    >>> ids.describe("alice", via="sudo", run_as="root")
    'alice (uid 1000), through sudo as root'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from ..model import Kind

_UID_FORM = re.compile(r"^uid=(\d+)$")
#: ``name(uid=N)`` as pam writes it.
_PAM_PAIR = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]*)\(uid=(\d+)\)")
#: An account line of ``etc/passwd`` as the passwd snapshot parser words it.
_ACCOUNT = re.compile(r"^account (\S+) uid=(\d+)\b")


@dataclass
class Identities:
    """Names of one host's numeric user ids, as its evidence gives them."""

    names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_events(cls, events: pd.DataFrame) -> Identities:
        """What the host's login lines and account snapshots say about uids."""
        names: dict[int, str] = {0: "root"}
        rows = events.loc[events["kind"].isin([Kind.LOGIN.value, Kind.SNAPSHOT.value]),
                          "message"].dropna()
        for message in rows:
            text = str(message)
            for name, uid in _PAM_PAIR.findall(text):
                names.setdefault(int(uid), name)
            account = _ACCOUNT.match(text)
            if account is not None:
                names.setdefault(int(account.group(2)), account.group(1))
        return cls(names)

    def name(self, user: str | None) -> str | None:
        """``user`` by name: ``uid=N`` becomes the name the evidence gives N, if any."""
        if user is None:
            return None
        m = _UID_FORM.match(user)
        if m is None:
            return user
        return self.names.get(int(m.group(1)), user)

    def uid(self, user: str | None) -> int | None:
        """The numeric id of ``user`` (a name or ``uid=N``), when the evidence gives it."""
        if user is None:
            return None
        m = _UID_FORM.match(user)
        if m is not None:
            return int(m.group(1))
        return next((uid for uid, name in self.names.items() if name == user), None)

    def describe(self, user: str | None, via: str | None = None,
                 run_as: str | None = None) -> str:
        """``alice (uid 1000), through sudo as root``: who acted and as whom."""
        name = self.name(user) or "an unknown user"
        uid = self.uid(user)
        if _UID_FORM.match(name):
            text = f"uid {uid}"  # the evidence names no one for it
        else:
            text = name if uid is None or name == "root" else f"{name} (uid {uid})"
        if via:
            text += f", through {via}" + (f" as {run_as}" if run_as else "")
        elif run_as and run_as != name:
            text += f" as {run_as}"
        return text
