"""The ratio bump: raised top down, restored bottom up, never at the failsafe."""

from runbook_lib.ceph_capacity.ratio_bump import plan_ratio_bump


def test_ratio_bump_raises_top_down_restores_bottom_up_and_respects_the_failsafe():
    bump = plan_ratio_bump({"nearfull": 0.85, "backfillfull": 0.9, "full": 0.95}, step=0.01)
    assert bump["raise"] == [
        "ceph osd set-full-ratio 0.96",
        "ceph osd set-backfillfull-ratio 0.91",
        "ceph osd set-nearfull-ratio 0.86",
    ]
    assert bump["restore"] == [
        "ceph osd set-nearfull-ratio 0.85",
        "ceph osd set-backfillfull-ratio 0.9",
        "ceph osd set-full-ratio 0.95",
    ]
    refused = plan_ratio_bump({"nearfull": 0.85, "backfillfull": 0.9, "full": 0.95}, step=0.02)
    assert not refused["possible"] and "failsafe" in refused["why"]


def test_the_ratio_bump_of_the_lab_cluster_and_without_data():
    bump = plan_ratio_bump({"nearfull": 0.5, "backfillfull": 0.6, "full": 0.7})
    assert bump["possible"] and bump["new"] == {"nearfull": 0.52, "backfillfull": 0.62, "full": 0.72}
    assert bump["raise"] == [
        "ceph osd set-full-ratio 0.72",
        "ceph osd set-backfillfull-ratio 0.62",
        "ceph osd set-nearfull-ratio 0.52",
    ]
    assert bump["restore"] == [
        "ceph osd set-nearfull-ratio 0.5",
        "ceph osd set-backfillfull-ratio 0.6",
        "ceph osd set-full-ratio 0.7",
    ]
    assert plan_ratio_bump({}) == {"possible": False, "why": "no Ceph data", "raise": [], "restore": [], "new": {}}
    refused = plan_ratio_bump({"nearfull": 0.85, "backfillfull": 0.9, "full": 0.95}, step=0.02)
    assert refused["why"] == "full would reach 0.97, at or past the failsafe 0.97" and refused["raise"] == []
