"""Put seconds-since-boot (``dmesg``) on the UTC axis, then align them with the host's syslog.

A ring-buffer line says only how long after boot it was printed. :func:`anchor_boot` finds
the boot in the same host's other evidence, in order of trust: the same kernel banner timed
elsewhere; the boot an ``uptime`` snapshot of the same tree (else host) implies, when the
ring's last second fits within that uptime; the host's last boot event; the boot the ring's
distinctive kernel lines imply, matched at any distance to the same lines timed elsewhere
(never the repeated drop or rate-limit text); else none: the ring's rows keep no time (so they
are in no incident and no cause's evidence), with a warning naming the file.

That anchor is coarse: syslog stamps the boot's kernel lines when the daemon starts, seconds
after the kernel printed them, and ``uptime`` counts minutes. :func:`align` then compares the
ring's lines with the identical kernel lines other sources of the host timed, and shifts the
ring by the smallest offset on which most of them agree (lines that are rare weigh more than the
thousand identical drop lines: a text's pairs weigh
1 / the larger of its two counts), so that the same drop seen in ``dmesg`` and in
``/var/log/messages`` falls in the same second and counts once (CONTRACT section 5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from .copies import event_numbers, same_text, stream_of
from .facts import facts
from .parsed import ParsedSource

#: The coarse anchor is trusted to this many seconds; alignment looks no further.
MAX_SHIFT = 600.0
#: Of a repeated text, at most this many lines (spread evenly) estimate the shift.
MAX_SAMPLE = 200
#: How many matching lines must agree before the ring is shifted.
MIN_AGREEING = 3
#: Widest range of shifts, in seconds, swept line by line for the best agreement.
SWEEP_SECONDS = 4.0


def _banners(raw: pd.DataFrame) -> pd.Series:
    """Kernel banner texts (``Linux version ...``) of boot rows, without uptime prefixes."""
    boot = raw.loc[(raw["kind"] == "boot")]
    text = same_text(boot["message"])
    return text.loc[text.str.startswith("Linux version")]


def _uptime_boots(rows: Sequence[ParsedSource]) -> list[tuple[pd.Timestamp, float, str, str]]:
    """Boot times derived from ``uptime`` snapshots: (boot, uptime, scope, source)."""
    out: list[tuple[pd.Timestamp, float, str, str]] = []
    for q in rows:
        if not facts(q).boot_age:
            continue
        assert q.raw is not None and q.times is not None
        age = q.raw["boot_age"]
        mask = (age.notna() & q.times.notna()).to_numpy(dtype=bool)
        for when, secs in zip(q.times[mask], age[mask].astype("float64"), strict=True):
            out.append((when - pd.Timedelta(seconds=float(secs)), float(secs), q.source.scope,
                        q.source.name))
    return out


def anchor_boot(p: ParsedSource, rows: Sequence[ParsedSource], diag: Diagnostics) -> None:
    """Turn ``p``'s seconds since boot into UTC times (see the module docstring)."""
    raw = p.raw
    assert raw is not None and p.times is not None
    up = raw["uptime"]
    mask = up.notna().to_numpy()
    own = _banners(raw.loc[mask])
    own_text = own.iloc[-1] if len(own) else None
    own_up = float(up.loc[own.index[-1]]) if len(own) else 0.0
    last_up = float(up.loc[mask].astype("float64").max())
    matched: list[tuple[pd.Timestamp, str]] = []
    boots: list[tuple[pd.Timestamp, str]] = []
    hosts = {q.source.scope: q.host for q in rows}
    for q in rows:
        if q is p or not q.size or not q.timed or (p.host and q.host != p.host) \
                or not facts(q).boot:
            continue
        assert q.raw is not None and q.times is not None
        banners = _banners(q.raw)
        for t, text in zip(q.times.loc[banners.index], banners, strict=True):
            if pd.isna(t):
                continue
            boots.append((t, q.source.name))
            if own_text is not None and text == own_text:
                matched.append((t, q.source.name))
    uptimes = [
        (p.source.scope != scope, boot, where)
        for boot, secs, scope, where in _uptime_boots(rows)
        if (scope == p.source.scope or (p.host and hosts.get(scope) == p.host))
        and last_up <= secs + 1.0
    ]
    if matched:
        when, where = max(matched)
        anchor = when - pd.Timedelta(seconds=own_up)
        how = f"the same kernel banner in {where}"
    elif uptimes:
        _other, anchor, where = min(uptimes, key=lambda u: (u[0], -u[1].value))
        how = f"the uptime read in {where}"
    elif boots:
        when, where = max(boots)
        anchor = when - pd.Timedelta(seconds=own_up)
        how = f"the last boot in {where} (no kernel banner to match)"
    else:
        found = _matched_anchor(p, rows)
        if found is None:
            p.times.loc[raw.index[mask]] = pd.NaT
            p.relative = mask
            diag.warning(p.source.name, "no boot time in the evidence for this host and no "
                         "kernel line timed elsewhere to match: its seconds since boot are left "
                         "without a time, outside every incident")
            return
        anchor, where = found
        how = f"the same kernel lines in {where}"
    times = anchor + pd.to_timedelta(up.loc[mask].astype("float64"), unit="s")
    p.times.loc[raw.index[mask]] = times
    p.relative = mask
    shift = align(p, rows, diag)
    if shift:
        anchor += pd.Timedelta(seconds=shift)
    diag.info(p.source.name, f"seconds since boot anchored at {anchor.isoformat()} from {how}")


