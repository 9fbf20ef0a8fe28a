"""Snapshots: what the collectors gathered, saved so any runbook can run on it later, offline.

A snapshot is a directory (or a ``.tar.gz`` of one)::

    manifest.json            schema version, time, cloud name, counts, collector versions, origins
    openstack/servers.json   one JSON list per part, in the API's own wire format
    openstack/images.json    (Nova / Glance / Cinder / Neutron response items, unedited)
    ...

``manifest.parts[<part>].origin`` says where each part came from: ``collected`` (read from a live
cloud by ``runbook collect``), ``api-shape`` (written by hand in the real API's response shape, for a
service the demo cloud does not run) or ``synthetic`` (log lines or host facts no API returns).
``manifest.problems`` names the parts that could not be collected, with the reason. Credentials are
never written: the manifest holds the cloud's *name* only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import lzma
import re
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import Any

from runbook_lib.ceph_json import loads_ceph_json
from runbook_lib.errors import SnapshotError
from runbook_lib.schemas import screen_parts

SCHEMA_VERSION = 1
DEMO_SNAPSHOT = Path(__file__).parent / "demo"


@dataclasses.dataclass
class Snapshot:
    manifest: dict[str, Any]
    parts: dict[str, list[dict[str, Any]]]
    problems: dict[str, str] = dataclasses.field(default_factory=dict)
    # Read from the live cloud or cluster in this run (a loaded snapshot never is): what may be changed.
    live: bool = False
    # Per part, the records skipped as unreadable (see runbook_lib.schemas): the rest of the part is used.
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.parts, found = screen_parts(self.parts)
        described = self.manifest.get("parts", {})
        cut = {p: str(d["cut_short"]) for p, d in described.items() if isinstance(d, dict) and d.get("cut_short")}
        self.skipped = {**self.skipped, **cut, **found}

    @property
    def label(self) -> str:
        source = self.manifest.get("cloud") or "?"
        return f"{source} at {self.manifest.get('collected_at', '?')}"

    def get(self, part: str) -> list[dict[str, Any]]:
        """The records of one part; an empty list when the part was not collected."""
        return self.parts.get(part, [])

    @property
    def unread(self) -> dict[str, str]:
        """Every part that could not be read, or only in part (records skipped), with why."""
        return {**self.skipped, **self.problems}

    def problems_for(self, parts: tuple[str, ...] | list[str]) -> dict[str, str]:
        """Why each of ``parts`` is unusable: it failed to collect, or this snapshot never had it."""
        missing = {p: _how_to_get(p) for p in parts if p not in self.parts}
        skipped = {p: m for p, m in self.skipped.items() if p in parts and p not in self.problems}
        return missing | skipped | {p: m for p, m in self.problems.items() if p in parts}

    def with_parts(self, parts: dict[str, list[dict[str, Any]]], origin: str = "collected", note: str = "") -> Snapshot:
        """A new snapshot with ``parts`` added or replaced (this one is left as it was)."""
        described = {"origin": origin, **({"note": note} if note else {})}
        manifest = {
            **self.manifest,
            "parts": {**self.manifest.get("parts", {}), **dict.fromkeys(parts, described)},
        }
        problems = {p: m for p, m in self.problems.items() if p not in parts}
        return dataclasses.replace(self, manifest=manifest, parts={**self.parts, **parts}, problems=problems)

    def with_problems(self, problems: dict[str, str]) -> Snapshot:
        """A new snapshot that also says why ``problems``' parts could not be read."""
        return dataclasses.replace(self, problems={**self.problems, **problems})

    def origin(self, part: str) -> str:
        if part in self.problems:
            return "missing"
        return self.manifest.get("parts", {}).get(part, {}).get("origin", "missing")


def _how_to_get(part: str) -> str:
    """Why a part is missing from a snapshot, and what gets it ('runbook collect' saves the API parts only)."""
    if part.startswith("openstack/"):
        return "not in this snapshot: collect it again with 'runbook collect --cloud <entry>'"
    if part.startswith("ceph/"):
        return "not in this snapshot: read the cluster live (-p ceph_live true, or --cloud)"
    return "not in this snapshot: read it live (this runbook's host parameters, or log_dir for logs)"


def new_manifest(cloud: str, collector: dict[str, str]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "collected_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cloud": cloud,
        "collector": collector,
        "parts": {},
        "problems": {},
    }


