"""Many small files read in worker processes, each file as the loader alone would read it.

Reading a small file (open it, sniff its format, parse its few lines) costs about a
millisecond of Python, most of it the same whatever the file's size; a tree of 10,000 such
files is ten seconds on one core while the machine's others wait. With ``processes`` above one,
and at least :data:`MIN_FILES` small plain files among the inputs, those files are read by a
pool of worker processes in chunks, while this process reads the rest (archives, standard
input, big files, which read their blocks in threads of their own).

Nothing depends on the order files are read in except what is merged here: each file's
diagnostics (folded by path and message: the sum and the first line do not depend on order)
and its hints (the first file, in input order, that names a tree's zone or host names it, as
when reading one by one). Workers are spawned, never forked: this process may run threads.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..diagnostics import Diagnostics
from ..inputs.source import Source
from ..parsers.base import Hints
from .parsed import ParsedSource
from .read import read_source

#: Fewer small files than this are read here: starting a worker costs about half a second.
MIN_FILES = 500
#: A file up to this size is small (a worker reads it whole in one go).
SMALL_BYTES = 1 << 20
#: Files per task handed to a worker.
CHUNK = 64

Result = tuple[ParsedSource, Diagnostics, Hints]


def read_all(
    sources: Iterable[Source], diag: Diagnostics, hints: Hints, full: bool,
    months: Mapping[str, int] | None, progress: Callable[[int], None] | None,
    processes: int,
) -> list[ParsedSource]:
    """Read every source in input order, small plain files in ``processes`` workers."""
    if processes <= 1:
        return [_read_here(source, index, diag, hints, full, months, progress)
                for index, source in enumerate(sources)]
    listed = list(sources)  # (the walk's own diagnostics are in ``diag`` already)
    small = [k for k, s in enumerate(listed) if _small(s)]
    if len(small) < MIN_FILES:
        return [_read_here(source, index, diag, hints, full, months, progress)
                for index, source in enumerate(listed)]
    results: dict[int, Result] = {}
    try:
        _in_workers(listed, small, results, full, months, progress, processes)
    except (OSError, NotImplementedError, BrokenProcessPool) as exc:
        # no worker processes here (no /dev/shm, a worker killed): the rest read here
        diag.info("(input)", f"worker processes unavailable ({type(exc).__name__}: {exc}): "
                  "the files were read in one process")
    for index, source in enumerate(listed):
        if index not in results:
            results[index] = _read_alone(source, index, full, months, progress)
    out: list[ParsedSource] = []
    for index in range(len(listed)):
        parsed, own_diag, own_hints = results[index]
        diag.merge(own_diag)
        _merge_hints(hints, own_hints)
        out.append(parsed)
    return out


def _in_workers(listed: list[Source], small: list[int], results: dict[int, Result],
                full: bool, months: Mapping[str, int] | None,
                progress: Callable[[int], None] | None, processes: int) -> None:
    """Read ``small`` in a pool of workers and the other sources here meanwhile."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        futures: list[Future[list[tuple[int, Result]]]] = [
            pool.submit(_read_chunk, [(k, listed[k]) for k in small[i:i + CHUNK]], full, months)
            for i in range(0, len(small), CHUNK)]
        chosen = set(small)
        for index, source in enumerate(listed):  # the others, meanwhile, here
            if index not in chosen:
                results[index] = _read_alone(source, index, full, months, progress)
        for future in futures:
            for index, result in future.result():
                results[index] = result
                if progress is not None:
                    progress(listed[index].size)


def _small(source: Source) -> bool:
    """A plain file on disk (no archive member, no standard input) of a few lines."""
    return (source.picklable and source.link_target is None and source.compression is None
            and source.size <= SMALL_BYTES)


def _read_here(source: Source, index: int, diag: Diagnostics, hints: Hints, full: bool,
               months: Mapping[str, int] | None,
               progress: Callable[[int], None] | None) -> ParsedSource:
    try:
        parsed = read_source(source, index, diag, hints, full, months)
    finally:
        source.close()
    if progress is not None:
        progress(source.size)
    return parsed


def _read_chunk(items: list[tuple[int, Source]], full: bool,
                months: Mapping[str, int] | None) -> list[tuple[int, Result]]:
    """In a worker: read each file with diagnostics and hints of its own."""
    return [(index, _read_alone(source, index, full, months, None)) for index, source in items]


def _read_alone(source: Source, index: int, full: bool, months: Mapping[str, int] | None,
                progress: Callable[[int], None] | None) -> Result:
    """One file read with diagnostics and hints of its own, merged later in input order."""
    diag, hints = Diagnostics(), Hints()
    return _read_here(source, index, diag, hints, full, months, progress), diag, hints


def _merge_hints(into: Hints, other: Hints) -> None:
    """Add one file's hints: a tree's first zone and host name stay the first."""
    for scope, hint in other.tz.items():
        into.tz.setdefault(scope, hint)
    for scope, hint in other.host.items():
        into.host.setdefault(scope, hint)
    into.dated_text.update(other.dated_text)
