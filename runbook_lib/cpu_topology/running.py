"""The running servers that lose vCPUs: a changed image or flavor only affects new boots (Nova copied the
image properties into the instance and embedded the flavor), so each affected server gets its options and
what each costs, never an automatic change."""

from __future__ import annotations

import shlex

import pandas as pd

from runbook_lib.cpu_topology.checks import CpuTopologyAnalysis


def _flavor_for(a: CpuTopologyAnalysis, vcpus: int, sockets: int) -> str:
    """A public flavor with the same vCPUs already capped at ``sockets`` or fewer: the resize target, by id."""
    public = a.flavors[a.flavors["is_public"] & (a.flavors["vcpus"] == vcpus)]
    for flavor in public.itertuples():
        cap = flavor.extra_specs.get("hw:cpu_max_sockets")
        if cap is not None and int(cap) <= sockets:
            return shlex.quote(str(flavor.flavor_id))
    return f"<a flavor with {vcpus} vCPUs and hw:cpu_max_sockets={sockets}>"


def plan_running_servers(a: CpuTopologyAnalysis) -> pd.DataFrame:
    """Per affected server: the ways to give it its CPUs back, with what each costs."""
    rows = []
    for s in a.servers[a.servers["lost_vcpus"].fillna(0) > 0].itertuples():
        n, sid = int(s.socket_limit), shlex.quote(str(s.server_id))
        options = [
            (
                "resize",
                f"openstack server resize --flavor {_flavor_for(a, int(s.vcpus), n)} {sid}",
                "a reboot and a working resize (SSH between computes); the flavor changes",
            ),
            (
                "nova-manage",
                f"openstack server stop {sid} && nova-manage image_property set {sid} "
                f"--property hw_cpu_max_sockets={n} && openstack server start {sid}",
                "admin on a controller, nova ≥ 25 (Yoga); a stop/start; nothing else changes",
            ),
            (
                "rebuild",
                f"openstack server rebuild --image {shlex.quote(str(s.image_id))} {sid}",
                "WIPES THE ROOT DISK; after the image's hw_cpu_max_sockets is set (the plan above)",
            ),
        ]
        if s.boot_from_volume:
            options.insert(
                0,
                (
                    "volume metadata",
                    f"openstack volume set --image-property "
                    f"hw_cpu_max_sockets={n} {shlex.quote(str(s.boot_volume_id))}",
                    "needed before any rebuild/boot from the volume; existing server still needs nova-manage",
                ),
            )
        rows += [{"server": s.server, "status": s.status, "option": o, "command": c, "cost": k} for o, c, k in options]
    return pd.DataFrame(rows, columns=["server", "status", "option", "command", "cost"])
