"""The mini cloud's configuration files: one writer per service, all from the layout and passwords.

Every file is written whole on each fresh 'up' (and Glance's again by 'storage up|down'); nothing is
edited in place, so a config never depends on what an earlier run left.
"""

from __future__ import annotations

import configparser
import shutil
import textwrap
from pathlib import Path

from minicloud_layout import CEPH_CONF, CLOUDS_YAML, COMPUTES, ETC, LOG, STATE, VENV

# oslo.log's DEFAULT_LOG_LEVELS and Neutron's EXTRA_LOG_LEVEL_DEFAULTS (the pinned releases), plus the notifier.
NEUTRON_LOG_LEVELS = ",".join(
    [
        *("amqp=WARN", "boto=WARN", "sqlalchemy=WARN", "suds=INFO", "oslo.messaging=INFO", "oslo_messaging=INFO"),
        *("iso8601=WARN", "requests.packages.urllib3.connectionpool=WARN", "urllib3.connectionpool=WARN"),
        *("websocket=WARN", "requests.packages.urllib3.util.retry=WARN", "urllib3.util.retry=WARN"),
        *("keystonemiddleware=WARN", "routes.middleware=WARN", "stevedore=WARN", "taskflow=WARN"),
        *("keystoneauth=WARN", "oslo.cache=INFO", "oslo_policy=INFO", "dogpile.core.dogpile=INFO"),
        *("OFPHandler=INFO", "OfctlService=INFO", "os_ken.base.app_manager=INFO", "os_ken.controller.controller=INFO"),
        "neutron.notifiers.nova=DEBUG",
    ]
)


def authtoken(user: str, password: str) -> str:
    """The [keystone_authtoken]-style options with which a service logs in to keystone."""
    return textwrap.dedent(f"""\
        www_authenticate_uri = http://127.0.0.1:5000/v3
        auth_url = http://127.0.0.1:5000/v3
        auth_type = password
        project_domain_name = Default
        user_domain_name = Default
        project_name = service
        username = {user}
        password = {password}
        region_name = RegionOne
        memcached_servers =
        """)


def write(path: Path, *parts: str) -> Path:
    """Write an INI file (or a flat Python wrapper) from its parts, readable only by root (passwords).

    Each line is stripped: no line of ours needs leading whitespace, so the texts can stay indented.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(line.strip() for line in "".join(parts).splitlines()) + "\n")
    path.chmod(0o600)
    return path


def glance_conf(service_pw: str, rbd: bool = False) -> None:
    """Glance on its file store; with ``rbd``, new images go to the Ceph lab's images pool (old ones stay)."""
    rbd_options = f"""\
        [rbd]
        rbd_store_pool = images
        rbd_store_user = glance
        rbd_store_ceph_conf = {CEPH_CONF}
        rbd_store_chunk_size = 8"""
    glance = f"""\
        [DEFAULT]
        log_file = {LOG}/glance.log
        enabled_backends = fs:file{", rbd:rbd" if rbd else ""}
        show_image_direct_url = {"true" if rbd else "false"}
        worker_self_reference_url = http://127.0.0.1:9292
        limit_param_default = 5
        api_limit_max = 5
        [database]
        connection = sqlite:///{STATE}/glance.db
        [glance_store]
        default_backend = {"rbd" if rbd else "fs"}
        [fs]
        filesystem_store_datadir = {STATE}/glance/images
        [os_glance_staging_store]
        filesystem_store_datadir = {STATE}/glance/staging
        [os_glance_tasks_store]
        filesystem_store_datadir = {STATE}/glance/tasks
        [paste_deploy]
        flavor = keystone
        config_file = {VENV}/etc/glance/glance-api-paste.ini
        [oslo_policy]
        enforce_new_defaults = true
        [keystone_authtoken]
        """
    write(
        ETC / "glance" / "glance-api.conf",
        glance,
        authtoken("glance", service_pw),
        rbd_options + "\n" if rbd else "",
    )


