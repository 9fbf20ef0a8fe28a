"""The fixes for broken trust pairs, planned from recorded probes of the real SSH lab
(tests/fixtures/ssh-trust-lab): which host, as whom, with which data on stdin, and the command an operator
would type for the same change."""

import copy
import json

import pytest
from conftest import FIXTURES, unreached_probe

from resize_ssh.test_trust import AS_ROOT, BECOME, STATES
from runbook_lib.resize_ssh.fixes import fix_records, plan_trust_fixes, tabulate_fixes
from runbook_lib.resize_ssh.trust import tabulate_trust
from runbook_lib.sources.ssh import HostAccess

HOME = "/var/lib/stackrb-lab-nova"  # the lab's nova home


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return json.loads((FIXTURES / "ssh-trust-lab" / "records.json").read_text())


def _unreached(host: str) -> dict:
    return unreached_probe(host, "ssh: connect to host 127.0.11.3 port 22: Connection refused")


def test_plan_fixes_each_host_once_in_a_safe_order(records):
    fixes = plan_trust_fixes(tabulate_trust(records), records, BECOME, AS_ROOT)
    actions = [(f.host, f.action, f.automatic) for f in fixes]
    assert actions[0] == ("compute-05", "chmod-private-key", True)  # a fixed key then works everywhere
    assert ("compute-02", "authorize-keys", True) in actions
    assert ("compute-04", "login-shell", True) in actions
    assert ("compute-06", "manual-connection-refused", False) in actions
    assert {h for h, a, _ in actions if a == "trust-host-keys"} == set(STATES) - {"compute-03"}
    chmod = fixes[0]
    assert chmod.argv == ("chmod", "600", "/var/lib/stackrb-lab-nova/.ssh/id_ed25519")
    assert chmod.command == "sudo -n -u nova -- chmod 600 /var/lib/stackrb-lab-nova/.ssh/id_ed25519"
    shell = next(f for f in fixes if f.action == "login-shell")
    assert shell.run_as == "root" and shell.command == "sudo -n -- usermod -s /bin/bash stackrb-lab-nova"


def test_keys_travel_as_data_and_host_keys_come_from_the_destination(records):
    fixes = plan_trust_fixes(tabulate_trust(records), records, BECOME, AS_ROOT)
    authorize = next(f for f in fixes if f.action == "authorize-keys")
    assert authorize.argv[:2] == ("sh", "-c") and "ssh-ed25519" not in " ".join(authorize.argv)
    sources = {line.split()[2] for line in authorize.stdin.splitlines()}
    assert sources == {f"nova@{h}" for h in STATES if h != "compute-02"}
    trust = next(f for f in fixes if f.action == "trust-host-keys" and f.host == "compute-01")
    dest_key = next(r for r in records if r["host"] == "compute-03")["host_keys"][0]
    assert trust.stdin == f"127.0.10.3 {dest_key['key']}\n"
    # the command shown is what apply sends (the key read over checked SSH, no scan), its fingerprint in why
    assert trust.command == (
        f"printf '%s\\n' '127.0.10.3 {dest_key['key']}' | sudo -n -u nova -- tee -a {HOME}/.ssh/known_hosts"
    )
    assert "ssh-keyscan" not in trust.command and f"checked SSH (127.0.10.3: {dest_key['fingerprint']})" in trust.why


def test_the_fixes_table_says_what_runs_where_and_what_it_fixes(records):
    table = tabulate_fixes(plan_trust_fixes(tabulate_trust(records), records, BECOME, AS_ROOT))
    assert list(table.columns) == ["host", "action", "run_as", "automatic", "command", "fixes", "why"]
    assert len(table) == 9 and table["automatic"].sum() == 8
    rows = table.set_index("action")
    assert rows.loc["login-shell"].to_dict() == {
        "host": "compute-04",
        "run_as": "root",
        "automatic": True,
        "command": "sudo -n -- usermod -s /bin/bash stackrb-lab-nova",
        "fixes": "compute-01→compute-04, compute-02→compute-04, compute-03→compute-04, compute-06→compute-04",
        "why": "sshd runs every command through the login shell, and nologin refuses them all",
    }
    assert rows.loc["manual-connection-refused"].to_dict() == {
        "host": "compute-06",
        "run_as": "root",
        "automatic": False,
        "command": "by hand: start sshd on the destination and check the port (nova's ~/.ssh/config)",
        "fixes": "compute-01→compute-06, compute-02→compute-06, compute-03→compute-06, compute-04→compute-06, "
        "compute-05→compute-06",
        "why": "nothing listens on the destination's SSH port",
    }
    assert tabulate_fixes([]).empty and list(tabulate_fixes([]).columns) == list(table.columns)


