"""Register the mini cloud's projects, users and catalog in keystone (run with the mini cloud's venv).

Passwords come from MINICLOUD_ADMIN_PASSWORD, MINICLOUD_SERVICE_PASSWORD and MINICLOUD_MEMBER_PASSWORD.
"""

import os

import openstack
from seedlib import ensure_catalog_entry

admin_pw, service_pw, member_pw = (os.environ[f"MINICLOUD_{who}_PASSWORD"] for who in ("ADMIN", "SERVICE", "MEMBER"))
conn = openstack.connect(
    auth_url="http://127.0.0.1:5000/v3",
    username="admin",
    password=admin_pw,
    project_name="admin",
    user_domain_name="Default",
    project_domain_name="Default",
    region_name="RegionOne",
)
idn = conn.identity


def ensure(find, create, name, **attrs):
    return find(name, ignore_missing=True) or create(name=name, **attrs)


service = ensure(idn.find_project, idn.create_project, "service", domain_id="default")
demo = ensure(idn.find_project, idn.create_project, "demo", domain_id="default")
roles = {r.name: r for r in idn.roles()}
for role in ("service", "member", "reader"):
    if role not in roles:
        roles[role] = idn.create_role(name=role)
for user in ("placement", "nova", "glance", "neutron"):
    u = ensure(idn.find_user, idn.create_user, user, password=service_pw, domain_id="default")
    for role in ("admin", "service"):
        idn.assign_project_role_to_user(service, u, roles[role])
member = ensure(idn.find_user, idn.create_user, "demo-member", password=member_pw, domain_id="default")
idn.assign_project_role_to_user(demo, member, roles["member"])
admin = idn.find_user("admin")
idn.assign_project_role_to_user(demo, admin, roles["admin"])

CATALOG = [
    ("placement", "placement", "http://127.0.0.1:8778"),
    ("compute", "nova", "http://127.0.0.1:8774/v2.1"),
    ("image", "glance", "http://127.0.0.1:9292"),
    ("network", "neutron", "http://127.0.0.1:9696"),
]
for stype, name, url in CATALOG:
    ensure_catalog_entry(idn, stype, name, url)
print("catalog registered")
