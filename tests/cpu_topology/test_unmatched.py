"""Servers whose image openstack/images does not list, and socket_limits keys that name no image: said, with
what a person can do, never dropped from the findings (on the demo, with images removed)."""

import pandas as pd
import pytest

from runbook_lib.cpu_topology.checks import analyse_cpu_topology
from runbook_lib.cpu_topology.unmatched import IMAGE_UNKNOWN, TOLD, closest_names

WIN7 = "Windows 7 Professional SP1"  # sql-win7 (8 vCPUs) and desk-win7 (4) boot from it


def _image_id(snapshot, name):
    return next(i["id"] for i in snapshot.get("openstack/images") if i["name"] == name)


def _by_kind(analysis, kind):
    return [f for f in analysis.findings if f.kind == kind]


@pytest.mark.parametrize(
    ("edit", "state", "fix"),
    [
        (
            lambda s: s.parts.__setitem__("openstack/images", []),
            "holds no image while 26 server(s) boot from an image: no image's properties or name were read, so no "
            "guest's Windows edition is known (Glance listed none to this cloud entry)",
            "'openstack image list --long'",
        ),
        (
            lambda s: s.parts.pop("openstack/images"),
            "is not in this snapshot while 26 server(s) boot from an image: no image's properties or name were "
            "read, so no guest's Windows edition is known (the snapshot was not collected for this runbook)",
            "(with --runbooks, include cpu_topology)",
        ),
    ],
    ids=["empty", "not in the snapshot"],
)
def test_no_image_read_while_servers_boot_from_images_is_an_error_naming_the_part(demo_copy, edit, state, fix):
    edit(demo_copy)
    analysis = analyse_cpu_topology(demo_copy)
    error = [f for f in analysis.findings if f.severity == "error"]
    assert [(f.kind, f.subject) for f in error] == [("collection-problem", "openstack/images")]
    assert error[0].message == f"openstack/images {state}"
    assert fix in error[0].remediation and "'runbook collect --cloud <entry>'" in error[0].remediation


def test_with_no_image_read_every_image_booted_server_is_listed_and_none_is_claimed(demo_copy):
    demo_copy.parts["openstack/images"] = []
    analysis = analyse_cpu_topology(demo_copy)
    (warn,) = _by_kind(analysis, "image-unknown")
    assert warn.severity == "warn" and warn.subject == "servers whose image is not in openstack/images"
    assert warn.message.startswith(
        "26 server(s) boot from an image openstack/images does not list (deleted, or not visible to this cloud "
        "entry): whether their guest is Windows, and which edition, is unknown. 14 get more than one socket"
    )
    assert " and 9 more (the table of servers whose image is unknown); 12 get one socket" in warn.message
    assert len(warn.evidence["servers"]) == 26 == len(analysis.unknown_image_servers)
    # only the volume-backed server, whose image properties come from its volume, is still judged
    assert set(analysis.affected_servers["server"]) == {"vdi-home-bfv"}
    sql = analysis.servers.set_index("server").loc["sql-win7"]
    assert sql["edition"] == IMAGE_UNKNOWN and sql["topology"] == "8s×1c×1t"  # from the flavor
    assert pd.isna(sql["lost_vcpus"]) and pd.isna(sql["visible_vcpus"])


def test_a_deleted_image_s_servers_are_named_with_their_flavor_s_topology(demo_copy):
    gone = _image_id(demo_copy, WIN7)
    demo_copy.parts["openstack/images"] = [i for i in demo_copy.get("openstack/images") if i["id"] != gone]
    analysis = analyse_cpu_topology(demo_copy)
    assert not [f for f in analysis.findings if f.severity == "error"]  # Glance answered; one image is gone
    (warn,) = _by_kind(analysis, "image-unknown")
    assert warn.message.endswith(
        "2 get more than one socket from their flavor and would use only some of their vCPUs under a Windows "
        f"client edition (Home uses 1 socket, Pro 2: more than 2 lose under both): sql-win7 (8s×1c×1t, image {gone}), "
        f"desk-win7 (4s×1c×1t, image {gone})"
    )
    assert analysis.unknown_image_servers["server"].tolist() == ["sql-win7", "desk-win7"]
    assert {"sql-win7", "desk-win7"}.isdisjoint(analysis.affected_servers["server"])


