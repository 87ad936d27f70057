"""The jinja2 environment shared by the Markdown and HTML reporters (templates beside it)."""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from ..timefmt import rfc3339


def _md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:,}"


@functools.cache
def environment(autoescape: bool) -> jinja2.Environment:
    """A jinja2 environment over ``report/templates`` (HTML autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conntrack_forensics", "report/templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["rfc3339"] = lambda t: rfc3339(t) or "—"
    env.filters["md"] = _md_cell
    env.filters["num"] = _num
    return env
