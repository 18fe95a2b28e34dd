// Live progress on the screenings page: every 1.5 s, the rows not yet done or failed are asked for.
"use strict";
(() => {
  const table = document.getElementById("screenings");
  if (!table) return;
  const labels = { queued: "Queued", running: "Running", done: "Done", failed: "Failed" };
  async function poll() {
    const open = [...table.querySelectorAll("tr[data-finished='false']")];
    if (!open.length) return;
    const query = open.map((tr) => "ids=" + encodeURIComponent(tr.dataset.id)).join("&");
    try {
      const response = await fetch("/ui/screenings/status.json?" + query, { credentials: "same-origin" });
      if (response.ok) {
        for (const s of (await response.json()).screenings) {
          const tr = table.querySelector(`tr[data-id="${s.id}"]`);
          if (!tr) continue;
          const badge = tr.querySelector("[data-field=status]");
          badge.textContent = labels[s.status] || s.status;
          badge.className = "badge " + s.status;
          tr.querySelector("[data-field=progress]").textContent = s.progress;
          const bar = tr.querySelector("progress");
          bar.max = s.lines_total || 1;
          bar.value = s.lines_done;
          if (s.finished) {
            tr.dataset.finished = "true";
            const cell = tr.querySelector("[data-field=report]");
            if (s.status === "done") {
              cell.innerHTML = "";
              const link = document.createElement("a");
              link.href = "/ui/screenings/" + encodeURIComponent(s.id);
              link.textContent = "Open report";
              cell.appendChild(link);
            } else {
              cell.textContent = s.error || "failed";
              cell.className = "error";
            }
          }
        }
      }
    } catch (error) {
      // the server restarting: try again at the next tick
    }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 1500);
})();
