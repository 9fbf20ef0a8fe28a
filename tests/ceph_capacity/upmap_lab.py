"""The Ceph lab at nearfull with the parts a PG-level plan reads (tests/fixtures/ceph-upmap-lab), as the
runbook reads them: a snapshot as open_ceph stores a live gather, and its layout."""

import json

from conftest import FIXTURES

from runbook_lib.snapshot import Snapshot

LAB = FIXTURES / "ceph-upmap-lab"
DEMO_CEPH = FIXTURES.parent.parent / "runbook_lib" / "demo" / "ceph"


def recorded(name: str):
    return json.loads((LAB / name).read_text())


def lab_snapshot(**replace) -> Snapshot:
    """The lab's state; ``replace`` swaps parts (``ceph/osd_dump=[…]``) or drops them (``None``)."""
    parts = {
        "ceph/osd_dump": [recorded("osd_dump.json")],
        "ceph/osd_df_tree": [recorded("osd_df_tree.json")],
        "ceph/pg_dump_pgs": [recorded("pg_dump_pgs.slim.json")],
        "ceph/crush_rules": [{"rules": recorded("osd_crush_rule_dump.json")}],
        "ceph/status": json.loads((DEMO_CEPH / "status.json").read_text()),
        "ceph/health_detail": json.loads((DEMO_CEPH / "health_detail.json").read_text()),
        "ceph/osdmaptool_upmap": [{"argv": ["osdmaptool"], "commands": osdmaptool_commands()}],
        "ceph/gather": [{"epoch_before": 22, "epoch_after": 22}],
    }
    for name, value in replace.items():
        key = "ceph/" + name
        if value is None:
            parts.pop(key, None)
        else:
            parts[key] = value
    manifest = {"cloud": "ceph lab", "collected_at": "2026-12-02T12:38:30Z", "parts": {p: {} for p in parts}}
    return Snapshot(manifest, parts)


def osdmaptool_commands() -> list[str]:
    return (LAB / "osdmaptool_upmap.txt").read_text().splitlines()
