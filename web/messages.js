// messages.js — what a person does with a message (react, reply, edit, delete, copy its link,
// open its thread) and what the page does for one (quote its parent, jump to it, notify a
// mention of me). Loaded before app.js: these functions use app.js's globals (client, ui, me,
// renderMessages, …) only when they run, after every script has loaded.
"use strict";

/** The emoji the reaction picker offers, with the words a screen reader says for each. */
const FREQUENT_EMOJI = [
  ["👍", "thumbs up"],
  ["❤️", "heart"],
  ["😂", "laughing"],
  ["🎉", "party"],
  ["😮", "surprised"],
  ["😢", "sad"],
  ["👀", "eyes"],
  ["🙏", "thank you"],
];

/** How long a finger rests on a message before its actions show (touch screens). */
const LONG_PRESS_MS = 500;

/** How many pages of history a jump to an old message may load before it gives up. */
const JUMP_MAX_PAGES = 40;

/** What the message features keep about the page, apart from app.js's ui. */
const msgUI = {
  /** The message being edited in place: {room, seq, row, form, returnFocus}. */
  editing: null,
  /** The message the main composer replies to: {room, seq}. */
  replyTo: null,
  /** The open thread panel: {room, parent, view: Map<key, element>, opener}. */
  thread: null,
  /** A message to bring into view once it is loaded: {room, seq, pages}. */
  jump: null,
  /** The emoji picker: {opener, room, seq}. */
  picker: null,
  /** The message whose revisions were asked for: {room, seq}. */
  revisions: null,
  /** A touch resting on a message: {row, x, y, timer}. */
  press: null,
};

/** The last paint key of each row (paintRow): a row is redrawn only when its state changed. */
const paintedAs = new WeakMap();

// --- drawing rows ---------------------------------------------------------------------------------

/**
 * What paintMessage needs to know about message m of room r besides m itself. A reply whose
 * parent is not held asks for the parent, which redraws the row when it comes.
 */
function paintContext(r, m, inThread) {
  const mine = me();
  let parent = null;
  let parentState = "held";
  if (m.reply_to) {
    parent = r.get(m.reply_to) || null;
    if (!parent) {
      parentState = r.missing.has(m.reply_to) ? "missing" : "loading";
      client.fetchMessage(r.name, m.reply_to);
    }
  }
  return {
    me: mine,
    meId: client.user ? client.user.id : "",
    mine: m.from === mine,
    moderator: canModerateRoom(r.name),
    parent,
    parentState,
    pendingEdit: m.seq ? client.pendingEdit(r.name, m.seq) : null,
    inThread: !!inThread,
  };
}

/** Draws message m's state on its row, unless the row already shows exactly that. */
function paintRow(el, r, m, inThread) {
  if (m.seq) ensureActions(el);
  const c = paintContext(r, m, inThread);
  const key = [m.version || 0, c.parent ? c.parent.version : c.parentState, c.pendingEdit, c.me, c.meId, c.moderator].join("\u0000");
  if (paintedAs.get(el) === key) return;
  paintedAs.set(el, key);
  paintMessage(el, m, c);
}

/** Gives a stored message's row its actions (once), with the moderation menu for moderators. */
function ensureActions(el) {
  let bar = el.querySelector(".msg-actions");
  if (!bar) {
    bar = actionBar();
    el.appendChild(bar);
  }
  if (canModerateRoom(roomOfRow(el)) && !bar.querySelector(".mod-button")) {
    bar.appendChild(modButton("Moderate " + el.dataset.from + "’s message"));
    paintedAs.delete(el); // the toolbar's Tab stop is chosen in paintMessage
  }
}

/** The row of message seq in the room in view (main list), or null. */
function rowOf(room, seq) {
  const el = viewOf(room).get("s" + seq);
  return el && el.isConnected ? el : null;
}

/** The room a row belongs to: the thread's for rows in the thread panel, else the room in view. */
function roomOfRow(row) {
  return row.closest("#thread") && msgUI.thread ? msgUI.thread.room : ui.active;
}

