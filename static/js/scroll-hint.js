// A table wider than the screen says so: a line above it, a faded edge on the side that has more,
// and the scroll box becomes a labelled region that takes keyboard focus (arrow keys scroll it).
(function () {
  "use strict";
  var script = document.currentScript;
  var text = script ? script.dataset.hint : "";

  function update(box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("scrolls", scrolls);
    box.classList.toggle("more-left", scrolls && box.scrollLeft > 1);
    box.classList.toggle("more-right", scrolls && box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
    var hint = box.previousElementSibling;
    if (scrolls) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", text);
      if (!hint || !hint.classList.contains("scroll-hint")) {
        hint = document.createElement("p");
        hint.className = "scroll-hint small text-muted mb-1";
        hint.setAttribute("aria-hidden", "true");
        hint.textContent = "↔ " + text;
        box.parentNode.insertBefore(hint, box);
      }
    } else {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
      if (hint && hint.classList.contains("scroll-hint")) { hint.remove(); }
    }
  }

  function updateAll() {
    document.querySelectorAll(".table-responsive").forEach(update);
  }
  document.querySelectorAll(".table-responsive").forEach(function (box) {
    box.addEventListener("scroll", function () { update(box); }, {passive: true});
  });
  window.addEventListener("resize", updateAll);
  updateAll();
})();
