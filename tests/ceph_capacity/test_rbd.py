"""RBD images as a table on real captures (Cinder 29 / Glance 33 on Ceph 16, tests/fixtures/cinder-glance-on-ceph,
and the pacific lab's rbd outputs): what each name means, snapshots, parents, clones and the bytes used."""

import json

import pytest
from conftest import FIXTURES

from runbook_lib.ceph_capacity.rbd import classify_name, tabulate_rbd

from .pacific import CEPH

PHASE1 = FIXTURES / "cinder-glance-on-ceph" / "phase1-after-basic-ops"


def load(name: str):
    return json.loads((PHASE1 / name).read_text())


def phase1_parts() -> list[dict]:
    return [
        {
            "pool": pool,
            "images": load(f"rbd-ls-l-{pool}.json"),
            "du": load(f"rbd-du-{pool}.json"),
            "trash": load(f"rbd-trash-ls-{pool}.json"),
        }
        for pool in ("volumes", "images", "vms")
    ]


ROLES = load("scenario-state.json")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("volume-5a0607bf-62d3-4805-936d-53d2c5419aa5", "cinder-volume"),
        ("volume-5a0607bf-62d3-4805-936d-53d2c5419aa5.deleted", "cinder-volume-deleted"),
        ("3930a8c5-f35c-402b-9b60-41e2812c8bd2_disk", "nova-disk"),
        ("3930a8c5-f35c-402b-9b60-41e2812c8bd2_disk.config", "nova-disk"),
        ("c0df5e82-c6d0-4894-b875-6f8991e00796", "glance-image"),
        ("volume-5a0607bf-62d3-4805-936d-53d2c5419aa5.backup.base", "cinder-backup"),
        ("my-test-image", "unknown"),
    ],
)
def test_names_follow_the_drivers(name, kind):
    assert classify_name(name)[0] == kind


def test_the_uuid_is_the_one_the_service_knows_the_object_by():
    assert classify_name(f"volume-{ROLES['v1']}.deleted") == ("cinder-volume-deleted", ROLES["v1"])
    assert classify_name(ROLES["orphan_vm_disk"] + ".swap") == ("nova-disk", ROLES["orphan_vm_disk"].split("_")[0])
    assert classify_name(ROLES["image"]) == ("glance-image", ROLES["image"])
    assert classify_name(f"volume-{ROLES['v1'].upper()}") == ("unknown", "")  # the drivers write lower case
    assert classify_name(f"{ROLES['image']}_disk.bak") == ("unknown", "")


def test_one_row_per_image_head_with_its_pool_kind_and_size():
    table = tabulate_rbd(phase1_parts())
    assert list(zip(table["pool"], table["image"], table["kind"], strict=True)) == [
        ("volumes", ROLES["orphan_volume"], "cinder-volume"),
        ("volumes", f"volume-{ROLES['v1']}", "cinder-volume"),
        ("volumes", f"volume-{ROLES['v3']}", "cinder-volume"),
        ("volumes", f"volume-{ROLES['v4']}", "cinder-volume"),
        ("images", ROLES["image"], "glance-image"),
        ("vms", ROLES["orphan_vm_disk"], "nova-disk"),
    ]
    assert set(table["provisioned"]) == {1024**3, 8 * 1024**2}
    assert not table["trash"].any() and set(table["lock"]) == {""}


def test_snapshots_parents_and_clone_children_link_up():
    table = tabulate_rbd(phase1_parts()).set_index("image")
    v1 = table.loc[f"volume-{ROLES['v1']}"]
    assert v1["snapshots"] == v1["protected_snapshots"] == [f"snapshot-{ROLES['s1']}"]
    assert v1["children"] == [f"volumes/volume-{ROLES['v3']}"]
    assert table.loc[f"volume-{ROLES['v3']}", "parent"] == f"volumes/volume-{ROLES['v1']}@snapshot-{ROLES['s1']}"
    image = table.loc[ROLES["image"]]
    assert image["protected_snapshots"] == ["snap"] and image["children"] == [f"volumes/volume-{ROLES['v4']}"]
    assert table.loc[f"volume-{ROLES['v4']}", "parent"] == f"images/{ROLES['image']}@snap"
    assert table.loc[ROLES["orphan_vm_disk"], "children"] == [] and table.loc[ROLES["orphan_vm_disk"], "parent"] == ""


def test_bytes_used_are_rbd_du_head_plus_snapshots():
    table = tabulate_rbd(phase1_parts()).set_index("image")
    assert table.loc[ROLES["orphan_volume"], "used_bytes"] == 8 * 1024**2  # written 8 MiB of a 1 GiB volume
    assert table.loc[ROLES["image"], "used_bytes"] == 8 * 1024**2  # all of it held by the protected snap
    du = {e["name"]: e for e in load("rbd-du-images.json")["images"] if "snapshot" not in e}
    assert du[ROLES["image"]]["used_size"] == 0  # the head alone holds nothing
    pacific = tabulate_rbd(
        [
            {
                "pool": "volumes",
                "images": json.loads((CEPH / "03-rbd.ls_l.json").read_text()),
                "du": json.loads((CEPH / "03-rbd.du.json").read_text()),
            }
        ]
    ).set_index("image")
    snapped = pacific.loc["volume-f7115b07-9ba4-4dea-a7f0-cd8b4e96fa86"]
    assert snapped["used_bytes"] == 41943040 and snapped["provisioned"] == 104857600
    assert snapped["snapshots"] == ["snapshot-1f9d6c7e-2f81-4f8a-9ad2-c2154af4eeda"]
    assert snapped["protected_snapshots"] == []  # rbd prints "protected": "false"
    assert pacific["used_bytes"].sum() == json.loads((CEPH / "03-rbd.du.json").read_text())["total_used_size"]


def test_trash_entries_are_rows_of_their_own(demo_snapshot):
    records = demo_snapshot.get("ceph/rbd")
    trashed = [(r["pool"], t["name"], t["id"]) for r in records for t in r["trash"]]
    table = tabulate_rbd(records)
    rows = table[table["trash"]]
    assert list(zip(rows["pool"], rows["image"], rows["uuid"], strict=True)) == trashed and len(trashed) == 1
    assert set(rows["kind"]) == {"trash"} and rows["used_bytes"].tolist() == [0]
    assert len(table) == sum(len([i for i in r["images"] if "snapshot" not in i]) + len(r["trash"]) for r in records)


@pytest.mark.parametrize("parts", [[], [{"pool": "backups", "images": [], "du": {}, "trash": []}]])
def test_no_image_gives_an_empty_table_with_its_columns(parts):
    table = tabulate_rbd(parts)
    assert table.empty and {"pool", "image", "kind", "used_bytes", "parent", "children", "trash"} <= set(table.columns)
