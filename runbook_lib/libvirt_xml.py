"""What a libvirt domain XML says about a Nova guest's CPUs: ``<vcpu>``, ``<cpu><topology>``, the clock Nova
sets for Windows, and Nova's own ``<metadata><nova:instance>`` (server name, flavor, and in newer releases
(the mini cloud's Nova 34 does) the image properties the guest booted with, which no API shows).

The same reader takes ``virsh dumpxml`` output, the persistent definition libvirt keeps in
``/etc/libvirt/qemu/<name>.xml`` (behind a "WARNING: THIS IS AN AUTO-GENERATED FILE" comment) and the live
state in ``/run/libvirt/qemu/<name>.xml`` (the domain inside ``<domstatus>``). Nova's namespace has been
``http://openstack.org/xmlns/libvirt/nova/1.0`` and ``…/1.1``: any version is read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

NOVA_NS_PREFIX = "http://openstack.org/xmlns/libvirt/nova/"
# properties of the booted image that decide the topology or tell Windows (nova.virt.hardware, fleet.py)
BOOTED_PROPERTIES = re.compile(r"^(hw_cpu_|hw_max_|os_type$|os_distro$|os_version$)")


class NotADomain(ValueError):
    """The text is not a libvirt domain XML; its message says what it is instead."""


def _nova(element: ET.Element | None, name: str) -> ET.Element | None:
    """The child ``nova:<name>`` of ``element``, whatever version of Nova's namespace it is in."""
    if element is None:
        return None
    for child in element:
        namespace, _, local = child.tag[1:].partition("}") if child.tag.startswith("{") else ("", "", child.tag)
        if local == name and namespace.startswith(NOVA_NS_PREFIX):
            return child
    return None


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def _domain(text: str) -> ET.Element:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:  # libvirt never writes either; entities can blow up a parser
        raise NotADomain("it declares a DOCTYPE or entities, which libvirt never writes")
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError as error:
        raise NotADomain(f"it is not well-formed XML ({error})") from None
    domain = root.find("domain") if root.tag == "domstatus" else root
    if domain is None or domain.tag != "domain":
        raise NotADomain(f"its root element is <{root.tag}>, not <domain> (or <domstatus>)")
    return domain


def parse_domain(text: str) -> dict[str, Any]:
    """One record per domain: uuid (Nova's instance uuid), name, vcpus, sockets/cores/threads (None when the
    XML sets no topology: then QEMU chooses), Nova's metadata when present. Raises NotADomain."""
    domain = _domain(text)
    vcpu = domain.find("vcpu")
    topology = domain.find("cpu/topology")
    meta = _nova(domain.find("metadata"), "instance")
    flavor = _nova(meta, "flavor")
    image = _nova(meta, "image")
    properties = _nova(image, "properties")
    clock = domain.find("clock")
    specs = _nova(flavor, "extraSpecs")
    root = _nova(meta, "root")
    sockets, cores, threads = (
        (_int(topology.get(k)) for k in ("sockets", "cores", "threads")) if topology is not None else (None,) * 3
    )
    return {
        "instance_uuid": (domain.findtext("uuid") or "").strip(),
        "domain": (domain.findtext("name") or "").strip(),
        "server": _text(_nova(meta, "name")),
        "flavor": flavor.get("name", "") if flavor is not None else "",
        "flavor_vcpus": _int(_text(_nova(flavor, "vcpus"))),
        "vcpus": _int(vcpu.text if vcpu is not None else None),
        "vcpus_current": _int(vcpu.get("current")) if vcpu is not None and vcpu.get("current") else None,
        "sockets": sockets,
        "cores": cores,
        "threads": threads,
        "clock_offset": clock.get("offset", "") if clock is not None else "",
        "project": _text(_nova(_nova(meta, "owner"), "project")),
        "root_type": root.get("type", "") if root is not None else "",
        "root_id": root.get("uuid", "") if root is not None else "",
        "flavor_extra_specs": None if specs is None else {e.get("name", ""): (e.text or "").strip() for e in specs},
        "booted_properties": None
        if properties is None
        else {
            p.get("name", ""): (p.text or "").strip() for p in properties if BOOTED_PROPERTIES.match(p.get("name", ""))
        },
    }
