"""The bundled campaign templates (``campaigns/bundled/*.yaml``): load, check, copy into a campaign."""

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.orm import Session

from campaigns.models import Campaign, CampaignStep, Category, StepTiming
from campaigns.rendering import placeholder_errors
from lms.config import LOCALES
from lms.database import localized

LIBRARY = Path(__file__).resolve().parent / "bundled"


class TemplateProblem(ValueError):
    """What is wrong with a template file, naming the file and the place."""


def template_files() -> list[Path]:
    return sorted(LIBRARY.glob("*.yaml"))


def load_template(path: Path) -> dict:
    """The template in ``path``, checked: every language, known placeholders, a known category."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems = list(template_problems(data))
    if problems:
        raise TemplateProblem(f"{path.name}: " + "; ".join(problems))
    return data


def template_problems(data: dict):
    if data.get("category") not in {c.value for c in Category}:
        yield f"unknown category {data.get('category')!r}"
    for field in ("name", "description"):
        yield from _locale_problems(data.get(field), field)
    steps = data.get("steps") or []
    if not steps:
        yield "no steps"
    for i, step in enumerate(steps, 1):
        for field in ("subject", "body"):
            yield from _locale_problems(step.get(field), f"step {i} {field}")
            for locale in LOCALES:
                for problem in placeholder_errors((step.get(field) or {}).get(locale, "")):
                    yield f"step {i} {field} ({locale}): {problem}"


def _locale_problems(texts, where: str):
    if not isinstance(texts, dict):
        yield f"{where}: expected a mapping of kk, ru, en"
        return
    for locale in LOCALES:
        if not str(texts.get(locale) or "").strip():
            yield f"{where}: the {locale} text is missing"


def list_templates() -> list[dict]:
    return [load_template(path) for path in template_files()]


def campaign_from_template(
    session: Session, key: str, tz: ZoneInfo, now: datetime, created_by_id: int | None, locale: str = "en"
) -> Campaign:
    """A draft campaign copied from the template ``key``, named in the office's ``locale``."""
    path = LIBRARY / f"{key}.yaml"
    if key not in {p.stem for p in template_files()}:
        raise TemplateProblem(f"no template named {key!r}")
    data = load_template(path)
    campaign = Campaign(
        name=localized(data["name"], locale)[0] or key,
        names={code: text for code, text in data["name"].items() if text},
        category=data["category"],
        audience=data.get("audience") or {"kind": "all"},
        template_key=key,
        created_by_id=created_by_id,
        evergreen=(data.get("schedule") or {}).get("kind") == "on_join",
    )
    schedule = data.get("schedule") or {}
    for position, step_data in enumerate(data["steps"]):
        step = CampaignStep(position=position, subject=dict(step_data["subject"]), body=dict(step_data["body"]))
        _apply_timing(step, schedule, step_data, position, tz, now)
        campaign.steps.append(step)
    session.add(campaign)
    return campaign


def _apply_timing(step: CampaignStep, schedule: dict, step_data: dict, position: int, tz: ZoneInfo, now: datetime):
    kind = schedule.get("kind", "once")
    if position > 0:
        step.timing, step.delay_days = StepTiming.DRIP, int(step_data.get("delay_days") or 0)
    elif kind == "relative_to_due":
        step.timing, step.offset_days = StepTiming.RELATIVE_TO_DUE, int(schedule.get("days", 0))
        step.repeat_days = schedule.get("repeat_days")
    elif kind == "on_join":
        step.timing = StepTiming.ON_JOIN
    elif kind == "cron":
        step.timing, step.cron = StepTiming.CRON, schedule.get("rule")
    elif kind == "once" and schedule.get("date"):
        month, day = (int(x) for x in schedule["date"].split("-"))
        at = time.fromisoformat(schedule.get("time", "10:00"))
        step.timing = StepTiming.AT
        step.send_at = datetime(now.year, month, day, at.hour, at.minute, tzinfo=tz)
        if step.send_at < now:  # 9 December has passed this year: the coming one is meant
            step.send_at = step.send_at.replace(year=now.year + 1)
    else:
        step.timing = StepTiming.NOW
