"""'scripts/minicloud storage up|down': Cinder (RBD) and Glance's RBD store on the Ceph lab.

The Ceph lab (scripts/cephlab) may be re-created between two 'storage up's (new fsid, no cephx users),
so 'storage up' always goes the whole way: bindings, cephx users, cinder.conf, db sync, services.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from minicloud_config import authtoken, glance_conf, read_secrets, write
from minicloud_layout import (
    CEPH_CONF,
    CEPHLAB_HOME,
    CLOUDS_YAML,
    ETC,
    FILES,
    LOG,
    MARIADB_SOCKET,
    PY,
    STATE,
    VENV,
    run,
    say,
    venv_bin,
)
from minicloud_processes import (
    finish,
    gunicorn,
    http_ok,
    in_background,
    running,
    start,
    start_service,
    stop_service,
    wait_for,
)

CINDER_PORT = 8776
CINDER_HOST = "minicinder"  # volumes live on minicinder@ceph#ceph
CINDER_SERVICES = ("cinder-api", "cinder-scheduler", "cinder-volume")
CEPH = ["ceph", "--conf", str(CEPH_CONF)]
DEBIAN_PACKAGES = Path("/usr/lib/python3/dist-packages")
CEPH_USERS = {  # the caps of the upstream Ceph/OpenStack guide
    "glance": ["mon", "profile rbd", "osd", "profile rbd pool=images", "mgr", "profile rbd pool=images"],
    "cinder": [
        "mon",
        "profile rbd",
        "osd",
        "profile rbd pool=volumes, profile rbd pool=vms, profile rbd-read-only pool=images",
        "mgr",
        "profile rbd pool=volumes, profile rbd pool=vms",
    ],
}


def register(args: list[str], env: dict[str, str] | None = None) -> None:
    """storage_register.py (in the venv): Cinder's catalog entry and service state, through the API."""
    run(
        [PY, FILES / "storage_register.py", *args],
        env={"OS_CLIENT_CONFIG_FILE": str(CLOUDS_YAML), **(env or {})},
    )


