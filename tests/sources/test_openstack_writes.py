"""Changing OpenStack against the real mini cloud: a Glance property added and removed without touching any
other, flavor extra specs set and removed one key at a time, and a canary that names what the cloud lacks
before it boots anything. (Volume image metadata needs Cinder, which the mini cloud does not run.)"""

import uuid

import pytest

from runbook_lib.errors import ParameterError
from runbook_lib.sources.openstack_writes import (
    boot_canary,
    get_flavor_extra_specs,
    get_image_properties,
    remove_flavor_extra_spec,
    remove_image_property,
    set_flavor_extra_spec,
    set_image_property,
)

pytestmark = pytest.mark.minicloud

SEEDED_IMAGE = "Windows 10 Pro 22H2"  # cpu-topology seed: carries the misspelled hw_max_sockets=2
CHANGES_ON_WRITE = {"updated_at"}  # what Glance itself changes on every update


def unchanged(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in CHANGES_ON_WRITE}


@pytest.fixture
def image_id(admin_conn):
    image = admin_conn.image.find_image(SEEDED_IMAGE)
    assert image is not None, f"the cpu-topology seed creates {SEEDED_IMAGE!r}"
    return image.id


@pytest.fixture
def flavor(admin_conn):
    """A flavor of this test's own, deleted afterwards."""
    created = admin_conn.compute.create_flavor(name=f"stackrb-test-{uuid.uuid4().hex[:8]}", ram=64, vcpus=1, disk=0)
    yield created
    admin_conn.compute.delete_flavor(created, ignore_missing=True)


def test_an_image_property_is_added_as_a_string_beside_every_other_and_removed_alone(admin_conn, image_id):
    key = f"stackrb_test_{uuid.uuid4().hex[:8]}"
    before = get_image_properties(admin_conn, image_id)
    assert key not in before and before["hw_max_sockets"] == "2"  # Glance's wire format: a top-level key
    try:
        set_image_property(admin_conn, image_id, key, 2)
        added = get_image_properties(admin_conn, image_id)
        assert added[key] == "2"
        assert unchanged({k: v for k, v in added.items() if k != key}) == unchanged(before)
    finally:
        remove_image_property(admin_conn, image_id, key)
    after = get_image_properties(admin_conn, image_id)
    assert key not in after
    assert unchanged(after) == unchanged(before)  # hw_max_sockets and every other custom property kept


def test_setting_an_existing_image_property_replaces_its_value_only(admin_conn, image_id):
    key = f"stackrb_test_{uuid.uuid4().hex[:8]}"
    try:
        set_image_property(admin_conn, image_id, key, "one")
        set_image_property(admin_conn, image_id, key, "two")
        assert get_image_properties(admin_conn, image_id)[key] == "two"
    finally:
        remove_image_property(admin_conn, image_id, key)
    assert key not in get_image_properties(admin_conn, image_id)


def test_flavor_extra_specs_are_set_and_removed_one_key_at_a_time(admin_conn, flavor):
    assert get_flavor_extra_specs(admin_conn, flavor.id) == {}
    set_flavor_extra_spec(admin_conn, flavor.id, "hw:cpu_max_sockets", 2)
    set_flavor_extra_spec(admin_conn, flavor.id, "hw:cpu_max_threads", "1")
    assert get_flavor_extra_specs(admin_conn, flavor.id) == {"hw:cpu_max_sockets": "2", "hw:cpu_max_threads": "1"}
    remove_flavor_extra_spec(admin_conn, flavor.id, "hw:cpu_max_sockets")
    assert get_flavor_extra_specs(admin_conn, flavor.id) == {"hw:cpu_max_threads": "1"}


def test_a_canary_names_every_missing_image_flavor_and_network_and_boots_nothing(admin_conn):
    name = f"stackrb-canary-test-{uuid.uuid4().hex[:8]}"
    missing = {kind: f"no-such-{kind}-{uuid.uuid4().hex[:8]}" for kind in ("image", "flavor", "network")}
    with pytest.raises(ParameterError) as err:
        boot_canary(admin_conn, name, "minicompute", missing["image"], missing["flavor"], missing["network"])
    assert str(err.value) == (
        f"canary: no image {missing['image']!r}, no flavor {missing['flavor']!r}, "
        f"no network {missing['network']!r} in this cloud"
    )
    assert not [s for s in admin_conn.compute.servers(all_projects=True) if s.name == name]
