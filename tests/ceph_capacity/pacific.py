"""The recorded Ceph 16.2.15 states (tests/fixtures/ceph-pacific-minicluster) as the runbook reads them:
one command's JSON, a snapshot as open_ceph would store a live gather, the OSD table with its states."""

import json

from conftest import FIXTURES

from runbook_lib.ceph_capacity.tables import tabulate_osds, thresholds, with_states
from runbook_lib.snapshot import Snapshot

CEPH = FIXTURES / "ceph-pacific-minicluster"
STATES = [
    "01-healthy-empty",
    "02-nearfull",
    "03-nearfull-with-rbd",
    "06-reweight-osd0-0.85-rebalanced",
    "07-backfillfull",
    "08-full",
]


def recorded(state: str, command: str) -> dict:
    return json.loads((CEPH / f"{state}.{command}.json").read_text())


def snapshot_of(state: str) -> Snapshot:
    """A snapshot holding one recorded state, as open_ceph would store a live gather."""
    parts = {
        f"ceph/{name}": [recorded(state, name)]
        for name in ("osd_dump", "osd_df_tree", "df_detail", "health_detail", "status")
    }
    epoch = parts["ceph/osd_dump"][0]["epoch"]
    parts["ceph/gather"] = [{"epoch_before": epoch, "epoch_after": epoch}]
    if (CEPH / f"{state}.test_reweight_by_utilization.json").exists():
        parts["ceph/test_reweight"] = [
            {
                "oload": 120,
                "max_change": 0.05,
                "max_osds": 4,
                "no_increasing": True,
                "result": recorded(state, "test_reweight_by_utilization"),
                "error": "",
            }
        ]
    manifest = {
        "cloud": "ceph fixture",
        "collected_at": "2026-11-23T00:00:00Z",
        "parts": {p: {} for p in parts},
    }
    return Snapshot(manifest, parts)


def osds_of(state: str):
    dump = recorded(state, "osd_dump")
    return with_states(tabulate_osds(recorded(state, "osd_df_tree"), dump), thresholds(dump))
