"""The SSH trust matrix: classification, host facts and findings on recorded probes of the real SSH lab
(tests/fixtures/ssh-trust-lab), and the SSH edge's argv building. The fixes: test_fixes.py; the live lab:
test_trust_live.py."""

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, unreached_probe

from runbook_lib.errors import ParameterError
from runbook_lib.resize_ssh.fixes import plan_trust_fixes, tabulate_fixes
from runbook_lib.resize_ssh.probe import NOT_PROBED, trust_probe
from runbook_lib.resize_ssh.trust import (
    analyse_ssh_trust,
    check_ssh_trust,
    check_trust,
    host_facts,
    join_failures,
    probed_account,
    tabulate_trust,
    trust_pivot,
    trust_targets,
)
from runbook_lib.sources.hosts import parse_trust_probe
from runbook_lib.sources.ssh import HostAccess, check_host_name

STATES = {
    "compute-01": "healthy",
    "compute-02": "no-authorized-key",
    "compute-03": "unknown-host-key",
    "compute-04": "nologin",
    "compute-05": "key-0644",
    "compute-06": "port-closed",
}
BECOME = ["sudo", "-n", "-u", "nova", "--"]
AS_ROOT = ["sudo", "-n", "--"]


def expected_outcome(source_state: str, dest_state: str) -> str:
    """What real ssh does, in its order: connect, host key, then authentication, then the shell.

    ssh reads its private key only when the server accepts the public half, so a 0644 key on the source
    shows only towards destinations that authorize it.
    """
    if dest_state == "port-closed":
        return "connection-refused"
    if dest_state == "unknown-host-key":
        return "host-key-unknown"
    if dest_state == "no-authorized-key":
        return "publickey-denied"
    if source_state == "key-0644":
        return "bad-key-permissions"
    if dest_state == "nologin":
        return "account-not-available"
    return "ok"


def assert_matrix_matches_lab(matrix: pd.DataFrame) -> None:
    assert len(matrix) == 30  # 6 × 5 pairs, nova never SSHes to itself
    wrong = [
        (row.source, row.dest, row.outcome, expected_outcome(STATES[row.source], STATES[row.dest]))
        for row in matrix.itertuples()
        if row.outcome != expected_outcome(STATES[row.source], STATES[row.dest])
    ]
    assert wrong == []


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return json.loads((FIXTURES / "ssh-trust-lab" / "records.json").read_text())


def test_every_recorded_pair_is_classified_as_its_hosts_states_predict(records):
    assert_matrix_matches_lab(tabulate_trust(records))


def test_pivot_is_source_by_destination_with_an_empty_diagonal(records):
    pivot = trust_pivot(tabulate_trust(records))
    assert list(pivot.index) == list(STATES) and list(pivot.columns) == list(STATES)
    assert all(pivot.loc[h, h] == "—" for h in STATES)
    assert set(pivot["compute-06"].drop("compute-06")) == {"connection-refused"}
    assert set(pivot.loc["compute-05"].drop(["compute-05", "compute-02", "compute-03", "compute-06"])) == {
        "bad-key-permissions"
    }


def test_host_facts_name_the_nologin_shell_and_the_open_key(records):
    facts = host_facts(records).set_index("host")
    assert "nologin" in facts.loc["compute-04", "problems"]
    assert "mode 644: ssh ignores it" in facts.loc["compute-05", "problems"]
    assert facts.loc["compute-01", "problems"] == ""
    assert facts.loc["compute-02", "authorized_keys"] == 0 and facts.loc["compute-01", "authorized_keys"] == 6


def test_findings_are_one_per_host_at_fault_not_one_per_pair(records):
    findings = check_trust(tabulate_trust(records), records)
    by_kind = {(f.kind, f.subject) for f in findings}
    assert by_kind == {
        ("trust-connection-refused", "nova ssh to compute-06"),
        ("trust-host-key-unknown", "nova ssh to compute-03"),
        ("trust-publickey-denied", "nova ssh to compute-02"),
        ("trust-account-not-available", "nova ssh to compute-04"),
        ("trust-bad-key-permissions", "nova ssh from compute-05"),
    }
    refused = next(f for f in findings if f.kind == "trust-connection-refused")
    assert len(refused.evidence["pairs"]) == 5 and "Connection refused" in refused.message
    assert all(f.severity == "crit" for f in findings)


