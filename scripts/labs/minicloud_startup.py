"""'scripts/minicloud up': the whole cloud from nothing, in the order its services need each other.

RabbitMQ and MariaDB first, then keystone (the other services' DB syncs run meanwhile), nova's cells,
the APIs, the agents, the ssh trust between the ssh-* hosts, and last every nova-compute.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time

import labkit
from minicloud_config import configs, write_clouds_yaml
from minicloud_install import install
from minicloud_layout import (
    CLOUDS_YAML,
    COMPUTES,
    ETC,
    FILES,
    LOG,
    MARIADB_SOCKET,
    PORTS,
    PY,
    RUN,
    STATE,
    run,
    say,
    user_home,
    venv_bin,
)
from minicloud_processes import down, finish, gunicorn, http_ok, in_background, running, start, wait_for
from minicloud_ssh import ssh_trust

_NEUTRON_SCHEMA = """
import subprocess, sys
import sqlalchemy
from neutron.db.migration.models import head
# Building the schema from the models and stamping it takes seconds; replaying every migration takes minutes.
head.get_metadata().create_all(sqlalchemy.create_engine(sys.argv[1]))
etc = sys.argv[2]
subprocess.run([sys.executable.replace('python', 'neutron-db-manage'), '--config-file', etc + '/neutron.conf',
                '--config-file', etc + '/plugins/ml2/ml2_conf.ini', 'stamp', 'heads'], check=True)
