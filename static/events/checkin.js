// Check-in at the door: reads a ticket's QR code with the camera (BarcodeDetector, else the local
// jsQR) or takes its short code typed in, and adds walk-ins by name. Every check-in goes into a
// queue kept in localStorage first, with the time it was made, and leaves it only once the server
// answered: made offline, it is sent when the connection returns. The server ignores a ticket
// checked in twice, so sending one again after a lost answer is harmless.
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  if (!root) { return; }
  var url = root.dataset.url;
  var token = root.dataset.csrf;
  var storageKey = "adal-checkin-" + root.dataset.session;
  var text = JSON.parse(root.dataset.messages);
  var statusBox = document.getElementById("checkin-status");
  var pendingBox = document.getElementById("checkin-pending");
  var log = document.getElementById("checkin-log");
  var sending = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(storageKey)) || []; } catch (e) { return []; }
  }
  function save(queue) { localStorage.setItem(storageKey, JSON.stringify(queue)); }

  function show(message, kind) {
    statusBox.textContent = message;
    statusBox.className = "alert alert-" + kind + " mb-3";
  }
  function showPending() {
    var count = load().length;
    pendingBox.textContent = count ? text.pending.replace("%(count)s", count) : "";
    pendingBox.hidden = !count;
  }
  function remember(message, kind) {
    var item = document.createElement("li");
    item.className = "list-group-item list-group-item-" + kind;
    item.textContent = new Date().toLocaleTimeString() + " — " + message;
    log.insertBefore(item, log.firstChild);
    while (log.children.length > 30) { log.removeChild(log.lastChild); }
  }

  // A QR ticket holds the bare code (or, printed elsewhere, a link ending in it); typed, it may have
  // spaces, dashes or Cyrillic look-alikes, which the server reads as the Latin letters.
  function codeFrom(raw) {
    var value = String(raw || "").trim();
    if (value.indexOf("/") !== -1) {
      var match = value.match(/[?&]code=([A-Za-z0-9-]+)/) || value.match(/([A-Za-z0-9-]+)\/?$/);
      value = match ? match[1] : value;
    }
    return value.replace(/[\s-]/g, "").toUpperCase();
  }

  var lastCode = null;
  var lastCodeAt = 0;
  function enqueue(entry) {
    var queue = load();
    entry.id = Date.now().toString(36) + Math.random().toString(36).slice(2);
    entry.scanned_at = new Date().toISOString();
    queue.push(entry);
    save(queue);
    showPending();
    flush();
  }
  function checkInCode(raw) {
    var code = codeFrom(raw);
    if (!code) { return; }
    // The camera sees the same ticket many times a second: one check-in per ticket per few seconds.
    if (code === lastCode && Date.now() - lastCodeAt < 5000) { return; }
    lastCode = code;
    lastCodeAt = Date.now();
    enqueue({ kind: "code", code: code });
  }

  function send(entry) {
    var body = JSON.stringify({
      kind: entry.kind, code: entry.code, name: entry.name,
      scanned_at: entry.scanned_at, sent_at: new Date().toISOString()
    });
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // A sign-in page or a proxy's error page: keep the check-in for later.
        throw new Error(response.status >= 500 ? "offline" : "signed-out");
      }
      if (response.status >= 500 || response.status === 429) { throw new Error("offline"); }
      return response.json();
    });
  }

  function flush() {
    if (sending) { return; }
    var queue = load();
    if (!queue.length) { showPending(); return; }
    sending = true;
    send(queue[0]).then(function (answer) {
      save(load().filter(function (e) { return e.id !== queue[0].id; }));
      var kind = { checked_in: "success", already: "warning" }[answer.result] || "danger";
      show(answer.message, kind);
      remember(answer.message, kind);
      if (answer.counts) {
        document.getElementById("checkin-counts").textContent = text.counts
          .replace("%(attended)s", answer.counts.attended).replace("%(expected)s", answer.counts.expected);
      }
      sending = false;
      flush();
    }, function (error) {
      sending = false;
      show(error.message === "signed-out" ? text.signedOut : text.offline, "secondary");
      showPending();
    });
  }

  document.getElementById("checkin-code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("checkin-code");
    lastCode = null;
    checkInCode(input.value);
    input.value = "";
    input.focus();
  });
  document.getElementById("checkin-walkin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("walkin-name");
    var name = input.value.trim();
    if (name) { enqueue({ kind: "walk_in", name: name }); }
    input.value = "";
  });
  window.addEventListener("online", flush);
  setInterval(flush, 10000);
  showPending();
  flush();

  // The camera: BarcodeDetector where the browser has it, else jsQR (loaded on first use).
  var video = document.getElementById("checkin-video");
  var cameraButton = document.getElementById("checkin-camera");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;

  function decoder() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") === -1) { throw new Error("no qr"); }
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      }).catch(loadJsQR);
    }
    return loadJsQR();
  }
  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(); return; }
      var script = document.createElement("script");
      script.src = root.dataset.jsqr;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  function scan() {
    if (video.readyState < 2) { requestAnimationFrame(scan); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { checkInCode(codes[0].rawValue); }
        setTimeout(scan, 200);
      }, function () { setTimeout(scan, 500); });
      return;
    }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var found = window.jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height,
                            { inversionAttempts: "dontInvert" });
    if (found && found.data) { checkInCode(found.data); }
    setTimeout(scan, 250);
  }
  cameraButton.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { show(text.noCamera, "warning"); return; }
    cameraButton.disabled = true;
    Promise.all([
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }),
      decoder()
    ]).then(function (results) {
      video.srcObject = results[0];
      video.hidden = false;
      return video.play();
    }).then(scan, function () {
      cameraButton.disabled = false;
      show(text.noCamera, "warning");
    });
  });
})();
