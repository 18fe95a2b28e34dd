// Live progress on the screenings page: every 1.5 s, the rows not yet done or failed are asked for.
"use strict";
(() => {
  const table = document.getElementById("screenings");
  if (!table) return;
  window.tiersight.follow(
    () => [...table.querySelectorAll("tr[data-finished='false']")].map((tr) => tr.dataset.id),
    (s) => {
      const tr = table.querySelector(`tr[data-id="${s.id}"]`);
      if (!tr) return;
      window.tiersight.showProgress(tr, s);
      if (!s.finished) return;
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
    },
  );
})();
