"""The OpenStack edge against the real mini cloud: real pagination, 403s, 401s, outages, catalog gaps."""

import json
import os
import re
import signal
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import MINICLOUD

from runbook_lib.errors import AuthenticationFailed, ConfigError, SourceUnreachable
from runbook_lib.sources.openstack import connect
from runbook_lib.sources.openstack_lists import SERVICE_OF, collect_openstack

pytestmark = pytest.mark.minicloud

SEEDED_SERVERS = {
    "sql-win7",
    "desk-home-1",
    "rdp-pro-1",
    "rdp-pro-2",
    "win11-ok",
    "dc-2019",
    "build-ltsc",
    "web-1",
    "web-2",
    "web-3",
    "db-1",
    "ci-runner-1",
    "ci-runner-2",
}


@pytest.fixture(scope="module")
def admin_snapshot(minicloud):
    return collect_openstack(connect("minicloud"), "minicloud")


def test_admin_collects_every_project_across_pages(admin_snapshot):
    servers = admin_snapshot.get("openstack/servers")
    # Nova pages at 10 here and Glance at 5: more than one page each was followed.
    assert {s["name"] for s in servers} >= SEEDED_SERVERS and len(servers) > 10
    assert len({s["tenant_id"] for s in servers}) == 2  # admin and demo: all_projects worked
    assert len(admin_snapshot.get("openstack/images")) >= 8


def test_records_are_the_apis_wire_format(admin_snapshot):
    server = next(s for s in admin_snapshot.get("openstack/servers") if s["name"] == "rdp-pro-2")
    assert server["OS-EXT-SRV-ATTR:host"] == "minicompute"
    assert server["flavor"]["extra_specs"] == {"hw:cpu_max_sockets": "2"}  # embedded from microversion 2.47
    typo = next(i for i in admin_snapshot.get("openstack/images") if i["name"] == "Windows 10 Pro 22H2")
    assert typo["hw_max_sockets"] == "2"  # Glance stored the misspelled property as a top-level key
    legacy = next(f for f in admin_snapshot.get("openstack/flavors") if f["name"] == "m1.legacy")
    assert legacy["extra_specs"] == {"hw:max_sockets": "2"}  # stored at microversion 2.85, before validation


def test_every_list_of_the_real_services_ends_as_a_list_ends(admin_snapshot):
    """Real pagination (Nova at 10, Glance at 5) ends on a short or an empty page: nothing is flagged."""
    described = admin_snapshot.manifest["parts"]
    assert described["openstack/servers"]["pages"] >= 2 and described["openstack/images"]["pages"] >= 2
    assert not any("cut_short" in d for d in described.values()), described
    assert not any("may be cut short" in m for m in admin_snapshot.unread.values())


def test_a_list_whose_next_link_is_dropped_is_kept_and_said_to_be_cut(minicloud):
    """Nova's own pages, asked 5 at a time, with the next link taken off the second (as a proxy or a service
    that stops paging would serve them): the client stops at 10 of the 13+ servers; the collection keeps
    them and says the list may be cut."""
    conn = connect("minicloud")
    real = conn.session.request
    pages = []

    def second_page_without_links(url, method, *args, **kwargs):
        if method == "GET" and "/servers/detail" in url and "limit=" not in url:
            url += ("&" if "?" in url else "?") + "limit=5"
        response = real(url, method, *args, **kwargs)
        if method == "GET" and "/servers/detail" in url:
            pages.append(url)
            if len(pages) == 2:
                body = response.json()
                assert body.pop("servers_links", None), "Nova linked its full page onwards"
                response._content = json.dumps(body).encode()
        return response

    conn.session.request = second_page_without_links
    snapshot = collect_openstack(conn, "minicloud", parts=["openstack/servers"])
    assert len(pages) == 2 and len(snapshot.get("openstack/servers")) == 10  # two full pages, then the client stops
    assert snapshot.unread["openstack/servers"].startswith(
        "openstack/servers: may be cut short: its last page (page 2) is full (5 items) and links to no next page"
    )
    assert snapshot.manifest["parts"]["openstack/servers"]["cut_short"] == snapshot.unread["openstack/servers"]


