"""What else the office watches on the dashboard: campaigns under way and code-of-ethics signatures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from campaigns.models import Campaign, CampaignStatus, CampaignStep
from courses.signatures import documents, register
from dashboard.figures import DashboardFilters
from lms.models import OutboxMessage, OutboxStatus


@dataclass
class CampaignRow:
    id: int
    name: str
    names: dict
    status: str
    next_run_at: datetime | None
    sent: int
    waiting: int


def running_campaigns(session: Session) -> list[CampaignRow]:
    """Campaigns running (scheduled or sending) or paused, with the next send and their mail so far (two queries)."""
    rows = session.execute(
        select(
            Campaign.id,
            Campaign.name,
            Campaign.names,  # JSON: PostgreSQL cannot group by it, hence the subquery for the next send
            Campaign.status,
            select(func.min(CampaignStep.next_run_at))
            .where(CampaignStep.campaign_id == Campaign.id)
            .scalar_subquery()
            .label("next_run_at"),
        )
        .where(Campaign.status.in_((CampaignStatus.RUNNING, CampaignStatus.PAUSED)))
        .order_by(Campaign.status.desc(), Campaign.name)
    ).all()
    ids = [row.id for row in rows]
    mail = {
        row.campaign_id: row
        for row in session.execute(
            select(
                CampaignStep.campaign_id,
                func.sum(case((OutboxMessage.status == OutboxStatus.SENT, 1), else_=0)).label("sent"),
                func.sum(
                    case((OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING)), 1), else_=0)
                ).label("waiting"),
            )
            .join(OutboxMessage, OutboxMessage.campaign_step_id == CampaignStep.id)
            .where(CampaignStep.campaign_id.in_(ids))
            .group_by(CampaignStep.campaign_id)
        )
    }
    return [
        CampaignRow(
            row.id,
            row.name,
            row.names,
            row.status,
            row.next_run_at,
            int(mail[row.id].sent or 0) if row.id in mail else 0,
            int(mail[row.id].waiting or 0) if row.id in mail else 0,
        )
        for row in rows
    ]


@dataclass
class DocumentSignatures:
    document: documents.Document
    counts: dict[str, int]


def signature_states(session: Session, filters: DashboardFilters) -> list[DocumentSignatures]:
    """Per attested document (the code of ethics): signed the current version, an older one, or not at all."""
    return [
        DocumentSignatures(
            document, register.signature_counts(session, document.slug, document.key, filters.scope, filters.unit_id)
        )
        for document in documents.attested_documents(session)
    ]
