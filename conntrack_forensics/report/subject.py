"""What the reporters render: anything shaped like an analysis (:class:`Analyzed`).

:class:`conntrack_forensics.Analysis` is one; the reporters ask only for what is listed here,
so they depend on no module above them.
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd

from ..correlate.model import Incident


class Analyzed(Protocol):
    """The events, the incidents found in them, and the postmortem JSON of both."""

    events: pd.DataFrame
    incidents: list[Incident]

    def to_dict(self) -> dict[str, Any]:
        """The postmortem JSON (CONTRACT section 4) as Python objects."""
        ...