def test_a_host_the_operator_cannot_reach_is_not_probed_and_says_why(records):
    broken = [dict(r) for r in records]
    broken[0] = unreached_probe("compute-01", "ssh: connect to host 127.0.11.1 port 22: Connection refused")
    matrix = tabulate_trust(broken)
    row = matrix[matrix["source"] == "compute-01"]
    assert len(row) == 5 and set(row["outcome"]) == {NOT_PROBED}
    findings = check_trust(matrix, broken)
    unreached = [f for f in findings if f.kind == "trust-host-unreached"]
    assert len(unreached) == 1 and "Connection refused" in unreached[0].message
    # without compute-01's record its host key is unknown: that known_hosts fix is not automatic
    fixes = plan_trust_fixes(matrix, broken, BECOME, AS_ROOT)
    assert all(f.automatic for f in fixes if f.action == "trust-host-keys")  # compute-03 was reached


def test_all_pairs_working_is_one_ok_finding(records):
    healthy = [{**r, "probes": [{**p, "exit_code": 0, "stderr": ""} for p in r["probes"]]} for r in records]
    findings = check_trust(tabulate_trust(healthy), healthy)
    assert [(f.kind, f.severity) for f in findings] == [("trust-ok", "ok")]


def test_failed_migrations_are_joined_with_the_pair_today(records):
    explained = pd.DataFrame(
        [
            {
                "server_id": "s1",
                "source": "compute-01",
                "dest": "compute-03",
                "dest_host": "127.0.10.3",
                "cause": "host-key-unknown",
                "ssh": True,
            },
            {
                "server_id": "s2",
                "source": "compute-02",
                "dest": "compute-01",
                "dest_host": "127.0.10.1",
                "cause": "publickey-denied",
                "ssh": True,
            },
            {
                "server_id": "s3",
                "source": "compute-09",
                "dest": "compute-01",
                "dest_host": "10.0.0.9",
                "cause": "host-key-unknown",
                "ssh": True,
            },
        ]
    )
    joined = join_failures(explained, tabulate_trust(records)).set_index("server_id")
    assert joined.loc["s1", "verdict"] == "still broken"
    assert joined.loc["s2", "verdict"].startswith("works now")
    assert joined.loc["s3", "verdict"].startswith("pair not in the matrix")
    analysis = analyse_ssh_trust(records, explained, BECOME, AS_ROOT)
    assert "1 of 3 failed migration(s) explained" in analysis.summary


def test_migration_addresses_come_from_the_hypervisors(demo_snapshot):
    services, hypervisors = (
        demo_snapshot.get("openstack/compute_services"),
        demo_snapshot.get("openstack/hypervisors"),
    )
    targets = trust_targets(services, hypervisors, "ssh-src, ssh-dst-bad")
    assert targets == {"ssh-src": "127.0.0.2", "ssh-dst-bad": "127.0.0.3"}
    everything = trust_targets(services, hypervisors, "all", {"minicompute": "10.1.2.3"})
    assert len(everything) == len({s["host"] for s in services if s["binary"] == "nova-compute"})
    assert everything["minicompute"] == "10.1.2.3"


