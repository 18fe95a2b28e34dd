// Upload page: drop a file on the drop zone, and preview with fetch so that the file stays in the form
// (the corrected mapping is then submitted without choosing the file again). Without this script the
// form posts to the same URLs and the server keeps a small file in the page instead.
"use strict";
(() => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("file");
  const zone = document.getElementById("dropzone");
  const preview = document.getElementById("preview");
  const status = document.getElementById("preview-status");
  let pending = null;

  async function showPreview() {
    if (pending) pending.abort();
    pending = new AbortController();
    preview.setAttribute("aria-busy", "true");
    try {
      const response = await fetch("/ui/upload/preview?fragment=true", {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        signal: pending.signal,
      });
      const type = response.headers.get("content-type") || "";
      if ((response.ok || response.status === 422) && type.startsWith("text/html") && !response.redirected) {
        preview.innerHTML = await response.text();
        const said = document.getElementById("upload-error") || document.getElementById("preview-summary");
        status.textContent = said ? "Preview updated. " + said.textContent.replace(/\s+/g, " ").trim() : "";
        if (input.files.length) input.removeAttribute("required");
        const direct = document.getElementById("submit-direct");
        if (direct) direct.hidden = Boolean(document.getElementById("preview-title"));
      } else {
        form.submit(); // expired session or form: let the server answer with a page
      }
    } catch (error) {
      if (error.name !== "AbortError") form.submit();
    } finally {
      preview.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (button && button.hasAttribute("data-preview")) {
      event.preventDefault();
      showPreview();
    }
  });
  // A new file: the old preview (and its mapping, made for another file) goes, the new one comes.
  input.addEventListener("change", () => {
    preview.innerHTML = "";
    const direct = document.getElementById("submit-direct");
    if (direct) direct.hidden = false;
    if (input.files.length) showPreview();
  });
  // A corrected field: preview again, so the problems listed follow the mapping.
  preview.addEventListener("change", (event) => {
    if (event.target.matches("select[name=field]")) showPreview();
  });

  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
