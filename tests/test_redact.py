"""Secrets found in parameter values (options, assignments, URL credentials, cephx keys, secret-named
parameters) and masked in any text; what is not a secret stays as it was."""

import pytest

from runbook_lib.redact import MASK, redact, redact_tree, secret_values

CEPHX = "AQBzdGFjay1ydW5ib29rcy10ZXN0LWtleSEhIQ=="  # the shape of a cephx key: 28 bytes in base64


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("ceph --key=hunter2hunter", "hunter2hunter"),
        ("ceph --password 'hunter2hunter'", "hunter2hunter"),
        ("env OS_PASSWORD=hunter2hunter ceph", "hunter2hunter"),
        ("env CEPH_ARGS=--key=hunter2hunter ceph", "hunter2hunter"),
        ("ssh admin:hunter2hunter@mon1", "hunter2hunter"),  # no scheme, but what the operator typed is clear
        ("ops:jumppass99@bastion", "jumppass99"),  # ssh_jump as one would write it with a password
        ("ops:ab/cd:12@x@bastion", "ab/cd:12@x"),  # a base64-ish password: up to the last @
        ("ssh ops@bastion:2222 ceph", None),  # a port after the host is no password
        ("migrations=cmp1:10.0.0.1", None),
        ("https://admin:hunter2hunter@keystone:5000/v3", "hunter2hunter"),
        (f"ceph --name client.x --key {CEPHX}", CEPHX),
        ("token: 'hunter2hunter'", "hunter2hunter"),
        ("sshpass -p hunter2hunter ssh mon1 ceph", "hunter2hunter"),
        ("timeout 60 ssh mon1 ceph", None),
    ],
)
def test_a_secret_in_a_value_is_found(value, secret):
    found = secret_values({"ceph_command": value})
    assert found == ({secret} if secret else set())


def test_a_secret_named_parameter_is_a_secret_whatever_its_value():
    assert secret_values({"os_password": "plain words here", "apply": True, "steps": 3}) == {"plain words here"}


def test_what_is_not_a_secret_is_left_alone():
    parameters = {
        "ceph_command": "ssh admin@mon1 sudo ceph --keyring /etc/ceph/ceph.client.admin.keyring",
        "check_host_keys": True,
        "migration_addresses": "cmp1=10.0.0.1",
        "ssh_identity": "~/.ssh/id_ed25519",
    }
    assert secret_values(parameters) == set()
    assert secret_values({"ceph_command": "ceph --key=no"}) == set()  # too short to mask anywhere


def test_every_occurrence_is_masked_and_cephx_keys_and_url_passwords_whatever_carried_them():
    secrets = {"hunter2hunter"}
    text = f"ran: ceph --key=hunter2hunter (hunter2hunter) {CEPHX} https://u:pw12345@h/v3"
    assert redact(text, secrets) == f"ran: ceph --key={MASK} ({MASK}) {MASK} https://u:{MASK}@h/v3"
    tree = {"parameters": {"ceph_command": "--key=hunter2hunter"}, "key": "hw_cpu_max_sockets", "n": 2}
    assert redact_tree(tree, secrets) == {
        "parameters": {"ceph_command": f"--key={MASK}"},
        "key": "hw_cpu_max_sockets",
        "n": 2,
    }
