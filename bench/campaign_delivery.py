"""Campaign delivery at the scale of a university: 20,000 outbox rows to a local SMTP sink.

Two baselines, in the same run, each a plain ``smtplib`` loop over one connection to the same
aiosmtpd sink (in another process), handing over the very messages Adal sends (read from its
outbox): ``prebuilt`` builds them all before its clock starts and times the sending only;
``build and send`` builds each with the same standard-library calls (``lms.mail.delivery.message_for_row``)
and sends it, as a script would. Adal: a real campaign to 20,000 people, materialized by the
campaign job (rendered per recipient's language, tracked links, unsubscribe headers, one outbox
row each), then drained with ``lms.mail.delivery`` (each outcome committed before the next message goes
out), with the process's RSS sampled while it drains (flat: it does not grow with the number of
recipients). Baselines (in child processes, so their messages do not count in Adal's memory) and
Adal take turns in rounds, so a change of load on the machine hits all three.
"""

import multiprocessing
import os
import smtplib
import socket
import tempfile
import threading
import time
from pathlib import Path

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


def _baseline(port: int, url: str, first: int, count: int, seconds, build_in_loop: bool = False) -> None:
    """A child process: the very messages Adal sends (outbox rows ``first``..) handed over by a bare
    smtplib loop; only the loop is timed. Prebuilt, or built one by one inside the loop."""
    from sqlalchemy import create_engine, select

    from lms.mail.delivery import message_for_row
    from lms.models import OutboxMessage, User

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(OutboxMessage.__table__, User.full_name)
            .join(User, User.id == OutboxMessage.user_id)
            .order_by(OutboxMessage.id)
            .offset(first)
            .limit(count)
        ).all()
    engine.dispose()
    if build_in_loop:
        start = time.perf_counter()
        smtp = smtplib.SMTP("127.0.0.1", port)
        for row in rows:
            envelope = message_for_row("Adal <compliance@metu.kz>", row)
            smtp.sendmail(envelope.sender, [envelope.recipient], envelope.data)
    else:
        envelopes = [message_for_row("Adal <compliance@metu.kz>", row) for row in rows]
        start = time.perf_counter()
        smtp = smtplib.SMTP("127.0.0.1", port)
        for envelope in envelopes:
            smtp.sendmail(envelope.sender, [envelope.recipient], envelope.data)
    smtp.quit()
    seconds.value = time.perf_counter() - start


BODY = (
    "Здравствуйте, {name}!\n\n"
    + "Напоминаем, что курс «Академическая честность» нужно пройти до 9 декабря. " * 12
    + "\n\n[Открыть курс]({link})\n\nОтписаться: {unsubscribe_link}\n"
)


def _materialize_campaign(session) -> int:
    """Adal's real path: a campaign to everyone, scheduled and run by the campaign job."""
    from campaigns.due_steps import run_due_steps
    from campaigns.lifecycle import schedule_campaign
    from campaigns.models import Campaign, CampaignStep, StepTiming
    from lms.database import utcnow

    texts = {loc: "Напоминание: курс «Академическая честность» до 9 декабря — {name}" for loc in ("kk", "ru", "en")}
    campaign = Campaign(name="bench", audience={"kind": "all"})
    campaign.steps.append(
        CampaignStep(position=0, timing=StepTiming.NOW, subject=texts, body=dict.fromkeys(texts, BODY))
    )
    session.add(campaign)
    session.flush()
    now = utcnow()
    schedule_campaign(session, campaign, now)
    session.commit()
    return run_due_steps(session, now)


def run(quick: bool = False) -> dict:
    from sqlalchemy import func, insert, select

    from lms import create_app
    from lms.extensions import db
    from lms.mail.delivery import DeliverySettings, deliver_outbox
    from lms.mail.delivery.outcomes import Run
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
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": url,
                    "SECRET_KEY": "bench",
                    "ADAL_STORAGE_PATH": tmp,
                    "ADAL_QUIET_HOURS": "",  # send now, whatever the hour of the run
                    "ADAL_BASE_URL": "https://adal.bench",
                }
            )
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
                rss_start = _rss_mb()
                start = time.perf_counter()
                written = _materialize_campaign(db.session)
                materialize = time.perf_counter() - start
                rss_materialized = _rss_mb()
                assert written == count, written

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
                # The time Adal spends writing outcomes: the cost of recording "sent" message by message.
                commit_seconds = [0.0]
                commit = Run.commit

                def timed_commit(self, *args, **kwargs):
                    began = time.perf_counter()
                    try:
                        return commit(self, *args, **kwargs)
                    finally:
                        commit_seconds[0] += time.perf_counter() - began

                Run.commit = timed_commit
                # Baselines and Adal alternate in rounds, so a change of load on the machine hits all.
                baseline_seconds = build_send_seconds = adal_seconds = 0.0
                per_round = count // ROUNDS
                for round_number in range(ROUNDS):
                    for build_in_loop in (False, True):
                        seconds = context.Value("d", 0.0)
                        child = context.Process(
                            target=_baseline,
                            args=(port, url, round_number * per_round, per_round, seconds, build_in_loop),
                        )
                        before = counter.value
                        child.start()
                        child.join()
                        assert child.exitcode == 0 and counter.value - before == per_round
                        if build_in_loop:
                            build_send_seconds += seconds.value
                        else:
                            baseline_seconds += seconds.value
                    before = counter.value
                    start = time.perf_counter()
                    report = deliver_outbox(db.session, settings, max_messages=per_round)
                    adal_seconds += time.perf_counter() - start
                    assert report.sent == per_round == counter.value - before, report
                    delivered_by_adal += report.sent
                done.set()
                sampler.join()
                Run.commit = commit
                delivered = delivered_by_adal
                sent_rows = db.session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
                )
                tenth = [rss for n, rss in samples if n >= count / 10] or [rss_before]
                baseline = delivered / baseline_seconds
                build_send = delivered / build_send_seconds
                adal = delivered / adal_seconds
                figures.update(
                    {
                        "database": db.engine.dialect.name,
                        "rounds": ROUNDS,
                        "baseline_smtplib_msgs_per_s": round(baseline, 1),
                        "baseline_build_and_send_msgs_per_s": round(build_send, 1),
                        "adal_delivery_msgs_per_s": round(adal, 1),
                        "delivery_ratio": round(adal / baseline, 3),
                        "delivery_ratio_target": ">= 0.8",
                        "build_and_send_ratio": round(adal / build_send, 3),
                        "build_and_send_ratio_target": ">= 1.0",
                        # Committing each outcome (and checking the next row is still this run's), in
                        # the time the server reads the next MAIL FROM: its cost per message.
                        "per_message_commit_us": round(commit_seconds[0] / delivered * 1e6, 1),
                        "per_message_commit_share_of_adal_time": round(commit_seconds[0] / adal_seconds, 3),
                        "materialize_s": round(materialize, 2),
                        "materialize_target_s": "< 5",
                        "materialize_rss_growth_mb": round(rss_materialized - rss_start, 1),
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