def _demo_build():
    """scripts/build_demo_snapshot.py as a module (its constants; nothing runs on import)."""
    path = Path(__file__).resolve().parents[2] / "scripts" / "build_demo_snapshot.py"
    spec = importlib.util.spec_from_file_location("build_demo_snapshot", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demo_records_a_matrix_with_a_broken_pair(demo_snapshot):
    """The demo's matrix is the SSH lab's (tests/fixtures/ssh-trust-lab), its hosts under demo compute names:
    the failed resize's pair ssh-src → ssh-dst-bad has the same cause as in the lab."""
    demo = tabulate_trust(demo_snapshot.get("hosts/ssh_trust"))
    lab = tabulate_trust(json.loads((FIXTURES / "ssh-trust-lab" / "records.json").read_text()))
    names = _demo_build().TRUST_NAMES  # the lab host → demo compute names the demo was built with
    renamed = {(names[s], names[d], o) for s, d, o in zip(lab["source"], lab["dest"], lab["outcome"], strict=True)}
    assert set(zip(demo["source"], demo["dest"], demo["outcome"], strict=True)) == renamed
    assert ("ssh-src", "ssh-dst-bad", "host-key-unknown") in renamed and len(renamed) == 30


# --- the SSH edge -----------------------------------------------------------------------------------


def test_remote_arguments_are_quoted_and_hosts_checked():
    access = HostAccess(user="ops", port=2200, ssh_config="/etc/ssh/ops_config", jump_host="bastion")
    argv = access.ssh_argv("compute-1", ["sh", "-c", "echo $HOME; rm -rf /", "x y"])
    assert argv[:4] == ["ssh", "-o", "BatchMode=yes", "-o"]
    assert argv[-3:] == ["--", "compute-1", "sh -c 'echo $HOME; rm -rf /' 'x y'"]
    assert argv[argv.index("-l") : argv.index("-l") + 2] == ["-l", "ops"] and "-J" in argv
    assert "StrictHostKeyChecking=no" not in " ".join(argv)  # host keys are checked unless turned off
    for bad in ("-oProxyCommand=touch /tmp/x", "a b", "host;reboot", ""):
        with pytest.raises(ParameterError):
            access.ssh_argv(bad, ["true"])
    with pytest.raises(ParameterError):
        check_host_name("$(id)")
    with pytest.raises(ParameterError):
        access.become("nova; reboot")


def test_become_uses_sudo_or_runuser_never_a_login_shell():
    assert HostAccess().become("nova") == ["sudo", "-n", "-u", "nova", "--"]
    assert HostAccess(sudo="").become("nova") == ["runuser", "-u", "nova", "--"]
    assert HostAccess(sudo="").as_root() == [] and HostAccess().as_root() == ["sudo", "-n", "--"]
    assert HostAccess(local_host="here").ssh_argv("here", ["id"]) == ["id"]


def test_probe_output_parses_with_a_cut_record_and_an_empty_stderr():
    out = "\n".join(
        [
            "@account nova /bin/bash /var/lib/nova",
            "@file 600 nova /var/lib/nova/.ssh/id_rsa",
            "@probe 10.0.0.2 22 user 0 ",
            "@probe 10.0.0.3 22 no 255 SG9zdCBrZXkgdmVyaWZpY2F0aW9uIGZhaWxlZC4=",
            "@probe 10.0.0.4",  # a line cut short (the host dropped the connection) is ignored
        ]
    )
    facts = parse_trust_probe(out)
    assert facts["account"] == {"user": "nova", "shell": "/bin/bash", "home": "/var/lib/nova"}
    assert [p["stderr"] for p in facts["probes"]] == ["", "Host key verification failed."]


def test_a_recorded_matrix_s_fixes_name_the_account_it_was_probed_as(demo_snapshot):
    """The demo's matrix was probed as the SSH lab's nova user: its fixes become that user, whatever the
    nova_user parameter's default; a matrix whose hosts disagree keeps the parameter."""
    records = demo_snapshot.get("hosts/ssh_trust")
    assert probed_account(records, "nova") == "stackrb-lab-nova"
    trust = check_ssh_trust(demo_snapshot, trust_probe(access=HostAccess(sudo="sudo -n")), pd.DataFrame())
    chmod = next(f for f in trust.fixes if f.action == "chmod-private-key")
    assert " ".join(tabulate_fixes([chmod])["command"]).startswith("sudo -n -u stackrb-lab-nova -- chmod 600 ")
    mixed = [records[0], {**records[1], "account": {"user": "nova"}}]
    assert probed_account(mixed, "nova") == "nova" and probed_account([], "nova") == "nova"
