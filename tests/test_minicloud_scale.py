"""The mini cloud filled to a large cloud's shape (scripts/minicloud seed scale): 500 servers in 25 projects on
50 more hypervisors here (`make bench-scale` fills 10,000). Every list the runbooks read is served by the real
services' pagination (Nova's max_limit is 10: dozens of pages) and counted: the requests are the pages plus
the suspects, never one per server; the runbooks on that collection find exactly the failures the fill made."""

import html
import json
import re

import pytest
from conftest import MINICLOUD_LAB, run_cli

from runbook_lib.sources.openstack_lists import suspect_servers

pytestmark = [pytest.mark.minicloud, pytest.mark.scale]

SERVERS = 500  # 51 pages of Nova's servers at its max_limit of 10: many pages, and CI keeps its time
# What the seed makes of servers 0..N-1 (scripts/minicloud_files/seed_scale.py): a build aborted with "Failed to
# allocate the network(s)" for n % 97 == 13, a resize failed on ssh for every 120th server (that did not fail).
FAILED_BUILDS = sum(1 for n in range(SERVERS) if n % 97 == 13)
FAILED_RESIZES = sum(1 for n in range(SERVERS) if n % 120 == 0 and n % 97 != 13)
RUNBOOKS = "cpu_topology,resize_ssh,vif_plugging"  # Ceph at scale: bench_upmap and bench_ceph_plan


@pytest.fixture(scope="module")
def scaled(minicloud, tmp_path_factory):
    """The fill, then one collection through the CLI; the cloud goes down afterwards (the next 'up' wipes it)."""
    MINICLOUD_LAB.run("seed", "scale", env={"SCALE_SERVERS": str(SERVERS), "SCALE_PORTS_PER_SERVER": "1"})
    out = tmp_path_factory.mktemp("scale") / "snap"
    proc = run_cli("collect", "--cloud", "minicloud", "--out", str(out), "--runbooks", RUNBOOKS)
    yield out, proc
    MINICLOUD_LAB.down_and_check()


def _part(snapshot, name):
    return json.loads((snapshot / f"{name}.json").read_text())


def test_every_list_is_read_to_its_end_in_pages_plus_suspects(scaled):
    snapshot, proc = scaled
    manifest = json.loads((snapshot / "manifest.json").read_text())
    # Cinder runs only beside the Ceph lab (scripts/minicloud storage up): its part is the one not collected
    assert proc.returncode == 3 and list(manifest["problems"]) == ["openstack/volumes"], proc.stderr
    parts = manifest["parts"]
    servers = _part(snapshot, "openstack/servers")
    assert sum(s["name"].startswith("scale-vm-") for s in servers) == SERVERS  # nothing cut at a page limit
    pages = len(servers) // 10 + 1  # Nova's max_limit is 10 here; a full last page is followed by an empty one
    assert parts["openstack/servers"]["requests"] == parts["openstack/servers"]["pages"] == pages
    assert not [p for p, d in parts.items() if "cut_short" in d]  # every list ended on a short or empty page
    hypervisors = _part(snapshot, "openstack/hypervisors")
    assert sum(h["hypervisor_hostname"].startswith("scale-cmp-") for h in hypervisors) == SERVERS // 10
    assert parts["openstack/hypervisors"]["requests"] == len(hypervisors) // 10 + 1
    migrations = _part(snapshot, "openstack/migrations")
    assert parts["openstack/migrations"]["requests"] == len(migrations) // 10 + 1
    filled = [m for m in migrations if m["source_compute"].startswith("scale-cmp-")]
    assert sum(m["status"] == "error" for m in filled) == FAILED_RESIZES
    assert sum((p["name"] or "").startswith("scale-vm-") for p in _part(snapshot, "openstack/ports")) == SERVERS
    assert parts["openstack/ports"]["requests"] == 1  # Neutron here has no page limit: one answer
    assert parts["openstack/flavors"]["requests"] == len(_part(snapshot, "openstack/flavors")) // 10 + 1
    # the per-server calls are the suspects' only: of 500 filled servers the failed builds and resizes (the
    # other tests' servers, before this one, add theirs); one list each, one call per suspect action
    suspects = set(suspect_servers({p: _part(snapshot, p) for p in ("openstack/servers", "openstack/migrations")}))
    filled_ids = {s["id"] for s in servers if s["name"].startswith("scale-vm-")}
    assert len(suspects & filled_ids) == FAILED_BUILDS + FAILED_RESIZES
    actions = parts["openstack/instance_actions"]
    assert actions["suspects"] == len(suspects)
    assert actions["requests"] == len(suspects) + len(_part(snapshot, "openstack/instance_actions"))


def _findings(snapshot, runbook, out):
    """(severity, kind) of the findings about the filled hosts and servers (``scale-…``)."""
    proc = run_cli("run", runbook, "--snapshot", str(snapshot), "--out", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr  # findings at crit, and the runbook did not fail
    [run] = json.loads((out / "summary.json").read_text())["runbooks"]
    return [(f["severity"], f["kind"]) for f in run["findings"] if " scale-" in f" {f['subject']}"]


def test_the_runbooks_on_that_collection_find_exactly_the_failures_the_fill_made(scaled, tmp_path):
    snapshot, _ = scaled
    # Nova cut each error at 255 characters inside Stdout ("This account is currently not a"): still told
    ssh = _findings(snapshot, "resize_ssh", tmp_path / "resize")
    assert ssh == [("crit", "ssh-account-not-available")] * FAILED_RESIZES  # one per broken pair, none else
    page = html.unescape((tmp_path / "resize" / "resize_ssh.html").read_text())
    # what nologin said, as far as Nova's cut left it (where it falls depends on the address before it)
    assert re.search(r"stdout: 'This account is currently not a\w*' \(cut at 255 characters", page), page[-2000:]
    assert "on the destination: usermod -s /bin/bash nova" in page
    vif = _findings(snapshot, "vif_plugging", tmp_path / "vif")
    assert len(vif) == FAILED_BUILDS and {s for s, _ in vif} == {"crit"}, vif
    losing = [f for f in _findings(snapshot, "cpu_topology", tmp_path / "cpu") if f[1] == "server-loses-vcpus"]
    assert 0 < len(losing) < SERVERS // 8  # Windows on an uncapped flavor of more than 2 vCPUs, not every guest
    page = tmp_path / "cpu" / "cpu_topology.html"
    assert "hw_cpu_max_sockets=2" in page.read_text() and page.stat().st_size < 5 * 2**20
