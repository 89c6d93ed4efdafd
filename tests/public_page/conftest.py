"""Fixtures of the public page's tests: the office, PDFs, a document uploaded through the office's form."""

from io import BytesIO

import pytest

from lms.models import Role


def pdf(text: str = "Code of ethics") -> bytes:
    """A small valid PDF whose bytes say ``text`` (enough for the upload's checks and a download to compare)."""
    body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n"
        b"4 0 obj << /Length " + str(len(body)).encode() + b" >> stream\n" + body + b"\nendstream endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def version_form(number="1-OD", approved_on="2025-01-15", files=None, **fields) -> dict:
    """The office's form for a version, every language filled; ``files``: {locale: bytes}."""
    data = {"number": number, "approved_on": approved_on}
    for loc in ("kk", "ru", "en"):
        data[f"title_{loc}"] = fields.get(f"title_{loc}", f"Code of ethics ({loc}) {number}")
        data[f"summary_{loc}"] = fields.get(f"summary_{loc}", f"What it says ({loc})")
    for loc, content in (
        files if files is not None else {"kk": pdf("kk " + number), "ru": pdf("ru " + number)}
    ).items():
        data[f"file_{loc}"] = (BytesIO(content), f"code-{loc}.pdf")
    return data


@pytest.fixture
def officer(make):
    return make.user(roles=[Role.OFFICER])


@pytest.fixture
def upload(client):
    """Post a new document (or, given ``document_id``, a new version) through the office's form."""

    def post(key="code-of-ethics", document_id=None, **form):
        data = version_form(**form)
        if document_id is None:
            data["key"] = key
            url = "/office/public/documents/new"
        else:
            url = f"/office/public/documents/{document_id}/versions/new"
        return client.post(url, data=data, content_type="multipart/form-data")

    return post
