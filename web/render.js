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

/**
 * Fills a message's text element with its markdown, mentions of me highlighted: `me` my name,
 * `meId` my user id (welcome's user), which the server's resolved mentions carry whatever the
 * spelling typed ("@Ann").
 */
function paintText(el, item, me, meId) {
  el.textContent = "";
  el.appendChild(renderMarkdown(item.text, { mentions: item.mentions, mentionRoom: item.mention_room, me, meId }));
}

/**
 * Builds one message row. `item` is {from, text, time, seq?, pending?, mentions?}; `me` is my
 * name. The header (avatar, name, time) is always in the DOM so screen readers hear who spoke; in
 * a group it is only hidden from sight by CSS.
 * Icons, drawn as strokes on a 24×24 grid (currentColor), so they follow the theme. Each is a
 * list of path data.
 */
const ICONS = {
  react: ["M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z", "M8.5 14.5s1.3 2 3.5 2 3.5-2 3.5-2", "M9 9.5h.01M15 9.5h.01"],
  reply: ["M10 6 4 11.5l6 5.5", "M4 11.5h10a6 6 0 0 1 6 6V19"],
  link: ["M10 14a4 4 0 0 0 5.7 0l3.1-3.1a4 4 0 0 0-5.7-5.7l-1.2 1.2", "M14 10a4 4 0 0 0-5.7 0l-3.1 3.1a4 4 0 0 0 5.7 5.7l1.2-1.2"],
  edit: ["M4 20h4L19.5 8.5a2.8 2.8 0 0 0-4-4L4 16z", "M13.5 6.5l4 4"],
  delete: ["M4 7h16", "M9 7V4h6v3", "M6 7l1 13h10l1-13", "M10 11v5M14 11v5"],
  thread: ["M4 5h16v11H10l-6 4z"],
  // A private room's mark: drawn, not the 🔒 character, which a system without an emoji
  // font showed as an empty box.
  lock: ["M5 11h14v10H5z", "M8 11V8a4 4 0 0 1 8 0v3"],
};

/** An icon from ICONS, size px square (18 unless given), hidden from screen readers (its button carries the words). */
function icon(name, size = 18) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  for (const d of ICONS[name]) {
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
    svg.appendChild(path);
  }
  return svg;
}

/** A button that app.js handles by its data-action (one listener for every row). */
function actionButton(action, label, iconName, className) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className || "msg-action";
  b.dataset.action = action;
  b.setAttribute("aria-label", label);
  b.title = label;
  if (iconName) b.appendChild(icon(iconName));
  return b;
}

/**
 * The actions of a stored message, shown on hover, on focus and after a long press: a toolbar
 * (one Tab stop; the arrow keys move within it). Edit and Delete are shown for one's own
 * messages only (paintMessage).
 */
function actionBar() {
  const bar = document.createElement("div");
  bar.className = "msg-actions";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "Message actions");
  bar.append(
    actionButton("pick", "Add a reaction", "react"),
    actionButton("reply", "Reply", "reply"),
    actionButton("link", "Copy link to message", "link"),
    actionButton("edit", "Edit", "edit"),
    actionButton("delete", "Delete", "delete"),
  );
  return bar;
}

/** Collapses text into one line of at most max characters. */
function snippet(text, max = 100) {
  const line = String(text || "").replace(/\s+/g, " ").trim();
  const chars = Array.from(line);
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : line;
}

/** Elements after which plain text needs a space (markdown's blocks and line breaks). */
const BLOCK_ELEMENTS = new Set(["P", "DIV", "LI", "PRE", "BLOCKQUOTE", "BR", "UL", "OL"]);

/**
 * A message's markdown as one line of plain text, at most max characters: what it reads as,
 * without its markers, for a reply's quote, the reply bar and notifications. Only the start of
 * a long text is rendered.
 */
