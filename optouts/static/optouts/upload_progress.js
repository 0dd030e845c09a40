// Every file upload that shows its progress ("Import numbers" on the opt-out report, the lead
// import's upload): send the file with XMLHttpRequest so the page can show how much of it is
// uploaded, then that the server is working on it (no count to show for that part). What the
// server does, and what to do if the connection is lost, differ per page: the progress box says
// them in data-processing-text and data-failed-text. The answer (the next page, or this page
// with the errors) replaces the page as a normal submit would. Without JavaScript, or if the
// request cannot be made, the form submits as usual. A static file: no inline script (CSP).
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function show(html, url) {
    document.open();
    document.write(html);
    document.close();
    if (url && url !== window.location.href) window.history.replaceState(null, "", url);
  }

  ready(function () {
    var form = document.querySelector("form[data-upload-progress]");
    if (!form || !window.FormData || !window.XMLHttpRequest) return;
    var box = document.getElementById(form.getAttribute("data-upload-progress"));
    if (!box) return;
    var bar = box.querySelector("progress");
    var text = box.querySelector(".upload-progress-text");

    function state(name, sentence) {
      box.setAttribute("data-state", name);
      text.textContent = sentence;
    }

    form.addEventListener("submit", function (event) {
      var file = form.querySelector("input[type=file]");
      if (!file || !file.files || !file.files.length) return; // the server says what is missing
      event.preventDefault();
      var button = form.querySelector("[type=submit]");
      if (button) button.disabled = true;
      box.hidden = false;
      bar.max = 100;
      bar.value = 0;
      state("uploading", "Uploading " + file.files[0].name + "…");

      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.floor((100 * e.loaded) / e.total);
        bar.value = percent;
        state("uploading", "Uploading " + file.files[0].name + ": " + percent + "%");
      });
      xhr.upload.addEventListener("load", function () {
        bar.removeAttribute("value"); // indeterminate: the server's part has no count to show
        state("processing", box.getAttribute("data-processing-text"));
      });
      xhr.addEventListener("load", function () {
        show(xhr.responseText, xhr.responseURL);
      });
      xhr.addEventListener("error", function () {
        if (button) button.disabled = false;
        bar.value = 0;
        state("failed", box.getAttribute("data-failed-text"));
      });
      xhr.send(new FormData(form));
    });
  });
})();
