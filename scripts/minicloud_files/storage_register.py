"""Cinder in the mini cloud's catalog (run with its venv by 'scripts/minicloud storage up|down').

add     user cinder (admin + service on project service), services block-storage and volumev3
wait    until cinder-scheduler and cinder-volume report up, then raise the admin project's volume quotas
remove  the two services and their endpoints (the user stays)
"""

import os
import sys
import time

import openstack
from seedlib import ensure_catalog_entry

URL = "http://127.0.0.1:8776/v3/%(project_id)s"
SERVICES = [("block-storage", "cinder"), ("volumev3", "cinderv3")]

conn = openstack.connect(cloud="minicloud")
idn = conn.identity
command = sys.argv[1]

if command == "add":
    service_project = idn.find_project("service")
    user = idn.find_user("cinder") or idn.create_user(
        name="cinder", password=os.environ["MINICLOUD_SERVICE_PASSWORD"], domain_id="default"
    )
    for role in ("admin", "service"):
        idn.assign_project_role_to_user(service_project, user, idn.find_role(role))
    for stype, name in SERVICES:
        ensure_catalog_entry(idn, stype, name, URL)
    print("cinder registered")
elif command == "wait":
    deadline = time.monotonic() + 90
    while True:
        up = {s.binary for s in conn.block_storage.services() if s.state == "up" and s.status == "enabled"}
        if {"cinder-scheduler", "cinder-volume"} <= up:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"cinder services not up after 90 s (up: {sorted(up)})")
        time.sleep(1)
    admin = idn.find_project("admin")
    conn.block_storage.update_quota_set(admin.id, volumes=100, snapshots=100, gigabytes=2000)
    print("cinder services up")
elif command == "remove":
    for stype, _ in SERVICES:
        for svc in [s for s in idn.services() if s.type == stype]:
            for endpoint in idn.endpoints(service_id=svc.id):
                idn.delete_endpoint(endpoint)
            idn.delete_service(svc)
    print("cinder unregistered")
else:
    raise SystemExit(__doc__)
