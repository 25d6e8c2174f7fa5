// stepstone dashboard: the only script. A run still going polls the JSON API and, when a step
// changes status, swaps in the server-rendered (escaped) fragment of the run page.
(function () {
  "use strict";
  var box = document.getElementById("run-live");
  if (!box || box.getAttribute("data-live") !== "1") {
    return;
  }
  var runId = encodeURIComponent(box.getAttribute("data-run"));
  var signature = box.getAttribute("data-signature");
  var interval = parseInt(box.getAttribute("data-interval") || "1000", 10);
  var failures = 0;

  function schedule() {
    window.setTimeout(tick, failures ? Math.min(interval * (failures + 1), 15000) : interval);
  }

  function redraw(status) {
    return fetch("/runs/" + runId + "/live", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          box.innerHTML = html;
          box.setAttribute("data-status", status);
        }
      });
  }

  function tick() {
    fetch("/api/v1/runs/" + runId + "/progress", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (progress) {
        failures = 0;
        var changed = progress.signature !== signature;
        signature = progress.signature;
        var done = progress.status !== "running";
        var redrawn = changed || done ? redraw(progress.status) : Promise.resolve();
        return redrawn.then(function () {
          if (done) {
            box.setAttribute("data-live", "0");
          } else {
            schedule();
          }
        });
      })
      .catch(function () {
        failures += 1;
        schedule();
      });
  }

  schedule();
})();

// A lineage graph opens centred on the artifact it is about.
(function () {
  "use strict";
  var focus = document.querySelector("svg.dag .focus rect.box");
  if (!focus) {
    return;
  }
  var scroller = focus.closest(".graph-scroll");
  var x = parseFloat(focus.getAttribute("x"));
  var y = parseFloat(focus.getAttribute("y"));
  scroller.scrollLeft = Math.max(0, x - scroller.clientWidth / 2 + 75);
  scroller.scrollTop = Math.max(0, y - scroller.clientHeight / 2 + 22);
})();
