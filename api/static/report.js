// The report page of a screening not done yet: its progress is asked for every 1.5 s, and the page
// reloads (showing the report) once the screening is done or failed. Without this file, reloading works.
"use strict";
(() => {
  const box = document.getElementById("pending");
  if (!box || box.dataset.status === "failed") return;
  const labels = { queued: "Queued", running: "Running", done: "Done", failed: "Failed" };
  async function poll() {
    try {
      const response = await fetch("/ui/screenings/status.json?ids=" + encodeURIComponent(box.dataset.id), {
        credentials: "same-origin",
      });
      if (response.ok) {
        const found = (await response.json()).screenings[0];
        if (found) {
          if (found.finished) {
            window.location.reload();
            return;
          }
          const badge = box.querySelector("[data-field=status]");
          badge.textContent = labels[found.status] || found.status;
          badge.className = "badge " + found.status;
          box.querySelector("[data-field=progress]").textContent = found.progress;
          const bar = box.querySelector("progress");
          bar.max = found.lines_total || 1;
          bar.value = found.lines_done;
        }
      }
    } catch (error) {
      // the server restarting: try again at the next tick
    }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 1500);
})();
