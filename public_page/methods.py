"""The eight methods of the university's anti-corruption work: the shipped wording and the office's own.

The defaults repeat the university's anti-corruption page (and the code-of-ethics course's lessons);
the office rewrites any method in any language, and a language it leaves empty falls back as
every text does (kk → ru → en).
"""

from __future__ import annotations

from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.database import utcnow
from public_page.models import MethodText


@dataclass(frozen=True)
class Method:
    key: str
    title: dict
    body: dict


METHODS: tuple[Method, ...] = (
    Method(
        "transparency",
        {"kk": "Ашықтық", "ru": "Прозрачность", "en": "Transparency"},
        {
            "kk": "Қызметкерлерді жұмысқа алу және студенттерді бағалау өлшемшарттары мен рәсімдері жарияланады, "
            "ақпарат қолжетімді болады, процестер мүмкіндігінше цифрландырылады.",
            "ru": "Критерии и процедуры найма сотрудников и оценивания студентов публикуются, информация доступна, "
            "процессы по возможности переводятся в цифровой вид.",
            "en": "The criteria and procedures for hiring staff and for assessing students are published, "
            "information is easy to find, and processes are digitized as far as possible.",
        },
    ),
    Method(
        "ethics-codes",
        {"kk": "Әдеп кодекстері", "ru": "Кодексы этики", "en": "Ethics codes"},
        {
            "kk": "Қызметкерлерге, студенттерге және әкімшілікке арналған әдеп стандарттары белгіленеді, әдепке және "
            "сыбайлас жемқорлықтың салдарына оқыту жүргізіледі.",
            "ru": "Устанавливаются этические стандарты для сотрудников, студентов и администрации, ведётся обучение "
            "этике и последствиям коррупции.",
            "en": "Ethical standards are set for staff, students and the administration, and ethics and the "
            "consequences of corruption are taught.",
        },
    ),
    Method(
        "monitoring-and-audit",
        {"kk": "Мониторинг және аудит", "ru": "Мониторинг и аудит", "en": "Monitoring and audit"},
        {
            "kk": "Тұрақты ішкі және сыртқы аудиттер, әдептің сақталуын қадағалайтын тәуелсіз комиссиялар.",
            "ru": "Регулярные внутренние и внешние аудиты и независимые комиссии, следящие за соблюдением этики.",
            "en": "Regular internal and external audits, and independent committees that watch ethical conduct.",
        },
    ),
    Method(
        "protecting-reporters",
        {"kk": "Хабарлайтындарды қорғау", "ru": "Защита тех, кто сообщает", "en": "Protecting those who report"},
        {
            "kk": "Хабарламалар мен шағымдарға арналған жасырын арналар, қауіпсіздік пен қудалаудан қорғауға кепілдік.",
            "ru": "Анонимные каналы для сообщений и жалоб, гарантированная безопасность и защита от преследования.",
            "en": "Anonymous channels for reports and complaints, and guaranteed safety and protection from "
            "retaliation.",
        },
    ),
    Method(
        "training-and-outreach",
        {"kk": "Оқыту және ағарту", "ru": "Обучение и просвещение", "en": "Training and outreach"},
        {
            "kk": "Сыбайлас жемқорлық, оның салдары және онымен күресу жолдары туралы курстар мен семинарлар, "
            "студенттер мен қызметкерлер арасында тұрақты ақпараттық науқандар.",
            "ru": "Курсы и семинары о коррупции, её последствиях и способах борьбы с ней, регулярные "
            "информационные кампании среди студентов и сотрудников.",
            "en": "Courses and seminars on corruption, its consequences and how to fight it, and regular "
            "information campaigns among students and staff.",
        },
    ),
    Method(
        "involving-the-public",
        {"kk": "Жұртшылықты тарту", "ru": "Вовлечение общественности", "en": "Involving the public"},
        {
            "kk": "Мониторингке жұртшылық өкілдері қатысады; университет үкіметтік емес ұйымдармен және басқа "
            "серіктестермен ынтымақтасады.",
            "ru": "Представители общественности участвуют в мониторинге; университет сотрудничает с "
            "неправительственными организациями и другими партнёрами.",
            "en": "Public representatives take part in monitoring; the university cooperates with "
            "non-governmental organisations and others.",
        },
    ),
    Method(
        "firm-measures",
        {"kk": "Қатаң шаралар", "ru": "Строгие меры", "en": "Firm measures"},
        {
            "kk": "Жұмыстан шығаруға және қылмыстық қудалауға дейінгі қатаң санкциялар, тергеу нәтижелері мен "
            "қабылданған шаралардың ашықтығы.",
            "ru": "Строгие санкции, вплоть до увольнения и уголовного преследования, и прозрачность результатов "
            "расследований и принятых мер.",
            "en": "Strict penalties, including dismissal and prosecution, and transparency about the results of "
            "investigations and the measures taken.",
        },
    ),
    Method(
        "culture-of-integrity",
        {"kk": "Адалдық мәдениеті", "ru": "Культура добропорядочности", "en": "A culture of integrity"},
        {
            "kk": "Адалдық пен әділ оқу құндылық ретінде бекітіледі, сенімді нығайтатын іс-шаралар өткізіледі.",
            "ru": "Честность и справедливое обучение утверждаются как ценности, проводятся мероприятия, "
            "укрепляющие доверие.",
            "en": "Honesty and fair learning are promoted as values, and events are held that build trust.",
        },
    ),
)
#: What a method's text may hold: no images, frames or anything else that loads from elsewhere,
#: so a visitor (perhaps about to report) is seen by no other site.
_TAGS = nh3.ALLOWED_TAGS - {"img"}


def method_html(text: str) -> Markup:
    """A method's Markdown as safe HTML: raw HTML dropped, then nh3 keeps text, links and lists only."""
    html = MarkdownIt("commonmark", {"html": False}).render(text or "")
    return Markup(nh3.clean(html, tags=_TAGS, link_rel="noopener noreferrer"))  # noqa: S704 (nh3 cleaned it)


def current_methods(session: Session) -> list[Method]:
    """The eight methods in order, each with the office's wording where it saved one (one query)."""
    saved = {row.key: row for row in session.scalars(select(MethodText))}
    result = []
    for method in METHODS:
        row = saved.get(method.key)
        result.append(Method(method.key, row.title, row.body) if row is not None else method)
    return result


def method(session: Session, key: str) -> Method | None:
    """One method as the page shows it, or ``None`` for a key that is not one of the eight."""
    return next((m for m in current_methods(session) if m.key == key), None)


def save_method(session: Session, key: str, title: dict, body: dict, editor) -> MethodText:
    """Keep the office's wording of a method (every language at once); the view commits."""
    row = session.get(MethodText, key)
    if row is None:
        row = MethodText(key=key)
        session.add(row)
    row.title = title
    row.body = body
    row.updated_at = utcnow()
    row.updated_by_id = getattr(editor, "id", None)
    session.flush()
    return row
