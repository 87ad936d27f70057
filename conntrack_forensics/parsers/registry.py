"""The one parser registry: every parser module registers itself here on import.

Modelled on plaso's parser manager: names are unique (a duplicate is refused at import), the
registry lists the formats (``--list-formats``) and picks the parser for a file by sniffing.
"""

from __future__ import annotations

from .base import SNIFF_THRESHOLD, Head, Parser

_PARSERS: dict[str, Parser] = {}


def register(cls: type[Parser]) -> type[Parser]:
    """Class decorator adding a parser to the registry.

    Raises:
        ValueError: another parser already has this ``NAME``.
    """
    name = cls.NAME
    if name in _PARSERS:
        raise ValueError(f"parser {name!r} is already registered")
    _PARSERS[name] = cls()
    return cls


def parsers() -> dict[str, Parser]:
    """The registered parsers by name, in name order."""
    return dict(sorted(_PARSERS.items()))


def formats() -> list[tuple[str, str]]:
    """(name, description) of every registered format, sorted by name."""
    return [(name, p.DESCRIPTION) for name, p in parsers().items()]


def pick_binary(head: bytes) -> Parser | None:
    """The parser of a binary format whose magic bytes ``head`` starts with, if any."""
    for parser in parsers().values():
        if parser.MAGIC and head.startswith(parser.MAGIC):
            return parser
    return None


def closest(head: Head) -> tuple[Parser | None, float]:
    """The parser whose sniff scores best for ``head`` whatever the score, and the score."""
    best: Parser | None = None
    best_score = 0.0
    for _name, parser in parsers().items():
        score = parser.sniff(head)
        if score > best_score:
            best, best_score = parser, score
    return best, best_score


def pick(head: Head) -> tuple[Parser | None, float]:
    """The parser whose sniff scores best for ``head`` (at least the threshold), and the score."""
    best, best_score = closest(head)
    if best_score < SNIFF_THRESHOLD:
        return None, best_score
    return best, best_score
