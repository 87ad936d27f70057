r"""File names as shown to the user: bytes that are not UTF-8 and control characters escaped.

On Linux a file name is bytes; Python hands the bytes that are not UTF-8 over as lone
surrogates (``surrogateescape``), which no report can write. :func:`display` shows them as
``\xNN`` and a newline or tab as ``\n``, ``\t``, so every name can be printed, written to
JSON and HTML, and still tells the user which file it was; :func:`odd_name` says why a name
was changed.
"""

from __future__ import annotations


def display(name: str) -> str:
    r"""``name`` printable: undecodable bytes as ``\xNN``, control characters escaped.

    >>> display("messages"), display("bad\udcff.log"), display("new\nline")
    ('messages', 'bad\\xff.log', 'new\\nline')
    """
    if name.isprintable():
        return name
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)


def odd_name(name: str) -> str | None:
    r"""Why a file's name is shown changed (not UTF-8, control characters), or ``None``.

    >>> odd_name("messages") is None
    True
    >>> odd_name("bad\udcff.log")
    'file name is not valid UTF-8 (its undecodable bytes shown as \\xNN); the file was read'
    """
    if name.isprintable():
        return None
    if any(0xDC80 <= ord(ch) <= 0xDCFF for ch in name):
        return ("file name is not valid UTF-8 (its undecodable bytes shown as \\xNN); the file "
                "was read")
    return "file name holds control characters (shown escaped, as \\n); the file was read"


__all__ = ["display", "odd_name"]