// --- actions on a message -------------------------------------------------------------------------

document.addEventListener("click", (ev) => {
  const b = ev.target.closest && ev.target.closest("[data-action]");
  if (!b || b.disabled) return;
  const row = b.closest(".msg");
  if (!row || !row.dataset.seq) return; // the moderation menu's items have actions too
  const room = roomOfRow(row);
  const seq = Number(row.dataset.seq);
  switch (b.dataset.action) {
    case "pick":
      openPicker(b, room, seq);
      break;
    case "react":
      react(room, seq, b.dataset.emoji);
      break;
    case "reply":
      startReply(room, seq);
      break;
    case "link":
      copyLink(room, seq, b);
      break;
    case "edit":
      startEdit(room, seq, row, b);
      break;
    case "delete":
      confirmDelete(room, seq, row, b);
      break;
    case "thread":
      openThread(room, seq, b);
      break;
    case "jump-parent":
      jumpTo(room, Number(b.dataset.target));
      break;
    case "revisions":
      msgUI.revisions = { room, seq, opener: b };
      if (!client.revisions(room, seq)) showNotice("Not connected: try again when the status says Live.");
      break;
  }
});

/** Toggles my reaction, or says why it cannot be sent. */
function react(room, seq, emoji) {
  if (!emoji) return;
  if (!client.react(room, seq, emoji)) showNotice("You are not in " + roomPhrase(room) + ".");
}

// The toolbar of a message is one Tab stop: the arrow keys, Home and End move within it.
document.addEventListener("keydown", (ev) => {
  const bar = ev.target.closest && ev.target.closest(".msg-actions");
  if (!bar || !["ArrowLeft", "ArrowRight", "Home", "End"].includes(ev.key)) return;
  const buttons = Array.from(bar.querySelectorAll("button")).filter((b) => !b.hidden);
  const i = buttons.indexOf(ev.target);
  if (i < 0) return;
  ev.preventDefault();
  let next = i;
  if (ev.key === "ArrowLeft") next = (i + buttons.length - 1) % buttons.length;
  else if (ev.key === "ArrowRight") next = (i + 1) % buttons.length;
  else if (ev.key === "Home") next = 0;
  else next = buttons.length - 1;
  for (const b of buttons) b.tabIndex = -1;
  buttons[next].tabIndex = 0;
  buttons[next].focus();
});

// On a touch screen a long press shows a message's actions (there is no hover).
document.addEventListener("pointerdown", (ev) => {
  const row = ev.target.closest && ev.target.closest(".msg[data-seq]");
  if (!row || !row.contains(ev.target) || !row.querySelector(".msg-actions")) {
    if (!(ev.target.closest && ev.target.closest(".msg-actions, .menu"))) hideTouchActions();
    return;
  }
  if (ev.pointerType !== "touch") return;
  cancelPress();
  if (!row.classList.contains("show-actions")) hideTouchActions();
  msgUI.press = { row, x: ev.clientX, y: ev.clientY, timer: setTimeout(() => showTouchActions(row), LONG_PRESS_MS) };
});
document.addEventListener("pointermove", (ev) => {
  const p = msgUI.press;
  if (p && Math.hypot(ev.clientX - p.x, ev.clientY - p.y) > 10) cancelPress(); // a scroll, not a press
});
document.addEventListener("pointerup", cancelPress);
document.addEventListener("pointercancel", cancelPress);
document.addEventListener("contextmenu", (ev) => {
  // A long press opens the browser's menu too: the message's own actions replace it.
  const row = ev.target.closest && ev.target.closest(".msg.show-actions");
  if (row && !ev.target.closest("a")) ev.preventDefault();
});

function cancelPress() {
  if (msgUI.press) clearTimeout(msgUI.press.timer);
  msgUI.press = null;
}

function showTouchActions(row) {
  msgUI.press = null;
  hideTouchActions();
  if (!row.isConnected) return;
  row.classList.add("show-actions");
  if (navigator.vibrate) navigator.vibrate(10);
}

function hideTouchActions() {
  for (const el of document.querySelectorAll(".msg.show-actions")) el.classList.remove("show-actions");
}

