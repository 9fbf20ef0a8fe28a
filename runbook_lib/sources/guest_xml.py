"""Libvirt domain XMLs read from files: a directory with one subdirectory per compute host (what
``virsh dumpxml`` of each domain, saved per host, gives; the mini cloud's fake driver writes the same), or a
sosreport's ``run/libvirt/qemu`` (the running guests) and ``etc/libvirt/qemu`` (their definitions).
Each file becomes one record of the part ``libvirt/domains``; a file that is not a domain is a record that
says why, so the runbook can name it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runbook_lib.errors import ParameterError
from runbook_lib.libvirt_xml import NotADomain, parse_domain
from runbook_lib.snapshot import Snapshot

PART = "libvirt/domains"
MAX_XML_BYTES = 4 * 1024 * 1024  # a domain XML is a few KiB; a bigger file is not one


def domain_record(host: str, path: str, text: str) -> dict[str, Any]:
    """The parsed domain with where it came from, or the reason it is not one (``error``)."""
    try:
        return {"host": host, "path": path, "error": "", **parse_domain(text)}
    except NotADomain as why:
        return {"host": host, "path": path, "error": f"not a libvirt domain XML: {why}"}


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_XML_BYTES:
        return f"<too-big bytes='{path.stat().st_size}'/>"
    return path.read_text(errors="replace")


def read_domain_dir(root: str | Path) -> list[dict[str, Any]]:
    """``<root>/<host>/*.xml``: one record per file, the host named by its directory."""
    base = Path(root).expanduser()
    if not base.is_dir():
        raise ParameterError(
            f"guest_xml_dir {str(root)!r} is not a directory; give one with a subdirectory per compute host "
            "holding `virsh dumpxml <domain>` outputs as <domain>.xml"
        )
    return [
        domain_record(path.parent.name, str(path), _read(path))
        for path in sorted(base.glob("*/*.xml"))
        if path.is_file()
    ]


def with_guest_xml(snapshot: Snapshot, guest_xml_dir: str = "") -> Snapshot:
    """The snapshot with the domain XMLs of ``guest_xml_dir`` ("": the snapshot as it is)."""
    if not guest_xml_dir:
        return snapshot
    records = read_domain_dir(guest_xml_dir)
    return snapshot.with_parts({PART: records}, note=f"domain XMLs from {guest_xml_dir} ({len(records)} files)")
