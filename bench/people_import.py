"""People import at the scale of a university: a 20,000-row CSV, dry run and apply on SQLite
(or on PostgreSQL with ``ADAL_BENCH_DATABASE_URL=postgresql://...``).

Baseline: reading the same file with the ``csv`` module alone, in the same run.
"""

import csv
import io
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.databases import own_database

FIRST = ["Айгерим", "Нурлан", "Дана", "Иван", "Мария", "Ерлан", "Әсел", "Қанат", "John", "Anna", "Серік", "Ольга"]
LAST = ["Нурланова", "Ахметов", "Петров", "Смагулова", "Иванова", "Жумабаев", "Smith", "Оспанов", "Ким", "Сейткали"]


def make_csv(rows: int, unit_codes: list[str], seed: int = 7) -> bytes:
    """An office export: Russian headers, semicolons, Windows-1251-safe names as UTF-8 with BOM."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Почта", "ФИО", "Тип", "Код подразделения", "Группа", "Должность", "Язык"])
    for n in range(rows):
        staff = n % 10 == 0
        writer.writerow(
            [
                f" Person{n}@Example.KZ ",
                f"{rng.choice(LAST)} {rng.choice(FIRST)}",
                "staff" if staff else "student",
                rng.choice(unit_codes),
                "" if staff else f"G-{n % 300}",
                "Lecturer" if staff else "",
                rng.choice(["kk", "ru", "en", ""]),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _render_one(user):
    from lms.accounts import password_link
    from lms.mail.outbox import render_email

    return render_email("invitation", user.locale, user=user, link=password_link(user, "lms.accept_invitation"))


def run(quick: bool = False) -> dict:
    from lms import create_app
    from lms.extensions import db
    from lms.models import OrgUnit, OutboxMessage, User
    from lms.people import importing, spreadsheets

    rows = 2_000 if quick else 20_000
    with (
        tempfile.TemporaryDirectory() as tmp,
        own_database("adal_bench", Path(tmp), env="ADAL_BENCH_DATABASE_URL") as url,
    ):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "ADAL_STORAGE_PATH": tmp,
                "ADAL_BASE_URL": "http://adal.bench",
            }
        )
        with app.app_context(), app.test_request_context():
            db.create_all()
            codes = []
            for n in range(40):
                unit = OrgUnit(code=f"U-{n}", name={"en": f"Unit {n}"})
                db.session.add(unit)
                db.session.flush()
                unit.path = f"/{unit.id}/"
                codes.append(unit.code)
            db.session.commit()
            data = make_csv(rows, codes)

            baseline, _ = _timed(
                lambda: sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
            )
            read_s, (columns, body) = _timed(lambda: spreadsheets.read_table(data))
            dry_s, plan = _timed(lambda: importing.plan_import(db.session, columns, body))
            assert plan.counts["create"] == rows, plan.counts

            def apply():
                columns, body = spreadsheets.read_table(data)
                plan = importing.plan_import(db.session, columns, body)
                result = importing.apply_plan(db.session, plan, filename="bench.csv")
                db.session.commit()
                return result

            apply_s, _ = _timed(apply)
            users = db.session.scalar(select(func.count(User.id)))
            mails = db.session.scalar(select(func.count(OutboxMessage.id)))
            assert users == rows and mails == rows, (users, mails)
            # The same file again: every row is compared with the database, nothing to write.
            again_s, again = _timed(lambda: importing.plan_import(db.session, *spreadsheets.read_table(data)))
            assert again.counts["unchanged"] == rows, again.counts
            # What rendering each invitation on its own would cost (what send_invitations avoids).
            sample = list(db.session.scalars(select(User).limit(200)))
            one_by_one_s, _ = _timed(lambda: [_render_one(u) for u in sample])
            db.session.remove()
            db.engine.dispose()
    dry_total = read_s + dry_s
    return {
        "database": make_url(url).get_backend_name(),
        "rows": rows,
        "baseline_csv_parse_s": round(baseline, 4),
        "read_table_s": round(read_s, 4),
        "dry_run_s": round(dry_total, 3),
        "apply_s (read+plan+insert+invite+commit)": round(apply_s, 3),
        "reimport_dry_run_s (all unchanged)": round(again_s, 3),
        "dry_run_rows_per_s": round(rows / dry_total),
        "apply_rows_per_s": round(rows / apply_s),
        "ratio_dry_run_to_parse": round(dry_total / baseline, 1),
        "ratio_apply_to_parse": round(apply_s / baseline, 1),
        "invitation_render_one_by_one_ms": round(one_by_one_s / len(sample) * 1000, 2),
        "invitations_one_by_one_estimate_s": round(one_by_one_s / len(sample) * rows, 1),
        "people_created": users,
        "invitations_queued": mails,
    }
