"""Command-line tools."""

from lms.cli import served_base_url


def test_serve_links_certificates_and_mail_to_its_own_port(monkeypatch):
    monkeypatch.delenv("ADAL_BASE_URL", raising=False)
    assert served_base_url("http://127.0.0.1:5000", "127.0.0.1", 5077) == "http://127.0.0.1:5077"


def test_serve_keeps_a_configured_base_url(monkeypatch):
    monkeypatch.setenv("ADAL_BASE_URL", "https://adal.metu.kz")
    assert served_base_url("https://adal.metu.kz", "127.0.0.1", 5077) == "https://adal.metu.kz"
