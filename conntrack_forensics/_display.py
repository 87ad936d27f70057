"""Notebook display: one mixin gives result objects a rich HTML form in Jupyter."""

from __future__ import annotations

from typing import Any


class ReprHtmlMixin:
    """Adds ``_repr_mimebundle_`` (HTML plus the plain ``repr``) from ``_repr_html_``."""

    def _repr_html_(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}