// --- the reaction picker --------------------------------------------------------------------------

/** Places a popup menu beside the button that opened it, inside the window. */
function placeMenu(menu, button) {
  const at = button.getBoundingClientRect();
  const w = menu.offsetWidth;
  const h = menu.offsetHeight;
  const left = Math.max(8, Math.min(at.right - w, innerWidth - w - 8));
  const top = at.bottom + 4 + h > innerHeight - 8 ? Math.max(8, at.top - 4 - h) : at.bottom + 4;
  menu.style.left = left + "px";
  menu.style.top = top + "px";
}

/** Opens the emoji picker for message seq beside the button that asked for it. */
function openPicker(button, room, seq) {
  const again = msgUI.picker && msgUI.picker.opener === button;
  closePicker(false);
  if (again) return;
  const menu = $("emoji-menu");
  menu.textContent = "";
  const r = client.rooms.get(room);
  const m = r && r.get(seq);
  const mineNow = new Set(m ? m.reactions.filter((x) => x.me).map((x) => x.emoji) : []);
  for (const [emoji, words] of FREQUENT_EMOJI) {
    const item = document.createElement("button");
    item.type = "button";
    item.setAttribute("role", "menuitemcheckbox");
    item.setAttribute("aria-checked", String(mineNow.has(emoji)));
    item.dataset.emoji = emoji;
    item.setAttribute("aria-label", (mineNow.has(emoji) ? "Remove " : "React with ") + words);
    item.title = words;
    item.textContent = emoji;
    item.tabIndex = -1;
    menu.appendChild(item);
  }
  msgUI.picker = { opener: button, room, seq };
  menu.hidden = false;
  button.setAttribute("aria-expanded", "true");
  placeMenu(menu, button);
  menu.firstChild.tabIndex = 0;
  menu.firstChild.focus();
}

/** Closes the picker; the focus goes back to its button if refocus. */
function closePicker(refocus) {
  const menu = $("emoji-menu");
  const p = msgUI.picker;
  msgUI.picker = null;
  menu.hidden = true;
  if (!p) return;
  p.opener.removeAttribute("aria-expanded");
  if (refocus && p.opener.isConnected) p.opener.focus();
}

$("emoji-menu").addEventListener("click", (ev) => {
  const item = ev.target.closest("[data-emoji]");
  const p = msgUI.picker;
  if (!item || !p) return;
  closePicker(true);
  react(p.room, p.seq, item.dataset.emoji);
});

$("emoji-menu").addEventListener("keydown", (ev) => {
  const items = Array.from($("emoji-menu").children);
  const i = items.indexOf(document.activeElement);
  const step = { ArrowRight: 1, ArrowDown: 4, ArrowLeft: -1, ArrowUp: -4 }[ev.key];
  if (ev.key === "Escape" || ev.key === "Tab") {
    if (ev.key === "Escape") {
      ev.preventDefault();
      ev.stopPropagation();
    }
    closePicker(ev.key === "Escape");
  } else if (step) {
    ev.preventDefault();
    const next = items[(i + step + items.length * 4) % items.length];
    for (const it of items) it.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  } else if (ev.key === "Home" || ev.key === "End") {
    ev.preventDefault();
    items[ev.key === "Home" ? 0 : items.length - 1].focus();
  }
});

document.addEventListener("click", (ev) => {
  if (!msgUI.picker) return;
  if ($("emoji-menu").contains(ev.target) || msgUI.picker.opener.contains(ev.target)) return;
  closePicker(false);
});

// --- replying -------------------------------------------------------------------------------------

/** Makes the main composer answer message seq: the next message sent replies to it. */
function startReply(room, seq) {
  if (room !== ui.active) return;
  msgUI.replyTo = { room, seq };
  renderReplying();
  $("composer-input").focus();
}

/** The seq the main composer replies to in the room in view, or 0. */
function replyingTo() {
  const rt = msgUI.replyTo;
  return rt && rt.room === ui.active ? rt.seq : 0;
}

