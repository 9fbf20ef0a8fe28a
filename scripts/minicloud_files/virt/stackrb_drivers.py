"""Fake virt drivers that follow the libvirt driver's real code paths where the stock fakes skip them.

Installed by scripts/minicloud into the mini cloud's own nova package (Nova loads compute drivers only
as ``nova.virt.<name>``), and selected per compute host with ``compute_driver = stackrb_drivers.<Class>``.

VifWaitDriver  spawn() waits for network-vif-plugged exactly as LibvirtDriver._create_guest_with_network
               does (nova 34): only for VIFs whose network info says not active, for
               [DEFAULT] vif_plugging_timeout seconds, fatal or not by [DEFAULT] vif_plugging_is_fatal.
SshMigrateDriver  migrate_disk_and_power_off() runs Nova's own remote-filesystem helper
               (``ssh -o BatchMode=yes <dest_host> mkdir -p <instance dir>``) as the libvirt driver does
               for a non-shared instance path, and rolls back with the same ResizeError.
GuestXmlDriver  spawn() also writes the domain XML the libvirt driver would define, built by Nova's own
               code: <vcpu> from the flavor, <cpu><topology> from hardware.get_best_cpu_topology(flavor,
               image_meta) (LibvirtDriver._get_guest_cpu_config), <metadata> from
               LibvirtDriver._get_guest_config_meta, the clock by os_type (LibvirtDriver._set_clock), into
               $STATE/libvirt/<host>/<instance name>.xml, as `virsh dumpxml` per host would; destroy() removes it.
"""

import os

import nova.conf
from nova import exception
from nova.i18n import _
from nova.network import model as network_model
from nova.virt import driver as virt_driver
from nova.virt import fake, hardware
from nova.virt.libvirt import config as vconfig
from nova.virt.libvirt.driver import LibvirtDriver
from nova.virt.libvirt.volume import remotefs
from oslo_concurrency import processutils
from oslo_log import log as logging

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)


class VifWaitDriver(fake.FakeDriverWithoutFakeNodes):
    # Copied unchanged from nova/virt/libvirt/driver.py (nova 34).
    def _neutron_failed_callback(self, event_name, instance):
        LOG.error(
            "Neutron Reported failure on event %(event)s for instance %(uuid)s",
            {"event": event_name, "uuid": instance.uuid},
            instance=instance,
        )
        if CONF.vif_plugging_is_fatal:
            raise exception.VirtualInterfaceCreateException()

    def _get_neutron_events(self, network_info):
        return [
            ("network-vif-plugged", vif["id"])
            for vif in network_info
            if vif.get("active", True) is False and vif["vnic_type"] != network_model.VNIC_TYPE_REMOTE_MANAGED
        ]

    def spawn(
        self,
        context,
        instance,
        image_meta,
        injected_files,
        admin_password,
        allocations,
        network_info=None,
        block_device_info=None,
        power_on=True,
        accel_info=None,
    ):
        # The libvirt driver's virt_type in (kvm, qemu) condition always holds for this fake.
        timeout = CONF.vif_plugging_timeout
        events = self._get_neutron_events(network_info) if (network_info and power_on and timeout) else []
        try:
            with self.virtapi.wait_for_instance_event(
                instance, events, timeout=timeout, error_callback=self._neutron_failed_callback
            ):
                self.plug_vifs(instance, network_info)
                super().spawn(
                    context,
                    instance,
                    image_meta,
                    injected_files,
                    admin_password,
                    allocations,
                    network_info=network_info,
                    block_device_info=block_device_info,
                    power_on=power_on,
                    accel_info=accel_info,
                )
        except exception.InstanceEventTimeout:
            # The warning was logged by wait_for_instance_event. The compute manager destroys the
            # guest itself (_shutdown_instance), so unlike libvirt there is nothing to clean up here.
            if CONF.vif_plugging_is_fatal:
                raise exception.VirtualInterfaceCreateException()  # noqa: B904 (as libvirt: same traceback)


class SshMigrateDriver(fake.FakeDriverWithoutFakeNodes):
    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._remotefs = remotefs.RemoteFilesystem()

    def get_host_ip_addr(self):
        # What the resource tracker stores as migration.dest_host (libvirt: migration_inbound_addr,
        # which defaults to my_ip). The stock fake returns a constant 192.168.0.1.
        return CONF.my_ip

    def migrate_disk_and_power_off(
        self,
        context,
        instance,
        dest,
        flavor,
        network_info,
        block_device_info=None,
        timeout=0,
        retry_interval=0,
    ):
        LOG.debug("Starting migrate_disk_and_power_off", instance=instance)
        inst_base = os.path.join(CONF.instances_path, instance.uuid)
        # libvirt first probes for a shared instance path with 'ssh dest touch' and swallows errors;
        # every host here shares one filesystem, so that probe is skipped: the path is never shared.
        if dest != self.get_host_ip_addr():
            try:
                self._remotefs.create_dir(dest, inst_base)
            except processutils.ProcessExecutionError as e:
                reason = _("not able to execute ssh command: %s") % e
                raise exception.InstanceFaultRollback(exception.ResizeError(reason=reason))  # noqa: B904 (as libvirt)
        self.power_off(instance, timeout, retry_interval)
        self.unplug_vifs(instance, network_info)
        return super().migrate_disk_and_power_off(
            context, instance, dest, flavor, network_info, block_device_info, timeout, retry_interval
        )


class GuestXmlDriver(fake.FakeDriverWithoutFakeNodes):
    def _domain_path(self, instance):
        return os.path.join(os.path.dirname(CONF.state_path), "libvirt", CONF.host, f"{instance.name}.xml")

    def _guest_config(self, instance, image_meta, network_info):
        guest = vconfig.LibvirtConfigGuest()
        guest.virt_type = "kvm"
        guest.name = instance.name
        guest.uuid = instance.uuid
        guest.memory = instance.flavor.memory_mb * 1024
        guest.vcpus = instance.flavor.vcpus
        guest.os_type = "hvm"
        dmeta = virt_driver.ComputeDriver.get_instance_driver_metadata(instance, network_info)
        guest.metadata.append(LibvirtDriver._get_guest_config_meta(None, dmeta))  # uses nothing of self
        cpu = vconfig.LibvirtConfigGuestCPU()
        cpu.mode = "host-model"
        topology = hardware.get_best_cpu_topology(instance.flavor, image_meta)
        cpu.sockets, cpu.cores, cpu.threads = topology.sockets, topology.cores, topology.threads
        guest.cpu = cpu
        clock = vconfig.LibvirtConfigGuestClock()
        clock.offset = "localtime" if image_meta.properties.get("os_type") == "windows" else "utc"
        guest.set_clock(clock)
        return guest

    def spawn(self, context, instance, image_meta, *args, **kwargs):
        super().spawn(context, instance, image_meta, *args, **kwargs)
        network_info = kwargs.get("network_info", args[3] if len(args) > 3 else None) or []
        path = self._domain_path(instance)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as xml:
            xml.write(self._guest_config(instance, image_meta, network_info).to_xml())

    def destroy(self, context, instance, *args, **kwargs):
        super().destroy(context, instance, *args, **kwargs)
        if os.path.exists(self._domain_path(instance)):
            os.remove(self._domain_path(instance))
