"""The forms of 'this migration failed on its SSH connection', each built from its release's source text."""

import pytest

from runbook_lib.resize_ssh.nova_messages import SSH_FAILURE_FORMS
from runbook_lib.resize_ssh.ssh_errors import over_ssh

SERVER = "2f3a4b5c-6d7e-4f80-9a1b-2c3d4e5f6a7b"
PEE = "Unexpected error while running command.\nCommand: {cmd}\nExit code: 255\nStdout: ''\nStderr: {err!r}"
CASES = {
    # ResizeError(reason=_('not able to execute ssh command: %s') % e), wrapped by InstanceFaultRollback
    "resize mkdir": "Instance rollback performed due to: Resize error: not able to execute ssh command: "
    + PEE.format(cmd=f"ssh -o BatchMode=yes 10.0.0.12 mkdir -p /var/lib/nova/instances/{SERVER}", err="x"),
    "scp copy": PEE.format(cmd=f"scp -r /var/lib/nova/instances/{SERVER}/disk 10.0.0.12:/d", err="lost connection\r\n"),
    "scp -C copy (Victoria+)": PEE.format(cmd="scp -C -r /a 10.0.0.12:/b", err="x"),
    "rsync copy": PEE.format(cmd="rsync -r --sparse --compress /a 10.0.0.12:/b", err="x"),
    "live migration": "Live Migration failure: operation failed: Failed to connect to remote libvirt URI "
    "qemu+ssh://10.0.0.12/system: End of file while reading data: nova@cmp2: Permission denied: Input/output error",
}


@pytest.mark.parametrize("kind", list(CASES))
def test_every_form_is_over_ssh(kind):
    assert over_ssh(CASES[kind])
    assert any(form.pattern.search(CASES[kind]) for form in SSH_FAILURE_FORMS)


def test_each_form_names_its_releases_and_quotes_its_source():
    for form in SSH_FAILURE_FORMS:
        assert form.releases and ("nova/" in form.source or "oslo_concurrency/" in form.source)
