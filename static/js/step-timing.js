// The step form: show only the fields of the chosen timing. Without this script the server does the
// same when "Update the summary" is pressed, so the form works without it.
(function () {
  const select = document.getElementById("timing");
  const summary = document.getElementById("timing-summary");
  if (!select) return;
  select.addEventListener("change", () => {
    document.querySelectorAll("[data-timing]").forEach((group) => {
      group.hidden = group.dataset.timing !== select.value;
    });
    if (summary) summary.textContent = summary.dataset.staleText;
  });
})();
