"""The docs say what the tool does: every format, option and JSON key, and the measured figures."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import conntrack_forensics as cf
from conntrack_forensics.cli import main, summary_lines
from conntrack_forensics.correlate.knowledge import command_rules
from conntrack_forensics.parsers import parsers, pick
from conntrack_forensics.parsers.base import Head
from tests.conftest import ROOT, SAMPLES

DOCS = ROOT / "docs"
GUIDES = ("quickstart", "sources", "time", "triggers", "json", "cli", "faq", "security",
          "timeline")
CASES = sorted(p.parent for p in SAMPLES.glob("*/expected.json")) + \
    sorted(p.parent for p in (ROOT / "tests" / "scenarios").glob("*/expected.json"))


def _doc(name: str) -> str:
    return (DOCS / f"{name}.md").read_text(encoding="utf-8")


def _code(text: str) -> str:
    """Inline code spans and fenced blocks only (where names and keys are quoted)."""
    return "\n".join(re.findall(r"```.*?```|`[^`\n]+`", text, flags=re.DOTALL))


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("name", GUIDES)
def test_every_guide_is_linked_from_the_readme_and_the_reference(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    more = readme[readme.index("## More"):]
    assert f"](docs/{name}.md)" in more
    assert f"]({name}.md)" in _doc("reference")


@pytest.mark.parametrize("name", GUIDES)
def test_relative_links_resolve(name: str) -> None:
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", _doc(name)):
        if "://" in target:
            continue
        assert (DOCS / target).exists(), f"{name}.md links to {target}"


# ------------------------------------------------------------------------ sources.md


def _format_sections() -> dict[str, str]:
    text = _doc("sources")
    parts = re.split(r"^### `([a-z_0-9]+)`\s*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("name", sorted(parsers()))
def test_every_format_has_a_section_with_an_example_it_recognises(name: str) -> None:
    sections = _format_sections()
    assert name in sections, f"no '### `{name}`' section in docs/sources.md"
    m = re.search(r"Example \(`?(?P<file>[^`)]*)`?[^)]*\):\s*```[a-z]*\n(?P<body>.*?)\n```",
                  sections[name], flags=re.DOTALL)
    assert m, f"docs/sources.md: the {name} section has no example in a code block"
    body = m.group("body")
    assert body.strip()
    parser = parsers()[name]
    if parser.MAGIC:
        assert parser.MAGIC.decode() in body
        return
    basename = m.group("file").rsplit("/", 1)[-1]
    found, _score = pick(Head.from_bytes(basename, (body + "\n").encode()))
    assert found is not None and found.NAME == name, (
        f"the {name} example is read as {found.NAME if found else 'nothing'}")


def test_the_format_list_in_sources_is_the_tools() -> None:
    r = CliRunner().invoke(main, ["--list-formats"])
    listing = "\n".join("    " + line for line in r.output.splitlines())
    assert listing in _doc("sources")


# ---------------------------------------------------------------------------- cli.md


def _options() -> list[tuple[str, str]]:
    out = [("", opt) for p in main.params if isinstance(p, click.Option)
           for opt in (*p.opts, *p.secondary_opts)]
    ctx = click.Context(main)
    out += [("", opt) for opt in main.get_help_option(ctx).opts]  # type: ignore[union-attr]
    for name, command in main.commands.items():
        for p in command.params:
            if isinstance(p, click.Option):
                out += [(name, opt) for opt in (*p.opts, *p.secondary_opts)]
    return out


@pytest.mark.parametrize("command,option", _options(), ids=lambda v: v or "main")
def test_every_option_is_documented(command: str, option: str) -> None:
    text = _doc("cli")
    section = text if not command else \
        text[text.index(f"## `{command}`"):].split("\n## ", 1)[0]
    pattern = r"`[^`\n]*(?<![\w-])" + re.escape(option) + r"(?![\w-])[^`\n]*`"
    assert re.search(pattern, section), f"{option} of {command or 'the program'} not in cli.md"


def test_every_command_has_a_section() -> None:
    text = _doc("cli")
    for name in main.commands:
        assert f"## `{name}`" in text


# --------------------------------------------------------------------------- json.md


def _key_paths(obj: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            out |= _key_paths(value, path)
    elif isinstance(obj, list):
        for value in obj:
            out |= _key_paths(value, prefix + "[]")
    return out


@pytest.fixture(scope="module")
def postmortems() -> dict[str, dict[str, Any]]:
    return {case.name: json.loads(cf.analyze(case).to_json()) for case in CASES}


def test_every_json_key_of_every_case_is_documented(postmortems) -> None:
    documented = set(re.findall(r"`([a-z_\[\].]+)`", _doc("json")))
    missing = {f"{case}: {path}" for case, data in postmortems.items()
               for path in _key_paths(data) if path not in documented}
    assert not missing, sorted(missing)


def test_json_extensions_are_marked(postmortems) -> None:
    text = _doc("json")
    contract = (ROOT.parent / "shared" / "CONTRACT.md")
    if not contract.exists():
        pytest.skip("../shared/CONTRACT.md not present")
    for key in ("duration_seconds", "peak_drops_per_minute", "fleet", "conntrack_warnings",
                "clock_skew", "explanation", "cause_reasons"):
        # an extension is a key the contract's JSON does not name (the word may appear in prose)
        assert f'"{key}"' not in contract.read_text(encoding="utf-8"), key
        rows = [line for line in text.splitlines() if f"{key}`" in line and line.startswith("|")]
        assert rows and all("**ext.**" in row for row in rows), key


# ---------------------------------------------------------- figures measured by the tool


@pytest.fixture(scope="module")
def seed() -> cf.Analysis:
    return cf.analyze("sample_logs/bogon-nat-listing")


def test_quickstart_shows_the_tools_own_summary(seed) -> None:
    text = _doc("quickstart")
    for line in summary_lines(seed):
        assert f"    {line}\n" in text, line
    both = cf.analyze(["sample_logs/k8s-node-capacity", "sample_logs/sosreport-web1"])
    for line in summary_lines(both):
        assert f"    {line}\n" in text, line


def test_cli_page_shows_the_tools_own_output(seed) -> None:
    text = _doc("cli")
    (line,) = summary_lines(seed)
    assert f"    {line}\n" in text


def test_triggers_worked_example_is_measured(seed) -> None:
    text = _doc("triggers")
    inc = seed.incidents[0]
    trigger, filter_list = inc.candidates
    assert (trigger.confidence, filter_list.confidence) == (0.95, 0.1)
    assert f"**{trigger.confidence}**" in text and f"**{filter_list.confidence}**" in text
    block = "```\n" + "\n".join(trigger.reasons) + "\n```"
    assert block.replace(str(ROOT) + "/", "") in text
    for rule in command_rules():
        assert f"| `{rule.id}` | {rule.weight} |" in text, rule.id


def test_time_page_quotes_the_dmesg_anchor_of_the_sosreport() -> None:
    text = _doc("time")
    analysis = cf.analyze("sample_logs/sosreport-web1")
    dmesg = analysis.diagnostics.loc[
        analysis.diagnostics["path"].str.endswith("sos_commands/kernel/dmesg"), "message"]
    assert len(dmesg) == 2
    for message in dmesg:
        assert f"    {message}\n" in text, message


def test_faq_kernel_counter_equals_logged_plus_suppressed() -> None:
    analysis = cf.analyze("sample_logs/sosreport-web1")
    (inc,) = analysis.incidents
    ev = analysis.events
    stat = ev.loc[ev["program"] == "/proc/net/stat/nf_conntrack", "message"].iloc[0]
    counter = int(re.search(r"drop ([\d,]+)", stat).group(1).replace(",", ""))
    assert counter == inc.drops_logged + inc.drops_suppressed
    text = _doc("faq")
    assert f"{counter:,}" in text and f"{inc.drops_logged:,} logged + " \
        f"{inc.drops_suppressed:,} suppressed" in text


def test_docs_hold_no_path_of_this_machine() -> None:
    for name in GUIDES:
        text = _doc(name)
        assert str(ROOT) not in text and not re.search(r"/(?:work|home/\w+|Users)/", text), name


def test_docs_pages_exist() -> None:
    assert {p.stem for p in DOCS.glob("*.md")} >= set(GUIDES)
    assert all(Path(DOCS / f"{n}.md").stat().st_size > 1000 for n in GUIDES)