function plainSnippet(text, max = 100) {
  const frag = renderMarkdown(String(text || "").slice(0, max * 4));
  let out = "";
  const walk = (node) => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === Node.TEXT_NODE) out += n.data;
      else if (n.nodeType === Node.ELEMENT_NODE) {
        walk(n);
        if (BLOCK_ELEMENTS.has(n.tagName)) out += " ";
      }
    }
  };
  walk(frag);
  return snippet(out, max);
}

/**
 * A message as one line of plain text (plainSnippet), or, for a message of files alone, their
 * names: "📎 plan.pdf, shot.png".
 */
function messageSnippet(m, max = 100) {
  const text = plainSnippet(m.text, max);
  if (text || !Array.isArray(m.attachments) || !m.attachments.length) return text;
  return snippet("📎 " + m.attachments.map((a) => a.name).join(", "), max);
}

/**
 * Whether message m mentions me: by my user id (meId, when known: "@Ann" is ann's mention as the
 * server resolved it) or my name as written, or everyone with @room.
 */
function mentionsMe(m, me, meId) {
  if (!m || m.deleted || !(me || meId)) return false;
  if (m.mention_room) return true;
  return !!mentionOfMe(m, me, meId);
}

/**
 * Whether message m replies to a message of mine: the server adds the author of the message a
 * reply answers to its mentions, marked reply, so a reply counts as a mention of me and its row
 * says "replied to you" rather than pretending the text named me.
 */
function repliesToMe(m, me, meId) {
  const x = m && !m.deleted ? mentionOfMe(m, me, meId) : null;
  return !!(x && x.reply);
}

/** My mention among m's mentions (by user id, else by name), or null. */
function mentionOfMe(m, me, meId) {
  if (!Array.isArray(m.mentions)) return null;
  return m.mentions.find((x) => x && ((!!meId && x.user === meId) || (!!me && (x.user === me || x.name === me)))) || null;
}

/** "ann", "ann and bob", "ann, bob and 2 others". */
function peopleList(names, others) {
  const parts = names.slice();
  if (others > 0) parts.push(others === 1 ? "1 other" : others + " others");
  if (parts.length <= 1) return parts.join("");
  return parts.slice(0, -1).join(", ") + " and " + parts[parts.length - 1];
}

/** Who holds a reaction, in words: "You, ann and 3 others reacted with 👍". */
function reactionWho(x, me) {
  const names = x.me ? ["You"].concat(x.names.filter((n) => n !== me)) : x.names.slice();
  return peopleList(names, Math.max(0, x.count - names.length)) + " reacted with " + x.emoji;
}

/**
 * Builds one message row. `item` is {from, time, seq?, bot?}; `mine` says whether I sent it. The header (avatar, name,
 * time) is always in the DOM so screen readers hear who spoke; in a group it is only hidden from
 * sight by CSS. What a message's state changes (text, quote, reactions, replies, "(edited)") is
 * drawn by paintMessage.
 */
function messageElement(item, mine) {
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
  const time = timeElement(when);
  meta.append(from, " ");
  if (item.bot) {
    // A bot's message (a bot user, an incoming webhook, a slash command's answer) says so, to
    // the eye and to screen readers, so that no one takes it for a person's.
    li.classList.add("bot");
    const badge = document.createElement("span");
    badge.className = "bot-badge";
    badge.textContent = "BOT";
    badge.title = item.from + " is a bot";
    meta.append(badge, " ");
  }
  meta.append(time);
  const text = document.createElement("div");
  text.className = "text"; // paintMessage fills it
  const reactions = document.createElement("div");
  reactions.className = "reactions";
  reactions.hidden = true;
  const replies = actionButton("thread", "", "thread", "thread-link");
  replies.removeAttribute("title");
  replies.appendChild(document.createElement("span"));
  replies.hidden = true;
  body.append(meta, text, reactions, replies);
  li.appendChild(body);

  const gutter = document.createElement("span");
  gutter.className = "gutter-time";
  gutter.setAttribute("aria-hidden", "true");
  gutter.textContent = timeFormat.format(when);
  li.appendChild(gutter);
  return li;
}

