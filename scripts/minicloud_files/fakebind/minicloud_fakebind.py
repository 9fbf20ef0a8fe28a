"""ML2 mechanism driver of the mini cloud: binds ports without an L2 agent, by host-name prefix.

fail-bind*  not bound: the port ends binding_failed and Nova raises PortBindingFailed
vif-down*   bound but left DOWN, as when the host's L2 agent is dead: no network-vif-plugged is sent
vif-late*   bound DOWN, then set ACTIVE 3 s later, as an L2 agent's update_device_up does
vif-fail*   bound DOWN, then set ERROR 3 s later: Neutron sends network-vif-plugged with status failed
vif-dhcp*   bound DOWN, then the L2 provisioning block is cleared 3 s later, as an L2 agent's
            update_device_up does; the port goes ACTIVE only if no other block (DHCP) remains
any other   bound and ACTIVE at once
"""

import logging
import threading

from neutron_lib import constants
from neutron_lib import context as n_context
from neutron_lib.api.definitions import portbindings
from neutron_lib.callbacks import resources
from neutron_lib.plugins import directory
from neutron_lib.plugins.ml2 import api

LOG = logging.getLogger(__name__)
AGENT_DELAY_S = 3.0


def _set_status_later(port_id, host, status):
    def agent():
        LOG.info("fakebind: setting port %s %s on %s (simulated agent)", port_id, status, host)
        directory.get_plugin().update_port_status(n_context.get_admin_context(), port_id, status, host=host)

    threading.Timer(AGENT_DELAY_S, agent).start()


def _l2_provisioned_later(port_id, host):
    def agent():
        from neutron.db import provisioning_blocks

        LOG.info("fakebind: L2 provisioning complete for port %s on %s (simulated agent)", port_id, host)
        provisioning_blocks.provisioning_complete(
            n_context.get_admin_context(), port_id, resources.PORT, provisioning_blocks.L2_AGENT_ENTITY
        )

    threading.Timer(AGENT_DELAY_S, agent).start()


class FakeBindMechanismDriver(api.MechanismDriver):
    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        host = context.host or ""
        if host.startswith("fail-bind"):
            return
        delayed = host.startswith(("vif-down", "vif-late", "vif-fail", "vif-dhcp"))
        for segment in context.segments_to_bind:
            if delayed:  # no status: the port stays DOWN, so Nova's VIF is active=False and Nova waits
                context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS, {portbindings.CAP_PORT_FILTER: True})
                if host.startswith("vif-late"):
                    _set_status_later(context.current["id"], host, constants.PORT_STATUS_ACTIVE)
                elif host.startswith("vif-dhcp"):
                    _l2_provisioned_later(context.current["id"], host)
                elif host.startswith("vif-fail"):
                    _set_status_later(context.current["id"], host, constants.PORT_STATUS_ERROR)
            else:
                context.set_binding(
                    segment[api.ID],
                    portbindings.VIF_TYPE_OVS,
                    {portbindings.CAP_PORT_FILTER: True},
                    status=constants.PORT_STATUS_ACTIVE,
                )
            return
