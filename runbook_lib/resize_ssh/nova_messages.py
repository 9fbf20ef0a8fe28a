"""Every form, since Mitaka, of the messages that say a migration failed on its SSH connection, each from its
release's source (nova 15–32 and oslo.concurrency 1.10–7.6 read; Mitaka/Newton inferred from the history).

Whatever the wording around it, the ssh command's own output travels inside oslo.concurrency's
ProcessExecutionError, unchanged in every release: ``'%(description)s\\nCommand: %(cmd)s\\nExit code:
%(exit_code)s\\nStdout: %(stdout)r\\nStderr: %(stderr)r'`` (``u'…'`` reprs on Python 2, up to Train).
"""

from __future__ import annotations

import re

from runbook_lib.message_forms import MessageForm

SSH_FAILURE_FORMS = (
    MessageForm(
        "resize / cold migration: the remote mkdir over ssh failed",
        "Ocata (15) and later; Mitaka, Newton inferred",
        re.compile(r"not able to execute ssh command"),
        "nova/virt/libvirt/driver.py migrate_disk_and_power_off: reason = _('not able to execute ssh command: %s') "
        "% e; raise InstanceFaultRollback(ResizeError(reason=reason)) — ResizeError: 'Resize error: %(reason)s'; "
        "the command is 'ssh -o BatchMode=yes <dest> mkdir -p <instance dir>' (Mitaka and later)",
    ),
    MessageForm(
        "resize / cold migration: the disk copy over scp or rsync failed",
        "Ocata (15) and later (the fault is only 'ProcessExecutionError' from Queens: the log has the rest)",
        re.compile(r"Command: (?:scp|rsync)\b"),
        "nova/virt/libvirt/volume/remotefs.py SshDriver.copy_file: 'scp -r <src> <dest>' ('scp -C -r' with "
        "compression, Victoria and later); RsyncDriver: 'rsync -r --sparse [--compress] <src> <dest>'",
    ),
    MessageForm(
        "any ssh run through processutils",
        "every release (oslo.concurrency 1.10 and later)",
        re.compile(r"Command: ssh\b"),
        "oslo_concurrency/processutils.py ProcessExecutionError: 'Command: %(cmd)s\\nExit code: %(exit_code)s'",
    ),
    MessageForm(
        "live migration: libvirt could not open its qemu+ssh connection",
        "Ocata (15) and later ('Live Migration failure: %s' at ERROR; _LE in Ocata)",
        re.compile(r"qemu\+ssh://"),
        "nova/virt/libvirt/driver.py _live_migration_operation: LOG.error('Live Migration failure: %s', e); "
        "libvirt: 'Failed to connect to remote libvirt URI %s: %s' with 'Cannot recv data: <ssh's stderr>' or "
        "'End of file while reading data: …'",
    ),
)