/**
 * Draws what a message's state says on its row: the quoted parent of a reply, the text (or the
 * tombstone), "(edited)", mentions of me, the reactions, the reply count, and which actions
 * apply. c is {me, mine, moderator, parent (the quoted message, if held), parentState
 * ("held", "loading" or "missing"), pendingEdit (text or null), inThread}.
 */
function paintMessage(li, m, c) {
  li.classList.toggle("mine", c.mine);
  li.classList.toggle("is-deleted", !!m.deleted);
  li.classList.toggle("mentions-me", !c.mine && mentionsMe(m, c.me, c.meId));
  const body = li.querySelector(".body");
  const meta = body.querySelector(".meta");
  const text = body.querySelector(".text");

  // "(edited)", with the time; a button for those who may see the earlier texts.
  let edited = meta.querySelector(".edited");
  const editedAt = m.edited_at && !m.deleted ? parseTime(m.edited_at) : null;
  const saving = c.pendingEdit !== null && c.pendingEdit !== undefined && !m.deleted;
  if (edited) edited.remove();
  if (editedAt || saving) {
    const canSee = !!m.seq && (c.mine || c.moderator) && !!editedAt && !saving;
    edited = document.createElement(canSee ? "button" : "span");
    edited.className = "edited" + (canSee ? " link-button" : "");
    if (saving) {
      edited.textContent = "(saving…)";
    } else {
      edited.textContent = "(edited)";
      edited.title = "Edited " + fullFormat.format(editedAt);
    }
    if (canSee) {
      edited.type = "button";
      edited.dataset.action = "revisions";
      edited.setAttribute("aria-label", "Edited " + fullFormat.format(editedAt) + ": show earlier versions");
    }
    meta.appendChild(edited);
  }

  // "replied to you" on a reply to a message of mine, which is highlighted as a mention is
  // though its text may not name me.
  let toMe = meta.querySelector(".replied-me");
  if (!c.mine && repliesToMe(m, c.me, c.meId)) {
    if (!toMe) {
      toMe = document.createElement("span");
      toMe.className = "replied-me";
      toMe.textContent = "replied to you";
      meta.appendChild(toMe);
    }
  } else if (toMe) {
    toMe.remove();
  }

  // The quoted parent of a reply: who and a snippet of what, a button that jumps to it.
  let quote = body.querySelector(".quote");
  if (m.reply_to) {
    if (!quote) {
      quote = document.createElement("button");
      quote.type = "button";
      quote.className = "quote";
      quote.dataset.action = "jump-parent";
      const qfrom = document.createElement("span");
      qfrom.className = "quote-from";
      const qtext = document.createElement("span");
      qtext.className = "quote-text";
      quote.append(icon("reply"), qfrom, qtext);
      text.before(quote);
    }
    quote.dataset.target = String(m.reply_to);
    const p = c.parent;
    const qfrom = quote.querySelector(".quote-from");
    const qtext = quote.querySelector(".quote-text");
    qtext.classList.toggle("deleted", !!(p && p.deleted));
    quote.disabled = c.parentState === "missing";
    if (p) {
      qfrom.textContent = p.from;
      qtext.textContent = p.deleted ? "Message deleted" : messageSnippet(p, 120);
      quote.setAttribute("aria-label", "Reply to " + p.from + ": " + qtext.textContent + ". Show that message");
    } else {
      qfrom.textContent = "";
      qtext.textContent = c.parentState === "missing" ? "A message that is no longer available" : "An earlier message";
      quote.setAttribute("aria-label", "Reply to " + qtext.textContent.toLowerCase() + (quote.disabled ? "" : ". Show that message"));
    }
  } else if (quote) {
    quote.remove();
  }

  // The text, or the tombstone.
  text.classList.toggle("deleted", !!m.deleted);
  text.classList.toggle("saving", saving);
  if (m.deleted) text.textContent = "Message deleted";
  else paintText(text, saving ? Object.assign({}, m, { text: c.pendingEdit }) : m, c.me, c.meId);
  paintAttachments(body, m); // files.js

  // Reactions: a chip per emoji (pressed if mine), and a button to add another.
  const box = body.querySelector(".reactions");
  box.textContent = "";
  const list = Array.isArray(m.reactions) ? m.reactions : [];
  for (const x of list) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "reaction";
    chip.dataset.action = "react";
    chip.dataset.emoji = x.emoji;
    chip.setAttribute("aria-pressed", String(!!x.me));
    const who = reactionWho(x, c.me);
    chip.title = who;
    chip.setAttribute("aria-label", x.emoji + " " + x.count + ": " + who);
    chip.disabled = !!m.deleted || !m.seq;
    const emoji = document.createElement("span");
    emoji.className = "emoji";
    emoji.textContent = x.emoji;
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = String(x.count);
    chip.append(emoji, count);
    box.appendChild(chip);
  }
  if (list.length && !m.deleted && m.seq) box.appendChild(actionButton("pick", "Add a reaction", "react", "reaction reaction-add"));
  box.hidden = list.length === 0;

  // The reply count opens the thread (not in the thread panel itself).
  const replies = body.querySelector(".thread-link");
  const n = m.reply_count || 0;
  replies.hidden = !n || !!c.inThread || !m.seq;
  replies.lastChild.textContent = n === 1 ? "1 reply" : n + " replies";
  replies.setAttribute("aria-label", (n === 1 ? "1 reply" : n + " replies") + ": open the thread");

  // The actions that apply to this message, and one Tab stop among them.
  const bar = li.querySelector(".msg-actions");
  if (bar) {
    const show = { pick: !m.deleted, reply: !c.inThread, link: true, edit: c.mine && !m.deleted, delete: c.mine && !m.deleted };
    for (const b of bar.querySelectorAll("[data-action]")) if (b.dataset.action in show) b.hidden = !show[b.dataset.action];
    const mod = bar.querySelector(".mod-button");
    if (mod) mod.hidden = !!m.deleted;
    let first = true;
    for (const b of bar.querySelectorAll("button")) {
      b.tabIndex = !b.hidden && first ? 0 : -1;
      if (!b.hidden) first = false;
    }
  }
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
    // The server's words, with a DM named for its people and times in the reader's own.
    why.textContent = "Not sent" + (p.error ? " — " + roomsNamed(localTimes(p.error)) : "") + ". ";
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
 * Turns a pending row into the stored message m: its seq and the server's time (paintMessage
 * then draws its text as stored, with the mentions the server resolved).
 */
function confirmElement(li, m) {
  li.classList.remove("pending", "failed");
  delete li.dataset.pendingId;
  delete li.dataset.state;
  li.dataset.seq = String(m.seq);
  const status = li.querySelector(".status");
  if (status) status.remove();
  const when = parseTime(m.time);
  li.querySelector(".meta time").replaceWith(timeElement(when));
  li.querySelector(".gutter-time").textContent = timeFormat.format(when);
}

/** A <time> element showing when (a Date): the time of day, the full date and time on hover. */
function timeElement(when) {
  const time = document.createElement("time");
  time.dateTime = when.toISOString();
  time.title = fullFormat.format(when);
  time.textContent = timeFormat.format(when);
  return time;
}

/** Whether b continues a's group: same sender, same day, close in time, neither failed. */
function continuesGroup(a, b) {
  if (!a || !b || a.from !== b.from) return false;
  const ta = parseTime(a.time);
  const tb = parseTime(b.time);
  return dayKey(ta) === dayKey(tb) && tb - ta < GROUP_GAP_MS && tb - ta > -GROUP_GAP_MS;
}
