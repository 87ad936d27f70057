"""A source's facts say which kinds of rows it holds, alone or framed with others."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from conntrack_forensics.events.facts import Facts, facts_of_rows
from conntrack_forensics.model import Kind
from conntrack_forensics.parsers.base import RawBatch


def _batch(*rows: dict[str, Any]) -> pd.DataFrame:
    batch = RawBatch()
    for n, row in enumerate(rows, 1):
        batch.add(n, row.pop("message", "text"), **row)
    return batch.to_frame()


SOURCES = [
    _batch({"mdsod": (4, 27, 3.0), "program": "sshd"}),  # a yearless syslog line
    _batch(),  # no rows
    _batch({"iso": "2024-05-01T10:00:00+02:00"}, {"epoch": 1.7e9, "program": "kernel"}),
    _batch({"uptime": 12.5, "program": "kernel", "kind": Kind.BOOT}),
    _batch({"capture": "clock", "iso": "2024-05-01T10:00:00"}, {"capture": "at"},
           {"boot_age": 3600.0}),
    _batch({"epoch": 1.7e9, "program": "kernelx"}),  # not the kernel
]
EXPECTED = [
    Facts(yearless=True, iso=False, uptime=False, clock=False, at=False, kernel=False,
          boot=False, boot_age=False),
    Facts(yearless=False, iso=False, uptime=False, clock=False, at=False, kernel=False,
          boot=False, boot_age=False),
    Facts(yearless=False, iso=True, uptime=False, clock=False, at=False, kernel=True,
          boot=False, boot_age=False),
    Facts(yearless=False, iso=False, uptime=True, clock=False, at=False, kernel=True,
          boot=True, boot_age=False),
    Facts(yearless=False, iso=True, uptime=False, clock=True, at=True, kernel=False,
          boot=False, boot_age=True),
    Facts(yearless=False, iso=False, uptime=False, clock=False, at=False, kernel=False,
          boot=False, boot_age=False),
]


def test_each_source_alone() -> None:
    got = [facts_of_rows(raw, np.array([len(raw)]))[0] for raw in SOURCES]
    assert got == EXPECTED


def test_sources_framed_together_keep_their_own_facts() -> None:
    joined = pd.concat(SOURCES, ignore_index=True)
    sizes = np.array([len(raw) for raw in SOURCES])
    assert facts_of_rows(joined, sizes) == EXPECTED
