"""Notebook display: one mixin gives result objects a rich HTML form in Jupyter.

A class names one of the report's templates (``_html_template``) and the values it shows
(:meth:`ReprHtmlMixin._html_context`); the mixin renders it with the report's autoescaping
environment and adds ``_repr_mimebundle_`` (the HTML plus the plain ``repr``).
"""

from __future__ import annotations

from typing import Any, ClassVar


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
