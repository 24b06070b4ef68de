// The portal's live parts. Every page works without this script; it adds:
// - live resource states: an element with data-live="<events URL>" follows the
//   server-sent `state` events of its resource and updates its [data-status] (a detail
//   page marked data-reload reloads once the resource settles, to show its details);
// - copy buttons: data-copy="<id of the element whose text is copied>";
// - confirmations: a submit button with data-confirm="<question>".
"use strict";

const SETTLED = ["created", "error", "denied", "deleted"];

function follow(element) {
  const source = new EventSource(element.dataset.live);
  source.addEventListener("state", (event) => {
    let record;
    try {
      record = JSON.parse(event.data);
    } catch {
      return;
    }
    const status = element.querySelector("[data-status]");
    if (status && record.status) {
      status.textContent = record.status;
      status.className = "status status-" + record.status;
    }
    if (SETTLED.includes(record.status)) {
      source.close();
      if (element.hasAttribute("data-reload")) {
        window.location.reload();
      }
    }
  });
  source.addEventListener("error", () => source.close());
}

function copy(button) {
  const target = document.getElementById(button.dataset.copy);
  if (!target || !navigator.clipboard) {
    return;
  }
  const text = "value" in target ? target.value : target.textContent;
  navigator.clipboard.writeText(text).then(() => {
    button.textContent = "Copied";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live]").forEach(follow);
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", () => copy(button));
  });
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
});
