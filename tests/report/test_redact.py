"""Redacted reports: no identifier of the evidence survives in any output, the answers do.

Identifiers are gathered here independently of the redactor: from the raw input files (their
text and their paths, by simple patterns checked with :mod:`ipaddress`) and from the fields the
plain analysis fills (``host``, ``user``); ``root`` and the system accounts of the evidence's own
``etc/passwd`` (uid below 1000) name no one and are kept on purpose (docs/redaction.md).
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import ipaddress
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import conntrack_forensics as cf
from conntrack_forensics.errors import UsageError
from conntrack_forensics.report.redact import Redactor
from conntrack_forensics.report.redacted import redact_events
from conntrack_forensics.report.timeline_export import write_timeline
from tests.conftest import set_mtime
from tests.report.conftest import CASES, SCENARIOS

KEY = "shared-case-key"
DROP_TEXT = "table full, dropping packet"
NOT_EVIDENCE = ("README.md", "expected.json")
PSEUDONYM = re.compile(r"^(host|user|person|ip4|ip6|mac|email)-[0-9a-f]{8,}(@example\.invalid)?$")

_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\d)")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f.]*(?![\w:])")
_MAC = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}(?![0-9A-Fa-f])")
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_HOME = re.compile(r"(?:^|/)home/([^/\s:]+)/")
_PASSWD = re.compile(r"^([^:\s]+):[^:]*:(\d+):\d+:([^:]*):", re.M)
UNITS = ("service", "socket", "target", "timer", "slice", "scope", "mount")


@dataclass
class Case:
    name: str
    work: Path
    args: dict[str, Any]
    plain: cf.Analysis
    redacted: cf.Analysis
    words: set[str]  # host, user and real names of the evidence (lower case)
    literals: set[str]  # addresses and e-mail addresses of the evidence
    outputs: dict[str, str]  # every output of the redacted analysis


def _copy(case: Path, work: Path) -> tuple[Path, dict[str, Any]]:
    dest = work / case.name
    shutil.copytree(case, dest, symlinks=True, ignore=shutil.ignore_patterns(*NOT_EVIDENCE))
    exp: dict[str, Any] = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    if case.parent == SCENARIOS:
        for rel, iso in exp.get("mtimes", {}).items():
            set_mtime(dest / rel, iso.replace("Z", "+00:00"))
        return dest, exp.get("args", {})
    return dest, {}


def _read(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def _identifiers(root: Path, plain: cf.Analysis) -> tuple[set[str], set[str]]:
    """Names (words) and literals (addresses) found in the raw inputs and the plain fields."""
    words: set[str] = set()
    literals: set[str] = set()
    system = {"root"}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        words.update(_HOME.findall("/" + rel))
        text = _read(path)
        if rel.endswith("etc/hostname"):
            words.update(text.split())
        for name, uid, gecos in _PASSWD.findall(text) if rel.endswith("etc/passwd") else ():
            if int(uid) < 1000:
                system.add(name)
            elif gecos.split(",")[0].strip():
                words.add(gecos.split(",")[0].strip())
        text = _decoded(text)
        words.update(_HOME.findall(text))
        for ip in _IPV4.findall(text) + _IPV6.findall(text):
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                continue
            if not (address.is_unspecified or address.is_loopback or address.is_multicast
                    or ip.startswith("255.")):
                literals.add(ip)
        literals.update(m for m in _MAC.findall(text)
                        if m.lower() not in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"))
        literals.update(e for e in _EMAIL.findall(text) if e.rsplit(".", 1)[-1] not in UNITS)
    words.update(plain.hosts)
    words.update(u for u in plain.events["user"].dropna().unique()
                 if not str(u).startswith("uid="))
    return {w.lower() for w in words if w not in system and w != "localhost"}, literals


@pytest.fixture(scope="module", params=CASES, ids=lambda p: p.name)
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Case:
    work, args = _copy(request.param, tmp_path_factory.mktemp("redact"))
    plain = cf.analyze(work, **args)
    redacted = cf.analyze(work, **args, redact=True, redact_key=KEY)
    words, literals = _identifiers(work, plain)
    return Case(request.param.name, work, args, plain, redacted, words, literals,
                _outputs(redacted))


def _outputs(a: cf.Analysis, cheap: bool = False) -> dict[str, str]:
    out = {"json": a.to_json(), "markdown": re.sub(r"\\(.)", r"\1", a.to_markdown())}
    if not cheap:  # the charts take a while to draw
        out["html"] = html.unescape(a.to_html())
        out["notebook"] = html.unescape(a._repr_html_())
    for fmt in ("csv", "jsonl", "timesketch"):
        buf = io.StringIO()
        write_timeline(a.events, fmt, buf)
        out[fmt] = buf.getvalue()
    out["jsonl"] = "\n".join(json.dumps(json.loads(x), ensure_ascii=False)
                             for x in out["jsonl"].splitlines())
    return out


_HEX_FIELD = re.compile(r"\b(?:proctitle|cmd|a\d+|data)=((?:[0-9A-F]{2}){2,})\b")


def _decoded(text: str) -> str:
    """``text`` and, after it, what audit's hex fields say (``proctitle=7375646F``)."""
    extra = [bytes.fromhex(h).decode("utf-8", "replace").replace("\0", " ")
             for h in _HEX_FIELD.findall(text)]
    return "\n".join([text, *extra])


