"""What neutron-server's Nova notifier says about the events it sent (``neutron.notifiers.nova``).

Neutron sends ``network-vif-plugged`` when a compute port goes ACTIVE (status ``completed``) or ERROR
(``failed``), batched every ``send_events_interval`` seconds, to Nova's ``os-server-external-events``.
Its log is the only place that tells "the port never went ACTIVE" (no event line at all) from "the
event was sent and Nova took it" (code 200) from "the notifier is failing" (exceptions, refusals):

    INFO  Nova event matching ['req-…'] response: {'server_uuid': …, 'name': 'network-vif-plugged',
          'tag': <port>, 'status': 'completed', 'code': 200}                      (one line in the log)
    WARNING Nova event matching ['req-…']: {… 'code': 422} returned with failed status
                                                               (404 unknown server, 422 no host)
    ERROR Error response returned from nova: …          ERROR Failed to notify nova on events: …
    ERROR Nova endpoint not found, invalidating the session
    WARNING Nova returned NotFound for event: [{…}]     (DEBUG since Mitaka: older Nova answered 404 for a whole
                                                        batch; today's answers 207 with a 404 per event instead)
"""

from __future__ import annotations

import ast
import re

import pandas as pd

NOTIFIER = "neutron.notifiers.nova"
COLUMNS = ["time", "source", "outcome", "event", "server_id", "port", "status", "code", "message"]
_DICT = re.compile(r"\{[^{}]*\}")
# message start → outcome; a failure of the notifier itself names no event
_NOTIFIER_FAILURES = {
    "Error response returned from nova": "nova-error-response",
    "Failed to notify nova on events": "notify-failed",
    "Nova endpoint not found": "endpoint-not-found",
}


def _events(message: str) -> list[dict]:
    """The event dicts a notifier line carries (Python reprs, as neutron logs them)."""
    events = []
    for text in _DICT.findall(message):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, dict) and ("server_uuid" in value or "name" in value):
            events.append(value)
    return events


def _outcome(message: str, code: object) -> str | None:
    if message.startswith("Nova returned NotFound for event"):
        return "not-found"
    failed = "returned with failed status" in message
    if not failed and not (message.startswith("Nova event") and "response:" in message):
        return None
    if not failed and code in (200, None):
        return "delivered"
    return "not-found" if code == 404 else "refused"  # 404: Nova has no such server; 422: it has no host yet


def notifier_events(logs: pd.DataFrame) -> pd.DataFrame:
    """One row per event neutron-server reported on (or per notifier failure, with no event)."""
    if logs.empty:
        return pd.DataFrame(columns=COLUMNS)
    lines = logs[logs["module"] == NOTIFIER]
    rows = []
    for r in lines.itertuples():
        first = r.message.split("\n")[0]
        failure = next((o for start, o in _NOTIFIER_FAILURES.items() if first.startswith(start)), None)
        if failure:
            rows.append({"time": r.time, "source": r.source, "outcome": failure, "message": first[:200]})
            continue
        for event in _events(first):
            outcome = _outcome(first, event.get("code"))
            if outcome:
                rows.append(
                    {
                        "time": r.time,
                        "source": r.source,
                        "outcome": outcome,
                        "event": event.get("name"),
                        "server_id": event.get("server_uuid"),
                        "port": event.get("tag"),
                        "status": event.get("status"),
                        "code": event.get("code"),
                        "message": first[:200],
                    }
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def covers(logs: pd.DataFrame, moment: pd.Timestamp) -> bool:
    """Whether a log spans ``moment`` (lines before and after it): only then does silence mean something."""
    if logs.empty or pd.isna(moment):
        return False
    return bool(logs["time"].min() <= moment <= logs["time"].max())
