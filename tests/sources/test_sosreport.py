"""Real sosreports (tests/fixtures/sosreport-*: sos 4.0 on an SSH-lab compute, and the Ceph lab's mon) read
into snapshot parts, several joined into one; damaged ones are one line each."""

import io
import shutil
import tarfile

import pytest
from conftest import FIXTURES

from runbook_lib.errors import SnapshotError
from runbook_lib.sources.sosreport import open_sosreport, read_sosreports
from runbook_lib.vif_plugging.host_facts import tabulate_host_facts

COMPUTE = FIXTURES / "sosreport-compute" / "sosreport-compute-01.tar.xz"
MON = FIXTURES / "sosreport-mon" / "sosreport-vm-mon.tar.xz"


def test_a_sosreport_is_recognised(tmp_path):
    sos = open_sosreport(COMPUTE, tmp_path)
    assert (sos.hostname, sos.sos_version, sos.name) == ("compute-01", "4.0", COMPUTE.name)
    assert sos.plugins == ("host", "openstack_nova", "process") and sos.started.startswith("2026-12-02 ")


def test_a_compute_s_logs_and_its_own_processes_and_options_become_parts():
    snapshot = read_sosreports([str(COMPUTE)])
    logs = snapshot.get("logs/nova-compute")
    assert [r["path"] for r in logs] == [
        f"{COMPUTE.name}:var/log/nova/nova-compute.log.1.gz",
        f"{COMPUTE.name}:var/log/nova/nova-compute.log",
    ]  # oldest first, the gzipped one read too
    original = (FIXTURES / "nova-minicloud-failures" / "vif-vif-down-1-nova-compute.log").read_text().splitlines()
    assert logs[0]["lines"] + logs[1]["lines"] == original and {r["source"] for r in logs} == {"compute-01"}
    facts = tabulate_host_facts(snapshot.get("hosts/nova_compute")).iloc[0]
    assert facts["host"] == "compute-01" and facts["duplicate"] and len(facts["duplicate_pids"]) == 2
    assert (facts["vif_plugging_is_fatal"], facts["fatal_from"]) == (
        "false",
        "/etc/nova/nova.conf.d/50-workaround.conf",
    )
    assert "s3cr3t-db-pass" not in str(snapshot.parts)  # sos 4.0 kept the password in its copy; nothing here
    assert snapshot.manifest["parts"]["logs/nova-compute"] == {
        "origin": "sosreport",
        "note": f"read from {COMPUTE.name}",
    }
    assert "a sosreport cannot probe nova's SSH" in snapshot.problems["hosts/ssh_trust"]


def test_a_mon_s_ceph_outputs_become_parts_and_the_cut_pg_dump_is_named():
    snapshot = read_sosreports([str(MON)])
    osds = [n for n in snapshot.get("ceph/osd_df_tree")[0]["nodes"] if n["type"] == "osd"]
    assert len(osds) == 4 and max(osds, key=lambda n: n["utilization"])["name"] == "osd.0"
    assert snapshot.get("ceph/osd_dump")[0]["nearfull_ratio"] == pytest.approx(0.5)
    assert "OSD_NEARFULL" in snapshot.get("ceph/health_detail")[0]["checks"]
    why = snapshot.problems["ceph/pg_dump_pgs"]  # stdout and stderr on one pipe: cut at 64 KiB
    assert "ceph_pg_dump_--format_json-pretty is not whole JSON" in why
    assert why.endswith("run 'ceph pg dump --format json' on a mon")
    assert "rbd du" in snapshot.problems["ceph/rbd"]


def test_several_sosreports_join_into_one_snapshot_by_host():
    snapshot = read_sosreports([str(COMPUTE), str(MON)])
    assert snapshot.manifest["cloud"] == "sosreport compute-01, vm"
    assert [s["hostname"] for s in snapshot.manifest["sosreports"]] == ["compute-01", "vm"]
    assert {"ceph/osd_df_tree", "logs/nova-compute", "hosts/nova_compute"} <= set(snapshot.parts)


def _damaged(tmp_path, how):
    if how == "truncated":
        data = COMPUTE.read_bytes()
        (tmp_path / "s.tar.xz").write_bytes(data[: len(data) // 2])
        return tmp_path / "s.tar.xz"
    if how == "not-an-archive":
        (tmp_path / "notes.txt").write_text("the sosreport is on the other laptop\n")
        return tmp_path / "notes.txt"
    if how == "no-version":
        (tmp_path / "dir").mkdir()
        return tmp_path / "dir"
    return tmp_path / "gone.tar.xz"


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("truncated", "is truncated or corrupt"),
        ("not-an-archive", "is not a sosreport archive"),
        ("no-version", "is not a sosreport: it has no version.txt"),
        ("missing", "not found"),
    ],
)
def test_a_damaged_sosreport_is_one_line(tmp_path, how, said):
    with pytest.raises(SnapshotError) as err:
        read_sosreports([str(_damaged(tmp_path, how))])
    assert said in str(err.value) and "\n" not in str(err.value)


