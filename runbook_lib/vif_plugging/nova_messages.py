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

# Why an ERROR server's build failed, as its fault (or its build events) words it. The wrappers around the
# reason: BuildAbortException 'Build of instance %(instance_uuid)s aborted: %(reason)s' (no reschedule),
# RescheduledException 'Build of instance %(instance_uuid)s was re-scheduled: %(reason)s' and
# MaxRetriesExceeded 'Exceeded maximum number of retries. %(reason)s' (nova/exception.py, every release).
BINDING_FAILED_FORM = MessageForm(
    "Neutron could not bind the port (PortBindingFailed)",
    "Kilo (11) and later",
    re.compile(rf"Binding failed for port (?P<port>{UUID})"),
    "nova/exception.py PortBindingFailed: 'Binding failed for port %(port_id)s, please check neutron logs for more "
    "information.': the fault itself, the reason of a reschedule, or (Mitaka–Pike) the "
    "'Last exception: %(exc_reason)s' of scheduler/utils.py's 'Exceeded max scheduling attempts "
    "%(max_attempts)d for instance %(instance_uuid)s'",
)
NO_FIXED_IP_FORM = MessageForm(
    "no fixed IP address left on the network (not a vif-plugging failure)",
    "Mitaka (13) and later",
    re.compile(r"Failed to allocate the network\(s\) with error (?P<error>.+?), not rescheduling"),
    "nova/compute/manager.py _build_and_run_instance: _('Failed to allocate the network(s) with error %s, not "
    "rescheduling.') % e.format_message() after NoMoreFixedIps (to Pike also FixedIpLimitExceeded, NoMoreNetworks)",
)
ALLOCATION_ABORTED_FORM = MessageForm(
    "network allocation failed, build aborted",
    "Mitaka (13) and later",
    re.compile(r"Failed to allocate the network\(s\), not rescheduling"),
    "nova/compute/manager.py _build_and_run_instance: _('Failed to allocate the network(s), not rescheduling.') "
    "after VirtualInterfaceCreateException (the vif-plugging timeout, or Neutron's failure report; also "
    "VirtualInterfaceMacAddressException, FixedIpInvalidOnHost, UnableToAutoAllocateNetwork, "
    "ExternalNetworkAttachForbidden, NetworksWithQoSPolicyNotSupported)",
)
RETRIES_EXHAUSTED_FORM = MessageForm(
    "every host tried failed the build: the reason is in the build events",
    "Queens (17) and later",
    re.compile(r"Exhausted all hosts available for retrying build failures for instance"),
    "nova/conductor/manager.py build_instances: MaxRetriesExceeded(reason='Exhausted all hosts available for "
    "retrying build failures for instance %(instance_uuid)s.'): each host's own error is in its build event",
)
# Most specific first: a binding failure may sit inside a reschedule or retries message; "with error" before
# the plain abort.
BUILD_FAULT_FORMS = (BINDING_FAILED_FORM, NO_FIXED_IP_FORM, ALLOCATION_ABORTED_FORM, RETRIES_EXHAUSTED_FORM)
