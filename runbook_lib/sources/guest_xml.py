"""Libvirt domain XMLs read from files: a directory with one subdirectory per compute host (what
``virsh dumpxml`` of each domain, saved per host, gives; the mini cloud's fake driver writes the same), a
sosreport's ``run/libvirt/qemu`` (the running guests) and ``etc/libvirt/qemu`` (their definitions), or the
computes' own ``/run/libvirt/qemu`` over SSH (read-only, one connection per host).
Each file becomes one record of the part ``libvirt/domains``; a file that is not a domain is a record that
says why, so the runbook can name it."""

from __future__ import annotations

import base64
import binascii
import itertools
from pathlib import Path
from typing import Any

from runbook_lib.errors import ParameterError
from runbook_lib.libvirt_xml import NotADomain, parse_domain
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.ssh import HostAccess, HostResult, check_host_name, run_on_hosts

# Run as root on a compute: every running guest's live state, base64 so that no byte of it breaks the
# framing; "@done" says the output was not cut.
DOMAINS_SCRIPT = r"""
for f in /run/libvirt/qemu/*.xml; do
  [ -f "$f" ] || continue
  echo "@domain $f"
  base64 -w0 "$f"; echo
done
echo "@done"
"""
RUN_DIR = "/run/libvirt/qemu"

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


def parse_domains_output(host: str, result: HostResult) -> list[dict[str, Any]]:
    """DOMAINS_SCRIPT's output on ``host`` as records; a host not reached, or an output cut, is one record
    that says so (its path names the host's directory)."""
    where = f"{host}:{RUN_DIR}"
    if not result.ok:
        why = result.stderr.strip()[-300:] or f"exit code {result.exit_code}"
        return [{"host": host, "path": where, "error": f"not read over SSH: {why}"}]
    lines = result.stdout.splitlines()
    if "@done" not in lines:
        return [{"host": host, "path": where, "error": "the output over SSH was cut before its end"}]
    records = []
    for tag, encoded in itertools.pairwise(lines):
        if not tag.startswith("@domain "):
            continue
        path = f"{host}:{tag.removeprefix('@domain ')}"
        try:
            text = base64.b64decode(encoded, validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            records.append({"host": host, "path": path, "error": "its content over SSH is not base64"})
            continue
        records.append(domain_record(host, path, text))
    return records


def read_remote_domains(access: HostAccess, hosts: list[str], parallel: int = 8) -> list[dict[str, Any]]:
    """The running guests' domain XML of every host in ``hosts``, one SSH connection each, read-only."""
    argv = [*access.as_root(), "sh", "-c", DOMAINS_SCRIPT]
    results = run_on_hosts(access, {check_host_name(h): (argv, "") for h in hosts}, parallel, timeout=60)
    return [record for host in hosts for record in parse_domains_output(host, results[host])]


def with_guest_xml(snapshot: Snapshot, guest_xml_dir: str = "") -> Snapshot:
    """The snapshot with the domain XMLs of ``guest_xml_dir`` ("": the snapshot as it is)."""
    if not guest_xml_dir:
        return snapshot
    records = read_domain_dir(guest_xml_dir)
    return snapshot.with_parts({PART: records}, note=f"domain XMLs from {guest_xml_dir} ({len(records)} files)")