def configs(pw: dict[str, str]) -> None:
    s, db = pw["service"], f"mysql+pymysql://os:{pw['db']}@127.0.0.1"
    rabbit = "rabbit://guest:guest@127.0.0.1:5672/"
    keystone = f"""\
        [DEFAULT]
        log_file = {LOG}/keystone.log
        [database]
        # Not SQLite: a dozen services authenticating at start-up lock it ("database is locked").
        connection = {db}/keystone
        [token]
        provider = fernet
        [fernet_tokens]
        key_repository = {STATE}/fernet-keys
        [credential]
        key_repository = {STATE}/credential-keys
        [identity]
        password_hash_rounds = 4
        """
    write(ETC / "keystone" / "keystone.conf", keystone)
    placement = f"""\
        [DEFAULT]
        log_file = {LOG}/placement.log
        [placement_database]
        # Not SQLite: concurrent boots then fail allocations with "database is locked".
        connection = {db}/placement
        [api]
        auth_strategy = keystone
        [keystone_authtoken]
        """
    write(ETC / "placement" / "placement.conf", placement, authtoken("placement", s))
    glance_conf(s)
    shutil.copy(VENV / "etc/neutron/api-paste.ini", ETC / "neutron-api-paste.ini")
    neutron = f"""\
        [DEFAULT]
        log_file = {LOG}/neutron-server.log
        core_plugin = ml2
        service_plugins = router
        auth_strategy = keystone
        transport_url = {rabbit}
        api_paste_config = {ETC}/neutron-api-paste.ini
        notify_nova_on_port_status_changes = true
        notify_nova_on_port_data_changes = true
        state_path = {STATE}/neutron
        # Agents are declared dead 20 s after their last heartbeat (75 s by default), so a seeded dead
        # agent is dead within the seed; networks go to DHCP agents only by hand and stay there.
        agent_down_time = 20
        network_auto_schedule = false
        allow_automatic_dhcp_failover = false
        # The nova notifier at DEBUG (the rest as oslo.log and Neutron set it): its "Sending events" lines,
        # and "Nova returned NotFound for event" (DEBUG since Mitaka), which the vif runbook reads.
        default_log_levels = {NEUTRON_LOG_LEVELS}
        [database]
        # Not SQLite: concurrent port bindings then fail with "database is locked".
        connection = {db}/neutron
        [oslo_concurrency]
        lock_path = {STATE}/neutron/locks
        [keystone_authtoken]
        """
    write(ETC / "neutron" / "neutron.conf", neutron, authtoken("neutron", s), "[nova]\n", authtoken("nova", s))
    ml2 = """\
        [ml2]
        type_drivers = flat,local
        tenant_network_types = local
        mechanism_drivers = fakebind
        extension_drivers = port_security
        [ml2_type_flat]
        flat_networks = *
        """
    write(ETC / "neutron" / "plugins" / "ml2" / "ml2_conf.ini", ml2)
    (ETC / "nova").mkdir(parents=True, exist_ok=True)
    shutil.copy(VENV / "etc/nova/api-paste.ini", ETC / "nova" / "api-paste.ini")
    common_head = f"""\
        [DEFAULT]
        log_dir = {LOG}
        state_path = {STATE}/nova
        instances_path = {STATE}/nova/instances
        transport_url = {rabbit}
        my_ip = 127.0.0.1
        host = controller
        allow_resize_to_same_host = true
        [api]
        auth_strategy = keystone
        # Small pages, so that clients are tested on real pagination (servers_links / next).
        max_limit = 10
        [wsgi]
        api_paste_config = {ETC}/nova/api-paste.ini
        [oslo_concurrency]
        lock_path = {STATE}/nova/locks
        [scheduler]
        workers = 1
        discover_hosts_in_cells_interval = -1
        [conductor]
        workers = 1
        [oslo_messaging_notifications]
        driver = noop
        [keystone_authtoken]
        """
    logins = (
        ("", "nova"),
        ("[service_user]\nsend_service_user_token = true\n", "nova"),
        ("[placement]\n", "placement"),
        ("[neutron]\n", "neutron"),
    )
    common = "".join([common_head, *(section + authtoken(user, s) for section, user in logins)])
    common += "[glance]\nregion_name = RegionOne\n"
    databases = f"""\
        [api_database]
        connection = {db}/nova_api
        [database]
        connection = {db}/nova
        """
    write(ETC / "nova" / "nova.conf", common, databases)
    # nova-compute must not have DB access ("No DB access allowed in nova-compute").
    for host, (driver, extra, _user) in COMPUTES.items():
        write(ETC / "nova" / f"nova-compute-{host}.conf", compute_conf(common, host, driver, extra))
    for name, module in (("ks_wsgi", "keystone.wsgi.api"), ("nova_wsgi", "nova.wsgi.osapi_compute")):
        # These apps parse sys.argv with oslo.config and choke on gunicorn's own arguments.
        wrapper = f"import sys\nsys.argv = sys.argv[:1]\nfrom {module} import application  # noqa\n"
        write(STATE / f"{name}.py", wrapper)
    neutron_wsgi = """\
        import sys
        sys.argv = sys.argv[:1]
        from neutron.wsgi.api import application  # noqa
        from sqlalchemy import orm
        orm.configure_mappers()  # Port.port_forwardings exists only once the mappers are configured
        """
    write(STATE / "neutron_wsgi.py", neutron_wsgi)


