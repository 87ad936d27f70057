r"""Display of evidence text: in a notebook (rich HTML) and on a terminal (escaped controls).

A class names one of the report's templates (``_html_template``) and the values it shows
(:meth:`ReprHtmlMixin._html_context`); the mixin renders it with the report's autoescaping
environment and adds ``_repr_mimebundle_`` (the HTML plus the plain ``repr``).

Text the command line prints may come from the evidence (a shell history can hold
``\x1b]0;title\x07`` or ``\x1b[2J``), and a terminal would obey it. :func:`terminal_safe` shows
every control character as an escape instead: C0 (U+0000 to U+001F, tab and newline
included), DEL and C1 (U+007F to U+009F) as ``\xNN``; the bidirectional marks, overrides and
isolates (U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069) and lone surrogates (bytes a
decoder could not read) as ``\uNNNN``. Only terminal output is escaped: the reports keep the
evidence's text (HTML escapes it as markup, JSON as JSON).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

#: Characters a terminal may act on rather than show (see the module docstring).
TERMINAL_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object) -> str:
    r"""``text`` for a terminal: control characters shown as escapes, the rest as it is.

    >>> print(terminal_safe("ls \x1b]0;pwned\x07 \x1b[2J\u202e é"))
    ls \x1b]0;pwned\x07 \x1b[2J\u202e é
    """
    return TERMINAL_CONTROLS.sub(_escape, str(text))


class ReprHtmlMixin:
    """Adds ``_repr_html_`` and ``_repr_mimebundle_`` rendered from a report template."""

    _html_template: ClassVar[str]

    def _html_context(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _repr_html_(self) -> str:
        # imported when shown: the reporters import the result types this mixin serves
        from .report.templating import environment

        template = environment(True).get_template(self._html_template)
        return template.render(**self._html_context())

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}