def test_missing_cinder_is_named_not_fatal(admin_snapshot):
    assert "catalog" in admin_snapshot.problems["openstack/volumes"]
    assert "openstack/volumes" not in admin_snapshot.parts
    assert {"openstack/flavors", "openstack/images", "openstack/servers", "openstack/migrations"} <= set(
        admin_snapshot.parts
    )


def test_suspects_only_get_per_server_calls(admin_snapshot):
    suspects = {a["instance_uuid"] for a in admin_snapshot.get("openstack/instance_actions")}
    failed = {m["instance_uuid"] for m in admin_snapshot.get("openstack/migrations") if m["status"] == "error"}
    errors = {s["id"] for s in admin_snapshot.get("openstack/servers") if s["status"] == "ERROR"}
    assert suspects <= failed | errors and failed <= suspects  # no healthy server was asked about
    event = next(
        e
        for a in admin_snapshot.get("openstack/instance_actions")
        for e in a["events"]
        if e["event"] == "compute_resize_instance" and e["result"] == "Error"
    )
    assert event["host"] == "ssh-src" and event["details"].startswith("Resize error: not able to execute ssh command")


def test_member_gets_a_real_403_for_all_projects(minicloud):
    snapshot = collect_openstack(connect("minicloud-member"), "minicloud-member")
    problem = snapshot.problems["openstack/servers"]
    assert "HTTP 403" in problem and "admin role" in problem and "skipped" in problem
    assert len(snapshot.get("openstack/images")) >= 8  # what a member may read is still read


def test_unknown_cloud_lists_the_known_ones(minicloud):
    with pytest.raises(ConfigError) as err:
        connect("prod")
    assert "cloud 'prod' not found in clouds.yaml" in str(err.value)
    assert "known clouds: minicloud, minicloud-member" in str(err.value)


def _cloud_file(tmp_path, monkeypatch, minicloud, **auth):
    clouds = yaml.safe_load(minicloud.read_text())
    clouds["clouds"]["minicloud"]["auth"].update(auth)
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))


def test_wrong_password_is_a_401_message(tmp_path, monkeypatch, minicloud):
    _cloud_file(tmp_path, monkeypatch, minicloud, password="wrong-password")
    with pytest.raises(AuthenticationFailed, match=r"refused the credentials \(HTTP 401\)"):
        connect("minicloud")


def test_unreachable_keystone_is_named(tmp_path, monkeypatch, minicloud):
    _cloud_file(tmp_path, monkeypatch, minicloud, auth_url="http://127.0.0.1:9/v3")
    with pytest.raises(SourceUnreachable, match="cannot reach the endpoint of cloud 'minicloud'"):
        connect("minicloud")


def test_a_service_down_mid_run_is_reported_and_the_rest_collected(minicloud):
    conn = connect("minicloud")
    subprocess.run([sys.executable, str(MINICLOUD), "stop", "glance"], check=True, capture_output=True)
    try:
        snapshot = collect_openstack(conn, "minicloud")
    finally:
        subprocess.run([sys.executable, str(MINICLOUD), "start", "glance"], check=True, capture_output=True)
    assert "openstack/images" in snapshot.problems and "cannot reach" in snapshot.problems["openstack/images"]
    assert {s["name"] for s in snapshot.get("openstack/servers")} >= SEEDED_SERVERS


def _api_processes(conn, service_type: str) -> list[int]:
    """The pids serving a service's endpoint (the listener and its workers), found by its port."""
    port = urlsplit(conn.endpoint_for(service_type)).port
    listening = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    pids = {int(p) for p in re.findall(r"pid=(\d+)", listening)}
    for pid in list(pids):
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids.update(int(c) for c in children)
    assert pids, f"nothing listens on {service_type}'s port {port}"
    return sorted(pids)


