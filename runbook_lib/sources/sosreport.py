"""Reading sosreports (``sos report`` on the controllers, the computes, a Ceph mon): a directory or the
``.tar.xz`` / ``.tar.gz`` sos writes, recognised, and its files turned into the snapshot parts the live
sources fill (see :mod:`runbook_lib.sos_parts` for what each file says). Several sosreports of one cloud
join into one snapshot, hosts by hostname; what none of them holds is said per part, with the command that
gets it."""

from __future__ import annotations

import dataclasses
import gzip
import json
import lzma
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import Any

from runbook_lib import sos_parts
from runbook_lib.errors import SnapshotError
from runbook_lib.snapshot import Snapshot, new_manifest
from runbook_lib.sources.guest_xml import PART as DOMAINS_PART
from runbook_lib.sources.guest_xml import domain_record
from runbook_lib.sources.logs import tail

PS_FILE = "sos_commands/process/ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_addr_sz_wchan_20_lstart_tty_time_cmd"
NOVA_CONFIGS = ("etc/nova/nova.conf", "etc/nova/nova.conf.d/*.conf", "etc/kolla/nova-compute/nova.conf")
LOGS = {  # part → the host's log files, rotated and gzipped ones too
    "logs/nova-compute": ("var/log/nova/nova-compute.log*", "var/log/kolla/nova/nova-compute.log*"),
    "logs/neutron-server": ("var/log/neutron/server.log*", "var/log/neutron/neutron-server.log*"),
}


@dataclasses.dataclass(frozen=True)
class SosReport:
    """One sosreport, unpacked: where, whose (hostname), when, by which sos, with which plugins."""

    root: Path
    name: str
    hostname: str
    sos_version: str
    started: str
    plugins: tuple[str, ...]

    def text(self, relative: str) -> str | None:
        path = self.root / relative
        if not path.is_file():
            return None
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8", errors="replace")

    def files(self, pattern: str) -> list[str]:
        return [str(p.relative_to(self.root)) for p in self.root.glob(pattern) if p.is_file()]


