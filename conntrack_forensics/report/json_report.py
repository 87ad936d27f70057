"""The postmortem JSON (CONTRACT section 4): deterministic, byte for byte."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .subject import Analyzed


def render_json(analysis: Analyzed) -> str:
    """The analysis as postmortem JSON text, ending in a newline."""
    return json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
