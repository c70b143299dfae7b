// render.js — builds the DOM for messages, separators and avatars.
//
// Every piece of text that came from another person goes into the page through textContent or a
// text node, never through innerHTML: a message is data, and must not be able to become markup
// or script however it is written. A message's text is markdown source, which markdown.js turns
// into the few elements of its safe subset, element by element.
"use strict";

/** Messages from one sender closer together than this share one header. */
const GROUP_GAP_MS = 5 * 60 * 1000;

/** A stable colour class for a name, so people are recognisable at a glance. */
function colorClass(name) {
  let h = 2166136261; // FNV-1a: short names that differ by one letter still land far apart
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return "c" + ((h >>> 0) % 8);
}

/** Fills an avatar element with a name's initial and colour. */
function paintAvatar(el, name) {
  el.className = "avatar " + colorClass(name || "?");
  el.textContent = Array.from((name || "?").trim())[0] || "?";
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });

/** Parses a server time, falling back to now so a bad value never breaks a whole list. */
function parseTime(t) {
  const d = t instanceof Date ? t : new Date(t);
  return isNaN(d.getTime()) ? new Date() : d;
}

/** The local calendar day of a date, as a key. */
function dayKey(d) {
  return d.getFullYear() + "-" + (d.getMonth() + 1) + "-" + d.getDate();
}

/** "Today", "Yesterday" or a date, for separators. */
function dayLabel(d) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(d) === dayKey(today)) return "Today";
  if (dayKey(d) === dayKey(yesterday)) return "Yesterday";
  return dayFormat.format(d);
}

/** A separator between days. */
function dayDivider(d) {
  const li = document.createElement("li");
  li.className = "day";
  li.setAttribute("role", "separator");
  const span = document.createElement("span");
  span.textContent = dayLabel(d);
  li.appendChild(span);
  return li;
}

/** Fills a message's text element with its markdown, mentions of `me` (my name) highlighted. */
function paintText(el, item, me) {
  el.textContent = "";
  el.appendChild(renderMarkdown(item.text, { mentions: item.mentions, mentionRoom: item.mention_room, me }));
}

/**
 * Builds one message row. `item` is {from, text, time, seq?, pending?, mentions?}; `me` is my
 * name. The header (avatar, name, time) is always in the DOM so screen readers hear who spoke; in
 * a group it is only hidden from sight by CSS.
 */
function messageElement(item, mine, me) {
  const li = document.createElement("li");
  li.className = "msg" + (mine ? " mine" : "");
  if (item.seq) li.dataset.seq = String(item.seq);
  li.dataset.from = item.from;
  const when = parseTime(item.time);

  const avatar = document.createElement("span");
  paintAvatar(avatar, item.from);
  avatar.setAttribute("aria-hidden", "true");
  li.appendChild(avatar);

  const body = document.createElement("div");
  body.className = "body";
  const meta = document.createElement("div");
  meta.className = "meta";
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = item.from;
  const time = document.createElement("time");
  time.dateTime = when.toISOString();
  time.title = fullFormat.format(when);
  time.textContent = timeFormat.format(when);
  meta.append(from, " ", time);
  const text = document.createElement("div");
  text.className = "text";
  if (item.deleted) {
    text.classList.add("deleted");
    text.textContent = "Message deleted";
  } else {
    paintText(text, item, me);
  }
  body.append(meta, text);
  li.appendChild(body);

  const gutter = document.createElement("span");
  gutter.className = "gutter-time";
  gutter.setAttribute("aria-hidden", "true");
  gutter.textContent = timeFormat.format(when);
  li.appendChild(gutter);
  return li;
}

/**
 * Updates the status line of a pending message: "Sending…"; for one waiting to be sent, what it
 * waits for (`waiting`, such as "will send when connected") with Discard; or "Not sent" with
 * the reason, Retry and Discard. Only a message that will not go by itself says "Not sent".
 */
function paintPending(li, p, waiting, onRetry, onDiscard) {
  li.classList.add("pending");
  li.classList.toggle("failed", p.state === "failed");
  li.dataset.pendingId = p.id;
  li.dataset.state = p.state;
  let status = li.querySelector(".status");
  if (!status) {
    status = document.createElement("div");
    status.className = "status";
    li.querySelector(".body").appendChild(status);
  }
  status.textContent = "";
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "link-button discard";
  discard.textContent = "Discard";
  discard.addEventListener("click", onDiscard);
  if (p.state === "failed") {
    const why = document.createElement("span");
    why.textContent = "Not sent" + (p.error ? " — " + p.error : "") + ". ";
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", onRetry);
    status.append(why, retry, " ", discard);
  } else if (p.state === "queued" && waiting) {
    const why = document.createElement("span");
    why.textContent = waiting.charAt(0).toUpperCase() + waiting.slice(1) + ". ";
    status.append(why, discard);
  } else {
    status.textContent = "Sending…";
  }
}

/**
 * Turns a pending row into the stored message m: its seq, the server's time, and its text as
 * stored, with the mentions the server resolved.
 */
function confirmElement(li, m, me) {
  li.classList.remove("pending", "failed");
  delete li.dataset.pendingId;
  delete li.dataset.state;
  li.dataset.seq = String(m.seq);
  const status = li.querySelector(".status");
  if (status) status.remove();
  const when = parseTime(m.time);
  const time = li.querySelector(".meta time");
  time.dateTime = when.toISOString();
  time.title = fullFormat.format(when);
  time.textContent = timeFormat.format(when);
  li.querySelector(".gutter-time").textContent = timeFormat.format(when);
  paintText(li.querySelector(".text"), m, me);
}

/** Whether b continues a's group: same sender, same day, close in time, neither failed. */
function continuesGroup(a, b) {
  if (!a || !b || a.from !== b.from) return false;
  const ta = parseTime(a.time);
  const tb = parseTime(b.time);
  return dayKey(ta) === dayKey(tb) && tb - ta < GROUP_GAP_MS && tb - ta > -GROUP_GAP_MS;
}