def compute_conf(common: str, host: str, driver: str, extra: dict[str, object]) -> str:
    """One nova-compute's config: the controller's, made this host's (own host name, driver, state,
    locks and log). The host's options come first; of the two my_ip lines only the first stays."""
    options = {"my_ip": "127.0.0.1", **extra}
    lines = "".join(f"{k} = {v}\n" for k, v in options.items())
    own_default = f"[DEFAULT]\nhost = {host}\ncompute_driver = {driver}\n{lines}"
    made_own = (
        ("[DEFAULT]\n", own_default),
        ("my_ip = 127.0.0.1\n", ""),
        ("host = controller\n", ""),
        (f"state_path = {STATE}/nova\n", f"state_path = {STATE}/nova-{host}\n"),
        (f"instances_path = {STATE}/nova/instances\n", f"instances_path = {STATE}/nova-{host}/instances\n"),
        (f"lock_path = {STATE}/nova/locks\n", f"lock_path = {STATE}/nova-{host}/locks\n"),
        (f"log_dir = {LOG}\n", f"log_file = {LOG}/nova-compute-{host}.log\n"),
    )
    for old, new in made_own:
        common = common.replace(old, new, 1)
    return common


def clouds_yaml_entry(name: str, user: str, password: str, project: str) -> str:
    """One clouds.yaml entry, indented to sit under 'clouds:'."""
    entry = f"""\
        {name}:
          auth:
            auth_url: http://127.0.0.1:5000/v3
            username: {user}
            password: "{password}"
            project_name: {project}
            user_domain_name: Default
            project_domain_name: Default
          region_name: RegionOne
          identity_api_version: 3
        """
    return textwrap.indent(textwrap.dedent(entry), "  ")


def write_clouds_yaml(pw: dict[str, str]) -> None:
    """Entries 'minicloud' (admin) and 'minicloud-member' (a member of project demo), root-only."""
    admin = clouds_yaml_entry("minicloud", "admin", pw["admin"], "admin")
    member = clouds_yaml_entry("minicloud-member", "demo-member", pw["member"], "demo")
    CLOUDS_YAML.write_text("clouds:\n" + admin + member)
    CLOUDS_YAML.chmod(0o600)


def read_secrets() -> dict[str, str]:
    """The running cloud's passwords, read back from its own configs (they live nowhere else)."""
    nova = configparser.ConfigParser(interpolation=None)
    nova.read(ETC / "nova" / "nova.conf")
    db = nova["api_database"]["connection"].split("//os:", 1)[1].split("@", 1)[0]
    return {"service": nova["keystone_authtoken"]["password"], "db": db}