#: Kinds whose lines repeat identically (a burst every few seconds): they cannot anchor a ring.
_REPEATED = ("conntrack_drop", "ratelimit_suppressed")
#: Of a text, at most this many lines on either side are paired to anchor an unanchored ring.
_MAX_REPEATS = 20
#: Anchors within this many seconds of each other agree (syslog keeps whole seconds).
_ANCHOR_TOLERANCE = 2.0


def _matched_anchor(
    p: ParsedSource, rows: Sequence[ParsedSource]
) -> tuple[pd.Timestamp, str] | None:
    """The boot time on which most distinctive ring lines meet their timed twins, any distance.

    Each pair of a ring line and the same kernel text timed by another source of the host
    implies a boot (its time minus the line's uptime); the boot that at least
    :data:`MIN_AGREEING` distinct texts imply (within :data:`_ANCHOR_TOLERANCE` seconds) wins.
    Drop and rate-limit lines repeat identically and are left out.
    """
    raw = p.raw
    assert raw is not None
    mask = (raw["uptime"].notna() & ~raw["kind"].isin(_REPEATED).fillna(False)).to_numpy(
        dtype=bool)
    own = pd.DataFrame({"text": same_text(raw.loc[mask, "message"]),
                        "up": raw.loc[mask, "uptime"].astype("float64")})
    own = own.loc[own.groupby("text")["text"].transform("size") <= _MAX_REPEATS]
    if own.empty:
        return None
    pairs: list[pd.DataFrame] = []
    for q in rows:
        if q is p or not q.size or not q.timed or q.relative is not None \
                or (p.host and q.host != p.host) or not facts(q).kernel:
            continue
        assert q.raw is not None
        lines = kernel_lines(q)
        kinds = q.raw.loc[lines.index, "kind"]
        lines = lines.loc[~kinds.isin(_REPEATED).fillna(False).to_numpy(dtype=bool)]
        lines = lines.loc[lines.groupby("text")["text"].transform("size") <= _MAX_REPEATS]
        if lines.empty:
            continue
        both = own.merge(lines[["text", "t"]], on="text")
        if len(both):
            boot = both["t"].astype("int64") / 1e9 - both["up"]
            pairs.append(pd.DataFrame({"text": both["text"], "boot": boot,
                                       "src": q.source.name}))
    if not pairs:
        return None
    cand = pd.concat(pairs, ignore_index=True).sort_values("boot", kind="stable")
    boots = cand["boot"].to_numpy()
    texts = cand["text"].to_numpy()
    best, best_at = 0, -1
    for i in range(len(boots)):
        j = int(np.searchsorted(boots, boots[i] + _ANCHOR_TOLERANCE, side="right"))
        n = len(set(texts[i:j].tolist()))
        if n > best:
            best, best_at = n, i
    if best < MIN_AGREEING:
        return None
    j = int(np.searchsorted(boots, boots[best_at] + _ANCHOR_TOLERANCE, side="right"))
    chosen = cand.iloc[best_at:j]
    anchor = pd.Timestamp(int(round(float(np.median(chosen["boot"])) * 1e9)), tz="UTC")
    where = ", ".join(sorted(set(chosen["src"]))[:3])
    return anchor, where


