"""The explanation chain: one plain sentence per step, the module chain from the knowledge base."""

from __future__ import annotations

import doctest

import pytest

from conntrack_forensics.correlate import explain
from conntrack_forensics.correlate.explain import explanation
from conntrack_forensics.correlate.knowledge import command_rules

SEED = [
    "`iptables -t nat -L` was run: touching the nat table (even listing it) loads iptable_nat, "
    "which depends on nf_nat and nf_conntrack.",
    "On kernel 2.6.32-696.el6.x86_64 the kernel loads these modules (iptable_nat, nf_nat, "
    "nf_conntrack) on demand, the first time something needs them, so the command alone "
    "started connection tracking.",
    "The evidence shows nf_conntrack being loaded.",
    "Once nf_conntrack is loaded, every packet is tracked, including those of connections that "
    "were already open.",
    "The table holds at most 65,536 entries; the host's traffic filled it within 6 seconds, "
    "after which packets needing a new entry (new connections above all) were dropped.",
]


def test_seed() -> None:
    assert explanation("module_autoload", "2.6.32-696.el6.x86_64", "iptables -t nat -L",
                       "iptables_nat_table", ["nf_conntrack"], 65536, fill_seconds=6) == SEED


def test_doctest() -> None:
    assert doctest.testmod(explain).failed == 0


@pytest.mark.parametrize(("kernel", "modules", "core"), [
    ("2.6.18-419.el5", "iptable_nat, ip_nat, ip_conntrack", "ip_conntrack"),
    ("2.6.32-696.el6.x86_64", "iptable_nat, nf_nat, nf_conntrack", "nf_conntrack"),
    ("3.10.0-1160.el7.x86_64", "iptable_nat, nf_nat, nf_conntrack", "nf_conntrack"),
    ("5.15.0-91-generic", "iptable_nat, nf_nat, nf_conntrack", "nf_conntrack"),
])
def test_module_names_follow_the_kernel(kernel: str, modules: str, core: str) -> None:
    out = explanation("module_autoload", kernel, "/sbin/iptables -t nat -L",
                      "iptables_nat_table", [], 65536)
    assert out[1] == (f"On kernel {kernel} the kernel loads these modules ({modules}) on "
                      "demand, the first time something needs them, so the command alone "
                      "started connection tracking.")
    assert out[2].startswith(f"Once {core} is loaded")
    assert len(out) == 4


def test_the_loaded_module_named_in_the_evidence_wins() -> None:
    out = explanation("module_autoload", None, "iptables -t nat -L", "iptables_nat_table",
                      ["ip_tables", "ip_conntrack", "ip_conntrack"], None)
    assert out[1].startswith("The kernel loads these modules (iptable_nat, nf_nat, nf_conntrack)")
    assert out[2] == "The evidence shows ip_tables and ip_conntrack being loaded."
    assert out[3].startswith("Once ip_conntrack is loaded")
    assert out[4] == ("The table then reached its limit, after which packets needing a new "
                      "entry (new connections above all) were dropped.")


@pytest.mark.parametrize("rule", [r for r in command_rules() if not r.harmless],
                         ids=lambda r: r.id)
def test_every_rule_explains_from_the_knowledge_base(rule: object) -> None:
    from conntrack_forensics.correlate.knowledge import CommandRule

    assert isinstance(rule, CommandRule)
    out = explanation("module_autoload", "3.10.0", "some command", rule.id, [], 65536)
    assert out[0] in (f"`some command` was run: {rule.reason}.",
                      f"`some command` was run: it {rule.reason}.")
    core_loaded = "nf_conntrack" in rule.loads
    assert ("on demand" in out[1]) is core_loaded
    if core_loaded:
        assert f"({', '.join(rule.loads)})" in out[1]


@pytest.mark.parametrize("rule", [r for r in command_rules() if r.harmless],
                         ids=lambda r: r.id)
def test_harmless_rules_do_not_explain_the_load(rule: object) -> None:
    from conntrack_forensics.correlate.knowledge import CommandRule

    assert isinstance(rule, CommandRule)
    out = explanation("module_autoload", "3.10.0", "x", rule.id, [], 65536)
    assert out[0].startswith("`x` was run, but ")
    assert out[0].endswith(", so what loaded connection tracking is not in the evidence.")
    assert rule.reason in out[0]
    assert not any("on demand" in s for s in out)


