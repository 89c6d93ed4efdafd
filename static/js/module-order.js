// Drag to reorder modules. It enhances the up/down form: the list items carry hidden "order"
// inputs, so moving an item and submitting the same form saves the new order.
(function () {
  "use strict";
  var list = document.querySelector("[data-sortable]");
  if (!list) { return; }
  var form = list.closest("form");
  var dragged = null;
  list.querySelectorAll("li[data-module-id]").forEach(function (item) {
    item.setAttribute("draggable", "true");
    item.classList.add("module-draggable");
    item.addEventListener("dragstart", function (event) {
      dragged = item;
      item.classList.add("module-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.moduleId);
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("module-dragging");
      dragged = null;
    });
    item.addEventListener("dragover", function (event) {
      if (!dragged || dragged === item) { return; }
      event.preventDefault();
      var box = item.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? item.nextSibling : item);
    });
    item.addEventListener("drop", function (event) {
      event.preventDefault();
      form.submit();
    });
  });
  var hint = document.querySelector("[data-drag-hint]");
  if (hint) { hint.classList.remove("d-none"); }
})();