def write_snapshot(snapshot: Snapshot, out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = dict(snapshot.manifest)
    manifest["parts"] = {
        part: {**manifest.get("parts", {}).get(part, {"origin": "collected"}), "count": len(records)}
        for part, records in sorted(snapshot.parts.items())
    }
    manifest["problems"] = dict(sorted(snapshot.problems.items()))
    for part, records in snapshot.parts.items():
        path = out / f"{part}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(records, indent=1, sort_keys=True, default=str) + "\n")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return out


def _read_json(path: Path, ceph: bool = False) -> Any:
    """A snapshot file's JSON; a Ceph part's may hold the bare nan / inf its release printed (ceph_json)."""
    try:
        return loads_ceph_json(path.read_text()) if ceph else json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"snapshot file {path} is not valid JSON ({exc.msg} at line {exc.lineno}); "
            "collect the snapshot again with 'runbook collect'"
        ) from None
    except UnicodeDecodeError as exc:
        raise SnapshotError(
            f"snapshot file {path} is not UTF-8 text (byte {exc.start}); collect the snapshot again"
        ) from None
    except RecursionError:
        raise SnapshotError(f"snapshot file {path} nests JSON deeper than any collected part does") from None
    except OSError as exc:
        raise SnapshotError(f"cannot read snapshot file {path}: {exc.strerror}") from None


_PART_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)*$")  # "openstack/servers", "logs/nova-compute"


def _check_manifest(manifest: Any, path: Path) -> dict[str, Any]:
    """The manifest's fields have the types a snapshot writes, and every part name is a plain relative name."""
    if not isinstance(manifest, dict) or "schema_version" not in manifest:
        raise SnapshotError(f"{path} is not a snapshot manifest (no schema_version)")
    version = manifest["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise SnapshotError(f"{path}: schema_version {version!r} is not a whole number")
    for field in ("parts", "problems"):
        if not isinstance(manifest.get(field, {}), dict):
            raise SnapshotError(f"{path}: {field} must be an object, not {type(manifest[field]).__name__}")
    bad = [str(p) for p in manifest.get("parts", {}) if not _PART_NAME.match(str(p))]
    if bad:
        raise SnapshotError(f"{path}: part name {bad[0]!r} is not a plain relative name like 'openstack/servers'")
    return manifest


def load_snapshot(path: str | Path) -> Snapshot:
    """Load a snapshot directory or ``.tar.gz``; ``"demo"`` loads the embedded demo cloud."""
    root = DEMO_SNAPSHOT if str(path) == "demo" else Path(path).expanduser()
    if not root.exists():
        raise SnapshotError(
            f"snapshot {str(path)!r} not found; pass a directory written by 'runbook collect', "
            "a .tar.gz of one, or 'demo'"
        )
    if root.is_file():
        return _load_tarball(root)
    manifest_path = root / "manifest.json"
    if not manifest_path.exists():
        raise SnapshotError(f"{root} is not a snapshot: it has no manifest.json")
    manifest = _check_manifest(_read_json(manifest_path), manifest_path)
    if manifest["schema_version"] > SCHEMA_VERSION:
        raise SnapshotError(
            f"snapshot {root} has schema version {manifest['schema_version']}, newer than this "
            f"runbook_lib understands ({SCHEMA_VERSION}); upgrade stack-runbooks"
        )
    parts: dict[str, list[dict[str, Any]]] = {}
    for part in manifest.get("parts", {}):
        records = _read_json(root / f"{part}.json", ceph=str(part).startswith("ceph/"))
        if not isinstance(records, list):
            raise SnapshotError(f"snapshot part {root / part}.json must hold a JSON list")
        parts[part] = records
    return Snapshot(manifest=manifest, parts=parts, problems=dict(manifest.get("problems", {})))


def _load_tarball(path: Path) -> Snapshot:
    try:
        with tarfile.open(path) as tar, tempfile.TemporaryDirectory() as tmp:
            tar.extractall(tmp, filter="data")
            candidates = sorted(Path(tmp).rglob("manifest.json"), key=lambda p: len(p.parts))
            if not candidates:
                raise SnapshotError(f"tarball {path} holds no manifest.json: it is not a snapshot")
            return load_snapshot(candidates[0].parent)
    except (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile) as exc:  # cut short or damaged on the way
        raise SnapshotError(
            f"tarball {path} is truncated or corrupt ({exc}); copy it again, or collect a new snapshot"
        ) from None
    except tarfile.TarError as exc:
        reason = str(exc).splitlines()[0].rstrip(":")  # tarfile lists every method it tried, one per line
        raise SnapshotError(
            f"{path} is neither a snapshot directory nor a readable tarball ({reason}); "
            "pass the directory or the .tar.gz that 'runbook collect' wrote"
        ) from None
