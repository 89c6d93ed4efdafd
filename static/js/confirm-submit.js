// Asks before a form that cannot be undone is sent: <form class="confirm-submit" data-confirm="…">
// (ending an assignment, cancelling a campaign, archiving a course version, deleting a module).
(function () {
  "use strict";
  document.querySelectorAll("form.confirm-submit").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
})();