def _skip_unsafe(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
    """Tar's "data" filter, member by member: a link out of the archive is left out, not fatal."""
    try:
        return tarfile.data_filter(member, path)
    except tarfile.FilterError:
        return None


def unpack(path: Path, into: Path) -> Path:
    """A sosreport's directory: ``path`` itself, or the one its archive unpacks to under ``into``."""
    if path.is_dir():
        return path
    try:
        with tarfile.open(path) as tar:
            tar.extractall(into, filter=_skip_unsafe)
    except (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile) as exc:
        raise SnapshotError(f"sosreport {path} is truncated or corrupt ({exc}); copy it again") from None
    except tarfile.TarError as exc:
        raise SnapshotError(
            f"{path} is not a sosreport archive ({str(exc).splitlines()[0]}); pass the directory or the "
            ".tar.xz / .tar.gz that 'sos report' wrote"
        ) from None
    roots = sorted((p.parent for p in into.rglob("version.txt")), key=lambda p: len(p.parts))
    if not roots:
        raise SnapshotError(f"{path} holds no sosreport (no version.txt); pass what 'sos report' wrote")
    return roots[0]


def open_sosreport(path: str | Path, into: Path) -> SosReport:
    source = Path(path).expanduser()
    if not source.exists():
        raise SnapshotError(f"sosreport {str(path)!r} not found; pass the directory or archive 'sos report' wrote")
    root = unpack(source, into)
    version = (root / "version.txt").read_text(errors="replace") if (root / "version.txt").is_file() else ""
    if not version.startswith("sosreport"):
        raise SnapshotError(f"{source} is not a sosreport: it has no version.txt that 'sos report' writes")
    manifest = _manifest(root)
    plugins = tuple(sorted(manifest.get("components", {}).get("report", {}).get("plugins", {}))) or tuple(
        sorted(p.name for p in (root / "sos_commands").glob("*") if p.is_dir())
    )
    hostname = _first_line(root / "hostname") or _first_line(root / "sos_commands/host/hostname") or root.name
    return SosReport(
        root,
        source.name,
        hostname,
        str(manifest.get("version") or version.splitlines()[0].partition(":")[2].strip()),
        str(manifest.get("start_time", "")),
        plugins,
    )


def _manifest(root: Path) -> dict[str, Any]:
    try:
        value = json.loads((root / "sos_reports" / "manifest.json").read_text(errors="replace"))
    except (OSError, ValueError):
        return {}  # sos before 4.0 writes none: the directories say which plugins ran
    return value if isinstance(value, dict) else {}


def _first_line(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip().splitlines()[0].strip()
    except (OSError, IndexError):
        return ""


def read_logs(sos: SosReport) -> dict[str, list[dict[str, Any]]]:
    parts: dict[str, list[dict[str, Any]]] = {}
    for part, patterns in LOGS.items():
        service = part.split("/", 1)[1]
        found = sos_parts.rotation_order([f for pattern in patterns for f in sos.files(pattern)])
        for relative in found:
            lines, first = tail(sos.text(relative) or "")
            where = {"source": sos.hostname, "service": service, "path": f"{sos.name}:{relative}"}
            record: dict[str, Any] = {**where, "lines": lines, "first_line": first}
            parts.setdefault(part, []).append(record)
    return parts


def read_host_facts(sos: SosReport) -> dict[str, Any] | None:
    """The host-facts record (as :func:`runbook_lib.sources.hosts.read_host_facts` reads live): nova-compute
    processes from sos's ps, vif_plugging options from nova's config files as sos copied them."""
    ps = sos.text(PS_FILE)
    configs = [f for pattern in NOVA_CONFIGS for f in sorted(sos.files(pattern))]
    if ps is None and not configs:
        return None
    lines = sos_parts.ps_processes(ps or "")
    for relative in configs:
        mtime = int((sos.root / relative).stat().st_mtime)
        lines += sos_parts.conf_lines(f"/{relative}", mtime, sos.text(relative) or "")
    return {"host": sos.hostname, "reached": True, "error": "", "lines": lines, "from": sos.name}


def read_domains(sos: SosReport) -> list[dict[str, Any]]:
    """The guests' domain XMLs sos's libvirt plugin copied: the live state (run/libvirt/qemu, what the guest
    runs with) where the guest runs, else its definition (etc/libvirt/qemu, what its next start uses)."""
    found: dict[str, str] = {}
    for pattern in ("etc/libvirt/qemu/*.xml", "run/libvirt/qemu/*.xml"):  # run/ wins: read second
        found.update({Path(relative).stem: relative for relative in sorted(sos.files(pattern))})
    return [
        domain_record(sos.hostname, f"{sos.name}:{relative}", sos.text(relative) or "")
        for _, relative in sorted(found.items())
    ]


def read_ceph(sos: SosReport) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """The Ceph parts sos saved (json_output of any ceph* plugin), and why a saved one could not be read."""
    parts, problems = {}, {}
    for part, command in sos_parts.CEPH_OUTPUTS.items():
        name = sos_parts.sos_command_file(f"ceph {command} --format json-pretty")
        found = sorted(sos.files(f"sos_commands/ceph*/json_output/{name}"))
        if not found:
            continue
        value, why = sos_parts.command_json(sos.text(found[0]) or "")
        if why:
            problems[part] = f"sosreport {sos.name}: {found[0]} {why}; run 'ceph {command} --format json' on a mon"
        elif part == "ceph/pg_dump_pgs":
            parts[part] = sos_parts.pg_stats(value)
        else:
            parts[part] = [value]
    crush = sorted(sos.files(f"sos_commands/ceph*/{sos_parts.sos_command_file(sos_parts.CRUSH_DUMP)}"))
    if crush:
        value, why = sos_parts.command_json(sos.text(crush[0]) or "")
        rules = value.get("rules") if isinstance(value, dict) else None
        if why or not isinstance(rules, list):
            problems["ceph/crush_rules"] = (
                f"sosreport {sos.name}: {crush[0]} {why or 'holds no rules'}; run 'ceph osd crush rule dump "
                "--format json' on a mon"
            )
        else:
            parts["ceph/crush_rules"] = [sos_parts.as_record(rules)]
    return parts, problems


def read_sosreports(paths: list[str]) -> Snapshot:
    """One snapshot from several sosreports: logs and host facts of every host, Ceph from the first that
    saved it; each part's manifest entry names the sosreports it came from."""
    parts: dict[str, list[dict[str, Any]]] = {}
    where: dict[str, list[str]] = {}
    problems: dict[str, str] = {}
    reports = []
    with tempfile.TemporaryDirectory(prefix="runbook-sos-") as tmp:
        for index, path in enumerate(paths):
            sos = open_sosreport(path, Path(tmp) / str(index))
            reports.append(sos)
            found = read_logs(sos)
            facts = read_host_facts(sos)
            if facts is not None:
                found["hosts/nova_compute"] = [facts]
            domains = read_domains(sos)
            if domains:
                found[DOMAINS_PART] = domains
            ceph, unreadable = read_ceph(sos)
            for part, records in {**found, **{p: r for p, r in ceph.items() if p not in parts}}.items():
                parts.setdefault(part, []).extend(records)
                where.setdefault(part, []).append(sos.name)
            problems.update({p: m for p, m in unreadable.items() if p not in parts})
    hosts = ", ".join(sorted({s.hostname for s in reports}))
    manifest = new_manifest(f"sosreport {hosts}", {"tool": "runbook --sosreport"})
    manifest["sosreports"] = [
        {
            "name": s.name,
            "hostname": s.hostname,
            "sos_version": s.sos_version,
            "started": s.started,
            "plugins": list(s.plugins),
        }
        for s in reports
    ]
    manifest["parts"] = {p: {"origin": "sosreport", "note": f"read from {', '.join(w)}"} for p, w in where.items()}
    missing = {p: why for p, why in sos_parts.NOT_IN_SOSREPORT.items() if p not in parts}
    return Snapshot(manifest, parts, {**missing, **problems})