def test_the_authorize_command_copies_each_source_key_to_the_destination(records):
    fixes = plan_trust_fixes(tabulate_trust(records), records, BECOME, AS_ROOT)
    authorize = next(f for f in fixes if f.action == "authorize-keys")
    assert authorize.command.split("; ")[0] == (
        f"ssh compute-01 cat {HOME}/.ssh/id_ed25519.pub | ssh compute-02 sudo -n -u nova -- tee -a "
        f"{HOME}/.ssh/authorized_keys"
    )
    assert len(authorize.command.split("; ")) == 5 and authorize.pairs[0] == "compute-01→compute-02"
    keys = {r["host"]: r["pubkeys"][0]["key"] for r in records}
    assert authorize.stdin.splitlines()[0] == f"{keys['compute-01']} nova@compute-01"


def test_logged_in_as_root_the_commands_use_runuser_and_no_sudo(records):
    access = HostAccess(sudo="")
    fixes = plan_trust_fixes(tabulate_trust(records), records, access.become("stackrb-lab-nova"), access.as_root())
    by_action = {f.action: f.command for f in fixes}
    assert by_action["chmod-private-key"] == f"runuser -u stackrb-lab-nova -- chmod 600 {HOME}/.ssh/id_ed25519"
    assert by_action["login-shell"] == "usermod -s /bin/bash stackrb-lab-nova"


def test_a_source_without_a_key_gets_one_before_it_can_be_authorized(records):
    """compute-01's nova has no key pair: the plan creates one (authorized on the next run), and the key
    copy to compute-02 carries only the keys that exist."""
    keyless = copy.deepcopy(records)
    next(r for r in keyless if r["host"] == "compute-01")["pubkeys"] = []
    fixes = plan_trust_fixes(tabulate_trust(keyless), keyless, BECOME, AS_ROOT)
    create = next(f for f in fixes if f.action == "create-key")
    assert (create.host, create.run_as, create.automatic) == ("compute-01", "nova", True)
    assert create.argv == ("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{HOME}/.ssh/id_ed25519")
    assert create.command == f"sudo -n -u nova -- ssh-keygen -q -t ed25519 -N '' -f {HOME}/.ssh/id_ed25519"
    authorize = next(f for f in fixes if f.action == "authorize-keys")
    assert "nova@compute-01" not in authorize.stdin and "compute-01→compute-02" not in authorize.pairs
    assert [f.action for f in fixes].index("create-key") < [f.action for f in fixes].index("authorize-keys")
    # a new key fixes only the pairs the key was refused on, not the host-key, nologin or network ones
    assert create.pairs == ("compute-01→compute-02",)


def test_a_host_key_that_could_not_be_read_is_never_trusted_blindly(records):
    """compute-03 could not be reached by the operator, so its host key is unknown: the known_hosts fixes
    towards it carry no key and stay manual, and the command says what the fingerprint cannot be checked against."""
    hidden = [_unreached("compute-03") if r["host"] == "compute-03" else r for r in records]
    fixes = [
        f for f in plan_trust_fixes(tabulate_trust(hidden), hidden, BECOME, AS_ROOT) if f.action == "trust-host-keys"
    ]
    assert {f.host for f in fixes} == set(STATES) - {"compute-03"}
    assert all(not f.automatic and f.stdin == "" for f in fixes)
    assert fixes[0].command == f"ssh-keyscan -H 127.0.10.3 | sudo -n -u nova -- tee -a {HOME}/.ssh/known_hosts"
    assert fixes[0].why.endswith(
        "127.0.10.3's key could not be read over SSH: before scanning it, compare 'ssh-keyscan 127.0.10.3 | "
        "ssh-keygen -lf -' with 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub' run on 127.0.10.3 itself"
    )


def test_nothing_broken_plans_nothing(records):
    healthy = [{**r, "probes": [{**p, "exit_code": 0, "stderr": ""} for p in r["probes"]]} for r in records]
    assert plan_trust_fixes(tabulate_trust(healthy), healthy, BECOME, AS_ROOT) == []


def test_the_fixes_are_machine_readable_with_the_argv_run_on_each_host(records):
    fixes = plan_trust_fixes(tabulate_trust(records), records, BECOME, AS_ROOT)
    plan = fix_records(fixes)
    assert [(r["target_id"], r["action"]) for r in plan] == [(f.host, f.action) for f in fixes]
    shell = next(r for r in plan if r["action"] == "login-shell")
    assert shell["argv"] == ["usermod", "-s", "/bin/bash", "stackrb-lab-nova"] and shell["run_as"] == "root"
    assert shell["cli"] == "sudo -n -- usermod -s /bin/bash stackrb-lab-nova"
    assert all(r["effect"].startswith("fixes ") and "→" in r["effect"] for r in plan)
    assert {r["automatic"] for r in plan} == {True, False}
