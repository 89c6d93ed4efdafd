// Counts down the quiz's remaining time; at zero, sends the answers (the server enforces the limit).
(function () {
  "use strict";
  var box = document.getElementById("quiz-timer");
  var form = document.getElementById("quiz-form");
  if (!box || !form) { return; }
  var clock = box.querySelector(".quiz-timer-clock");
  var deadline = Date.now() + parseInt(box.dataset.secondsLeft, 10) * 1000;
  var sent = false;
  form.addEventListener("submit", function () { sent = true; });

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    clock.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    if (left <= 60) { box.classList.replace("alert-secondary", "alert-warning"); }
    if (left === 0) {
      clearInterval(timer);
      box.classList.replace("alert-warning", "alert-danger");
      clock.textContent = box.dataset.expiredText;
      if (!sent) { sent = true; form.requestSubmit ? form.requestSubmit() : form.submit(); }
    }
  }
  var timer = setInterval(tick, 1000);
  tick();
})();
