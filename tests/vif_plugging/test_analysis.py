"""vif plugging: one snapshot's analysis (causes, timeline, fleet tables) on the demo, collected log files told
apart by service, and the final findings. The evidence, the causes and the diagnosis: their own test files."""

from runbook_lib.oslo_log import tabulate_logs
from runbook_lib.sources.logs import read_log_dir
from runbook_lib.vif_plugging.analysis import analyse_vif_plugging, final_findings
from runbook_lib.vif_plugging.canary import Canaries, canary_plan
from vif_plugging.test_evidence import CAPTURES


def test_demo_shows_six_causes_and_a_timeline(demo_snapshot):
    """The demo is the mini cloud's real failures: a dead L2 agent, no L2 agent, a dead DHCP agent whose
    provisioning block kept the port DOWN, a port Neutron set to ERROR, a port that could not be bound, and a
    stray second nova-compute that took a build's event (one finding with the host's, read on it)."""
    analysis = analyse_vif_plugging(demo_snapshot)
    kinds = sorted((f.kind, f.severity, f.subject.split(" (")[0]) for f in analysis.findings)
    assert kinds == [
        ("duplicate-nova-compute-process", "crit", "host vif-late-2"),
        ("vif-dhcp-agent-dead", "crit", "server vif-dhcp"),
        ("vif-l2-agent-dead", "crit", "server vif-timeout"),
        ("vif-l2-agent-missing", "warn", "server vif-nonfatal"),
        ("vif-port-binding-failed", "crit", "server bind-fail"),
        ("vif-port-error", "crit", "server vif-error"),
    ]
    timeline = analysis.timeline(analysis.pick("vif-timeout"))
    assert any("Timeout waiting for" in w for w in timeline["what"]) and timeline["time"].is_monotonic_increasing
    assert "neutron-server notifier" in set(timeline["source"])  # network-changed for the server
    assert any(w.startswith("Open vSwitch agent on vif-down-1 (NOT alive)") for w in timeline["what"])
    assert analysis.fleet["servers"].sum() == 6
    assert analysis.per_day[["aborted", "unwired"]].sum().tolist() == [5, 1]
    assert set(analysis.agents_not_working["host"]) == {"vif-down-1", "net-1"}


def test_log_files_are_told_apart_by_service(tmp_path):
    (tmp_path / "cmp1").mkdir()
    (tmp_path / "cmp1" / "nova-compute.log").write_text((CAPTURES / "vif-vif-down-1-nova-compute.log").read_text())
    (tmp_path / "neutron-server.log").write_text((CAPTURES / "vif-neutron-notifier.log").read_text())
    records = read_log_dir(tmp_path)
    assert sorted((r["source"], r["service"]) for r in records) == [
        ("cmp1", "nova-compute"),
        (tmp_path.name, "neutron-server"),
    ]
    assert not tabulate_logs(records, "nova-compute")["module"].str.startswith("neutron").any()
    assert set(tabulate_logs(records, "neutron-server")["service"]) == {"neutron-server"}


def test_the_final_findings_are_the_diagnosis_then_the_canaries(demo_snapshot):
    """A canary that failed is CRIT in the final list, whatever the evidence said of its host."""
    analysis = analyse_vif_plugging(demo_snapshot)
    record = {
        "host": "vif-late-1",
        "status": "ERROR",
        "elapsed_s": 30.2,
        "fault": "No valid host was found. ",
        "ports": [],
    }
    canaries = Canaries(canary_plan(["vif-late-1"], "cirros", "m1.tiny", "private"), [record])
    final = final_findings(analysis, canaries)
    assert final[: len(analysis.findings)] == analysis.findings
    assert [(f.kind, f.severity, f.subject) for f in final[len(analysis.findings) :]] == [
        ("canary-failed", "crit", "host vif-late-1")
    ]
    assert final_findings(analysis, Canaries(canaries.plan, [])) == analysis.findings


def test_the_demo_s_fixes_name_the_port_the_network_and_the_agent(demo_snapshot):
    """Where the id is known the command carries it: the ERROR port, the dead DHCP agent and its network."""
    analysis = analyse_vif_plugging(demo_snapshot)
    fixes = {f.kind: f.remediation for f in analysis.findings}
    ports = {p["id"]: p for p in demo_snapshot.get("openstack/ports")}
    [error_port] = [p for p in analysis.diagnosis.set_index("cause").loc[["port-error"], "ports"].iloc[0]]
    assert f"'openstack port show {error_port}'" in fixes["vif-port-error"] and error_port in ports
    [dhcp_ports] = analysis.diagnosis.set_index("cause").loc[["dhcp-agent-dead"], "ports"].tolist()
    network = ports[dhcp_ports[0]]["network_id"]
    [hosting] = [h for h in demo_snapshot.get("openstack/dhcp_hosting") if h["network_id"] == network]
    [dead] = [a["id"] for a in hosting["agents"] if not a["alive"]]
    assert f"'openstack network agent remove network --dhcp {dead} {network}'" in fixes["vif-dhcp-agent-dead"]
    assert "<" not in fixes["vif-port-error"] + fixes["vif-dhcp-agent-dead"]
