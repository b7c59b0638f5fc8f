// The progress bar of a queued or running run (runs/run_detail.html): polls the run's JSON
// every 500 ms, moves the bar, and reloads the page when the run is done or failed.
"use strict";
(function () {
  var box = document.getElementById("run-progress");
  if (!box) return;
  var url = box.getAttribute("data-url");
  var bar = box.querySelector("[data-bar]");
  var percent = box.querySelector("[data-percent]");
  var message = box.querySelector("[data-message]");
  var error = box.querySelector("[data-error]");
  var meter = box.querySelector("[role=progressbar]");
  var status = document.getElementById("run-status");
  var waiting = box.querySelector("[data-waiting]");

  function show(p, text) {
    bar.style.width = p + "%";
    meter.setAttribute("aria-valuenow", String(p));
    percent.textContent = p + "%";
    if (text !== undefined) message.textContent = text;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        return r.json();
      })
      .then(function (data) {
        show(data.progress, data.message);
        if (status) status.textContent = data.status_label;
        if (waiting) waiting.hidden = !data.waiting;  // queued, or waiting for the store
        error.hidden = true;
        if (data.done) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 500);
        }
      })
      .catch(function (e) {
        error.textContent = String(e);
        error.hidden = false;
        window.setTimeout(poll, 2000);  // the server may be busy; keep trying, more slowly
      });
  }

  show(parseInt(box.getAttribute("data-progress"), 10) || 0);
  window.setTimeout(poll, 500);
})();
