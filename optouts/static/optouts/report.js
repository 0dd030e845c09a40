// Opt-out report: confirm an Opt In in a <dialog> before the POST. Without JavaScript the
// link opens a confirmation page that POSTs the same form, so nothing depends on this file.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var dialog = document.getElementById("opt-in-dialog");
    if (dialog && typeof dialog.showModal === "function") {
      var form = document.getElementById("opt-in-dialog-form");
      var label = dialog.querySelector(".dialog-number");
      document.querySelectorAll("a.opt-in-link[data-action]").forEach(function (link) {
        link.addEventListener("click", function (event) {
          event.preventDefault();
          form.setAttribute("action", link.getAttribute("data-action"));
          label.textContent = link.getAttribute("data-number");
          dialog.showModal();
        });
      });
      var cancel = document.getElementById("opt-in-cancel");
      if (cancel) cancel.addEventListener("click", function () { dialog.close(); });
    }

    // A preset time frame and a custom range exclude each other: picking one clears the other.
    var period = document.getElementById("id_period");
    var from = document.getElementById("id_date_from");
    var to = document.getElementById("id_date_to");
    if (period && from && to) {
      period.addEventListener("change", function () {
        if (period.value && period.value !== "custom" && period.value !== "all") {
          from.value = "";
          to.value = "";
        }
      });
      [from, to].forEach(function (input) {
        input.addEventListener("change", function () {
          if (input.value) period.value = "custom";
        });
      });
    }
  });
})();
