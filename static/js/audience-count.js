// The audience builder of the office's assignment form: shows only the fields the chosen kind of
// audience needs, and asks the server how many people the audience holds as it changes.
(function () {
  "use strict";

  var AUDIENCE_FIELDS = ["kind", "unit_id", "sub", "group", "emails"];

  function toggle(form, attribute, value) {
    form.querySelectorAll("[" + attribute + "]").forEach(function (block) {
      block.classList.toggle("d-none", block.getAttribute(attribute) !== value);
    });
  }

  function checkedValue(form, name) {
    var checked = form.querySelector("input[name='" + name + "']:checked");
    return checked ? checked.value : "";
  }

  function audienceQuery(form) {
    var params = new URLSearchParams();
    AUDIENCE_FIELDS.forEach(function (name) {
      var input = form.elements.namedItem(name);
      if (!input) {
        return;
      }
      if (input.type === "checkbox") {
        if (input.checked) {
          params.set(name, "y");
        }
      } else {
        params.set(name, input.value);
      }
    });
    return params.toString();
  }

  function setupBuilder(form) {
    var countEl = document.getElementById("audience-count");
    var describeEl = document.getElementById("audience-description");
    var timer = null;
    var latest = 0;

    function refresh() {
      var asked = ++latest;
      fetch(form.dataset.countUrl + "?" + audienceQuery(form), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.json();
        })
        .then(function (data) {
          if (asked !== latest) {
            return; // an answer to an older question
          }
          countEl.classList.toggle("text-danger", Boolean(data.error));
          countEl.textContent = data.error || data.label;
          describeEl.textContent = data.error ? "" : "(" + data.description + ")";
        })
        .catch(function () {
          countEl.textContent = "?";
        });
    }

    function changed() {
      toggle(form, "data-audience-for", form.elements.namedItem("kind").value);
      toggle(form, "data-due-for", checkedValue(form, "due_mode"));
      toggle(form, "data-recurrence-for", checkedValue(form, "recurring"));
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 300);
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    changed();
  }

  document.querySelectorAll("form.audience-builder").forEach(setupBuilder);
})();