"""
DATABASES = ("nova_api", "nova_cell0", "nova", "placement", "neutron", "keystone")
KEYSTONE_URL = "http://127.0.0.1:5000/v3/"


def already_up() -> bool:
    status_now = running()
    return (
        bool(status_now) and all(status_now.values()) and all(labkit.port_open("127.0.0.1", p) for p in PORTS.values())
    )


def start_rabbitmq() -> None:
    # RabbitMQ runs as user rabbitmq: its base directory must be theirs.
    base = STATE / "rabbitmq"
    shutil.chown(base, "rabbitmq", "rabbitmq")
    env = {
        "RABBITMQ_NODENAME": "rabbit@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_MNESIA_BASE": f"{base}/mnesia",
        "RABBITMQ_LOG_BASE": f"{base}/log",
        "RABBITMQ_ENABLED_PLUGINS_FILE": f"{base}/enabled_plugins",
        "HOME": str(base),
    }
    start("rabbitmq", ["rabbitmq-server"], env=env)


def start_mariadb(db_password: str) -> None:
    data = STATE / "mysql" / "data"
    for d in ("mysql", "mysql/data", "mysql/run"):
        shutil.chown(STATE / d, "mysql", "mysql")
    owner_and_data = ["--user=mysql", f"--datadir={data}"]
    run(["mariadb-install-db", *owner_and_data, "--auth-root-authentication-method=normal", "--skip-test-db"])
    server = ["mariadbd", *owner_and_data, f"--socket={MARIADB_SOCKET}"]
    server += [f"--pid-file={STATE}/mysql/run/mysqld.pid", "--bind-address=127.0.0.1", "--port=3306"]
    server += ["--skip-log-bin", "--innodb-buffer-pool-size=128M", "--max-connections=500"]
    server += ["--innodb-flush-log-at-trx-commit=0", "--skip-name-resolve"]
    start("mariadb", server)
    wait_for("mariadb", MARIADB_SOCKET.exists, 60, "mariadb.out")
    sql = f"CREATE USER 'os'@'127.0.0.1' IDENTIFIED BY '{db_password}'; GRANT ALL ON *.* TO 'os'@'127.0.0.1'; "
    sql += " ".join(f"CREATE DATABASE {name};" for name in DATABASES)
    run(["mariadb", f"--socket={MARIADB_SOCKET}", "-uroot", "-e", sql])
    say("mariadb ready")


def bootstrap_keystone(admin_password: str) -> None:
    keystone_manage = [venv_bin("keystone-manage"), "--config-file", str(ETC / "keystone/keystone.conf")]
    owner = ["--keystone-user", "root", "--keystone-group", "root"]
    run([*keystone_manage, "fernet_setup", *owner])
    run([*keystone_manage, "credential_setup", *owner])
    run([*keystone_manage, "db_sync"])
    urls = [arg for kind in ("admin", "internal", "public") for arg in (f"--bootstrap-{kind}-url", KEYSTONE_URL)]
    # Passwords travel in the environment: never on a command line (ps shows it; a leading '-' reads as an option).
    bootstrap = [*keystone_manage, "bootstrap", *urls, "--bootstrap-region-id", "RegionOne"]
    run(bootstrap, env={"OS_BOOTSTRAP_PASSWORD": admin_password})
    gunicorn("keystone", 5000, "ks_wsgi:application", {"OS_KEYSTONE_CONFIG_DIR": str(ETC / "keystone")})


def other_db_syncs(db_password: str) -> list[tuple[str, subprocess.Popen[bytes]]]:
    neutron_db = f"mysql+pymysql://os:{db_password}@127.0.0.1/neutron"
    placement_conf = ["--config-file", str(ETC / "placement/placement.conf")]
    glance_conf = ["--config-file", str(ETC / "glance/glance-api.conf")]
    return [
        in_background("placement", [venv_bin("placement-manage"), *placement_conf, "db", "sync"]),
        in_background("glance", [venv_bin("glance-manage"), *glance_conf, "db_sync"]),
        in_background("neutron", [str(PY), "-c", _NEUTRON_SCHEMA, neutron_db, str(ETC / "neutron")]),
    ]


def sync_nova(db_password: str) -> None:
    nova_manage = [venv_bin("nova-manage"), "--config-file", str(ETC / "nova/nova.conf")]
    cell0 = f"mysql+pymysql://os:{db_password}@127.0.0.1/nova_cell0"
    run([*nova_manage, "api_db", "sync"])
    run([*nova_manage, "cell_v2", "map_cell0", "--database_connection", cell0])
    run([*nova_manage, "cell_v2", "create_cell", "--name", "cell1"])
    run([*nova_manage, "db", "sync"])
    say("nova databases synced")


def start_apis_and_agents() -> None:
    apis = (
        ("placement", 8778, "placement.wsgi.api:application", "OS_PLACEMENT_CONFIG_DIR", "placement"),
        ("glance", 9292, "glance.wsgi.api:application", "OS_GLANCE_CONFIG_DIR", "glance"),
        ("neutron", 9696, "neutron_wsgi:application", "OS_NEUTRON_CONFIG_DIR", "neutron"),
        ("nova-api", 8774, "nova_wsgi:application", "OS_NOVA_CONFIG_DIR", "nova"),
    )
    for name, port, app, config_variable, config_dir in apis:
        gunicorn(name, port, app, {config_variable: str(ETC / config_dir)})
    # The agents that stay alive report every few seconds (minicloud_files/agents.py).
    neutron_conf = ["--config-file", str(ETC / "neutron/neutron.conf")]
    neutron_conf += ["--config-file", str(ETC / "neutron/plugins/ml2/ml2_conf.ini")]
    start("neutron-agents", [str(PY), str(FILES / "agents.py"), *neutron_conf, "loop"])
    nova_conf = ["--config-file", str(ETC / "nova/nova.conf")]
    start("nova-conductor", [venv_bin("nova-conductor"), *nova_conf])
    start("nova-scheduler", [venv_bin("nova-scheduler"), *nova_conf])


def start_computes() -> None:
    for host, (_driver, _extra, user) in COMPUTES.items():
        state = STATE / f"nova-{host}"
        for d in (state / "instances", state / "locks"):
            d.mkdir(parents=True, exist_ok=True)
        conf, log = ETC / f"nova/nova-compute-{host}.conf", LOG / f"nova-compute-{host}.log"
        log.touch()
        if user:  # its state, config and log must be its own; everything else it only reads
            for path in (state, state / "instances", state / "locks", conf, log):
                shutil.chown(path, user, user)
        env = {"HOME": str(user_home()), "USER": user} if user else None
        start(f"nova-compute-{host}", [venv_bin("nova-compute"), "--config-file", str(conf)], user=user, env=env)


def _compute_nodes() -> int:
    query = "SELECT COUNT(*) FROM nova.compute_nodes WHERE deleted = 0"
    proc = run(["mariadb", f"--socket={MARIADB_SOCKET}", "-uroot", "-N", "-e", query], check=False, timeout=30)
    return int(proc.stdout.strip() or 0) if proc.returncode == 0 else 0


def up() -> None:
    if already_up():
        say("already up: nothing started")
        return
    if running():
        say("partly running: stopping the rest first")
        down()
    install()
    t_start = time.monotonic()
    if STATE.exists():
        shutil.rmtree(STATE)
    for d in (LOG, ETC, RUN, STATE / "rabbitmq", STATE / "mysql/data", STATE / "mysql/run"):
        d.mkdir(parents=True, exist_ok=True)
    pw = {k: secrets.token_urlsafe(12) for k in ("admin", "service", "member", "db")}
    configs(pw)
    start_rabbitmq()
    start_mariadb(pw["db"])
    bootstrap_keystone(pw["admin"])
    syncs = other_db_syncs(pw["db"])
    wait_for("keystone", lambda: http_ok(5000), 60, "keystone.out")
    say("keystone ready")
    passwords = {f"MINICLOUD_{kind.upper()}_PASSWORD": pw[kind] for kind in ("admin", "service", "member")}
    run([str(PY), str(FILES / "register.py")], env=passwords)
    say("catalog registered")
    write_clouds_yaml(pw)
    sync_nova(pw["db"])
    finish(syncs)
    wait_for("rabbitmq", lambda: labkit.port_open("127.0.0.1", 5672), 60, "rabbitmq.out")
    start_apis_and_agents()
    ssh_trust()
    start_computes()
    for name, port in PORTS.items():
        wait_for(name, lambda port=port: http_ok(port), 90, f"{name}.out")
    say("APIs answer")
    wait_for("compute nodes", lambda: _compute_nodes() >= len(COMPUTES), 120, "nova-compute-minicompute.out")
    run([venv_bin("nova-manage"), "--config-file", str(ETC / "nova/nova.conf"), "cell_v2", "discover_hosts"])
    say(f"UP in {time.monotonic() - t_start:.0f}s (start-up only); clouds.yaml: {CLOUDS_YAML}")
    print(f"export OS_CLIENT_CONFIG_FILE={CLOUDS_YAML}")
