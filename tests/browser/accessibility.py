"""axe-core checks every page a browser test visits; serious and critical violations fail the test.

axe comes inside axe-playwright-python (nothing is fetched). It is added to every document of each
browser context a test opens (the ``page`` fixture's and any the test makes with
``browser.new_context``) and runs in the page when the page has loaded; the page reports back
through a binding. A page cannot be examined from outside while a navigation away from it is
pending, so the request that would replace a page not yet reported is held until its report comes
(at most ``HOLD_SECONDS``): a test that moves on at once still has every page checked. The pages as
the test leaves them (when their context closes or the test ends) are checked too.
"""

import time
from dataclasses import dataclass, field

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Error as PlaywrightError

HOLD_SECONDS = 10
_RUNNER = """
var adalAxeQueue = Promise.resolve();  // axe refuses to run twice at once
function adalAxeRunOnce() {
  return axe.run(document, {resultTypes: ["violations"]}).then(function (results) {
    return {
      url: location.href,
      lang: document.documentElement.lang,
      violations: results.violations
        .filter(function (v) { return v.impact === "serious" || v.impact === "critical"; })
        .map(function (v) {
          return {id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map(function (n) {
                    var why = n.any.concat(n.all, n.none).map(function (c) { return c.message; });
                    return {target: n.target.join(" "), why: why.join("; ")};
                  })};
        })
    };
  });
}
window.__adalAxeRun = function () {
  adalAxeQueue = adalAxeQueue.then(adalAxeRunOnce, adalAxeRunOnce);
  return adalAxeQueue;
};
window.addEventListener("load", function () {
  if (window.top !== window || !window.__adalAxeReport) { return; }
  window.__adalAxeRun().then(window.__adalAxeReport, function (error) {
    window.__adalAxeReport({url: location.href, lang: "", error: String(error), violations: []});
  });
});
"""


@dataclass
class AccessibilityWatch:
    """What axe found on the pages of one test's browser contexts: one line per rule, element and page."""

    found: dict[tuple[str, str, str], str] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    _waiting: set = field(default_factory=set)  # pages loaded whose report has not come yet

    def watch_context(self, context) -> None:
        """Check every page of the context as it loads and, if still open, when the context closes."""
        context.expose_binding("__adalAxeReport", lambda source, report: self._take(source["page"], report))
        context.add_init_script(script=AXE_SCRIPT + _RUNNER)
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)
        close = context.close

        def check_then_close(*args, **kwargs):
            self.check_open_pages(context)
            close(*args, **kwargs)

        context.close = check_then_close

    def check_open_pages(self, context) -> None:
        """Check each open page as it is now (the test's last pages, after whatever the test did there)."""
        for page in context.pages:
            if page.url.startswith("http"):
                try:
                    self._wait_for_report(page)
                    self._take(page, page.evaluate("window.__adalAxeRun ? window.__adalAxeRun() : null"))
                except PlaywrightError:  # the page went away meanwhile
                    pass

    def report(self) -> str:
        return "\n".join(self.found.values())

    def _watch_page(self, page) -> None:
        """Hold the page's next navigation until the check of its current document has reported."""
        page.on("load", lambda: self._waiting.add(page))
        page.on("framenavigated", lambda frame: self._waiting.discard(page) if frame == page.main_frame else None)

        def hold_navigation_until_reported(route, request):
            try:
                if request.is_navigation_request() and request.frame == page.main_frame:
                    self._wait_for_report(page)
                route.fallback()
            except PlaywrightError:  # the page or its context closed meanwhile
                pass

        page.route("**/*", hold_navigation_until_reported)

    def _wait_for_report(self, page) -> None:
        started = time.monotonic()
        while page in self._waiting and time.monotonic() - started < HOLD_SECONDS:
            page.wait_for_timeout(25)

    def _take(self, page, report) -> None:
        self._waiting.discard(page)
        if not report or not report["url"].startswith("http"):
            return
        url, lang = report["url"], report["lang"]
        self.checked.append(f"{url} [{lang}]")
        if report.get("error"):
            self.found[("axe", "", url)] = f"axe could not run at {url}: {report['error']}"
        for violation in report["violations"]:
            for node in violation["nodes"]:
                self.found.setdefault(
                    (violation["id"], node["target"], url),
                    f"{violation['id']} ({violation['impact']}) {node['target']} at {url} [{lang}]: {node['why']}",
                )