function cancelReply(refocus) {
  if (!msgUI.replyTo) return false;
  msgUI.replyTo = null;
  renderReplying();
  if (refocus) $("composer-input").focus();
  return true;
}

/** Shows, above the composer, which message the next one answers. */
function renderReplying() {
  const seq = replyingTo();
  const bar = $("replying");
  const r = client.rooms.get(ui.active);
  const m = seq && r ? r.get(seq) : null;
  bar.hidden = !seq;
  if (!seq) {
    $("composer-input").removeAttribute("aria-describedby");
    $("composer-input").setAttribute("aria-describedby", "composer-help");
    return;
  }
  $("replying-from").textContent = m ? m.from : "a message";
  $("replying-text").textContent = m ? (m.deleted ? "Message deleted" : messageSnippet(m, 120)) : "";
  $("composer-input").setAttribute("aria-describedby", "replying-label composer-help");
}

$("replying-cancel").addEventListener("click", () => cancelReply(true));

// --- editing --------------------------------------------------------------------------------------

/**
 * Opens my message seq for editing in its row: the text becomes a box that saves on Enter and
 * cancels on Escape. returnFocus is where the focus goes afterwards (the composer, for an edit
 * started with the Up arrow there).
 */
function startEdit(room, seq, row, returnFocus) {
  cancelEdit(false);
  const r = client.rooms.get(room);
  const m = r && r.get(seq);
  if (!m || m.deleted || m.from !== me() || !row) return false;
  const form = document.createElement("form");
  form.className = "edit-form";
  const id = "edit-" + seq;
  const label = document.createElement("label");
  label.className = "visually-hidden";
  label.htmlFor = id;
  label.textContent = "Edit your message";
  const input = document.createElement("textarea");
  input.id = id;
  input.rows = 1;
  const pending = client.pendingEdit(room, seq);
  input.value = pending !== null ? pending : m.text;
  // No maxLength (see the composer's, app.js): saving checks the bytes and says so.
  const actions = document.createElement("div");
  actions.className = "edit-actions";
  const hint = document.createElement("span");
  hint.className = "edit-hint key-hint";
  hint.id = id + "-hint";
  hint.textContent = "Enter to save · Escape to cancel";
  input.setAttribute("aria-describedby", hint.id);
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "link-button";
  cancel.textContent = "Cancel";
  cancel.addEventListener("click", () => cancelEdit(true));
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "primary small";
  save.textContent = "Save";
  actions.append(hint, cancel, save);
  form.append(label, input, actions);
  watchLength(input); // counter.js: the bytes left as the text nears the server's limit
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    saveEdit();
  });
  watchMentions(input, () => room);
  input.addEventListener("keydown", (ev) => {
    if (mentionKey(ev)) return; // the @name list's keys first (mentions.js)
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      saveEdit();
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      ev.stopPropagation();
      cancelEdit(true);
    }
  });
  input.addEventListener("input", () => autoGrow(input));
  row.querySelector(".text").after(form);
  row.classList.add("editing");
  msgUI.editing = { room, seq, row, form, returnFocus: returnFocus || document.activeElement };
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
  autoGrow(input);
  if (row.closest("#messages")) row.scrollIntoView({ block: "nearest" });
  return true;
}

/** Sends the edit being made, if it changes anything, and closes the box. */
function saveEdit() {
  const e = msgUI.editing;
  if (!e) return;
  const text = e.form.querySelector("textarea").value.trim();
  const r = client.rooms.get(e.room);
  const m = r && r.get(e.seq);
  if (!text) {
    // A message of files alone had no text to begin with: nothing changed.
    if (m && !m.text && Array.isArray(m.attachments) && m.attachments.length) cancelEdit(true);
    else showNotice("A message cannot be empty: delete it instead.");
    return;
  }
  const max = client.limits && client.limits.max_text;
  const bytes = max ? textBytes(text) : 0;
  if (bytes > max) {
    showNotice(tooLongText(bytes, max));
    return;
  }
  if (m && !m.deleted && text !== (client.pendingEdit(e.room, e.seq) ?? m.text)) client.edit(e.room, e.seq, text);
  cancelEdit(true);
}

