"""The audit log page: filters, paging, bounded queries, CSV export."""

import csv
import io
from datetime import UTC, datetime

import pytest

from lms import audit
from lms.models import AuditEvent, Role


@pytest.fixture
def officer(make):
    return make.user("officer@example.kz", roles=[Role.OFFICER])


def _event(db, action, actor=None, at=None, **details):
    event = audit.record(db.session, action, actor=actor, details=details)
    if at is not None:
        event.at = at
    db.session.commit()
    return event


def test_filters_by_action_actor_and_dates(client, auth, officer, make, db):
    other = make.user("other@example.kz")
    _event(db, "people.import", officer, datetime(2026, 3, 1, 12, tzinfo=UTC), create=5)
    _event(db, "people.deactivate", other, datetime(2026, 3, 2, 12, tzinfo=UTC))
    _event(db, "settings.contacts", officer, datetime(2026, 3, 3, 20, tzinfo=UTC))  # 4 March in Almaty
    auth.login(officer)

    def actions(**query) -> list[str]:
        html = client.get("/office/audit/", query_string=query).get_data(as_text=True)
        found = [a for a in ("people.import", "people.deactivate", "settings.contacts", "auth.login") if a in html]
        return found

    assert actions(action="people.") == ["people.import", "people.deactivate"]
    assert actions(actor="OTHER@example.kz") == ["people.deactivate"]
    assert actions(actor="nobody@example.kz") == []
    assert actions(since="2026-03-02", until="2026-03-03") == ["people.deactivate"]
    assert actions(since="2026-03-04") == ["settings.contacts", "auth.login"]


def test_page_query_count_is_bounded(client, auth, officer, *, make, db, count_queries):
    auth.login(officer)

    def queries() -> int:
        with count_queries() as statements:
            assert client.get("/office/audit/").status_code == 200
        return len(statements)

    for _ in range(3):
        _event(db, "people.update", make.user())
    few = queries()
    for _ in range(25):
        _event(db, "people.update", make.user())
    assert queries() == few


def test_csv_export_is_streamed_and_filtered(client, auth, officer, db):
    for n in range(5):
        _event(db, "people.import", officer, create=n)
    _event(db, "settings.contacts", officer)
    auth.login(officer)
    response = client.get("/office/audit/export.csv", query_string={"action": "people."})
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))  # BOM: Excel reads UTF-8
    assert rows[0][:3] == ["time_utc", "actor_id", "action"]
    assert [r[2] for r in rows[1:]] == ["people.import"] * 5
    assert db.session.query(AuditEvent).filter_by(action="audit.export").count() == 1
