"""Binds every port as OVS and marks it ACTIVE, so Neutron sends network-vif-plugged to Nova.

Hosts whose name starts with ``fail-bind`` are refused (the port ends ``binding_failed`` and Nova
raises PortBindingFailed); hosts starting with ``vif-down`` are bound but left DOWN, as when the L2
agent on that host is dead, so no network-vif-plugged event is ever sent.
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


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
        status = constants.PORT_STATUS_DOWN if host.startswith("vif-down") else constants.PORT_STATUS_ACTIVE
        for segment in context.segments_to_bind:
            context.set_binding(
                segment[api.ID],
                portbindings.VIF_TYPE_OVS,
                {portbindings.CAP_PORT_FILTER: True},
                status=status,
            )
            return
