"""Every Ceph release's shape of the outputs the analysis reads, Jewel to Squid.

The lab gives Pacific for real (tests/fixtures/ceph-pacific-minicluster). The other releases' shapes are
built from those captures by the documented differences (the release notes and the emitting code):
- before Mimic, ``osd df`` has no ``kb_used_data`` / ``kb_used_omap`` / ``kb_used_meta`` (ceph PR 18096); before
  Nautilus ``df`` pools have no ``stored``: ``bytes_used`` is the logical size then, ``raw_bytes_used`` the raw
  one and ``percent_used`` a percent (0..100, not a 0..1 ratio); Luminous is both, Mimic only the second;
- before Luminous (Jewel, Kraken), the OSDMap holds no ``*_ratio`` (mon/osd config options, defaults
  0.85 / 0.85 / 0.95), ``osd df`` nodes have no ``device_class``, and ``health detail`` has no check codes:
  ``{"overall_status", "summary": [{"severity", "summary"}], "detail": ["osd.0 is near full at 55%"]}``.
Inferred, not captured: these shapes are derived from documentation, not from a running cluster of each release.
"""

import copy
import json

import pytest
from conftest import FIXTURES

from runbook_lib.ceph_capacity.capacity import analyse_ceph_capacity
from runbook_lib.ceph_capacity.tables import ratio_source, tabulate_health
from runbook_lib.snapshot import Snapshot, new_manifest

CAPTURES = FIXTURES / "ceph-pacific-minicluster"
PARTS = {
    "ceph/osd_dump": "osd_dump",
    "ceph/osd_df_tree": "osd_df_tree",
    "ceph/df_detail": "df_detail",
    "ceph/health_detail": "health_detail",
    "ceph/status": "status",
}


def pacific(state: str) -> Snapshot:
    parts = {part: [json.loads((CAPTURES / f"{state}.{name}.json").read_text())] for part, name in PARTS.items()}
    return Snapshot(manifest={**new_manifest("pacific lab", {}), "parts": {}}, parts=parts)


def mimic(snap: Snapshot) -> Snapshot:
    """Mimic (13): osd df already splits kb_used into data / omap / meta; df pools are still pre-Nautilus."""
    snap = copy.deepcopy(snap)
    for pool in snap.parts["ceph/df_detail"][0]["pools"]:
        stats = pool["stats"]
        stats["raw_bytes_used"] = stats.pop("bytes_used")
        stats["bytes_used"] = stats.pop("stored")
        stats["percent_used"] = round(stats["percent_used"] * 100, 2)  # printed with "%.2f" then
        for key in ("stored_data", "stored_omap", "data_bytes_used", "omap_bytes_used", "stored_raw"):
            stats.pop(key, None)
    for check in snap.parts["ceph/health_detail"][0].get("checks", {}).values():
        check.pop("muted", None)
        check.get("summary", {}).pop("count", None)
    return snap


def luminous(snap: Snapshot) -> Snapshot:
    snap = mimic(snap)
    for node in snap.parts["ceph/osd_df_tree"][0]["nodes"]:
        for key in ("kb_used_data", "kb_used_omap", "kb_used_meta"):
            node.pop(key, None)
    return snap


def jewel(snap: Snapshot) -> Snapshot:
    """Jewel (10) and Kraken (11): no ratios in the OSDMap, no device classes, health without check codes."""
    snap = luminous(snap)
    for key in ("nearfull_ratio", "backfillfull_ratio", "full_ratio"):
        snap.parts["ceph/osd_dump"][0].pop(key)
    for node in snap.parts["ceph/osd_df_tree"][0]["nodes"]:
        node.pop("device_class", None)
    checks = snap.parts["ceph/health_detail"][0].pop("checks")
    osds = {n["name"]: n for n in snap.parts["ceph/osd_df_tree"][0]["nodes"] if n.get("type") == "osd"}
    summary, detail = [], []
    for code, check in checks.items():
        count = check["summary"]["message"].split(" ")[0]
        words = {
            "OSD_NEARFULL": "near full osd(s)",
            "OSD_FULL": "full osd(s)",
            "OSD_BACKFILLFULL": "backfillfull osd(s)",
        }
        if code in words:
            summary.append({"severity": check["severity"], "summary": f"{count} {words[code]}"})
            for item in check["detail"]:
                name = item["message"].split(" ")[0]
                detail.append(f"{item['message']} at {osds[name]['utilization']:.0f}%")  # Jewel: "… at 55%"
    snap.parts["ceph/health_detail"][0] = {"overall_status": "HEALTH_WARN", "summary": summary, "detail": detail}
    return snap