def test_rule_found_from_the_command_when_missing() -> None:
    out = explanation("module_autoload", "2.6.32", "sudo /sbin/iptables -t nat -L", None, [],
                      65536)
    assert "touching the nat table (even listing it)" in out[0]
    out = explanation("module_autoload", "2.6.32", "iptables -t nat -L", "no_such_rule", [],
                      65536)
    assert "touching the nat table (even listing it)" in out[0]


def test_explicit_modprobe_is_not_autoloading() -> None:
    out = explanation("module_autoload", "3.10.0", "modprobe nf_conntrack",
                      "modprobe_conntrack", [], 65536)
    assert out[0] == "`modprobe nf_conntrack` was run: it loads a connection-tracking module " \
                     "explicitly."
    assert not any("on demand" in s for s in out)


def test_command_without_a_rule() -> None:
    out = explanation("module_autoload", "3.10.0", "ls -l", None, [], 65536)
    assert out[0] == ("`ls -l` ran shortly before, but no known rule says it loads connection "
                      "tracking.")


def test_autoload_without_a_trigger() -> None:
    out = explanation("module_autoload", "5.15.0", None, None, ["nf_conntrack", "nf_nat"], 262144)
    assert out == [
        "Connection tracking was loaded shortly before the drops began, but the evidence does "
        "not show which command or rule loaded it.",
        "The evidence shows nf_conntrack and nf_nat being loaded.",
        "Once nf_conntrack is loaded, every packet is tracked, including those of connections "
        "that were already open.",
        "The table holds at most 262,144 entries; the host's traffic filled it, after which "
        "packets needing a new entry (new connections above all) were dropped.",
    ]


@pytest.mark.parametrize("kernel", ["2.6.18-419.el5", "2.6.32", "3.10.0", "5.15.0", None])
def test_capacity(kernel: str | None) -> None:
    plain = explanation("capacity", kernel, None, None, [], 65536)
    assert plain == [
        "Connection tracking was already in use before the drops began; the evidence does not "
        "show what loaded it.",
        "The table, 65,536 entries, then filled under the host's own traffic, after which "
        "packets needing a new entry (new connections above all) were dropped.",
    ]
    seen = explanation("capacity", kernel, None, None, ["nf_conntrack"], None, fill_seconds=600)
    assert seen == [
        "Connection tracking was already in use before the drops began; the evidence shows "
        "nf_conntrack being loaded.",
        "The table then filled under the host's own traffic within 10 minutes, after which "
        "packets needing a new entry (new connections above all) were dropped.",
    ]
    by = explanation("capacity", kernel, "systemctl start docker", "container_network_start",
                     [], 65536)
    assert by[0] == ("Connection tracking was already in use before the drops began, most "
                     "likely since `systemctl start docker` (Docker and kube-proxy install NAT "
                     "rules when they start, which load nf_conntrack).")
    harmless = explanation("capacity", kernel, "iptables -L", "iptables_filter_list", [], None)
    assert harmless[0].endswith("the evidence does not show what loaded it.")


@pytest.mark.parametrize("cause", ["unknown", "", "something_else"])
def test_unknown_cause_is_one_honest_sentence(cause: str) -> None:
    assert explanation(cause, "2.6.32", "iptables -t nat -L", "iptables_nat_table",
                       ["nf_conntrack"], 65536) == [
        "The evidence does not show what loaded connection tracking or why the table of "
        "65,536 entries filled, only that it was full and packets were dropped."]
    assert explanation(cause, None, None, None, [], None) == [
        "The evidence does not show what loaded connection tracking or why the table filled, "
        "only that it was full and packets were dropped."]


@pytest.mark.parametrize(("seconds", "words"), [
    (0.4, "within under a second"), (1, "within 1 second"), (6, "within 6 seconds"),
    (89, "within 89 seconds"), (600, "within 10 minutes"), (7200, "within 2.0 hours"),
])
def test_fill_time(seconds: float, words: str) -> None:
    out = explanation("module_autoload", "2.6.32", None, None, [], 65536, fill_seconds=seconds)
    assert f"filled it {words}, after" in out[-1]


def test_one_sentence_per_step() -> None:
    for cause in ("module_autoload", "capacity", "unknown"):
        for s in explanation(cause, "2.6.32", "iptables -t nat -L", None, ["nf_conntrack"],
                             65536, fill_seconds=3):
            assert s[0].isupper() or s.startswith("`")
            assert s.endswith(".") and ". " not in s.replace("e.g. ", "")
