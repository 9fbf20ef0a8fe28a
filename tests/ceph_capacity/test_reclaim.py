"""The reclaim ledger on real Cinder 29 / Glance 33 / Ceph 16 captures (tests/fixtures/cinder-glance-on-ceph)."""

import json
import re

import pandas as pd
import pytest
from conftest import FIXTURES

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.collect import open_ceph
from runbook_lib.ceph_capacity.rbd import tabulate_rbd
from runbook_lib.ceph_capacity.reclaim import Inventory, check_reclaim, ledger, reclaim_effect
from runbook_lib.ceph_capacity.tables import tabulate_osds

CAPTURES = FIXTURES / "cinder-glance-on-ceph"
NOW = pd.Timestamp("2026-12-30", tz="UTC")  # over 30 days after the capture: available volumes count as unused
EVERYTHING = frozenset({"volumes", "snapshots", "images", "servers"})


def load(phase: str, name: str):
    return json.loads((CAPTURES / phase / name).read_text())


def rbd_parts(phase: str) -> list[dict]:
    return [
        {
            "pool": pool,
            "images": load(phase, f"rbd-ls-l-{pool}.json"),
            "du": load(phase, f"rbd-du-{pool}.json"),
            "trash": load(phase, f"rbd-trash-ls-{pool}.json"),
        }
        for pool in ("volumes", "images", "vms")
    ]


def ledger_of(phase: str, known=EVERYTHING, now=NOW) -> pd.DataFrame:
    inventory = Inventory(
        load(phase, "cinder-volumes-detail-mv3_71.json")["volumes"],
        load(phase, "cinder-snapshots-detail-mv3_71.json")["snapshots"],
        load(phase, "glance-images.json")["images"],
        [],
        known,
    )
    frame = ledger(tabulate_rbd(rbd_parts(phase)), inventory, now, 30, {"volumes": 2, "images": 2, "vms": 2})
    return frame.set_index("image")


def state(phase: str) -> dict:
    return load(phase, "scenario-state.json")


def test_phase1_orphans_are_found_with_their_real_bytes():
    frame, roles = ledger_of("phase1-after-basic-ops"), state("phase1-after-basic-ops")
    orphan = frame.loc[roles["orphan_volume"]]
    assert orphan["category"] == "orphan" and orphan["used_bytes"] == 8 * 1024**2  # rbd du, not provisioned 1 GiB
    assert orphan["raw_bytes"] == 16 * 1024**2  # × size 2
    assert orphan["command"] == f"rbd rm volumes/{roles['orphan_volume']}"
    assert frame.loc[roles["orphan_vm_disk"], "category"] == "orphan"


def test_a_glance_base_with_cow_children_and_a_volume_with_clones_are_never_proposed():
    frame, roles = ledger_of("phase1-after-basic-ops"), state("phase1-after-basic-ops")
    image = frame.loc[roles["image"]]
    assert image["category"] == "in-use" and image["children"] == [f"volumes/volume-{roles['v4']}"]
    v1 = frame.loc[f"volume-{roles['v1']}"]
    assert v1["category"] == "blocked" and "clone children" in v1["why"]
    assert "snapshot-" in v1["snapshot_notes"] and "cinder snapshot" in v1["snapshot_notes"]


def test_a_volume_deleted_with_clones_is_blocked_until_they_go():
    frame, roles = ledger_of("phase2-after-deletes"), state("phase2-after-deletes")
    kept = frame.loc[f"volume-{roles['v1']}.deleted"]
    assert kept["category"] == "blocked" and kept["command"] == ""


def test_a_migrated_volumes_data_under_its_name_id_is_not_an_orphan():
    frame, roles = (
        ledger_of("phase3-after-migrations-and-upload"),
        state("phase3-after-migrations-and-upload"),
    )
    moved = frame.loc[f"volume-{roles['migrated_generic_name_id']}"]
    assert moved["category"] == "unused" and roles["migrated_generic_volume"] in moved["owner"]
    assert moved["command"] == f"openstack volume delete {roles['migrated_generic_volume']}"  # the API id


