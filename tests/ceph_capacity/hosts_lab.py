"""The Ceph lab's 4-host shape (tests/fixtures/ceph-hosts-lab) at nearfull and after an OSD was lost, as the
runbook reads it live: a snapshot as open_ceph stores a gather, and the real OSDMap of the same epoch."""

import base64
import functools
import json
from pathlib import Path

from conftest import FIXTURES

from runbook_lib.ceph_capacity.placement import ancestors
from runbook_lib.snapshot import Snapshot
from runbook_lib.sources.crushtool import exported_crushmap

LAB = FIXTURES / "ceph-hosts-lab"
EPOCHS = {"nearfull": 32, "degraded": 34}


def recorded(name: str):
    return json.loads((LAB / name).read_text())


HOST_OF = {osd: place["host"] for osd, place in ancestors(recorded("osd_df_tree.nearfull.json")).items()}


def osdmap_file(state: str) -> Path:
    return LAB / f"osdmap.{state}.epoch{EPOCHS[state]}.bin"


@functools.cache  # osdmaptool runs once per state, not once per snapshot a test builds
def crushmap_base64(state: str) -> str:
    return base64.b64encode(exported_crushmap(osdmap_file(state).read_bytes())).decode()


def hosts_snapshot(state: str) -> Snapshot:
    epoch = EPOCHS[state]
    commands = (LAB / f"osdmaptool_upmap.{state}.txt").read_text().splitlines()
    parts = {
        "ceph/osd_dump": [recorded(f"osd_dump.{state}.json")],
        "ceph/osd_df_tree": [recorded(f"osd_df_tree.{state}.json")],
        "ceph/pg_dump_pgs": [{"pg_ready": True, "pg_stats": recorded(f"pg_dump_pgs.{state}.slim.json")}],
        "ceph/crush_rules": [{"rules": recorded("osd_crush_rule_dump.json")}],
        "ceph/status": [recorded(f"status.{state}.json")],
        "ceph/health_detail": [recorded(f"health_detail.{state}.json")],
        "ceph/osdmaptool_upmap": [{"argv": ["osdmaptool"], "commands": commands, "epoch": epoch}],
        "ceph/gather": [{"epoch_before": epoch, "epoch_after": epoch}],
        "ceph/crushmap": [{"epoch": epoch, "base64": crushmap_base64(state)}],
    }
    manifest = {"cloud": "ceph lab (hosts)", "collected_at": "2026-12-03T08:54:12Z", "parts": {p: {} for p in parts}}
    return Snapshot(manifest, parts)
