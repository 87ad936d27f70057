"""Small host configuration files that name the host's time zone or host name.

``/etc/sysconfig/clock`` (``ZONE="Asia/Shanghai"``), ``/etc/timezone`` (one zone name),
``timedatectl`` output (``Time zone: Asia/Shanghai (CST, +0800)``), ``/etc/sysconfig/network``
(``HOSTNAME=bogon``) and ``/etc/hostname``. They give no events; what they say feeds the zone
choice of CONTRACT section 1 and names the host of evidence that carries no host name.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator

from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

_KV = re.compile(r"\s*(?P<key>[A-Z_]+)\s*=\s*\"?(?P<value>[^\"#]*?)\"?\s*(?:#.*)?")
_TIMEDATECTL = re.compile(r"\s*Time zone:\s*(?P<zone>[A-Za-z0-9_+\-/]+)")
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})(?:\.[A-Za-z0-9\-]{1,63})*")
_ZONE_KEYS = ("ZONE", "TIMEZONE")
_HOST_KEYS = ("HOSTNAME",)


def _is_zone(text: str) -> bool:
    if "/" not in text and text not in ("UTC", "GMT"):
        return False
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False  # (OSError: a directory of zones, a name too long for a path)
    return True


@register
class HostConfigParser(Parser):
    """Zone and host name from configuration files."""

    NAME = "host_config"
    DESCRIPTION = "time zone and host name files (sysconfig/clock, timezone, hostname, ...)"

    def sniff(self, head: Head) -> float:
        """Key=value files with a zone or host key, one-line zone or host name files."""
        lines = [ln for ln in head.lines if not ln.lstrip().startswith("#")]
        if not lines or len(lines) > 40:
            return 0.0
        if any(_TIMEDATECTL.match(ln) for ln in lines):
            return 0.9
        kv = [_KV.fullmatch(ln) for ln in lines]
        if all(kv) and any(m.group("key") in _ZONE_KEYS + _HOST_KEYS for m in kv if m):
            return 0.9
        if len(lines) == 1:
            word = lines[0].strip()
            if _is_zone(word):
                return 0.9
            if head.name in ("hostname", "HOSTNAME") and _HOSTNAME.fullmatch(word):
                return 0.9
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """Record the hints; yields no events."""
        name = ctx.source.basename
        for chunk in ctx.chunks():
            for i, line in enumerate(chunk.lines):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                ctx.ok()
                if (m := _TIMEDATECTL.match(text)) and _is_zone(m.group("zone")):
                    ctx.hint_tz(m.group("zone"))
                elif (kv := _KV.fullmatch(text)) is not None:
                    key, value = kv.group("key"), kv.group("value").strip()
                    if key in _ZONE_KEYS and _is_zone(value):
                        ctx.hint_tz(value)
                    elif key in _ZONE_KEYS:
                        ctx.diag.warning(ctx.source.name, f"unknown time zone {value!r}",
                                         chunk.first + i)
                    elif key in _HOST_KEYS and _HOSTNAME.fullmatch(value):
                        ctx.hint_host(value.split(".")[0])
                elif _is_zone(text):
                    ctx.hint_tz(text)
                elif name in ("hostname", "HOSTNAME") and _HOSTNAME.fullmatch(text):
                    ctx.hint_host(text.split(".")[0])
        yield from ()
