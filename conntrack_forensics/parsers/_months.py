"""Month names of a language, for syslog lines written under a localised ``%b``.

Syslog daemons write English month names (rsyslog's own table, ``ctime``), but a program that
formats its time with ``strftime("%b")`` under ``LANG=fr_FR.UTF-8`` writes ``févr.`` or
``avril``. Given a locale hint (``--locale fr``), the syslog parser reads those names as well
as the English ones. The names come from the Unicode CLDR through Babel (abbreviated and wide,
in both the format and the stand-alone form); glibc's abbreviations differ from CLDR's for a
few languages (``avril``, ``Jun``), which the wide and stand-alone forms cover.

Example:
    >>> months = month_names("fr")
    >>> month_of("févr.", months), month_of("avril", months), month_of("Dec", months)
    (2, 4, 12)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from ..errors import UsageError

ENGLISH = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _key(token: str) -> str:
    return token.strip().rstrip(".").casefold()


@functools.cache
def month_names(locale: str) -> Mapping[str, int]:
    """Every spelling of the months in ``locale`` (and English), folded, to 1..12.

    Raises:
        UsageError: Babel is not installed, or it knows no such locale.
    """
    try:
        from babel import Locale, UnknownLocaleError
        from babel.dates import get_month_names
    except ImportError:  # pragma: no cover - babel is in the test extra
        raise UsageError("--locale needs the babel package: "
                         "pip install 'conntrack-forensics[locale]'") from None
    try:
        parsed = Locale.parse(locale.split(".", 1)[0].replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise UsageError(f"unknown locale {locale!r} (try fr, de_DE, pt_BR)") from None
    names = dict(ENGLISH)
    for width in ("abbreviated", "wide"):
        for context in ("format", "stand-alone"):
            for number, name in get_month_names(width, context, parsed).items():
                names.setdefault(_key(str(name)), int(number))
    return names


def month_of(token: str, months: Mapping[str, int]) -> int | None:
    """The month a name stands for, exactly or as the unique start of one.

    ``sept`` starts only ``septembre``; ``None`` when it names no month.
    """
    key = _key(token)
    if key in months:
        return months[key]
    if len(key) < 3:
        return None
    found = {n for name, n in months.items() if name.startswith(key)}
    return found.pop() if len(found) == 1 else None
