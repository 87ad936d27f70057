"""RFC 5424 syslog lines split with array operations: the full parse's fast path for them.

``<PRI>1 TIMESTAMP HOST APP-NAME PROCID MSGID SD MSG`` (rsyslog's RFC 5424 templates). The
RFC 3164 fast path (:mod:`._rfc3164`) leaves these lines; :func:`take_rfc5424` then takes those
of a common shape into the same :class:`._rfc3164.Scan`, so that :mod:`._bulk` makes their
``message`` rows column-wise with the RFC 3164 lines': a time of the shape
``YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+hh:mm|-hh:mm)``, a host, an application, a process id (digits
or ``-``) and a message id of at most :data:`._names.NAME_BYTES` bytes each, no structured data
(``-``) and a message, the whole line printable ASCII without a classifier's word (one
Hyperscan pass per block, :func:`._keywords.loud`). Every other line is read one by one by the
syslog parser's regular expressions, as before.

The time goes on as seconds since 1970 where the loader would read the text to exactly the
same microsecond (checked line by line, ``round(seconds * 1e6)``); that spares the loader
reading the text. :class:`BulkLatest` remembers, per host and program, the last line taken
here, which a ``last message repeated`` read line by line may repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..inputs.blocks import Block
from ..times import wall_times
from ._keywords import loud
from ._names import Collision, is_host, name_end, names
from ._rfc3164 import Scan
from ._swar import bytes_mask, digits, is_digits, pair, whitespace

# "YYYY-MM-", "DDTHH:MM", ":SS": the fixed part of the time as three words
_DIGITS = ((0, 1, 2, 3, 5, 6), (0, 1, 3, 4, 6, 7), (1, 2))
_FIXED = (bytes_mask((4, 7)), bytes_mask((2, 5)), bytes_mask((0,)))
_SEPS = (bytes_mask((4, 7), 45), bytes_mask((2,), 84) | bytes_mask((5,), 58),
         bytes_mask((0,), 58))
#: Years taken here; a time outside them is read line by line (and by the loader from text).
FIRST_YEAR, LAST_YEAR = 1970, 2200


def rfc5424_time(words: np.ndarray, buf: np.ndarray, at: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times at ``at`` followed by a space: which are read, their microseconds, the space.

    The microseconds since 1970 (UTC) are exact; the space is where each time ends. Only
    ``YYYY-MM-DDTHH:MM:SS``, an optional ``.`` and one to six digits, and ``Z`` or
    ``+hh:mm``/``-hh:mm``; no leap second, no date that does not exist.
    """
    w = [words[at + 8 * k] for k in range(3)]
    ok = np.ones(len(at), dtype=bool)
    for word, at_digits, fixed, seps in zip(w, _DIGITS, _FIXED, _SEPS, strict=True):
        ok &= ((word & fixed) == seps) & is_digits(word, at_digits)
    year = pair(w[0], 0) * 100 + pair(w[0], 2)
    month, day = pair(w[0], 5), pair(w[1], 0)
    hour, minute, second = pair(w[1], 3), pair(w[1], 6), pair(w[2], 1)
    ok &= (year >= FIRST_YEAR) & (year <= LAST_YEAR) & (month >= 1) & (month <= 12) \
        & (hour <= 23) & (minute <= 59) & (second <= 59)
    dotted = buf[at + 19] == 46  # "."
    places, fraction = digits(words[at + 20])
    ok &= ~dotted | ((places >= 1) & (places <= 6))
    micros = np.where(dotted, fraction * 10 ** (6 - np.clip(places, 0, 6)), 0)
    zone = at + np.where(dotted, 20 + places, 19)
    sign = buf[zone]
    utc = sign == 90  # "Z"
    offset_word = words[zone + 1]  # "hh:mm"
    offset_hours, offset_minutes = pair(offset_word, 0), pair(offset_word, 3)
    signed = ((sign == 43) | (sign == 45)) & is_digits(offset_word, (0, 1, 3, 4)) \
        & (((offset_word >> np.uint64(16)) & np.uint64(0xFF)) == 58) \
        & (offset_hours <= 23) & (offset_minutes <= 59)
    ok &= utc | signed
    end = np.where(utc, zone + 1, zone + 6)
    ok &= buf[end] == 32
    clock = (hour * 3600 + minute * 60 + second).astype(np.float64)
    wall, missing = wall_times(np.where(ok, year, 1970), np.where(ok, month, 1),
                               np.where(ok, day, 1), clock)
    ok &= ~missing
    offset = np.where(utc, 0, (offset_hours * 3600 + offset_minutes * 60)
                      * np.where(sign == 45, -1, 1))
    exact = np.where(ok, wall.view(np.int64) // 1000 + micros - offset * 1_000_000, 0)
    return ok, exact, end


def _field_ends(words: np.ndarray, buf: np.ndarray, at: np.ndarray, ok: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """End of the field at ``at`` (non-blank bytes, one space after); ``ok`` narrowed."""
    end, ok = name_end(words, at, ok, whitespace)
    return end, ok & (end > at) & (buf[end] == 32)


@dataclass
class Taken:
    """The RFC 5424 lines of a block :func:`take_rfc5424` took, by index in the block."""

    rows: np.ndarray


def take_rfc5424(scan: Scan) -> Taken:
    """Take the block's RFC 5424 lines of the common shape into ``scan`` (see the module).

    Their ``fast`` becomes true; their host, program, pid, message start and seconds since
    1970 (``epoch``) are filled in, month, day and second of the day zeroed.
    """
    none = Taken(np.zeros(0, dtype=np.int64))
    if scan.buf is None or scan.program is None or scan.pid is None \
            or scan.msg_start is None or not len(scan):
        return none
    buf, starts, ends = scan.buf, scan.starts, scan.ends
    lines = np.flatnonzero(~scan.fast & (buf[starts] == 60))  # "<"
    if not len(lines):
        return none
    words = Block(buf, len(buf)).words()
    s, e = starts[lines], ends[lines]
    count, _ = digits(words[s + 1])  # "<PRI>1 "
    head = s + 1 + np.minimum(count, 3)
    ok = (count >= 1) & (count <= 3) & (buf[head] == 62) & (buf[head + 1] == 49) \
        & (buf[head + 2] == 32)
    good, micros, at = rfc5424_time(words, buf, head + 3)
    ok &= good
    epoch = micros / 1e6
    ok &= np.round(epoch * 1e6) == micros  # the loader's reading of it gives back the same
    host_at = at + 1
    host_end, ok = _field_ends(words, buf, host_at, ok)
    app_end, ok = _field_ends(words, buf, host_end + 1, ok)
    pid_at = app_end + 1
    pid_end, ok = _field_ends(words, buf, pid_at, ok)
    msgid_end, ok = _field_ends(words, buf, pid_end + 1, ok)
    sd = msgid_end + 1
    # no structured data, then a space and a message of one byte or more
    ok &= (buf[sd] == 45) & (buf[sd + 1] == 32) & (sd + 2 < e)
    # a carriage return left at the end: the line-by-line reader's decoding may take it off
    ok &= buf[e - 1] != 13
    # a process id of digits is the pid, anything else none; eight digits or more (a pid
    # that long, or a number too large to be one) are read line by line
    places, value = digits(words[pid_at])
    ok &= places < 8
    pid = np.where(places == pid_end - pid_at, value, -1)
    # a line followed by a continuation line is read line by line, which appends it
    following = np.minimum(lines + 1, len(starts) - 1)
    follow = buf[starts[following]]
    ok &= (lines + 1 >= len(starts)) | ((follow != 32) & (follow != 9))
    ok &= ~loud(buf, int(ends[-1]), starts, starts)[lines]
    if not ok.any():
        return none
    try:
        host, hosts = names(words, buf, host_at, host_end, ok)
        named = ok & ~((buf[host_end + 1] == 45) & (app_end == host_end + 2))  # app "-"
        program, programs = names(words, buf, host_end + 1, app_end, named)
    except Collision:
        return none
    if hosts and not all(map(is_host, hosts)):  # a severity, a number or "-": line by line
        bad = np.array([not is_host(h) for h in hosts] + [False])
        ok &= ~bad[host]
    rows = lines[ok]
    if not len(rows):
        return none
    scan.fast[rows] = True
    scan.mon[rows], scan.day[rows], scan.sod[rows] = 0, 0, 0
    if scan.epoch is None:
        scan.epoch = np.full(len(scan), np.nan)
    scan.epoch[rows] = epoch[ok]
    scan.host[rows] = _recode(host[ok], hosts, scan.hosts)
    scan.program[rows] = _recode(program[ok], programs, scan.programs)
    scan.pid[rows] = pid[ok]
    scan.msg_start[rows] = (sd + 2)[ok]
    return Taken(rows)


def _recode(codes: np.ndarray, names_: list[str], into: list[str]) -> np.ndarray:
    """Codes into ``names_`` as codes into ``into`` (extended in place; -1 stays -1)."""
    known = {name: i for i, name in enumerate(into)}
    table = np.full(len(names_) + 1, -1, dtype=np.int64)
    for i, name in enumerate(names_):
        if name not in known:
            known[name] = len(into)
            into.append(name)
        table[i] = known[name]
    return table[codes]


@dataclass
class BulkLatest:
    """The last line taken in bulk per host and program, for ``last message repeated``.

    The line-by-line reader remembers what each (host, program) said last; a line taken here
    said something plain. :meth:`block` hands over each block's lines before its other lines
    are read; :meth:`latest` answers for a line of that block. Made and called only by the
    syslog parser's line-by-line reader.
    """

    done: dict[tuple[str, str | None], int] = field(default_factory=dict)
    line: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    host: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    program: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    hosts: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stated: bool = False  # whether a line's time went on as its text yet

    def block(self, scan: Scan, taken: Taken, first: int) -> None:
        """The lines ``taken`` of the block ``scan`` (its first line numbered ``first``).

        The first line taken in a file is given back (``scan.fast`` false) to be read line by
        line all the same: its row keeps the time as text, as every RFC 5424 row did before
        this path, since the loader takes a zone the evidence names as needed by a file with
        such a row (and says so, an info diagnostic).
        """
        if not self.stated and len(taken.rows):
            scan.fast[taken.rows[0]] = False
            taken = Taken(taken.rows[1:])
            self.stated = True
        self._settle()
        assert scan.program is not None
        rows = self.rows = taken.rows
        self.line, self.host, self.program = first + rows, scan.host[rows], scan.program[rows]
        self.hosts, self.programs = scan.hosts, scan.programs

    def others(self, bulk: np.ndarray) -> np.ndarray:
        """The lines of the current block's ``bulk`` not taken here (the RFC 3164 ones).

        The syslog parser looks back at those as it did before this path: only so far.
        """
        if not len(self.rows):
            return bulk
        out = bulk.copy()
        out[self.rows] = False
        return out

    def _settle(self) -> None:
        """The last block's lines into :attr:`done` (the last line of each key)."""
        if not len(self.line):
            return
        wide = len(self.programs) + 1
        pairs = self.host * wide + (self.program + 1)
        for keys, program in ((pairs, True), (self.host, False)):
            distinct, back = np.unique(keys[::-1], return_index=True)
            for key, at in zip(distinct.tolist(), (len(keys) - 1 - back).tolist(), strict=True):
                host = self.hosts[key // wide if program else key]
                code = key % wide - 1 if program else -1
                self.done[(host, self.programs[code] if code >= 0 else None)] = \
                    int(self.line[at])

    def latest(self, host: str | None, program: str | None, before: int) -> int:
        """Number of the last line before ``before`` taken here of ``host`` and ``program``.

        ``program`` None means any program (the host's last line); 0 if there is none.
        """
        if host is None or host not in self.hosts:
            return self.done.get((host, program), 0) if host is not None else 0
        mine = (self.host == self.hosts.index(host)) & (self.line < before)
        if program is not None:
            mine &= self.program == (self.programs.index(program)
                                     if program in self.programs else -2)
        at = np.flatnonzero(mine)
        if len(at):
            return int(self.line[at[-1]])
        return self.done.get((host, program), 0)
