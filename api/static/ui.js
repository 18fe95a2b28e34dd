// tiersight web UI: small progressive enhancements; every page works without this file.
"use strict";

// What the pages' own scripts share: following screenings until they finish.
window.tiersight = {
  labels: { queued: "Queued", running: "Running", done: "Done", failed: "Failed" },

  // Every 1.5 s, the status of the screenings `ids()` names, each handed to `update`; stops once `ids()`
  // names none. A failed request (the server restarting) is tried again at the next tick.
  follow(ids, update, firstDelay = 1500) {
    async function poll() {
      const wanted = ids();
      if (!wanted.length) return;
      try {
        const query = wanted.map((id) => "ids=" + encodeURIComponent(id)).join("&");
        const response = await fetch("/ui/screenings/status.json?" + query, { credentials: "same-origin" });
        if (response.ok) {
          for (const screening of (await response.json()).screenings) update(screening);
        }
      } catch (error) {
        // try again at the next tick
      }
      setTimeout(poll, 1500);
    }
    setTimeout(poll, firstDelay);
  },

  // A screening's status badge, "lines done of total" and progress bar inside `box`.
  showProgress(box, screening) {
    const badge = box.querySelector("[data-field=status]");
    badge.textContent = window.tiersight.labels[screening.status] || screening.status;
    badge.className = "badge " + screening.status;
    box.querySelector("[data-field=progress]").textContent = screening.progress;
    const bar = box.querySelector("progress");
    bar.max = screening.lines_total || 1;
    bar.value = screening.lines_done;
  },
};

document.addEventListener("DOMContentLoaded", () => {
  // Forms with data-confirm ask before they post (bulk decisions, deletions).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
