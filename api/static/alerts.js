// Alerts: email subscriptions take flag events only (the completion checkbox is disabled for them), and
// while a webhook delivery is about to be attempted the delivery logs refresh themselves every 2 s.
// The page works without this file (the server explains a refused form; a reload shows new attempts).
"use strict";
(() => {
  const form = document.getElementById("add-subscription");
  if (form) {
    const webhookOnly = form.querySelector("input[data-webhook-only]");
    const target = form.querySelector("#target");
    const sync = () => {
      const email = form.querySelector("#kind-email").checked;
      if (webhookOnly) {
        webhookOnly.disabled = email;
        if (email) webhookOnly.checked = false;
      }
      target.type = email ? "email" : "url";
      target.placeholder = email ? "compliance@example.com" : "https://erp.example.com/hooks/tiersight";
    };
    for (const radio of form.querySelectorAll("input[name=kind]")) radio.addEventListener("change", sync);
    sync();
  }

  let rounds = 0;
  const live = () => document.querySelector("details.log[data-live='true']") !== null;
  async function refresh() {
    rounds += 1;
    try {
      const response = await fetch(window.location.pathname + window.location.search, { credentials: "same-origin" });
      if (response.ok && response.headers.get("content-type").startsWith("text/html")) {
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
        for (const log of document.querySelectorAll("details.log[data-log]")) {
          const next = fresh.querySelector(`details.log[data-log="${CSS.escape(log.dataset.log)}"]`);
          if (!next) continue;
          const focused = log.contains(document.activeElement);
          if (focused) continue; // never pull a button from under the keyboard
          log.innerHTML = next.innerHTML;
          log.dataset.live = next.dataset.live;
        }
      }
    } catch (error) {
      // the server restarting: try again at the next tick
    }
    if (live() && rounds < 90) setTimeout(refresh, 2000);
  }
  if (live()) setTimeout(refresh, 2000);
})();
