"""Users named from the evidence: uids resolved by pam lines and etc/passwd."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.correlate.identity import Identities


def _login(message: str) -> dict[str, object]:
    return {"kind": "login", "message": message}


def test_pam_lines_name_uids() -> None:
    ev = pd.DataFrame([
        _login("pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)"),
        _login("pam_unix(sshd:session): session opened for user bob(uid=1001) by (uid=0)"),
        {"kind": "message", "message": "carol(uid=1002) is not a login line"},
    ])
    ids = Identities.from_events(ev)
    assert (ids.name("uid=1000"), ids.name("uid=1001"), ids.name("uid=1002")) == \
        ("alice", "bob", "uid=1002")
    assert ids.uid("alice") == 1000 and ids.uid("uid=1002") == 1002 and ids.uid("dave") is None


def test_describe_says_who_and_as_whom() -> None:
    ids = Identities({1000: "alice"})
    assert ids.describe("uid=1000", via="sudo", run_as="root") == \
        "alice (uid 1000), through sudo as root"
    assert ids.describe("root") == "root"
    assert ids.describe("uid=1005", via="sudo") == "uid 1005, through sudo"


@given(st.dictionaries(st.integers(1, 60000), st.from_regex(r"[a-z_][a-z0-9_-]{0,15}",
                                                            fullmatch=True), max_size=5))
def test_a_known_uid_always_resolves_to_its_name(names: dict[int, str]) -> None:
    ids = Identities(dict(names))
    for uid, name in names.items():
        assert ids.name(f"uid={uid}") == name


def test_passwd_in_the_tree_names_the_audit_user(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\n"
        "sshd:x:74:74:Privilege-separated SSH:/var/empty/sshd:/sbin/nologin\n"
        "deploy:x:1001:1001:Deploy user:/home/deploy:/bin/bash\n")
    (tmp_path / "etc" / "hostname").write_text("gw9\n")
    events, diagnostics = cf.load(tmp_path)
    accounts = events.loc[events["program"] == "passwd", "message"].tolist()
    assert accounts[2] == "account deploy uid=1001 home=/home/deploy shell=/bin/bash"
    assert Identities.from_events(events).name("uid=1001") == "deploy"
    assert not (diagnostics["level"] == "warning").any()