/** Closes the edit box without saving; the focus goes back where it came from if refocus. */
function cancelEdit(refocus) {
  const e = msgUI.editing;
  if (!e) return;
  msgUI.editing = null;
  if (e.form.contains(mentionSuggest.input)) hideMentions(); // a box taken away sends no blur
  const hadFocus = e.form.contains(document.activeElement);
  e.form.remove();
  e.row.classList.remove("editing");
  if (!refocus && !hadFocus) return;
  const back = e.returnFocus;
  if (back && back.isConnected && back.getClientRects().length) back.focus();
  else $("composer-input").focus();
}

/** Edits my newest message in the room in view (the Up arrow in an empty composer). */
function editLastMessage() {
  const r = client.rooms.get(ui.active);
  if (!r) return false;
  const mine = me();
  const list = r.sorted();
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i];
    if (m.from === mine && !m.deleted) return startEdit(ui.active, m.seq, rowOf(ui.active, m.seq), $("composer-input"));
  }
  return false;
}

// --- deleting -------------------------------------------------------------------------------------

/** Asks before deleting my message (the moderation dialog, which moderators use for anyone's). */
function confirmDelete(room, seq, row, opener) {
  const r = client.rooms.get(room);
  const m = r && r.get(seq);
  const text = row.querySelector(".text");
  modMenu.opener = opener;
  const excerpt = m ? messageSnippet(m, 200) : text ? text.textContent : "";
  openModDialog("delete", { room, seq, name: row.dataset.from, excerpt, own: row.dataset.from === me() });
}

// --- links to messages ----------------------------------------------------------------------------

/** The address of message seq of room: the page with #room/seq, which opens it in view. */
function messageLink(room, seq) {
  return location.origin + location.pathname + "#" + room + "/" + seq;
}

/** Copies a message's link to the clipboard, or shows it to copy by hand where that fails. */
async function copyLink(room, seq, button) {
  const url = messageLink(room, seq);
  let ok = false;
  try {
    await navigator.clipboard.writeText(url);
    ok = true;
  } catch (e) {
    // No clipboard API (a page served over plain http on a LAN is not a secure context), or
    // no permission: the old way still works in most browsers.
    const ta = document.createElement("textarea");
    ta.value = url;
    ta.setAttribute("readonly", "");
    ta.className = "clipboard-helper";
    document.body.appendChild(ta);
    ta.select();
    try {
      ok = document.execCommand("copy");
    } catch (e2) {
      ok = false;
    }
    ta.remove();
    if (button && button.isConnected) button.focus();
  }
  showNotice(ok ? "Link to the message copied: " + url : "Copy the link to the message: " + url, { kind: "info" });
}

/** Brings message seq of room into view once it is loaded, paging back through history if needed. */
function jumpTo(room, seq) {
  if (!(seq > 0)) return;
  msgUI.jump = { room, seq, pages: 0 };
  tryJump();
}

/** Takes the jump asked for a step further: scrolls to the message, asks for older ones, or gives up. */
function tryJump() {
  const j = msgUI.jump;
  if (!j || j.room !== ui.active) return;
  const r = client.rooms.get(j.room);
  if (!r || !r.joined || r.replayLeft > 0) return; // the messages are still coming
  const row = rowOf(j.room, j.seq);
  if (row) {
    msgUI.jump = null;
    if (msgUI.thread && window.matchMedia("(max-width: 1023px)").matches) closeThread(false);
    row.scrollIntoView({ block: "center" });
    row.classList.remove("flash");
    void row.offsetWidth; // restart the animation
    row.classList.add("flash");
    row.tabIndex = -1;
    row.focus({ preventScroll: true });
    $("jump").hidden = true;
    return;
  }
  if (r.loadingHistory) return;
  if ((r.messages.size === 0 || j.seq < r.minSeq) && r.hasOlder() && j.pages < JUMP_MAX_PAGES) {
    j.pages++;
    if (client.loadOlder(r.name, j.seq)) renderHistoryBar(r);
    return;
  }
  msgUI.jump = null;
  // Past the room's newest entry the message never was (a typo, a link from another server):
  // "not … any more" read as if it had been deleted.
  const never = j.seq > Math.max(r.since, r.lastSeq);
  showNotice(never ? "There is no message " + j.seq + " in " + roomPhrase(j.room) + "." :
    "That message is not in " + roomPhrase(j.room) + " any more.", { kind: "info" });
}

