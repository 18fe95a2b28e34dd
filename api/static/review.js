// Review queue: counts the selected lines on the bulk bar, picks a line's checkbox when one of its
// decisions is chosen, and follows the re-screen named in the notice. The page works without it.
"use strict";
(() => {
  for (const form of document.querySelectorAll("form.review-form")) {
    const count = form.querySelector("[data-selected-count]");
    const update = () => {
      if (!count) return;
      const n = form.querySelectorAll("input[data-select]:checked").length;
      count.textContent = n ? `${n} line${n === 1 ? "" : "s"} selected:` : "Select lines with their checkboxes, then:";
    };
    form.addEventListener("change", (event) => {
      const input = event.target;
      if (input.type === "radio") {
        const line = input.closest(".review-line");
        const box = line && line.querySelector("input[data-select]");
        if (box && !box.checked) box.checked = true;
      }
      update();
    });
    update();
  }

  const notice = document.getElementById("review-notice");
  if (!notice || notice.dataset.finished === "true") return;
  window.tiersight.follow(
    () => (notice.dataset.finished === "true" ? [] : [notice.dataset.rescreen]),
    (s) => {
      notice.querySelector("[data-field=status]").textContent = s.status + (s.finished ? "" : ` (${s.progress})`);
      if (!s.finished) return;
      notice.dataset.finished = "true";
      const next = notice.querySelector("[data-field=next]");
      next.textContent = "";
      if (s.status === "done") {
        const link = document.createElement("a");
        link.href = window.location.href;
        link.textContent = "Reload the queue to review its lines";
        next.appendChild(link);
        next.appendChild(document.createTextNode("."));
      }
    },
    1000,
  );
})();
