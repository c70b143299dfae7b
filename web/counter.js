// counter.js — the length counter of the message boxes (the composer, the thread's reply box and
// the edit box). The server takes messages of up to its welcome's limits.max_text bytes, counted
// after its cleaning (textBytes, chat-protocol.js); the page said so only when Enter was pressed
// (sendRefusal), after the text was written. The counter stays away while a text is short, shows
// the bytes left once it nears the limit, and the bytes over it, as a warning, past it. Sending
// a text too long is still refused, its text kept.
//
// A screen reader hears it only when the text crosses into one of those (near, over, back under
// the limit), not at every key: the figures themselves are hidden from it.
//
// Loaded after chat-protocol.js (textBytes) and before app.js, whose `client` it uses only when
// called; app.js's autoGrow, which every change of a box's text goes through, calls countLength.
"use strict";

/** The share of the server's max_text past which the counter shows. */
const LENGTH_SHOWN_FROM = 0.9;

/** What each box's counter last said, by box: "" (nothing), "near" or "over". */
const lengthZones = new WeakMap();

/**
 * Gives input (a message box) its counter: a figure at the top right of its form, hidden until
 * the text nears the limit, and a polite live region that speaks only when the text crosses
 * into a zone. Idempotent.
 */
function watchLength(input) {
  const form = input.closest("form");
  if (!form || form.querySelector(":scope > .length-count")) return;
  const shown = document.createElement("span");
  shown.className = "length-count";
  shown.setAttribute("aria-hidden", "true");
  shown.hidden = true;
  const said = document.createElement("span");
  said.className = "visually-hidden length-said";
  said.setAttribute("aria-live", "polite");
  form.append(shown, said);
  lengthZones.set(input, "");
  countLength(input);
}

/** Shows input's counter for its text now: hidden, the bytes left near the limit, or over. */
function countLength(input) {
  const form = input.closest("form");
  const shown = form && form.querySelector(":scope > .length-count");
  if (!shown) return;
  const max = (client.limits && client.limits.max_text) || 0;
  // Counting a long text at every key costs little next to laying it out; an empty or short
  // one (3 bytes a UTF-16 unit at most) is not counted at all.
  const bytes = max && input.value.length * 3 > max * LENGTH_SHOWN_FROM ? textBytes(input.value) : 0;
  const zone = !max || bytes <= max * LENGTH_SHOWN_FROM ? "" : bytes > max ? "over" : "near";
  shown.hidden = !zone;
  shown.classList.toggle("over", zone === "over");
  if (zone === "over") input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  if (zone) {
    shown.textContent = zone === "over" ? lengthBytes(bytes - max) + " over" : lengthBytes(max - bytes) + " left";
    shown.title = "This server takes messages of up to " + max.toLocaleString() + " bytes: a letter with an accent counts 2, an emoji 4.";
  }
  const was = lengthZones.get(input) || "";
  if (zone === was) return;
  lengthZones.set(input, zone);
  const said = form.querySelector(":scope > .length-said");
  if (zone === "over") said.textContent = "Too long by " + lengthBytes(bytes - max) + ": shorten it to send.";
  else if (was === "over") said.textContent = "Short enough to send again" + (zone === "near" ? ": " + lengthBytes(max - bytes) + " left." : ".");
  else if (zone === "near") said.textContent = "Near the length limit: " + lengthBytes(max - bytes) + " left.";
  else said.textContent = "";
}

/** "1 byte", "2 bytes", "1,024 bytes". */
function lengthBytes(n) {
  return n.toLocaleString() + (n === 1 ? " byte" : " bytes");
}

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["composer-input", "thread-input"]) watchLength($(id));
  // Another server's welcome may say another limit.
  client.addEventListener("welcome", () => {
    for (const id of ["composer-input", "thread-input"]) countLength($(id));
    const edit = document.querySelector(".edit-form textarea");
    if (edit) countLength(edit);
  });
});