def align(p: ParsedSource, rows: Sequence[ParsedSource], diag: Diagnostics) -> float:
    """Shift ``p``'s anchored ring onto the host's other kernel lines; the shift in seconds."""
    raw = p.raw
    assert raw is not None and p.times is not None and p.relative is not None
    own = pd.DataFrame({"text": same_text(raw["message"]), "t": p.times}).loc[p.relative]
    own = own.loc[own["t"].notna()]
    if own.empty:
        return 0.0
    lo, hi = own["t"].min(), own["t"].max()
    margin = pd.Timedelta(seconds=MAX_SHIFT)
    others: list[pd.DataFrame] = []
    names: list[str] = []
    for q in rows:
        if q is p or q.host != p.host or q.relative is not None or not facts(q).kernel:
            continue
        lines = kernel_lines(q, lo - margin, hi + margin)
        if len(lines):
            others.append(lines.assign(src=stream_of(q.source.name)))
            names.append(q.source.name)
    if not others:
        return 0.0
    found = estimate_shift(own, pd.concat(others, ignore_index=True), MAX_SHIFT)
    if found is None:
        return 0.0
    shift, agreeing = found
    if agreeing < min(MIN_AGREEING, len(own)) or abs(shift) < 1e-6:
        return 0.0
    p.times.loc[raw.index[p.relative]] += pd.Timedelta(seconds=shift)
    diag.info(p.source.name, f"seconds since boot shifted {shift:+.3f} s to match the same "
              f"kernel lines in {', '.join(sorted(set(names))[:3])}")
    return shift


def kernel_lines(
    q: ParsedSource, lo: pd.Timestamp | None = None, hi: pd.Timestamp | None = None
) -> pd.DataFrame:
    """A source's timed kernel lines (``text``, ``t``, ``width``: 1 s for whole-second times).

    Only the lines between ``lo`` and ``hi`` when given.
    """
    assert q.raw is not None and q.times is not None
    pick = (q.raw["program"] == "kernel").fillna(False) & q.times.notna()
    if lo is not None:
        pick &= (q.times >= lo).fillna(False)
    if hi is not None:
        pick &= (q.times <= hi).fillna(False)
    t = q.times[pick]
    whole = bool((t.dt.microsecond == 0).all())
    return pd.DataFrame({"text": same_text(q.raw.loc[pick, "message"]), "t": t,
                         "width": 1.0 if whole else 0.05})


def estimate_shift(
    own: pd.DataFrame, other: pd.DataFrame, max_shift: float, *, middle: bool = False
) -> tuple[float, int] | None:
    """The shift of ``own`` onto ``other`` (same kernel lines), and how many lines then agree.

    Both frames have ``text`` and ``t`` (UTC times); ``other`` also ``width``. ``None`` when
    no line of one is within ``max_shift`` seconds of the same line in the other. Of equally
    good shifts the smallest is taken, or with ``middle`` the middle of the best range.
    """
    if "src" in other:  # several sources: each event once (:mod:`.copies`)
        numbers = event_numbers(pd.DataFrame({"time": other["t"]}), text=other["text"],
                                stream=other["src"])
        other = other.loc[numbers == np.arange(len(other))]
    own_ns = own.assign(t=own["t"].astype("int64"))
    other_ns = other.assign(t=other["t"].astype("int64"))
    candidates = _coarse_shifts(own_ns, other_ns, max_shift)
    if not len(candidates):
        return None
    return _fewest_mismatches(candidates, own_ns, other_ns, middle=middle)


def _coarse_shifts(own: pd.DataFrame, other: pd.DataFrame, max_shift: float) -> np.ndarray:
    """Candidate shifts: where the most weight of same-text pairs within ``max_shift`` agrees.

    Of each text, at most :data:`MAX_SAMPLE` ring lines (spread over the ring) are paired
    with the other sources' distinct seconds of that text: one interval per ring line and
    second, weighing 1 / the larger of the text's two counts.
    """
    lows: list[np.ndarray] = []
    widths: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    their_groups = dict(iter(other.groupby("text", sort=False)))
    for text, mine in own.groupby("text", sort=False):
        theirs = their_groups.get(text)
        if theirs is None:
            continue
        weight = 1.0 / max(len(mine), len(theirs))
        if len(mine) > MAX_SAMPLE:
            mine = mine.iloc[np.linspace(0, len(mine) - 1, MAX_SAMPLE).astype(int)]
        starts = theirs.drop_duplicates(subset=["t", "width"])
        diff = (starts["t"].to_numpy()[None, :] - mine["t"].to_numpy()[:, None]) / 1e9
        close = np.abs(diff) <= max_shift
        if not close.any():
            continue
        lows.append(diff[close])
        widths.append(np.broadcast_to(starts["width"].to_numpy()[None, :], diff.shape)[close])
        weights.append(np.full(int(close.sum()), weight))
    if not lows:
        return np.empty(0)
    return _best_shifts(np.concatenate(lows), np.concatenate(widths), np.concatenate(weights))


