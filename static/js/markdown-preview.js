// Live preview of Markdown text boxes: the server renders and sanitizes, this only shows the result.
// A <textarea data-preview-url="…" data-preview-target="id"> inside a form that has a csrf_token.
(function () {
  "use strict";
  function attach(box) {
    var target = document.getElementById(box.dataset.previewTarget);
    var form = box.form;
    var token = form && form.querySelector("input[name=csrf_token]");
    if (!target || !token) { return; }
    var timer = null;
    var sent = 0;
    function render() {
      var mine = ++sent;
      var body = new FormData();
      body.append("text", box.value);
      body.append("csrf_token", token.value);
      fetch(box.dataset.previewUrl, { method: "POST", body: body, credentials: "same-origin",
                                     headers: { "X-CSRFToken": token.value } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) { if (mine === sent) { target.innerHTML = html; } })  // html is sanitized by the server
        .catch(function () { target.textContent = target.dataset.errorText || ""; });
    }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 400);
    });
    render();
  }
  document.querySelectorAll("textarea[data-preview-url]").forEach(attach);
})();
