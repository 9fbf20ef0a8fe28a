"""neutron-server's notifier lines in every release's wording (neutron/notifiers/nova.py Notifier.send_events)."""

import pytest

from runbook_lib.oslo_log import parse_oslo_log
from runbook_lib.vif_plugging.neutron_events import notifier_events

SERVER, PORT = "6eb7ea92-bc5a-4dff-b426-0a3ff94ee204", "e6bcaae5-7ad6-4448-affd-9aefb94c1c9a"


def event(code: int) -> str:
    """The event dict as neutron logs it (a Python repr)."""
    return str({"server_uuid": SERVER, "name": "network-vif-plugged", "status": "completed", "tag": PORT, "code": code})


PREFIX = "2026-11-23 20:10:00.000 4242 {level} neutron.notifiers.nova [-] "


@pytest.mark.parametrize(
    ("level", "message", "outcome"),
    [
        # Ocata to Ussuri (and Victoria 17.0–17.3, Wallaby 18.0–18.2, Xena 19.0): LOG.info("Nova event response: %s")
        ("INFO", "Nova event response: " + event(200), "delivered"),
        # LOG.warning("Nova event: %s returned with failed status")
        ("WARNING", "Nova event: " + event(422) + " returned with failed status", "refused"),
        # Yoga and the backports: "Nova event matching {request_ids}" + " response: %s" / ": %s returned with …"
        ("INFO", "Nova event matching ['req-1'] response: " + event(200), "delivered"),
        (
            "WARNING",
            "Nova event matching ['req-1']: " + event(404) + " returned with failed status",
            "not-found",
        ),
        # up to Liberty at WARNING, DEBUG since Mitaka: "Nova returned NotFound for event: %s"
        ("WARNING", f"Nova returned NotFound for event: [{event(404)}]", "not-found"),
        ("ERROR", "Failed to notify nova on events: [...]", "notify-failed"),
        ("ERROR", "Error response returned from nova: <Response [500]>", "nova-error-response"),
        # 2024.2 (and backports to 23.3, 24.x)
        ("ERROR", "Nova endpoint not found, invalidating the session", "endpoint-not-found"),
    ],
)
def test_every_wording_reaches_its_outcome(level, message, outcome):
    events = notifier_events(parse_oslo_log([PREFIX.format(level=level) + message], "controller", "neutron-server"))
    assert events["outcome"].tolist() == [outcome]
    if outcome in ("delivered", "refused", "not-found"):
        assert events.iloc[0]["server_id"] == SERVER and events.iloc[0]["port"] == PORT