def _best_shifts(lows: np.ndarray, widths: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Middles of the spans covered by the most weight of ``[low, low + width)`` intervals."""
    edges = np.concatenate([lows, lows + widths])
    delta = np.concatenate([weights, -weights])
    order = np.lexsort((delta, edges))  # at equal edges, closings (negative) first
    edges, delta = edges[order], delta[order]
    cover = np.cumsum(delta)
    spans = np.flatnonzero(cover >= cover.max() - 1e-9)
    spans = spans[spans < len(edges) - 1]
    spans = spans[edges[spans + 1] > edges[spans]]
    return (edges[spans] + edges[spans + 1]) / 2


def _fewest_mismatches(
    candidates: np.ndarray, own: pd.DataFrame, other: pd.DataFrame, *, middle: bool = False
) -> tuple[float, int]:
    """The shift, near the candidates, after which most ring lines share a second with a twin.

    Between two shifts at which some ring line crosses a second boundary nothing changes, so
    the shifts from just below the lowest candidate to just above the highest (at most
    :data:`SWEEP_SECONDS` wide, around the candidate nearest zero) are swept crossing by
    crossing, counting per text and second how many ring lines have a twin in the other
    sources. Of the best shifts, the one nearest zero (the smallest correction) is returned,
    or with ``middle`` the middle of the widest run of them (the unbiased estimate when whole
    seconds are all one side knows), with how many ring lines then have a twin.
    """
    centre = candidates[int(np.argmin(np.abs(candidates)))]
    near = candidates[np.abs(candidates - centre) <= SWEEP_SECONDS / 2]
    lo = int((near.min() - 0.5) * 1e9)
    hi = int((near.max() + 0.5) * 1e9)
    codes, _uniques = pd.factorize(pd.concat([own["text"], other["text"]], ignore_index=True))
    own_code, other_code = codes[:len(own)], codes[len(own):]
    sec = 1_000_000_000
    # per text and second, how many lines the other sources hold (each event once)
    theirs: dict[tuple[int, int], int] = {}
    for key in zip(other_code.tolist(), (other["t"].to_numpy() // sec).tolist(), strict=True):
        theirs[key] = theirs.get(key, 0) + 1
    base = own["t"].to_numpy()
    start = (base + lo) // sec
    mine: dict[tuple[int, int], int] = {}
    for key in zip(own_code.tolist(), start.tolist(), strict=True):
        mine[key] = mine.get(key, 0) + 1
    matched = sum(min(n, theirs.get(k, 0)) for k, n in mine.items())
    # every crossing in (lo, hi]: line i enters second start_i + j at shift (start_i + j) s - t_i
    steps = int((hi - lo) // sec) + 2
    line = np.repeat(np.arange(len(base)), steps)
    to_sec = np.repeat(start, steps) + np.tile(np.arange(1, steps + 1), len(base))
    at = to_sec * sec - base[line]
    inside = (at > lo) & (at <= hi)
    order = np.argsort(at[inside], kind="stable")
    line, to_sec, at = line[inside][order], to_sec[inside][order], at[inside][order]
    best, best_runs, prev = matched, [(lo, int(at[0]) if len(at) else hi)], lo
    for i, (n, s, t) in enumerate(zip(line.tolist(), to_sec.tolist(), at.tolist(),
                                      strict=True)):
        code = int(own_code[n])
        old = (code, s - 1)
        if mine[old] <= theirs.get(old, 0):
            matched -= 1
        mine[old] -= 1
        new = (code, s)
        mine[new] = mine.get(new, 0) + 1
        if mine[new] <= theirs.get(new, 0):
            matched += 1
        prev = t
        end = int(at[i + 1]) if i + 1 < len(at) else hi
        if end == prev:
            continue
        if matched > best:
            best, best_runs = matched, [(prev, end)]
        elif matched == best:
            best_runs.append((prev, end))
    if middle:
        first, last = max(best_runs, key=lambda r: (r[1] - r[0], -abs(r[0] + r[1])))
        return (first + last) / 2 / 1e9, int(best)
    # the smallest correction of the anchor that achieves the best agreement
    points = [min(max(0, start), end - 1_000) for start, end in best_runs if end - start > 1_000]
    if not points:
        return 0.0, 0
    return min(points, key=abs) / 1e9, int(best)
