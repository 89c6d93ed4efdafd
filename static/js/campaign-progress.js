// Refresh the campaign's counts every few seconds while it is running.
(function () {
  const box = document.getElementById("campaign-progress");
  const status = document.getElementById("campaign-status");
  if (!box || !status) return;
  const format = new Intl.NumberFormat(document.documentElement.lang);
  async function refresh() {
    const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    box.querySelectorAll("[data-stat]").forEach((el) => {
      const value = data[el.dataset.stat];
      if (value !== undefined && value !== null) el.textContent = format.format(value);
    });
    if (data.status !== status.dataset.status) window.location.reload();
  }
  if (["running", "paused"].includes(status.dataset.status)) setInterval(refresh, 3000);
})();