def _leaks(text: str, words: set[str], literals: set[str]) -> list[str]:
    text = _decoded(text)
    found = [w for w in words
             if re.search(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])", text, re.I)]
    found += [x for x in literals
              if re.search(rf"(?<![\w.:]){re.escape(x)}(?![\w:]|\.\d)", text, re.I)]
    return sorted(found)


def test_no_identifier_of_the_evidence_in_any_output(case: Case) -> None:
    assert case.words, f"{case.name}: the evidence names no host or user?"
    leaks = {fmt: _leaks(text, case.words, case.literals)
             for fmt, text in case.outputs.items()}
    assert not any(leaks.values()), f"{case.name}: {leaks}"


def test_the_plain_outputs_do_name_them(case: Case) -> None:
    """The check above can fail: the same scan finds the identifiers in the plain reports."""
    plain = _outputs(case.plain, cheap=True)
    named = set().union(*(_leaks(t, case.words, case.literals) for t in plain.values()))
    assert set(case.plain.hosts) <= named | {h for h in case.plain.hosts if h == "localhost"}


def test_answers_are_unchanged(case: Case) -> None:
    p, r = case.plain.to_dict(), case.redacted.to_dict()
    assert len(p["incidents"]) == len(r["incidents"])
    for a, b in zip(p["incidents"], r["incidents"], strict=True):
        for key in ("start", "end", "drops_logged", "drops_suppressed", "peak_drops_per_second",
                    "cause", "conntrack_max", "conntrack_buckets"):
            assert a[key] == b[key], key
        assert (a["recovery"] or {}).get("kind") == (b["recovery"] or {}).get("kind")
        assert (a["trigger"] is None) == (b["trigger"] is None)
        if a["trigger"]:
            real, fake = a["trigger"]["command"].split(), b["trigger"]["command"].split()
            assert len(real) == len(fake)
            for x, y in zip(real, fake, strict=True):  # only identifiers change
                if not _leaks(x, case.words, case.literals):
                    assert x == y, (a["trigger"]["command"], b["trigger"]["command"])
            assert a["trigger"]["user"] in (None, "root") or (
                PSEUDONYM.match(b["trigger"]["user"]) and b["trigger"]["user"] != "root")


def test_kernel_messages_survive(case: Case) -> None:
    def drops(a: cf.Analysis) -> int:
        return int(a.events["message"].str.contains(DROP_TEXT, regex=False).sum())

    assert drops(case.redacted) == drops(case.plain)
    if case.plain.incidents:
        assert DROP_TEXT in case.outputs["html"]
        assert DROP_TEXT in case.outputs["markdown"]


def test_one_pseudonym_per_host(case: Case) -> None:
    mapping = case.redacted.redaction_map()["pseudonyms"]
    hosts = mapping.get("host", {})
    assert case.redacted.hosts == sorted(hosts[h.lower()] for h in case.plain.hosts
                                         if h != "localhost")
    assert [i.host for i in case.redacted.incidents] == [hosts[i.host.lower()]
                                                         for i in case.plain.incidents]
    values = [v for kind in mapping.values() for v in kind.values()]
    assert len(values) == len(set(values))
    assert all(PSEUDONYM.match(v) for v in values)


