"""Every form, since Mitaka, of the nova-compute messages the vif-plugging diagnosis reads.

Each form is the release's own format string (quoted in ``source``) turned into a pattern. The same
record reaches the log in every layout :mod:`runbook_lib.oslo_log` reads; these patterns see its message.
"""

from __future__ import annotations

import re

from runbook_lib.message_forms import MessageForm

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

TIMEOUT_FORMS = (
    MessageForm(
        "vif-plugging timeout",
        "Yoga (25) and later",
        re.compile(
            r"Timeout waiting for \[(?P<events>'network-vif-plugged-.*?)\] for instance with vm_state (?P<vm>\w+) "
            r"and task_state (?P<task>\w+)"
        ),
        "nova/compute/manager.py ComputeVirtAPI.wait_for_instance_event: 'Timeout waiting for %(events)s for "
        "instance with vm_state %(vm_state)s and task_state %(task_state)s. Event states are: %(event_states)s' "
        "(events: 'network-vif-plugged-<port>' strings)",
    ),
    MessageForm(
        "vif-plugging timeout",
        "Queens (17) to Xena (24)",
        re.compile(
            r"Timeout waiting for \[(?P<events>\(.*?)\] for instance with vm_state (?P<vm>\w+) "
            r"and task_state (?P<task>\w+)"
        ),
        "nova/virt/libvirt/driver.py _create_domain_and_network (17–21) / _create_guest_with_network (22–24): "
        "'Timeout waiting for %(events)s for instance with vm_state %(vm_state)s and task_state %(task_state)s.' "
        "(no final period from Wallaby; events: ('network-vif-plugged', '<port>') tuples, u'<port>' on Python 2)",
    ),
    MessageForm(
        "vif-plugging timeout",
        "Ocata 15.1.1 (13) to Pike (16)",
        re.compile(r"Timeout waiting for vif plugging callback for instance with vm_state (?P<vm>\w+)"),
        "nova/virt/libvirt/driver.py _create_domain_and_network: 'Timeout waiting for vif plugging callback for "
        "instance with vm_state %(vm_state)s and task_state %(task_state)s.' (no events named)",
    ),
    MessageForm(
        "vif-plugging timeout",
        "Mitaka (13) to Ocata 15.1.0",
        re.compile(rf"Timeout waiting for vif plugging callback for instance (?P<uuid>{UUID})"),
        "nova/virt/libvirt/driver.py _create_domain_and_network: _LW('Timeout waiting for vif plugging callback for "
        "instance %(uuid)s') (no events named: the ports come from the server's port list)",
    ),
)

UNEXPECTED_FORMS = (
    MessageForm(
        "event for a process that does not wait for it",
        "Queens (17) and later",
        re.compile(
            rf"Received unexpected event network-vif-plugged-(?P<port>{UUID}) for instance "
            r"with vm_state (?P<vm>\w+)(?: and task_state (?P<task>\w+))?"
        ),
        "nova/compute/manager.py _process_instance_event: 'Received unexpected event %(event)s for instance with "
        "vm_state %(vm_state)s and task_state %(task_state)s.'",
    ),
    MessageForm(
        "event for a process that does not wait for it",
        "Mitaka (13) to Pike (16)",
        re.compile(rf"Received unexpected event network-vif-plugged-(?P<port>{UUID}) for instance(?! with)"),
        "nova/compute/manager.py _process_instance_event: 'Received unexpected event %(event)s for instance' "
        "(no vm_state: whether the instance was still building is not said)",
    ),
)

PORT_FAILED_FORMS = (
    MessageForm(
        "Neutron reported the port failed",
        "Mitaka (13) and later",
        re.compile(rf"Neutron Reported failure on event network-vif-plugged-(?P<port>{UUID}) for instance"),
        "nova/virt/libvirt/driver.py _neutron_failed_callback: 'Neutron Reported failure on event %(event)s for "
        "instance %(uuid)s'",
    ),
)