@pytest.mark.parametrize("state", ["02-nearfull", "07-backfillfull", "08-full"])
def test_mimic_gives_the_same_findings_and_the_same_movable_data(state):
    now, then = analyse_ceph_capacity(pacific(state)), analyse_ceph_capacity(mimic(pacific(state)))
    assert _kinds(then) == _kinds(now)
    assert then.pools["stored"].tolist() == now.pools["stored"].tolist() and then.pools["stored"].sum() > 0
    # kb_used_data is there: only the data counts as movable, as on Pacific (less than kb_used)
    assert then.osds["kb_movable"].tolist() == now.osds["kb_movable"].tolist()
    assert (then.osds["kb_movable"] < then.osds["kb_used"]).any()


def _kinds(analysis):
    return sorted((f.kind, f.severity, f.subject) for f in analysis.findings)


@pytest.mark.parametrize("state", ["02-nearfull", "07-backfillfull", "08-full"])
def test_luminous_gives_the_same_findings_and_the_pools_still_hold_data(state):
    now, then = analyse_ceph_capacity(pacific(state)), analyse_ceph_capacity(luminous(pacific(state)))
    assert _kinds(then) == _kinds(now)
    assert then.pools["stored"].tolist() == now.pools["stored"].tolist() and then.pools["stored"].sum() > 0
    assert then.pools["bytes_used"].tolist() == now.pools["bytes_used"].tolist()
    assert then.pools["percent_used"].round(4).tolist() == now.pools["percent_used"].round(4).tolist()
    # without kb_used_data every used KiB counts as movable, so the reweight model still moves data
    assert (then.osds["kb_movable"] == then.osds["kb_used"]).all() and then.osds["kb_movable"].sum() > 0


def test_jewel_ratios_are_the_era_s_defaults_and_the_health_check_still_reaches_a_finding():
    """The lab's ratios (0.5 / 0.6 / 0.7) are not in a Jewel OSDMap: the defaults put osd.0 (55 %) below
    nearfull, but Ceph's own health line says it is near full, and that is a finding with its words."""
    snap = jewel(pacific("02-nearfull"))
    dump = snap.parts["ceph/osd_dump"][0]
    assert "pre-Luminous defaults" in ratio_source(dump)
    health = tabulate_health(snap.parts["ceph/health_detail"][0])
    assert health[["code", "detail"]].values.tolist()[0][0] == "OSD_NEARFULL"
    analysis = analyse_ceph_capacity(snap)
    named = [f for f in analysis.findings if f.kind == "health-OSD_NEARFULL"]
    assert [f.subject for f in named] == ["osd.0"]
    assert "osd.0 is near full at 55%" in named[0].message and "ratios in force are not those" in named[0].message


def test_a_health_check_naming_an_osd_without_an_osd_df_row_is_a_finding():
    snap = pacific("08-full")
    full = [c for c in snap.parts["ceph/health_detail"][0]["checks"]["OSD_FULL"]["detail"]]
    name = full[0]["message"].split(" ")[0]
    nodes = snap.parts["ceph/osd_df_tree"][0]["nodes"]
    snap.parts["ceph/osd_df_tree"][0]["nodes"] = [n for n in nodes if n.get("name") != name]
    analysis = analyse_ceph_capacity(snap)
    found = [f for f in analysis.findings if f.subject == name]
    assert {f.kind for f in found} >= {"health-OSD_FULL", "osd-unreadable"}
    assert next(f for f in found if f.kind == "health-OSD_FULL").severity == "crit"


def test_an_osd_whose_use_is_not_a_number_is_never_silently_empty():
    """Jewel printed -nan into osd df; read as null, it must not become a 0 % OSD."""
    snap = pacific("02-nearfull")
    node = next(n for n in snap.parts["ceph/osd_df_tree"][0]["nodes"] if n.get("name") == "osd.0")
    node["kb_used"] = None
    analysis = analyse_ceph_capacity(snap)
    assert {f.kind for f in analysis.findings if f.subject == "osd.0"} == {"health-OSD_NEARFULL", "osd-unreadable"}
