"""Options for the running servers that lose vCPUs: commands that carry every id they can."""

from runbook_lib.cpu_topology.running import plan_running_servers


def test_running_servers_get_options_not_changes(demo_analysis):
    options = plan_running_servers(demo_analysis)
    assert set(options["server"]) == set(demo_analysis.affected_servers["server"])
    sql = options[(options["server"] == "sql-win7") & (options["option"] == "nova-manage")]["command"].iloc[0]
    assert "nova-manage image_property set" in sql and "--property hw_cpu_max_sockets=2" in sql
    bfv = options[options["server"] == "vdi-home-bfv"]["option"].tolist()
    assert bfv[0] == "volume metadata" and "rebuild" in bfv
    assert "WIPES THE ROOT DISK" in options[options["option"] == "rebuild"]["cost"].iloc[0]


def test_resize_names_a_capped_flavor_by_id_and_rebuild_the_server_s_own_image(demo_analysis):
    """sql-win7 has 8 vCPUs: w1.large (8 vCPUs, capped at 2 sockets) is the resize target, named by id; the
    rebuild uses the server's own image (fixed in place by the plan); a server with no such flavor gets a
    visible placeholder, never an empty or wrong id."""
    options = plan_running_servers(demo_analysis).set_index(["server", "option"])["command"]
    w1 = demo_analysis.flavors.set_index("flavor").at["w1.large", "flavor_id"]
    sql = demo_analysis.servers.set_index("server").loc["sql-win7"]
    assert options["sql-win7", "resize"] == f"openstack server resize --flavor {w1} {sql['server_id']}"
    assert options["sql-win7", "rebuild"] == f"openstack server rebuild --image {sql['image_id']} {sql['server_id']}"
    rdp = demo_analysis.servers.set_index("server").loc["rdp-pro-1"]  # 4 vCPUs: no capped 4-vCPU flavor
    assert options["rdp-pro-1", "resize"] == (
        f"openstack server resize --flavor <a flavor with 4 vCPUs and hw:cpu_max_sockets=2> {rdp['server_id']}"
    )
