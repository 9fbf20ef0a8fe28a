"""'Failed to allocate the network(s), not rescheduling': Nova timed out waiting for network-vif-plugged.

The handshake: Nova binds the port to the compute host, starts the guest paused and waits
(``vif_plugging_timeout``, 300 s by default) for Neutron's ``network-vif-plugged`` event. Neutron sends it
when the port goes ACTIVE, which needs the host's L2 agent (and, where DHCP runs, the DHCP agent) to
clear their provisioning blocks. No event in time → with ``vif_plugging_is_fatal`` (default True) the
build is aborted with this message and the server ends ERROR with *no host* (Nova nils it), the port
unbound again; with it False the server goes ACTIVE without network wiring, and nothing looks wrong.
"""

from __future__ import annotations

import re

import pandas as pd

from runbook_lib.message_forms import MessageForm, first_match
from runbook_lib.records import Records
from runbook_lib.vif_plugging.nova_messages import BUILD_FAULT_FORMS, RETRIES_EXHAUSTED_FORM, TIMEOUT_FORMS

RUNBOOK = "vif_plugging"
HOST_FACTS_PART = "hosts/nova_compute"  # read over SSH when asked: processes and vif_plugging_* options
# What this runbook reads; a live run collects only these.
PARTS = (
    "openstack/servers",
    "openstack/instance_actions",
    "openstack/ports",
    "openstack/network_agents",
    "openstack/compute_services",
)
# Collected live too, but a snapshot without it still works (the DHCP check then looks at every DHCP agent).
EXTRA_PARTS = ("openstack/dhcp_hosting",)
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
L2_AGENT_TYPES = (
    "Open vSwitch agent",
    "Linux bridge agent",
    "OVN Controller agent",
    "NIC Switch agent",
    "Macvtap agent",
)

NEUTRON_LOG_PART = "logs/neutron-server"
DHCP_AGENT = "DHCP agent"
NOTIFIER_FAILURES = ("notify-failed", "nova-error-response", "endpoint-not-found")  # no event named
DELIVERY_FAILURES = ("refused", "not-found", *NOTIFIER_FAILURES)


def find_failed_builds(servers: Records, actions: Records | None = None) -> pd.DataFrame:
    """ERROR servers whose build failed on the network, with the form their fault takes (see
    :data:`BUILD_FAULT_FORMS`): the abort after the vif-plugging wait or Neutron's failure report, a port
    binding failure, or no fixed IP left. A fault that says only that every retry failed is read through the
    server's build events; ERROR servers that failed for another reason are not listed."""
    events = build_event_texts(actions or [])
    rows = []
    for s in servers:
        fault = s.get("fault") or {}
        message = str(fault.get("message") or "")
        found = classify_build_fault(message, str(fault.get("details") or ""), events.get(str(s.get("id")), ""))
        if s.get("status") != "ERROR" or found is None:
            continue
        form, match = found
        rows.append(
            {
                "server_id": s["id"],
                "server": s.get("name"),
                "project_id": s.get("tenant_id"),
                "fault": message,
                "fault_form": form.message,
                "port": match.groupdict().get("port"),
                "error": match.groupdict().get("error"),
                "fault_at": fault.get("created"),
                "created": s.get("created"),
            }
        )
    frame = pd.DataFrame(rows, columns=FAILED_BUILD_COLUMNS)
    for column in ("fault_at", "created"):
        frame[column] = pd.to_datetime(frame[column], errors="coerce", utc=True).dt.tz_localize(None)
    return frame


FAILED_BUILD_COLUMNS = [
    "server_id",
    "server",
    "project_id",
    "fault",
    "fault_form",
    "port",
    "error",
    "fault_at",
    "created",
]


def classify_build_fault(message: str, details: str = "", events: str = "") -> tuple[MessageForm, re.Match[str]] | None:
    """The form that says why a build failed, read from the fault's message, then its details, then the
    server's build events; a fault that only says the retries ran out is not an answer by itself."""
    for text in (message, details, events):
        found = first_match(BUILD_FAULT_FORMS, text)
        if found is not None and found[0] is not RETRIES_EXHAUSTED_FORM:
            return found
    return None


