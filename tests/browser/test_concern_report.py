"""A reporter files an anonymous report in Kazakh, keeps the receipt, and answers the handler's question."""

import pytest

from lms.models import Role
from tests.browser.helpers import login

pytestmark = pytest.mark.browser

REPORT = "Емтихан алдында оқытушы баға үшін ақша сұрады"
QUESTION = "Which group's exam was it?"
ANSWER = "ИС-21 тобы, қысқы сессия"


def test_an_anonymous_report_in_kazakh_and_the_answer_to_a_question(page, browser, live_server, make):
    handler = make.user(roles=[Role.CASE_HANDLER], full_name="Handler Hanna")

    page.goto("/report")
    with page.expect_navigation():
        page.click("button[name=locale][value=kk]")
    assert page.locator("html").get_attribute("lang") == "kk"
    page.select_option("select[name=category]", "bribery")
    page.fill("textarea[name=what]", REPORT)
    page.fill("input[name=where]", "Бас ғимарат, 305")
    page.check("input[name=identity][value=anonymous]")
    with page.expect_navigation():
        page.click("#report-form #submit")
    number = page.inner_text("#case-number").strip()
    code = page.inner_text("#receipt-code").strip()
    assert len(number) == 9 and len(code) == 19

    office = browser.new_context(base_url=live_server, locale="en-US")
    desk = office.new_page()
    login(desk, handler.email)
    desk.goto(f"/cases/{number}")
    assert REPORT in desk.inner_text("#report")
    desk.fill("#message-form textarea[name=text]", QUESTION)
    with desk.expect_navigation():
        desk.click("#message-submit")

    later = browser.new_context(base_url=live_server, locale="kk-KZ")  # the reporter comes back another day
    reporter = later.new_page()
    reporter.goto("/report/follow-up")
    assert reporter.locator("html").get_attribute("lang") == "kk"
    reporter.fill("input[name=number]", number)
    reporter.fill("input[name=code]", code)
    with reporter.expect_navigation():
        reporter.click("button[type=submit]#submit, input[type=submit]#submit")
    assert QUESTION in reporter.inner_text(".reporter-message")
    reporter.fill("#answer-form textarea[name=text]", ANSWER)
    with reporter.expect_navigation():
        reporter.click("#answer-form #submit")
    assert ANSWER in reporter.inner_text("main")
    later.close()

    desk.reload()
    assert ANSWER in desk.inner_text("main")
    office.close()