@pytest.mark.parametrize("hung", [("compute",), ("compute", "image", "network")])
def test_a_hung_api_costs_one_wait_per_service_within_the_collection_deadline(minicloud, hung):
    """APIs stopped (SIGSTOP: they accept connections and never answer, as a hung API does): each hung
    service's first part waits once, bounded by the API timeout (5 s here), is not waited for a second time
    (openstacksdk's discovery tries another URL: two waits before), and its other parts are not asked; the
    other services are collected; the deadline spent is in the manifest. Nova alone, and every API the mini
    cloud serves (Cinder is in the catalog only with the storage lab)."""
    conn = connect("minicloud")
    stopped = [pid for service in hung for pid in _api_processes(conn, service)]
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        snapshot = collect_openstack(conn, "minicloud", api_timeout=5)
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    for service in hung:
        parts = [p for p, s in SERVICE_OF.items() if s == service]
        asked = [p for p in parts if "not asked" not in snapshot.problems[p]]
        assert len(asked) == 1, snapshot.problems
        said = snapshot.problems[asked[0]]
        assert said.startswith(f"{asked[0]}: timed out after 5 s (the API timeout) with no answer: Request to ")
        assert "not waited for again" in said and "of the collection's 600 s deadline spent" in said
        for part in set(parts) - set(asked):
            assert (
                snapshot.problems[part]
                == f"{part}: not asked: the {service} service already failed for {asked[0]} in this collection"
            )
            assert "requests" not in snapshot.manifest["parts"].get(part, {})  # no request was made for it
    answered = {s for p, s in SERVICE_OF.items() if p in snapshot.parts}
    assert answered >= {"image", "network"} - set(hung) and not answered & set(hung)
    # Cinder is in the catalog only while the storage lab is up: answered or missing, never waited for
    assert "timed out" not in snapshot.problems.get("openstack/volumes", "")
    assert snapshot.manifest["deadline"]["seconds"] == 600
    assert snapshot.manifest["deadline"]["spent"] >= 5 * len(hung)  # each hung service was waited for, once


def test_a_hung_keystone_is_one_wait_and_one_line(minicloud):
    """keystone stopped (it accepts, never answers): version discovery times out, and keystoneauth's next try
    (the token request on the URL it then guesses) is not waited for a second time."""
    conn = connect("minicloud")
    stopped = _api_processes(conn, "identity")
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(SourceUnreachable) as err:
            connect("minicloud", api_timeout=3)
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    said = str(err.value)
    assert said.startswith("keystone authentication: timed out after 3 s (the API timeout) with no answer: ")
    assert "not waited for again" in said and "\n" not in said


def test_nova_validates_hw_extra_specs_from_microversion_2_86(admin_conn):
    legacy = admin_conn.compute.find_flavor("m1.legacy")
    for microversion, status in (("2.86", 400), ("2.85", 200)):
        response = admin_conn.compute.post(
            f"flavors/{legacy.id}/os-extra_specs",
            microversion=microversion,
            json={"extra_specs": {"hw:max_sockets": "2"}},
        )
        assert response.status_code == status, response.text
    assert "hw:max_sockets" in response.json()["extra_specs"]


def test_wrong_password_through_the_cli_exits_2(tmp_path, minicloud):
    from conftest import run_cli

    clouds = yaml.safe_load(minicloud.read_text())
    clouds["clouds"]["minicloud"]["auth"]["password"] = "wrong-password"
    (tmp_path / "clouds.yaml").write_text(yaml.safe_dump(clouds))
    proc = run_cli(
        "run",
        "cpu_topology",
        "--cloud",
        "minicloud",
        "--out",
        str(tmp_path / "r"),
        env={"OS_CLIENT_CONFIG_FILE": str(tmp_path / "clouds.yaml")},
    )
    assert proc.returncode == 2 and "refused the credentials (HTTP 401)" in proc.stderr
    assert "wrong-password" not in proc.stderr and not (tmp_path / "r").exists()