// --- the thread panel -----------------------------------------------------------------------------

/** Opens the replies to message parent in the side panel, where one can reply. */
function openThread(room, parent, opener) {
  closeThread(false);
  msgUI.thread = { room, parent, view: new Map(), opener: opener || document.activeElement };
  client.loadThread(room, parent);
  $("thread").hidden = false;
  $("app").classList.add("thread-open");
  renderThread();
  $("thread-input").focus();
}

/** Closes the thread panel; the focus goes back to what opened it if refocus. */
function closeThread(refocus) {
  const th = msgUI.thread;
  if (!th) return;
  msgUI.thread = null;
  if (msgUI.editing && msgUI.editing.row.closest("#thread")) cancelEdit(false);
  $("thread").hidden = true;
  $("app").classList.remove("thread-open");
  $("thread-parent").textContent = "";
  $("thread-list").textContent = "";
  if (refocus) {
    if (th.opener && th.opener.isConnected && th.opener.getClientRects().length) th.opener.focus();
    else $("composer-input").focus();
  }
}

/** Redraws the thread panel from the room's state: the parent, its replies, the pending ones. */
function renderThread() {
  const th = msgUI.thread;
  if (!th) return;
  const r = client.rooms.get(th.room);
  const parent = r && r.get(th.parent);
  if (!r || !parent) {
    closeThread(false);
    return;
  }
  const t = r.threads.get(th.parent) || { replies: [], more: false, loading: false, loaded: false };
  const mine = me();
  const keys = new Set();
  const row = (key, m, pending) => {
    let el = th.view.get(key);
    if (!el && m.client_id && m.from === mine) {
      const was = th.view.get("p" + m.client_id);
      if (was) {
        // My reply, acknowledged: its row stays, as in the main list.
        th.view.delete("p" + m.client_id);
        confirmElement(was, m);
        el = was;
      }
    }
    if (!el) el = messageElement(m, m.from === mine);
    th.view.set(key, el);
    keys.add(key);
    if (pending) paintPending(el, pending, waitingFor(r), () => client.retry(r.name, pending.id), () => client.discard(r.name, pending.id));
    paintRow(el, r, m, true);
    return el;
  };

  syncList($("thread-parent"), [row("s" + parent.seq, parent, null)]);
  const rows = [];
  for (const seq of t.replies) {
    const m = r.get(seq);
    if (m) rows.push(row("s" + seq, m, null));
  }
  for (const p of r.pending.values()) {
    if (p.replyTo === th.parent) rows.push(row("p" + p.id, { from: mine, text: p.text, time: p.time, reply_to: p.replyTo, attachments: p.attachments }, p));
  }
  const body = $("thread-body");
  const atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 48;
  syncList($("thread-list"), rows);
  for (const k of th.view.keys()) if (!keys.has(k)) th.view.delete(k);

  const n = Math.max(parent.reply_count || 0, t.replies.length);
  $("thread-count").textContent = n === 1 ? "1 reply" : n ? n + " replies" : t.loaded ? "No replies yet" : "";
  $("thread-more").hidden = !(t.loaded && t.more && !t.loading);
  $("thread-loading").hidden = !t.loading;
  $("thread-title-room").textContent = roomLabel(th.room);
  if (atBottom) body.scrollTop = body.scrollHeight;
}

