"""Campaign delivery at the scale of a university: 20,000 outbox rows to a local SMTP sink.

Baseline, in the same run: a plain ``smtplib`` loop over one connection handing the same number of
pre-built messages to the same aiosmtpd sink (in another process). Baseline (in a child process,
so its messages do not count in Adal's memory) and Adal take turns in rounds. Adal: bulk-inserting the
outbox rows (materialization) and draining them with ``lms.delivery``, with the process's RSS
sampled while it drains (flat: it does not grow with the number of recipients).
"""

import multiprocessing
import os
import smtplib
import socket
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

SUBJECT = "Напоминание: курс «Академическая честность» до 9 декабря — {name}"
TEXT = (
    "Здравствуйте, {name}!\n\nНапоминаем, что курс «Академическая честность» нужно пройти до 9 декабря.\n"
    "Открыть курс: https://adal.bench/courses/academic-integrity\n\n"
    "Отписаться: https://adal.bench/u/{token}\n"
)
HTML = (
    "<!doctype html><html><body><p>Здравствуйте, {name}!</p>"
    + "<p>Напоминаем, что курс «Академическая честность» нужно пройти до 9 декабря. " * 12
    + '</p><p><a href="https://adal.bench/c/{token}">Открыть курс</a></p>'
    '<img src="https://adal.bench/o/{token}.gif" alt=""></body></html>'
)


ROUNDS = 5


def _sink(port: int, counter, ready) -> None:
    """The SMTP sink process: accept everything, count the messages."""
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    threading.Event().wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _row(n: int, user_id: int, run: str) -> dict:
    from lms.database import utcnow
    from lms.models import OutboxStatus

    name = f"Айгерим Нурланова {n}"
    token = f"{run}{n:06d}"
    return {
        "dedup_key": f"campaign:1:step:1:occ:bench:user:{user_id}",
        "message_id": f"<{run}.{n}@metu.kz>",
        "category": "awareness",
        "user_id": user_id,
        "to_addr": f"person{n}@example.kz",
        "subject": SUBJECT.format(name=name),
        "body_text": TEXT.format(name=name, token=token),
        "body_html": HTML.format(name=name, token=token),
        "headers": {
            "List-Unsubscribe": f"<https://adal.bench/u/{token}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "campaign_step_id": 1,
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "created_at": utcnow(),
        "next_attempt_at": utcnow() - timedelta(seconds=1),
    }


def _baseline(port: int, first: int, count: int, seconds) -> None:
    """A child process: build messages ``first``.. beforehand, then time a bare smtplib loop over them."""
    from lms.delivery import build_message

    envelopes = []
    for n in range(first, first + count):
        row = _row(n, n, "base")
        envelopes.append(
            build_message(
                mail_from="Adal <compliance@metu.kz>",
                to_addr=row["to_addr"],
                to_name=f"Айгерим Нурланова {n}",
                subject=row["subject"],
                body_text=row["body_text"],
                body_html=row["body_html"],
                message_id=row["message_id"],
                headers=row["headers"],
            )
        )
    start = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", port)
    for envelope in envelopes:
        smtp.sendmail(envelope.sender, [envelope.recipient], envelope.data)
    smtp.quit()
    seconds.value = time.perf_counter() - start


def run(quick: bool = False) -> dict:
    from sqlalchemy import func, insert, select

    from lms import create_app
    from lms.delivery import DeliverySettings, deliver_outbox
    from lms.extensions import db
    from lms.models import OutboxMessage, OutboxStatus, User

    count = 2_000 if quick else 20_000
    context = multiprocessing.get_context("spawn")
    counter = context.Value("l", 0)
    ready = context.Event()
    port = _free_port()
    sink = context.Process(target=_sink, args=(port, counter, ready), daemon=True)
    sink.start()
    figures: dict = {"messages": count}
    try:
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")
        with tempfile.TemporaryDirectory() as tmp:
            url = os.environ.get("ADAL_BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "ADAL_STORAGE_PATH": tmp})
            with app.app_context():
                db.drop_all()
                db.create_all()
                db.session.execute(
                    insert(User),
                    [
                        {"email": f"person{n}@example.kz", "full_name": f"Айгерим Нурланова {n}", "locale": "ru"}
                        for n in range(count)
                    ],
                )
                db.session.commit()
                user_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
                run_id = uuid.uuid4().hex[:8]

                start = time.perf_counter()
                chunk = 2_000
                for first in range(0, count, chunk):
                    rows = [_row(n, user_ids[n], run_id) for n in range(first, min(first + chunk, count))]
                    db.session.execute(insert(OutboxMessage), rows)
                db.session.commit()
                materialize = time.perf_counter() - start

                samples = []
                delivered_by_adal = 0
                done = threading.Event()

                def sample():
                    while not done.wait(0.05):
                        samples.append((delivered_by_adal, _rss_mb()))

                sampler = threading.Thread(target=sample, daemon=True)
                rss_before = _rss_mb()
                sampler.start()
                settings = DeliverySettings(smtp_url=f"smtp://127.0.0.1:{port}", mail_from="Adal <compliance@metu.kz>")
                # Baseline and Adal alternate in rounds, so a change of load on the machine hits both.
                baseline_seconds = adal_seconds = 0.0
                per_round = count // ROUNDS
                for round_number in range(ROUNDS):
                    seconds = context.Value("d", 0.0)
                    child = context.Process(target=_baseline, args=(port, round_number * per_round, per_round, seconds))
                    before = counter.value
                    child.start()
                    child.join()
                    assert child.exitcode == 0 and counter.value - before == per_round
                    baseline_seconds += seconds.value
                    before = counter.value
                    start = time.perf_counter()
                    report = deliver_outbox(db.session, settings, max_messages=per_round)
                    adal_seconds += time.perf_counter() - start
                    assert report.sent == per_round == counter.value - before, report
                    delivered_by_adal += report.sent
                done.set()
                sampler.join()
                delivered = delivered_by_adal
                sent_rows = db.session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
                )
                tenth = [rss for n, rss in samples if n >= count / 10] or [rss_before]
                baseline = delivered / baseline_seconds
                adal = delivered / adal_seconds
                figures.update(
                    {
                        "database": db.engine.dialect.name,
                        "rounds": ROUNDS,
                        "baseline_smtplib_msgs_per_s": round(baseline, 1),
                        "adal_delivery_msgs_per_s": round(adal, 1),
                        "delivery_ratio": round(adal / baseline, 3),
                        "delivery_ratio_target": ">= 0.8",
                        "materialize_s": round(materialize, 2),
                        "materialize_target_s": "< 5",
                        "rss_before_delivery_mb": round(rss_before, 1),
                        "rss_at_10pct_mb": round(tenth[0], 1),
                        "rss_peak_mb": round(max([rss for _, rss in samples] or [rss_before]), 1),
                        "rss_growth_10pct_to_end_mb": round(_rss_mb() - tenth[0], 1),
                    }
                )
                assert delivered == count == sent_rows, (delivered, sent_rows)
                db.session.remove()
                db.engine.dispose()
    finally:
        sink.terminate()
        sink.join(10)
    return figures
