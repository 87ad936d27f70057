"""This tool's own outputs, recognised by content so that a later run never reads them back.

A postmortem written inside the inputs (``report logs/ -o logs/pm``) holds the evidence's lines;
read again as evidence it would count them twice. They are recognised by what they start
with, whatever their name: the JSON's ``"schema": "conntrack-forensics/..."`` member, the
HTML's ``<meta name="generator" content="conntrack-forensics ...">`` and the Markdown's first
line, ``[//]: # (generator: conntrack-forensics ...)`` (a link reference definition: it renders
as nothing and is no raw HTML).
"""

from __future__ import annotations

import re

_JSON = re.compile(rb'\A\s*\{\s*"schema"\s*:\s*"conntrack-forensics/[a-z-]+/v\d+"')
_HTML = re.compile(rb'\A\s*<!DOCTYPE html>.{0,2000}?<meta name="generator" '
                   rb'content="conntrack-forensics[ "]', re.DOTALL | re.IGNORECASE)
_MARKDOWN = re.compile(rb"\A\s*\[//\]: # \(generator: conntrack-forensics[ )]")


def own_output(head: bytes) -> str | None:
    r"""What of ours ``head`` starts (``"postmortem JSON"``, ``"... HTML"``, ``"... Markdown"``).

    >>> own_output(b'{\n  "schema": "conntrack-forensics/postmortem/v1",\n')
    'postmortem JSON'
    >>> own_output(b"[//]: # (generator: conntrack-forensics 0.9.0)\n# Postmortem")
    'postmortem Markdown'
    >>> own_output(b'{"schema": "other"}') is None
    True
    """
    if _JSON.match(head):
        return "postmortem JSON"
    if _HTML.match(head):
        return "postmortem HTML"
    if _MARKDOWN.match(head):
        return "postmortem Markdown"
    return None