/** Makes list hold exactly els, in order, moving only what must move (focus survives). */
function syncList(list, els) {
  let cursor = list.firstChild;
  for (const el of els) {
    if (el === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(el, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

$("thread-close").addEventListener("click", () => closeThread(true));
$("thread-more").addEventListener("click", () => {
  if (msgUI.thread && client.loadThread(msgUI.thread.room, msgUI.thread.parent)) renderThread();
});
$("thread").addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && !ev.defaultPrevented && $("emoji-menu").hidden) {
    ev.preventDefault();
    ev.stopPropagation();
    closeThread(true);
  }
});

$("thread-composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const th = msgUI.thread;
  const input = $("thread-input");
  const text = input.value.trim();
  if (!th || !text) return;
  const refused = client.sendRefusal(th.room, text, { replyTo: th.parent });
  if (refused) {
    showNotice(refused);
    return;
  }
  askForNotificationsOnce();
  client.send(th.room, text, { replyTo: th.parent });
  input.value = "";
  autoGrow(input);
  const body = $("thread-body");
  body.scrollTop = body.scrollHeight;
});

$("thread-input").addEventListener("keydown", (ev) => {
  if (mentionKey(ev)) return; // the @name list's keys first (mentions.js)
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    ev.preventDefault();
    $("thread-composer").requestSubmit();
  }
});
$("thread-input").addEventListener("input", (ev) => autoGrow(ev.target));

// --- revisions ------------------------------------------------------------------------------------

/** Shows the texts a message has had, oldest first, when the server sends them. */
function showRevisions(room, seq, revisions) {
  const want = msgUI.revisions;
  if (!want || want.room !== room || want.seq !== seq) return;
  const list = $("revisions-list");
  list.textContent = "";
  revisions.forEach((rev, i) => {
    const li = document.createElement("li");
    const when = parseTime(rev.time);
    const time = document.createElement("time");
    time.dateTime = when.toISOString();
    time.textContent = fullFormat.format(when) + (i === revisions.length - 1 ? " (current)" : "");
    const text = document.createElement("div");
    text.className = "revision-text";
    text.textContent = rev.text;
    li.append(time, text);
    list.appendChild(li);
  });
  const dlg = $("revisions-dialog");
  if (!dlg.open) dlg.showModal();
  $("revisions-close").focus();
}

$("revisions-close").addEventListener("click", () => $("revisions-dialog").close());
$("revisions-dialog").addEventListener("close", () => {
  const want = msgUI.revisions;
  msgUI.revisions = null;
  if (want && want.opener && want.opener.isConnected) want.opener.focus();
});

// --- notifications --------------------------------------------------------------------------------

/**
 * Asks once, ever, whether the page may show notifications. Browsers let a page ask only from a
 * person's gesture, so this runs when they send their first message, not on arrival.
 */
function askForNotificationsOnce() {
  if (!("Notification" in window) || Notification.permission !== "default" || saved.get("notificationsAsked")) return;
  saved.set("notificationsAsked", "1");
  try {
    const asked = Notification.requestPermission();
    if (asked && asked.catch) asked.catch(() => {});
  } catch (e) {
    /* an old browser's callback form: nothing to do */
  }
}

/**
 * Shows a browser notification for a new message of room that mentions me, or of a direct
 * message, while the tab is hidden and the person allowed them. Clicking it brings the message
 * into view.
 */
function notifyMention(room, m) {
  if (document.visibilityState !== "hidden" || !("Notification" in window) || Notification.permission !== "granted") return;
  const info = myRoom(room);
  let title = m.from + (client.repliesToMe(m) ? " replied to you in " : " mentioned you in ") + roomPhrase(room);
  if (!client.mentionsMe(m) && isDM(room)) {
    // "ann wrote to you"; in a DM of more people, which one ("… in your conversation with ann, bob").
    title = m.from + (info && info.people.length > 1 ? " wrote in " + roomPhrase(room) : " wrote to you");
  }
  try {
    // One notification per room at a time: a burst of mentions replaces, not piles up.
    const n = new Notification(title, { body: messageSnippet(m, 160), tag: "hubbub-mention-" + room });
    n.onclick = () => {
      window.focus();
      location.hash = room + "/" + m.seq;
      n.close();
    };
  } catch (e) {
    /* some mobile browsers show notifications from a service worker only */
  }
}