def _ceph_bindings() -> None:
    """Debian's rados/rbd modules (built for its python3.11, the venv's interpreter) made importable in
    the venv through a directory of symlinks: never Debian's whole dist-packages, which would shadow
    the venv's newer libraries."""
    found = [next(DEBIAN_PACKAGES.glob(f"{module}.cpython-311-*.so"), None) for module in ("rados", "rbd")]
    modules = [so for so in found if so is not None]
    if len(modules) != len(found):
        raise SystemExit("minicloud: Debian's python3-rados / python3-rbd are missing: run 'scripts/cephlab install'")
    bindings = VENV / "ceph-bindings"
    bindings.mkdir(exist_ok=True)
    for so in modules:
        link = bindings / so.name
        if not link.exists():
            link.symlink_to(so)
    site = run([PY, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    Path(site, "stackrb-ceph-bindings.pth").write_text(f"{bindings}\n")


def _ceph_users() -> None:
    """cephx users glance and cinder with their own keyrings, found by librados through ceph.conf."""
    conf = CEPH_CONF.read_text()
    for user, caps in CEPH_USERS.items():
        keyring = CEPHLAB_HOME / f"ceph.client.{user}.keyring"
        run([*CEPH, "auth", "get-or-create", f"client.{user}", *caps, "-o", keyring])
        if f"[client.{user}]" not in conf:
            conf += f"\n[client.{user}]\nkeyring = {keyring}\n"
    CEPH_CONF.write_text(conf)


def cinder_conf(pw: dict[str, str]) -> None:
    """cinder.conf for the RBD backend on the Ceph lab, and the WSGI wrapper gunicorn serves."""
    shutil.copy(VENV / "etc/cinder/api-paste.ini", ETC / "cinder-api-paste.ini")
    shutil.copy(VENV / "etc/cinder/resource_filters.json", ETC / "cinder-resource_filters.json")
    s = pw["service"]
    cinder = f"""\
        [DEFAULT]
        log_dir = {LOG}
        state_path = {STATE}/cinder
        transport_url = rabbit://guest:guest@127.0.0.1:5672/
        auth_strategy = keystone
        api_paste_config = {ETC}/cinder-api-paste.ini
        resource_query_filters_file = {ETC}/cinder-resource_filters.json
        my_ip = 127.0.0.1
        host = {CINDER_HOST}
        enabled_backends = ceph
        osapi_volume_workers = 1
        [database]
        connection = mysql+pymysql://os:{pw["db"]}@127.0.0.1/cinder?charset=utf8
        [oslo_concurrency]
        lock_path = {STATE}/cinder/locks
        [oslo_messaging_notifications]
        driver = noop
        [keystone_authtoken]
        """
    ceph = f"""\
        [ceph]
        volume_driver = cinder.volume.drivers.rbd.RBDDriver
        volume_backend_name = ceph
        rbd_pool = volumes
        rbd_ceph_conf = {CEPH_CONF}
        rbd_user = cinder
        rbd_flatten_volume_from_snapshot = false
        rbd_max_clone_depth = 5
        rados_connect_timeout = 10
        [privsep_osbrick]
        helper_command = {VENV}/bin/privsep-helper --config-file {ETC}/cinder/cinder.conf
        """
    write(
        ETC / "cinder" / "cinder.conf",
        cinder,
        authtoken("cinder", s),
        "[glance]\n",
        authtoken("cinder", s),
        ceph,
    )
    (STATE / "cinder" / "locks").mkdir(parents=True, exist_ok=True)
    # cinder.wsgi.api parses sys.argv on import: gunicorn's own argv would break it.
    wrapper = f"""\
        import sys
        sys.argv = [sys.argv[0], "--config-file", "{ETC}/cinder/cinder.conf"]
        from cinder.wsgi.api import application  # noqa: E402,F401
        """
    write(STATE / "cinder_wsgi.py", wrapper)


def storage_up() -> None:
    """Cinder (RBD) and Glance's RBD store against the running Ceph lab; run again after the lab is re-created."""
    t = time.monotonic()
    if not running().get("keystone"):
        raise SystemExit("minicloud: the cloud is not up: run 'scripts/minicloud up' first")
    if not CEPH_CONF.exists() or run([*CEPH, "--connect-timeout", "10", "health"], check=False).returncode:
        raise SystemExit(f"minicloud: no Ceph lab answers at {CEPH_CONF}: run 'scripts/cephlab up' first")
    # Always the whole way: the Ceph lab may have been re-created since (new fsid, no cephx users).
    for name in CINDER_SERVICES:
        if running().get(name):
            stop_service(name)
    pw = read_secrets()
    _ceph_bindings()
    _ceph_users()
    run(["mariadb", f"--socket={MARIADB_SOCKET}", "-uroot", "-e", "CREATE DATABASE IF NOT EXISTS cinder"])
    cinder_conf(pw)
    conf = ["--config-file", str(ETC / "cinder/cinder.conf")]
    sync = in_background("cinder", [venv_bin("cinder-manage"), *conf, "db", "sync"])
    register(["add"], {"MINICLOUD_SERVICE_PASSWORD": pw["service"]})
    glance_conf(pw["service"], rbd=True)
    if running().get("glance"):
        stop_service("glance")
    start_service("glance")
    finish([sync])
    gunicorn("cinder-api", CINDER_PORT, "cinder_wsgi:application", {})
    start("cinder-scheduler", [venv_bin("cinder-scheduler"), *conf])
    start("cinder-volume", [venv_bin("cinder-volume"), *conf])
    wait_for("cinder-api", lambda: http_ok(CINDER_PORT), 60, "cinder-api.out")
    register(["wait"])
    say(
        f"storage UP in {time.monotonic() - t:.0f}s: Cinder ({CINDER_HOST}@ceph, pool volumes) and Glance's rbd "
        "store (pool images) on the Ceph lab"
    )


def storage_down() -> None:
    """Cinder stopped and unregistered, Glance back on its file store only."""
    for name in CINDER_SERVICES:
        if running().get(name):
            stop_service(name)
    if running().get("keystone"):
        register(["remove"])
    if (ETC / "nova" / "nova.conf").exists():
        glance_conf(read_secrets()["service"], rbd=False)
        if running().get("glance"):
            stop_service("glance")
            start_service("glance")
    say("storage down")