def build_event_texts(actions: Records) -> dict[str, str]:
    """server → the tracebacks and details of its build events (where each host's own error is written)."""
    texts: dict[str, list[str]] = {}
    for action in actions:
        for event in action.get("events") or []:
            if "build_and_run_instance" in str(event.get("event", "")):
                own = texts.setdefault(str(action.get("instance_uuid")), [])
                own += [str(event.get("traceback") or ""), str(event.get("details") or "")]
    return {server: "\n".join(parts) for server, parts in texts.items()}


def build_hosts(actions: Records) -> dict[str, str]:
    """server → the compute host that tried to build it: the ERROR server's own host field is empty.

    The build event says 'Success' even for an aborted build (Nova catches the abort), so any build
    event with a host counts.
    """
    hosts: dict[str, str] = {}
    for action in actions:
        for event in action.get("events") or []:
            if event.get("event", "").endswith("build_and_run_instance") and event.get("host"):
                hosts[str(action.get("instance_uuid"))] = event["host"]
    return hosts


def find_timeouts(logs: pd.DataFrame) -> pd.DataFrame:
    """'Timeout waiting for …' lines of both release forms, with the ports they name."""
    columns = ["time", "host", "instance", "pid", "ports", "form", "message", "file"]
    if logs.empty:
        return pd.DataFrame(columns=columns)
    hits = logs[logs["message"].str.contains("Timeout waiting for", regex=False)]
    rows = []
    for r in hits.itertuples():
        found = first_match(TIMEOUT_FORMS, r.message)
        if found is None:
            continue
        _, match = found
        events = match.groupdict().get("events") or ""
        # the event list's shape tells the release: tuples up to Xena, strings from Yoga, none before Queens
        shape = (
            "Queens–Xena tuple" if events.startswith("(") else "≥ Yoga" if events else "Mitaka–Pike, no events named"
        )
        rows.append(
            {
                "time": r.time,
                "host": r.source,
                "instance": r.instance,
                "pid": r.pid,
                "ports": UUID_PATTERN.findall(events),
                "form": shape,
                "message": r.message.split("\n")[0],
                "file": getattr(r, "file", ""),  # path:line where the whole file was read
            }
        )
    return pd.DataFrame(rows, columns=columns)


def find_unwired_servers(servers: Records, ports: pd.DataFrame, timeouts: pd.DataFrame) -> pd.DataFrame:
    """ACTIVE servers whose build timed out waiting for the event: vif_plugging_is_fatal=False hid it."""
    timed_out = set(timeouts["instance"].dropna())
    rows = []
    for s in servers:
        if s.get("status") != "ACTIVE" or s["id"] not in timed_out:
            continue
        own = ports[ports["device_id"] == s["id"]] if not ports.empty else ports
        rows.append(
            {
                "server_id": s["id"],
                "server": s.get("name"),
                "host": s.get("OS-EXT-SRV-ATTR:host"),
                "ports_down": int((own["status"] != "ACTIVE").sum()) if not own.empty else None,
            }
        )
    return pd.DataFrame(rows, columns=["server_id", "server", "host", "ports_down"])


def tabulate_ports(ports: Records) -> pd.DataFrame:
    columns = [
        "port_id",
        "name",
        "status",
        "network_id",
        "device_id",
        "device_owner",
        "host",
        "vif_type",
        "updated_at",
    ]
    rows = [
        {
            "port_id": p.get("id"),
            "name": p.get("name"),
            "status": p.get("status"),
            "network_id": p.get("network_id"),
            "device_id": p.get("device_id"),
            "device_owner": p.get("device_owner"),
            "host": p.get("binding:host_id"),
            "vif_type": p.get("binding:vif_type"),
            "updated_at": p.get("updated_at"),
        }
        for p in ports
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], errors="coerce", utc=True).dt.tz_localize(None)
    return frame


def tabulate_agents(agents: Records) -> pd.DataFrame:
    columns = ["agent_type", "host", "alive", "admin_state_up", "heartbeat_timestamp", "started_at"]
    return pd.DataFrame(agents).reindex(columns=columns)


def working(agents: pd.DataFrame) -> pd.Series:
    """Alive and administratively up."""
    return agents["alive"].fillna(False).astype(bool) & agents["admin_state_up"].fillna(False).astype(bool)
