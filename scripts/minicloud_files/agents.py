"""Network agents of the mini cloud: their state reports, recorded by the handler neutron-server runs for a
real agent's ``report_state`` RPC (``AgentDbMixin.create_or_update_agent``: the agents table, heartbeat
and started_at set by Neutron itself), which the agents API then shows with ``alive`` computed as for any
agent. The RPC hop itself is left out: neutron-rpc-server 29 received but never dispatched the reports here.

    agents.py --config-file neutron.conf loop    the agents that stay alive, every REPORT_INTERVAL seconds
    agents.py --config-file neutron.conf once    the agents that report once and fall silent: Neutron
                                                 declares them dead agent_down_time seconds later

No agent does any wiring: ports are wired (or not) by the fakebind mechanism driver, by host name.
"""

import sys
import time

from neutron.db import agents_db
from neutron_lib import context
from oslo_config import cfg

REPORT_INTERVAL = 5
L2 = ("neutron-openvswitch-agent", "Open vSwitch agent", "N/A", {"bridge_mappings": {}, "tunnel_types": []})
DHCP = ("neutron-dhcp-agent", "DHCP agent", "dhcp_agent", {"dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq"})
# ports wired (or failed) by fakebind
ALIVE = [(L2, "vif-late-1"), (L2, "vif-late-2"), (L2, "vif-dhcp-1"), (L2, "vif-fail-1")]
SILENT = [(L2, "vif-down-1"), (DHCP, "net-1")]  # report once: the L2 agent of the vif-down-1 host and the
# DHCP agent that hosts dhcp-net die; a port on dhcp-net keeps its DHCP provisioning block


def report(db, agents, start):
    for (binary, agent_type, topic, configurations), host in agents:
        state = {
            "binary": binary,
            "host": host,
            "topic": topic,
            "agent_type": agent_type,
            "configurations": configurations,
            "start_flag": start,
        }
        db.create_or_update_agent(context.get_admin_context(), state)


def main():
    mode = sys.argv[-1]
    cfg.CONF(sys.argv[1:-1], project="neutron")
    db = agents_db.AgentDbMixin()
    if mode == "once":
        report(db, SILENT, True)
        print(f"reported once: {', '.join(f'{a[1]} on {h}' for a, h in SILENT)}")
        return 0
    start = True
    while True:
        try:
            report(db, ALIVE, start)
            start = False
        except Exception as error:  # the database restarting: keep reporting
            print(f"report_state failed: {error}", flush=True)
        time.sleep(REPORT_INTERVAL)


if __name__ == "__main__":
    sys.exit(main())
