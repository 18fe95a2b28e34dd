// The analyze and what-if forms: while the server works out a result (seconds on a big network), say so
// and keep the button from sending the same query twice. Without this script the forms work the same.
"use strict";
(function () {
  for (const form of document.querySelectorAll("form.query[data-busy]")) {
    form.addEventListener("submit", function () {
      const button = form.querySelector("button[type=submit]");
      const status = form.querySelector(".busy");
      if (status) status.textContent = form.dataset.busy;
      if (button) {
        button.disabled = true;
        form.setAttribute("aria-busy", "true");
      }
    });
  }
  // Back from the browser's cache (the back button): the form is usable again.
  window.addEventListener("pageshow", function () {
    for (const form of document.querySelectorAll("form.query[data-busy]")) {
      const button = form.querySelector("button[type=submit]");
      const status = form.querySelector(".busy");
      if (button) button.disabled = false;
      if (status) status.textContent = "";
      form.removeAttribute("aria-busy");
    }
  });
})();