def test_recent_idle_volumes_are_idle_not_in_use_and_without_inventory_nothing_is_an_orphan():
    recent = ledger_of("phase1-after-basic-ops", now=pd.Timestamp("2026-11-25", tz="UTC"))
    assert set(recent["category"]) <= {"in-use", "idle", "orphan", "blocked"} and "idle" in set(recent["category"])
    idle = recent[recent["category"] == "idle"]
    assert idle["why"].str.contains(r"but changed \d+ days ago \(unused only after 30 days\)").all()
    assert (idle["command"] == "").all()  # listed, not planned for deletion
    blind = ledger_of("phase1-after-basic-ops", known=frozenset())
    assert "orphan" not in set(blind["category"]) and "cannot tell an orphan" in " ".join(blind["why"])


def test_the_headline_says_what_deleting_frees_and_how_on_a_full_cluster():
    frame = ledger_of("phase1-after-basic-ops").reset_index()
    osds = tabulate_osds(
        json.loads((FIXTURES / "ceph-pacific-minicluster" / "03-nearfull-with-rbd.osd_df_tree.json").read_text()),
        json.loads((FIXTURES / "ceph-pacific-minicluster" / "03-nearfull-with-rbd.osd_dump.json").read_text()),
    )
    findings = check_reclaim(frame, osds, full=True)
    headline = next(f for f in findings if f.kind == "reclaimable")
    reclaimable = frame[frame["category"].isin(["orphan", "unused", "in-trash"])]
    assert headline.evidence["raw_bytes"] == reclaimable["raw_bytes"].sum()
    assert "rbd rm" in headline.message and "fullest OSD goes from" in headline.message
    assert len([f for f in findings if f.kind == "rbd-orphan"]) == 2
    after = reclaim_effect(osds, reclaimable["raw_bytes"].sum())
    freed_kb = (osds["kb_used"] - after["kb_used"]).sum()
    assert freed_kb == pytest.approx(reclaimable["raw_bytes"].sum() / 1024)


def test_an_image_a_client_has_open_is_never_proposed():
    """`rbd status` (real pacific output): a watcher means a running guest or a mapped device."""
    fixtures = FIXTURES / "ceph-pacific-minicluster"
    watched = json.loads((fixtures / "rbd-status-watched.json").read_text())["watchers"]
    idle = json.loads((fixtures / "rbd-status-idle.json").read_text())["watchers"]
    images = tabulate_rbd(
        [
            {
                "pool": "vms",
                "error": "",
                "trash": [],
                "du": {},
                "images": [
                    {
                        "image": "0b1e7a8c-0d3e-4e55-9a1f-5d0c2b3a4e11_disk",
                        "id": "a1",
                        "size": 1,
                        "format": 2,
                    },
                    {
                        "image": "7f2c1d4e-5b6a-4c3d-8e9f-0a1b2c3d4e5f_disk",
                        "id": "a2",
                        "size": 1,
                        "format": 2,
                    },
                ],
            }
        ]
    )
    inventory = Inventory([], [], [], [], frozenset({"volumes", "snapshots", "images", "servers"}))
    table = ledger(
        images,
        inventory,
        pd.Timestamp("2026-11-24", tz="UTC"),
        0,
        None,
        {
            "vms/0b1e7a8c-0d3e-4e55-9a1f-5d0c2b3a4e11_disk": watched,
            "vms/7f2c1d4e-5b6a-4c3d-8e9f-0a1b2c3d4e5f_disk": idle,
        },
    ).set_index("image")
    held = table.loc["0b1e7a8c-0d3e-4e55-9a1f-5d0c2b3a4e11_disk"]
    assert held["category"] == "blocked" and "watcher 127.0.0.1:0/2271039429" in held["why"]
    assert table.loc["7f2c1d4e-5b6a-4c3d-8e9f-0a1b2c3d4e5f_disk", "category"] == "orphan"


def test_the_demo_s_headline_adds_up_and_names_each_image_to_check():
    """The parts are in the total's unit (no 0.02 + 0.02 = 0.03 GiB) and the check before deleting names each image."""
    analysis = analyse_ceph_capacity(open_ceph())
    [headline] = [f for f in analysis.findings if f.kind == "reclaimable"]
    total, parts = re.search(r"frees (\d+) MiB raw \((.*?)\)", headline.message).groups()
    assert int(total) == sum(int(n) for n in re.findall(r" (\d+) MiB", parts)) > 0
    orphans = [f.subject for f in analysis.findings if f.kind == "rbd-orphan"]
    assert orphans and all(f"rbd status {spec}" in headline.remediation for spec in orphans)
    assert "<" not in headline.remediation
