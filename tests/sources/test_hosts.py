"""Read-only probes of hosts, run for real: on this machine as its local host (root, so ``runuser`` becomes
the nova user), and through the real ssh client to a host that does not answer. What the scripts print is
checked against what Python reads from the same machine."""

import base64
import dataclasses
import glob
import hashlib
import os
import pwd
import socket
import subprocess
import time
from pathlib import Path

import pytest

from runbook_lib.errors import ParameterError
from runbook_lib.sources.hosts import (
    apply_host_fixes,
    parse_trust_probe,
    probe_ssh_trust,
    read_host_facts,
)
from runbook_lib.sources.ssh import HostAccess

HERE = "this-host"
LOCAL = HostAccess(sudo="", local_host=HERE, connect_timeout=3)  # as root: runuser, no sudo
UNREACHABLE = HostAccess(sudo="", port=9, connect_timeout=3)  # ssh to 127.0.0.1:9: connection refused
NOVA = "nobody"  # an account every Debian host has, with no home and a nologin shell
CLOSED = "127.0.0.9"  # a loopback address nothing listens on


@pytest.fixture(autouse=True, scope="module")
def _as_root():
    assert os.geteuid() == 0, "these probes run as root, as CI runs them (runuser needs it)"


def fingerprint(public_key_b64: str) -> str:
    """OpenSSH's SHA256 fingerprint of a public key, computed here."""
    digest = hashlib.sha256(base64.b64decode(public_key_b64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@pytest.fixture
def named_process():
    """A process whose command line mentions nova-compute (but is not one: the runbook's own filter, which
    wants the program itself, would not count it), started here and stopped after the test."""
    name = "stackrb-test-nova-compute-probe"
    process = subprocess.Popen(["bash", "-c", f"exec -a {name} sleep 60"])
    time.sleep(0.2)
    yield name, process
    process.kill()
    process.wait()


def test_host_facts_of_this_host_list_each_process_naming_nova_compute_with_pid_parent_and_start(named_process):
    name, process = named_process
    [record] = read_host_facts(LOCAL, [HERE])
    assert (record["host"], record["reached"], record["error"]) == (HERE, True, "")
    assert all(line.split(" ", 1)[0] in ("@proc", "@conf", "@line") for line in record["lines"])
    procs = {p[4]: p for p in (line.split(" ", 4) for line in record["lines"] if line.startswith("@proc "))}
    _, pid, ppid, started, _ = procs[f"{name} 60"]
    assert (int(pid), int(ppid)) == (process.pid, os.getpid())
    assert abs(int(started) - time.time()) < 60


def test_host_facts_of_this_host_hold_the_nova_config_files_it_can_read():
    [record] = read_host_facts(LOCAL, [HERE])
    candidates = ["/etc/nova/nova.conf", *sorted(glob.glob("/etc/nova/nova.conf.d/*.conf"))]
    readable = [f for f in [*candidates, "/etc/kolla/nova-compute/nova.conf"] if os.access(f, os.R_OK)]
    assert [line.split(" ")[2] for line in record["lines"] if line.startswith("@conf ")] == readable


def test_a_host_that_does_not_answer_is_not_reached_and_says_sshs_reason():
    [record] = read_host_facts(UNREACHABLE, ["127.0.0.1"])
    assert record["host"] == "127.0.0.1" and not record["reached"] and record["lines"] == []
    assert "connect to host 127.0.0.1 port 9: Connection refused" in record["error"]


def test_host_facts_refuse_a_host_name_that_is_an_option():
    with pytest.raises(ParameterError, match="is not a host name"):
        read_host_facts(LOCAL, ["-oProxyCommand=touch /tmp/x"])


def test_the_trust_probe_as_the_nova_user_reads_its_account_and_the_hosts_public_keys():
    with socket.socket() as sock:
        sock.settimeout(1)
        assert sock.connect_ex((CLOSED, 22)) != 0, f"something listens on {CLOSED}:22"
    [record] = probe_ssh_trust(LOCAL, [HERE], {HERE: "127.0.0.1", "cmp2": CLOSED}, NOVA)
    account = pwd.getpwnam(NOVA)
    assert (record["host"], record["reached"], record["via"], record["error"]) == (HERE, True, "local", "")
    assert record["account"] == {"user": NOVA, "shell": account.pw_shell, "home": account.pw_dir}
    assert record["files"] == [] and record["pubkeys"] == [] and record["authorized"] == []  # no home at all
    expected = []
    for path in sorted(glob.glob("/etc/ssh/ssh_host_*_key.pub")):
        kind, key = Path(path).read_text().split()[:2]
        expected.append({"fingerprint": fingerprint(key), "key": f"{kind} {key}"})
    assert record["host_keys"] == expected and expected


def test_the_trust_probe_runs_novas_own_ssh_to_every_other_host_and_keeps_its_stderr():
    [record] = probe_ssh_trust(LOCAL, [HERE], {HERE: "127.0.0.1", "cmp2": CLOSED}, NOVA)
    assert record["probes"] == [  # not to itself: only cmp2
        {
            "dest_address": CLOSED,
            "port": 22,
            "known_host": "no",
            "exit_code": 255,
            "stderr": f"ssh: connect to host {CLOSED} port 22: Connection refused",
            "dest": "cmp2",
        }
    ]


def test_a_source_host_that_cannot_be_reached_has_no_facts_and_sshs_reason():
    progress = []
    [record] = probe_ssh_trust(
        UNREACHABLE, ["127.0.0.1"], {"cmp2": CLOSED}, NOVA, progress=lambda r, d, t: progress.append((r.host, d, t))
    )
    assert (record["reached"], record["via"], record["account"], record["probes"]) == (False, "ssh", None, [])
    assert "connect to host 127.0.0.1 port 9: Connection refused" in record["error"]
    assert progress == [("127.0.0.1", 1, 1)]


def test_a_destination_address_is_checked_before_any_host_is_probed():
    with pytest.raises(ParameterError, match=r"'-oProxyCommand=id' is not a host name or address"):
        probe_ssh_trust(LOCAL, [HERE], {"cmp2": "-oProxyCommand=id"}, NOVA)
    with pytest.raises(ParameterError, match="is not a user name"):
        probe_ssh_trust(LOCAL, [HERE], {"cmp2": CLOSED}, "nova; id")


def test_parse_trust_probe_reads_each_tag_and_ignores_short_or_unknown_lines():
    stderr = "nova@10.0.0.12: Permission denied (publickey)."
    stdout = "\n".join(
        [
            "@account nova /bin/sh /var/lib/nova",
            "@file 700 nova /var/lib/nova/.ssh",
            "@file 644 nova /var/lib/nova/.ssh/id rsa",  # a path with a space stays whole
            "@pubkey SHA256:abc ssh-ed25519 AAAAC3Nza /var/lib/nova/.ssh/id_ed25519.pub",
            "@authorized SHA256:def",
            "@hostkey SHA256:ghi ssh-ed25519 AAAAC3Nzb",
            f"@probe 10.0.0.12 22 user 255 {base64.b64encode(stderr.encode()).decode()}",
            "@probe 10.0.0.13 2222 no 0",  # ssh said nothing
            "@probe short",
            "@account",
            "noise from a login banner",
        ]
    )
    facts = parse_trust_probe(stdout)
    assert facts["account"] == {"user": "nova", "shell": "/bin/sh", "home": "/var/lib/nova"}
    assert facts["files"][1] == {"mode": "644", "owner": "nova", "path": "/var/lib/nova/.ssh/id rsa"}
    assert facts["pubkeys"] == [
        {"fingerprint": "SHA256:abc", "key": "ssh-ed25519 AAAAC3Nza", "path": "/var/lib/nova/.ssh/id_ed25519.pub"}
    ]
    assert facts["authorized"] == ["SHA256:def"]
    assert facts["host_keys"] == [{"fingerprint": "SHA256:ghi", "key": "ssh-ed25519 AAAAC3Nzb"}]
    assert facts["probes"] == [
        {"dest_address": "10.0.0.12", "port": 22, "known_host": "user", "exit_code": 255, "stderr": stderr},
        {"dest_address": "10.0.0.13", "port": 2222, "known_host": "no", "exit_code": 0, "stderr": ""},
    ]
    assert parse_trust_probe("") == {
        "account": None,
        "files": [],
        "pubkeys": [],
        "authorized": [],
        "host_keys": [],
        "probes": [],
    }


@dataclasses.dataclass(frozen=True)
class Fix:
    """The fields apply_host_fixes reads (those of runbook_lib.resize_ssh.trust.TrustFix)."""

    host: str
    action: str
    argv: list
    run_as: str = "root"
    stdin: str = ""
    automatic: bool = True


def test_automatic_fixes_run_in_order_as_their_user_and_say_what_happened(tmp_path):
    marker = tmp_path / "fixed"
    fixes = [
        Fix(HERE, "write the marker", ["sh", "-c", f"cat > {marker}"], stdin="done"),
        Fix(HERE, "show who runs it", ["id", "-un"], run_as="nova"),
        Fix(HERE, "a manual step", ["sh", "-c", f"rm {marker}"], automatic=False),
        Fix(HERE, "nothing to run", []),
        Fix(HERE, "a failing step", ["sh", "-c", "echo 'chmod: cannot access' >&2; exit 1"]),
    ]
    done = apply_host_fixes(LOCAL, fixes, NOVA)
    assert done == [
        {"host": HERE, "action": "write the marker", "ok": True, "output": ""},
        {"host": HERE, "action": "show who runs it", "ok": True, "output": NOVA},
        {"host": HERE, "action": "a failing step", "ok": False, "output": "chmod: cannot access"},
    ]
    assert marker.read_text() == "done"  # the manual step was not run


def test_the_host_facts_script_asks_ps_for_whole_command_lines():
    """Without -ww, ps cuts args at COLUMNS (80 when it cannot tell): --config-file would be lost."""
    from runbook_lib.sources.hosts import HOST_FACTS_SCRIPT

    assert "ps -ww -eo pid=,ppid=,lstart=,args=" in HOST_FACTS_SCRIPT
