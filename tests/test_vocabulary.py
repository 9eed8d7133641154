"""The vocabulary's values are cheap to copy (issue 22: an alert storm)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from postmortem.core.model import utc
from postmortem.core.vocabulary import Alert
from tests.events import record


def test_a_replaced_event_shares_its_fields_and_its_alerts_labels():
    """An alert storm's records are copied by every step (origin, names, merge):
    a copy must not copy the read-only mappings again (issue 22: memory per event)."""
    alert = Alert("ProbeDown", labels={"alertname": "ProbeDown", "instance": "mw1001"})
    event = record(utc(2024, 3, 4, 12), source="alert-email", text="ProbeDown firing", alert=alert,
                   fields={"annotation.summary": "mw1001 fails its probes"})
    copied = replace(event, origin=3, alert=replace(alert, summary="mw1001 fails"))
    assert copied.fields is event.fields and copied.alert.labels is alert.labels
    assert alert.with_labels_of(Alert("ProbeDown", labels={"instance": "mw1001"})) is alert
    with pytest.raises(TypeError):
        copied.fields["annotation.summary"] = "changed"
