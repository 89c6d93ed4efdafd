// Show how many people the audience being built matches, as the office edits the form.
(function () {
  const form = document.getElementById("campaign-form");
  const out = document.getElementById("audience-count");
  if (!form || !out) return;
  let timer = null;
  async function update() {
    const params = new URLSearchParams(new FormData(form));
    params.delete("csrf_token");
    const response = await fetch(form.dataset.countUrl + "?" + params.toString());
    const data = await response.json();
    out.textContent = response.ok ? data.description + ": " + data.count.toLocaleString(document.documentElement.lang) : data.error;
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 300); });
  form.addEventListener("change", update);
  update();
})();
