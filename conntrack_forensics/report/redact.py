"""Redacted copies of an analysis: identifiers replaced by keyed, consistent pseudonyms.

What is replaced (docs/redaction.md): host names, user names (a name inside a home path such as
``/home/alice`` included), real names of ``/etc/passwd`` accounts, e-mail addresses, IPv4 and
IPv6 addresses and MAC addresses. Kernel messages, module names, commands (but for the
identifiers in them), numbers and paths (but for the names in them) stay readable.

Detection, in two steps. First the names the evidence itself states are collected
(:func:`.redacted.collect`): the ``host`` and ``user`` columns and fields, ``/etc/passwd``
accounts (with their real names), the owner of each home directory named anywhere. They are
then replaced wherever they appear as a word (letters and digits on neither side, any case).
Addresses are found by pattern and validated: IPs with the standard library's :mod:`ipaddress`,
MACs and e-mail addresses by shape; audit's hex fields (``proctitle=``) are decoded first.
Libraries were weighed: ``scrubadub`` and ``presidio`` detect identifiers in prose with NLP
models (heavy, probabilistic, weak on log lines and on host names), so none is a dependency;
the standard library does the validation.

Pseudonyms keep the kind readable and are obviously fake: ``host-1a2b3c4d``, ``user-…``,
``person-…``, ``ip4-…``, ``ip6-…``, ``mac-…``, ``email-…@example.invalid``. The hex digits are
the HMAC-SHA256 of the value under a key: random per :class:`Redactor` by default (nothing can
be recovered by trying every IPv4 address), or given, so that two runs can be compared.
Non-identifying values stay: ``root`` and other system accounts, ``localhost``, unspecified,
loopback, multicast and netmask addresses, the all-zero and broadcast MACs.

Example:
    >>> r = Redactor(b"case-42")
    >>> r.learn(hosts=["web1"], users=["alice"])
    >>> r.text("Accepted publickey for alice from 10.0.0.7 on web1")
    'Accepted publickey for user-40ac6dad from ip4-c307a580 on host-7f30693f'
    >>> r.text("nf_conntrack: table full, dropping packet")
    'nf_conntrack: table full, dropping packet'
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Iterable
from typing import Any

#: Prefix of each kind's pseudonym.
PREFIXES = {"host": "host", "user": "user", "person": "person", "ipv4": "ip4", "ipv6": "ip6",
            "mac": "mac", "email": "email"}
#: Accounts every Linux system has: they name no one and keep ``sudo … as root`` readable.
SYSTEM_USERS = frozenset(
    "root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc gnats "
    "nobody nfsnobody adm halt shutdown operator ftp sshd dbus messagebus polkitd postfix "
    "chrony ntp syslog tss rpc rpcuser avahi colord geoclue pulse rtkit saned usbmux "
    "libuuid uuidd tcpdump dnsmasq lightdm gdm nscd mysql postgres redis nginx apache "
    "systemd-network systemd-resolve systemd-timesync systemd-journal systemd-coredump "
    "_apt mockbuild unbound openvpn".split())
#: Host names that name no machine.
ANONYMOUS_HOSTS = frozenset({"localhost", "localhost.localdomain", "localhost6",
                             "localhost6.localdomain6", "(none)", "-"})
#: systemd unit suffixes: ``user@1000.service`` is a unit, not an e-mail address.
UNIT_SUFFIXES = frozenset({"service", "socket", "target", "mount", "automount", "timer",
                           "slice", "scope", "path", "device", "swap"})
_HEX_LEN = 8
_EMAIL = r"(?<![\w.+%-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z][\w-]*"
_MAC = (r"(?<![\w:-])[0-9A-Fa-f]{2}(?P<sep>[:-])[0-9A-Fa-f]{2}"
        r"(?:(?P=sep)[0-9A-Fa-f]{2}){4,}(?![\w:-])")
_IPV6 = (r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
         r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?:%[\w.-]+)?(?![\w:])")
_IPV4 = r"(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)"
#: Fields audit writes in hex when they hold a space or a quote (``proctitle=7375646F...``).
_AUDIT_HEX = r"(?<![\w])(?:proctitle|cmd|a\d{1,4}|data)=[0-9A-F]{4,}(?![\w])"
#: The owner's name in a home, mail spool or macOS user directory (``/home/alice/...``).
HOME_PATH = re.compile(r"(?:^|(?<=/)|(?<=\s)|(?<==))(?:home|Users|export/home|var/spool/mail"
                       r"|var/mail)/(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)(?=/|$|[\s:'\"),;\]])")
_NAME_OK = re.compile(r"^(?=.*[A-Za-z])[\w.@-]{2,}$")
_PERSON_OK = re.compile(r"^(?=.*[A-Za-z])[\w.' -]{2,}$")
_UID = re.compile(r"^uid=\d+$")


class Redactor:
    """Replaces identifiers in text by keyed pseudonyms, the same value always the same way.

    Args:
        key: the HMAC key (bytes or text); ``None``: a random one, so that pseudonyms differ
            from run to run and cannot be reversed by trying candidates.

    Example:
        >>> r = Redactor("k")
        >>> r.text("DHCPACK on 192.168.1.20 to 52:54:00:12:34:56") == r.text(
        ...     "DHCPACK on 192.168.1.20 to 52:54:00:12:34:56")
        True
        >>> sorted(r.mapping())
        ['ipv4', 'mac']
    """

    def __init__(self, key: bytes | str | None = None) -> None:
        self.keyed = key is not None
        if key is None:
            key = secrets.token_bytes(32)
        self._key = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        self._names: dict[str, tuple[str, str]] = {}  # lower-case word -> (kind, canonical)
        self._forward: dict[tuple[str, str], str] = {}
        self._taken: dict[str, tuple[str, str]] = {}
        self._cache: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._inner: re.Pattern[str] | None = None
        self._no_ipv6: re.Pattern[str] | None = None

    # what to look for
    def learn(self, hosts: Iterable[str] = (), users: Iterable[str] = (),
              people: Iterable[str] = ()) -> None:
        """Add names the evidence states: replaced wherever they appear as a word.

        Names that identify no one (``root``, ``localhost``, one letter, numbers, addresses)
        are left alone; a name learned as a host stays a host.
        """
        for kind, names in (("host", hosts), ("user", users), ("person", people)):
            for name in names:
                word = str(name).strip()
                low = word.lower()
                ok = (_PERSON_OK if kind == "person" else _NAME_OK).match(word)
                if (not ok or low in self._names or low in ANONYMOUS_HOSTS
                        or (kind != "person" and low in SYSTEM_USERS) or _is_ip(word)):
                    continue
                self._names[low] = (kind, low)
                self.pseudonym(kind, low)
        self._pattern = self._inner = self._no_ipv6 = None
        self._cache.clear()

    @property
    def names(self) -> dict[str, str]:
        """Every learned name (lower case) and its kind."""
        return {name: kind for name, (kind, _) in self._names.items()}

    # pseudonyms
    def pseudonym(self, kind: str, value: str) -> str:
        """The pseudonym of ``value`` (already canonical) of ``kind`` (a key of PREFIXES)."""
        found = self._forward.get((kind, value))
        if found is not None:
            return found
        digest = hmac.new(self._key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()
        n = _HEX_LEN
        while f"{kind}:{digest[:n]}" in self._taken:  # a collision: lengthen, never merge
            n += 4
        token = f"{PREFIXES[kind]}-{digest[:n]}"
        self._taken[f"{kind}:{digest[:n]}"] = (kind, value)
        if kind == "email":
            token += "@example.invalid"
        self._forward[(kind, value)] = token
        return token

    def mapping(self) -> dict[str, dict[str, str]]:
        """Real value to pseudonym, per kind, sorted: for the owner of the evidence only."""
        out: dict[str, dict[str, str]] = {}
        for (kind, value), token in sorted(self._forward.items()):
            out.setdefault(kind, {})[value] = token
        return out

    # text
    def text(self, text: str) -> str:
        """``text`` with every identifier replaced."""
        done = self._cache.get(text)
        if done is not None:
            return done
        if self._pattern is None:
            self._compile()
        assert self._pattern is not None
        out = self._pattern.sub(self._replace, text)
        if len(self._cache) < 1_000_000:
            self._cache[text] = out
        return out

    def _compile(self) -> None:
        words = sorted(self._names, key=lambda w: (-len(w), w))
        names = ("|(?P<name>(?<![A-Za-z0-9])(?i:" + "|".join(re.escape(w) for w in words)
                 + ")(?![A-Za-z0-9]))") if words else ""
        rest = f"(?P<mac>{_MAC})|(?P<ipv6>{_IPV6})|(?P<ipv4>{_IPV4}){names}"
        self._pattern = re.compile(f"(?P<hex>{_AUDIT_HEX})|(?P<email>{_EMAIL})|{rest}")
        self._inner = re.compile(rest)
        self._no_ipv6 = re.compile(f"(?P<mac>{_MAC})|(?P<ipv4>{_IPV4}){names}")

    def _replace(self, m: re.Match[str]) -> str:
        group, found = m.lastgroup, m.group(0)
        if group == "hex":
            return self._audit_hex(found)
        if group == "email":
            return self._email(found)
        if group == "mac":
            return self._mac(found, m.group("sep"))
        if group == "ipv6":
            return self._ipv6(found)
        if group == "ipv4":
            return self._ipv4(found)
        if group == "name":
            kind, canonical = self._names[found.lower()]
            return self.pseudonym(kind, canonical)
        return found

    def _audit_hex(self, found: str) -> str:
        """An audit field in hex: decoded, redacted, encoded again (NULs between words kept)."""
        field, _, digits = found.partition("=")
        if len(digits) % 2:
            return found
        try:
            words = bytes.fromhex(digits).decode("utf-8").split("\0")
        except ValueError:
            return found
        clean = [self.text(w) for w in words]
        if clean == words:
            return found
        return field + "=" + "\0".join(clean).encode("utf-8").hex().upper()

    def _email(self, found: str) -> str:
        if found.rsplit(".", 1)[-1].lower() in UNIT_SUFFIXES:  # a systemd unit instance
            assert self._inner is not None
            return self._inner.sub(self._replace, found)
        return self.pseudonym("email", found.lower())

    def _mac(self, found: str, sep: str) -> str:
        octets = found.lower().split(sep)
        out: list[str] = []
        for i in range(0, len(octets), 6):
            chunk = octets[i:i + 6]
            if len(chunk) < 6 or len(set(chunk)) == 1 and chunk[0] in ("00", "ff"):
                out.extend(chunk)  # a trailing ethertype (iptables MAC=), or no one's MAC
            else:
                out.append(self.pseudonym("mac", ":".join(chunk)))
        return sep.join(out)

    def _ipv6(self, found: str) -> str:
        address, _, zone = found.partition("%")
        try:
            ip = ipaddress.IPv6Address(address)
        except ValueError:  # a time of day, a C++ scope, ``db3:ada:``: not an address
            assert self._no_ipv6 is not None
            return self._no_ipv6.sub(self._replace, found)
        if ip.is_unspecified or ip.is_loopback or ip.is_multicast:
            return found
        return self.pseudonym("ipv6", ip.compressed) + (f"%{zone}" if zone else "")

    def _ipv4(self, found: str) -> str:
        octets = [int(p) for p in found.split(".")]
        if any(o > 255 for o in octets):
            return found
        ip = ipaddress.IPv4Address(".".join(map(str, octets)))
        if not identifies(ip):
            return found
        return self.pseudonym("ipv4", str(ip))


def identifies(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address may name a machine (not ``0.0.0.0``, loopback, multicast, a netmask).

    Example:
        >>> identifies(ipaddress.ip_address("10.1.2.3")), identifies(ipaddress.ip_address("::1"))
        (True, False)
    """
    if ip.is_unspecified or ip.is_loopback or ip.is_multicast:
        return False
    if ip.version == 4 and str(ip).startswith("255."):
        bits = int(ip)
        inverted = ~bits & 0xFFFFFFFF
        return (inverted & (inverted + 1)) != 0  # a netmask's ones are contiguous
    return True


def _is_ip(word: str) -> bool:
    try:
        ipaddress.ip_address(word)
    except ValueError:
        return False
    return True


def is_user_name(value: Any) -> bool:
    """Whether a ``user`` value is a name (not missing, not ``uid=N``)."""
    return isinstance(value, str) and bool(value) and not _UID.match(value)