def _case(name: str, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    return _copy(next(c for c in CASES if c.name == name), tmp_path)


@pytest.mark.parametrize("name", ["sosreport-web1", "sudo-one-action-many-records",
                                  "two-hosts-two-zones"])
def test_same_key_same_report_random_key_other_pseudonyms(name: str, tmp_path: Path) -> None:
    work, args = _case(name, tmp_path)
    first, again = (cf.analyze(work, **args, redact_key=KEY) for _ in range(2))
    assert again.to_json() == first.to_json()
    assert again.redaction_map() == first.redaction_map()
    assert first.redaction_map()["keyed"] is True
    one, two = (cf.analyze(work, **args, redact=True).redaction_map() for _ in range(2))
    assert one["keyed"] is False
    one, two = one["pseudonyms"], two["pseudonyms"]
    assert one.keys() == two.keys() and one["host"].keys() == two["host"].keys()
    assert not set(one["host"].values()) & set(two["host"].values())


@pytest.mark.parametrize("name", ["sosreport-web1", "zsh-sudo-trigger"])
def test_timeline_of_load_matches_report(name: str, tmp_path: Path) -> None:
    work, args = _case(name, tmp_path)
    report = cf.analyze(work, **args, redact_key=KEY)
    plain = cf.load(work, tz=args.get("tz"), year=args.get("year"))
    events = redact_events(plain.events, Redactor(KEY), context=plain)
    words, literals = _identifiers(work, cf.analyze(work, **args))
    buf = io.StringIO()
    write_timeline(events, "csv", buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert {r["host"] for r in rows if r["host"]} == set(report.hosts)
    assert {r["user"] for r in rows if r["user"]} <= set(report.events["user"].dropna())
    assert not _leaks(buf.getvalue(), words, literals)
    assert len(rows) == len(plain.events)


def test_not_redacted_has_no_map() -> None:
    a = cf.analyze("sample_logs/bogon-nat-listing")
    assert a.redaction is None
    with pytest.raises(UsageError):
        a.redaction_map()


def test_map_file(tmp_path: Path) -> None:
    a = cf.analyze("sample_logs/sosreport-web1", redact_key=KEY)
    a.write_redaction_map(tmp_path / "map.json")
    data = json.loads((tmp_path / "map.json").read_text())
    assert data["keyed"] is True and data["pseudonyms"]["host"]["web1"].startswith("host-")
    assert data["pseudonyms"]["user"]["alice"] in a.to_json()
    assert KEY not in (tmp_path / "map.json").read_text()


# the redactor on lines of the shapes the evidence has
@pytest.fixture()
def r() -> Redactor:
    red = Redactor("k")
    red.learn(hosts=["web1", "k8s-node-3"], users=["alice", "root", "x"], people=["Alice Moreau"])
    return red


@pytest.mark.parametrize("line", [
    "nf_conntrack: table full, dropping packet",
    "nf_conntrack: expectation table full",
    "kernel: [ 12.345] IPVS: Registered protocols (TCP, UDP, SCTP, AH, ESP)",
    "Dec  5 00:18:03 kernel: Linux version 4.18.0-348.el8.x86_64",
    "iptables -t nat -L -n -v --line-numbers",
    "sysctl -w net.netfilter.nf_conntrack_max=262144",
    "Started user@1000.service - User Manager for UID 1000.",
    "2019-07-16T09:08:49.123456+08:00 std::vector overflow at 0x7f3a",
    "route 0.0.0.0/0 via lo 127.0.0.1 mask 255.255.255.0 mcast 224.0.0.251 ::1",
    "bogus 999.1.2.3 and version 1.2.3.4.5",
    "sudo -u root x y",
])
def test_lines_without_identifiers_stay(r: Redactor, line: str) -> None:
    assert r.text(line) == line


def test_identifiers_are_replaced(r: Redactor) -> None:
    line = ("Accepted publickey for Alice from 10.20.4.31 port 22 on WEB1.example.com; "
            "DHCP fe80::5054:ff:fe12:3456%eth0 MAC=52:54:00:3a:11:7c:00:1c:73:00:00:99:08:00 "
            "mail alice.m@corp.example.org gecos Alice Moreau home /home/alice/.zsh_history "
            "node k8s-node-3, ip 10.0.0.5.")
    out = r.text(line)
    for secret in ("alice", "Alice", "10.20.4.31", "WEB1", "fe80::5054", "52:54:00:3a:11:7c",
                   "00:1c:73:00:00:99", "corp.example.org", "Moreau", "k8s-node-3", "10.0.0.5"):
        assert secret not in out, secret
    assert ":08:00 " in out and "%eth0" in out and "/home/user-" in out and out.endswith(".")
    assert r.text("alice") == r.text("ALICE") == r.pseudonym("user", "alice")


def test_keys() -> None:
    same = [Redactor(b"k").text("10.1.2.3 web1") for _ in range(2)]
    assert same[0] == same[1]
    assert Redactor().text("10.1.2.3") != Redactor().text("10.1.2.3")
    assert Redactor("k").text("10.1.2.3") != Redactor("j").text("10.1.2.3")


def test_hex_names_next_to_colons_are_still_names() -> None:
    red = Redactor("k")
    red.learn(hosts=["db3"], users=["ada"])
    out = red.text("db3:ada:12:34 at 12:34:56.789")
    assert "db3" not in out and "ada" not in out and out.endswith(" at 12:34:56.789")


def test_audit_hex_fields_are_redacted_inside() -> None:
    red = Redactor("k")
    red.learn(users=["alice"], hosts=["vpn-gw1"])
    command = "\x00".join(["tar", "czf", "/tmp/vpn-gw1.tgz", "/home/alice/.zsh_history", "-C",
                           "10.8.0.1"])
    line = f"type=PROCTITLE msg=audit(1.2:3): proctitle={command.encode().hex().upper()}"
    out = red.text(line)
    decoded = bytes.fromhex(out.rsplit("=", 1)[1]).decode().split("\0")
    assert decoded[:2] == ["tar", "czf"] and len(decoded) == 6
    assert not {"vpn-gw1", "alice", "10.8.0.1"} & set(" ".join(decoded).replace("/", " ").split())
    assert red.text("proctitle=6D6F6470726F6265") == "proctitle=6D6F6470726F6265"  # modprobe