def test_a_link_out_of_the_archive_is_left_out_and_the_rest_read(tmp_path):
    root = tmp_path / "unpacked"
    shutil.unpack_archive(COMPUTE, root)
    archive = tmp_path / "with-link.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(next(root.iterdir()), arcname="sosreport-x")
        link = tarfile.TarInfo("sosreport-x/etc/shadow-link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tar.addfile(link, io.BytesIO(b""))
    snapshot = read_sosreports([str(archive)])
    assert len(snapshot.get("logs/nova-compute")) == 2


def test_an_error_in_place_of_json_is_the_part_s_problem(tmp_path):
    root = tmp_path / "sosreport-mon"
    shutil.unpack_archive(MON, tmp_path / "x")
    shutil.move(next((tmp_path / "x").iterdir()), root)
    (root / "sos_commands/ceph/json_output/ceph_df_detail_--format_json-pretty").write_text(
        "Error EACCES: access denied\n"
    )
    snapshot = read_sosreports([str(root)])
    assert "ceph/df_detail" not in snapshot.parts
    assert snapshot.problems["ceph/df_detail"] == (
        "sosreport sosreport-mon: sos_commands/ceph/json_output/ceph_df_detail_--format_json-pretty holds no "
        "JSON: 'Error EACCES: access denied'; run 'ceph df detail --format json' on a mon"
    )


def test_the_crush_rules_come_from_ceph_mons_crush_dump_as_the_live_rule_dump_gives_them(tmp_path):
    import json

    root = tmp_path / "sosreport-mon"
    shutil.unpack_archive(MON, tmp_path / "x")
    shutil.move(next((tmp_path / "x").iterdir()), root)
    plugin = root / "sos_commands" / "ceph_mon"  # where sos ≥ 4.5 puts it, beside json_output/
    plugin.mkdir(parents=True)
    shutil.copy(FIXTURES / "sosreport-mon" / "ceph_osd_crush_dump", plugin / "ceph_osd_crush_dump")
    snapshot = read_sosreports([str(root)])
    live = json.loads((FIXTURES / "sosreport-mon" / "osd_crush_rule_dump.json").read_text())
    assert snapshot.get("ceph/crush_rules") == [{"rules": live}] and live[0]["rule_name"] == "replicated_rule"
    (plugin / "ceph_osd_crush_dump").write_text("Error EACCES: access denied\n")
    problem = read_sosreports([str(root)]).problems["ceph/crush_rules"]
    assert problem == (
        "sosreport sosreport-mon: sos_commands/ceph_mon/ceph_osd_crush_dump holds no JSON: "
        "'Error EACCES: access denied'; run 'ceph osd crush rule dump --format json' on a mon"
    )


def test_a_compute_s_guests_come_from_the_live_state_before_the_saved_definition(tmp_path):
    """sos's libvirt plugin copies /etc/libvirt/qemu/*.xml and /run/libvirt/: the running guest is what it
    runs with; a definition edited since (virsh edit) applies only at its next start."""
    root = tmp_path / "sos"
    with tarfile.open(FIXTURES / "sosreport-compute" / "sosreport-compute-01.tar.xz") as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    shutil.move(next((tmp_path / "unpacked").iterdir()), root)
    domains = FIXTURES / "libvirt-domains"
    for where, source in (("etc/libvirt/qemu", "sos-etc"), ("run/libvirt/qemu", "sos-run")):
        (root / where).mkdir(parents=True)
        shutil.copy(domains / source / "instance-0000000f.xml", root / where)
    (root / "etc/libvirt/qemu/instance-00000099.xml").write_text("<network><name>default</name></network>")
    records = {r.get("domain") or r["path"]: r for r in read_sosreports([str(root)]).get("libvirt/domains")}
    running = records["instance-0000000f"]
    assert (running["sockets"], running["cores"], running["host"]) == (4, 1, "compute-01")
    assert running["path"].endswith(":run/libvirt/qemu/instance-0000000f.xml")
    bad = next(r for r in records.values() if r["error"])
    assert bad["path"].endswith("etc/libvirt/qemu/instance-00000099.xml") and "<network>" in bad["error"]