def test_the_operator_s_socket_limit_for_a_deleted_image_makes_the_loss_certain(demo_copy):
    gone = _image_id(demo_copy, WIN7)
    demo_copy.parts["openstack/images"] = [i for i in demo_copy.get("openstack/images") if i["id"] != gone]
    analysis = analyse_cpu_topology(demo_copy, socket_limits={gone: 2})
    assert not _by_kind(analysis, "image-unknown") and not _by_kind(analysis, "socket-limit-unmatched")
    sql = next(f for f in _by_kind(analysis, "server-loses-vcpus") if "sql-win7" in f.subject)
    assert sql.message == (
        f"{TOLD} guest sees 2 of 8 vCPUs: Nova gives it 8s×1c×1t and Windows uses at most 2 socket(s)"
    )


def test_an_images_part_that_failed_to_collect_has_one_error_finding_not_two(demo_copy):
    del demo_copy.parts["openstack/images"]
    demo_copy.problems["openstack/images"] = "openstack/images: Glance answered HTTP 503"
    analysis = analyse_cpu_topology(demo_copy)
    errors = [(f.kind, f.subject, f.message) for f in analysis.findings if f.severity == "error"]
    assert errors == [("collection-problem", "openstack/images", "openstack/images: Glance answered HTTP 503")]
    assert len(_by_kind(analysis, "image-unknown")) == 1


def test_a_socket_limits_key_that_names_no_image_is_a_warning_with_the_names_it_could_mean(demo_snapshot):
    analysis = analyse_cpu_topology(demo_snapshot, socket_limits={"Windows 10 Pr": 1, "Windows 10 Home 22H2": 1})
    (warn,) = _by_kind(analysis, "socket-limit-unmatched")
    assert (warn.severity, warn.subject) == ("warn", "socket_limits key 'Windows 10 Pr'")
    assert warn.message == (
        "socket_limits key 'Windows 10 Pr' matches no image id or name, so its limit of 1 socket(s) was applied "
        "to nothing; closest image names: 'Windows 10 Pro 22H2', 'Windows 11 Pro (fixed)', 'Windows 10 Home 22H2'"
    )
    assert warn.remediation.endswith("""e.g. -p socket_limits '{"Windows 10 Pro 22H2": 1}'""")


def test_a_key_close_to_no_name_lists_the_images(demo_snapshot):
    (warn,) = _by_kind(analyse_cpu_topology(demo_snapshot, socket_limits={"zzzzqq": 2}), "socket-limit-unmatched")
    assert warn.message.endswith(
        "no image name is close; the images: 'Rocky 9 (pinned 4 sockets)', 'Ubuntu 24.04', 'Windows 10 Home 22H2', "
        "'Windows 10 Pro 22H2', 'Windows 11 Pro (fixed)' and 5 more"
    )
    assert warn.remediation.endswith("""-p socket_limits '{"<image name>": 2}'""")


def test_keys_that_name_a_server_s_image_id_or_a_boot_volume_s_image_are_matched_without_glance(demo_copy):
    home = _image_id(demo_copy, "Windows 10 Home 22H2")  # desk-home-1's image; vdi-home-bfv's volume names it
    demo_copy.parts["openstack/images"] = []
    analysis = analyse_cpu_topology(demo_copy, socket_limits={home: 1, "Windows 10 Home 22H2": 1})
    assert not _by_kind(analysis, "socket-limit-unmatched")


def test_closest_names_ignore_case_and_keep_the_image_s_spelling():
    names = ["Windows 10 Pro 22H2", "Windows 10 Home 22H2", "Ubuntu 22.04"]
    assert closest_names("windows 10 pr", names) == ["Windows 10 Pro 22H2", "Windows 10 Home 22H2"]
    assert closest_names("zzzz", names) == []
