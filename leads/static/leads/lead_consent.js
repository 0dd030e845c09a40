// Lead page: an "Opt out" / "Opt in" link opens its confirmation <dialog> instead of the
// confirmation page it points to. Without JavaScript (or without <dialog>) the link still works.
// Cancel is a formmethod="dialog" button: it closes the dialog and sends nothing.
"use strict";

document.addEventListener("click", function (event) {
  const link = event.target.closest("a[data-opens-dialog]");
  if (!link) {
    return;
  }
  const dialog = document.getElementById(link.dataset.opensDialog);
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  event.preventDefault();
  dialog.showModal();
  const cancel = dialog.querySelector(".cancel-dialog");
  if (cancel) {
    cancel.focus();
  }
});

// A click on the backdrop (outside the dialog's box) cancels too.
document.addEventListener("click", function (event) {
  const dialog = event.target;
  if (!(dialog instanceof HTMLDialogElement) || !dialog.open) {
    return;
  }
  const box = dialog.getBoundingClientRect();
  const inside =
    event.clientX >= box.left && event.clientX <= box.right &&
    event.clientY >= box.top && event.clientY <= box.bottom;
  if (!inside) {
    dialog.close("cancel");
  }
});
