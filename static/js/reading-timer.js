// Keeps the "I accept" button disabled for the document's minimum reading time (the server checks it too);
// when it unlocks, the hint under it says so (a polite live region, so screen readers announce it once).
(function () {
  "use strict";
  var button = document.getElementById("accept-document");
  if (!button) { return; }
  var wait = parseInt(button.dataset.wait || "0", 10);
  if (!wait) { button.disabled = false; return; }
  var label = button.textContent;
  var template = button.dataset.waitText || "{s}";
  var until = Date.now() + wait * 1000;
  var hint = document.getElementById("reading-hint");

  function tick() {
    var left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(timer);
      button.disabled = false;
      button.textContent = label;
      if (hint) { hint.textContent = hint.dataset.readyText; }
      return;
    }
    button.textContent = template.replace("{s}", String(left));
  }
  var timer = setInterval(tick, 250);
  tick();
})();
