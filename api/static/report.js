// The report page of a screening not done yet: its progress is asked for every 1.5 s, and the page
// reloads (showing the report) once the screening is done or failed. Without this file, reloading works.
"use strict";
(() => {
  const box = document.getElementById("pending");
  if (!box || box.dataset.status === "failed") return;
  let waiting = true;
  window.tiersight.follow(
    () => (waiting ? [box.dataset.id] : []),
    (screening) => {
      if (screening.finished) {
        waiting = false;
        window.location.reload();
      } else {
        window.tiersight.showProgress(box, screening);
      }
    },
  );
})();
