// Lead import progress page: poll the job's JSON and update the counters; reload once at the end
// so the server renders the full report. Loaded as a static file (no inline script, CSP-safe).
(function () {
  "use strict";
  function start() {
    var root = document.querySelector("[data-progress-url]");
    if (!root || root.getAttribute("data-finished") === "true") {
      return;
    }
    var url = root.getAttribute("data-progress-url");
    function set(id, value) {
      var node = document.getElementById(id);
      if (node && value !== null && value !== undefined) {
        node.textContent = String(value);
      }
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          set("job-status", data.status_display);
          set("job-done", data.rows_done);
          set("job-total", data.total_rows === null ? "?" : data.total_rows);
          set("job-percent", data.percent);
          set("job-rate", data.rows_per_second);
          set("job-rejected-live", data.rows_rejected);
          var bar = document.getElementById("job-bar");
          if (bar) {
            bar.value = data.percent;
          }
          if (data.finished || data.can_resume) {
            window.location.reload();
            return;
          }
          window.setTimeout(poll, 1000);
        })
        .catch(function () {
          window.setTimeout(poll, 5000);
        });
    }
    window.setTimeout(poll, 500);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
