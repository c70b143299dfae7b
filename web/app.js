// app.js — the chat page: wires ChatClient (chat-protocol.js) to the DOM, using the builders in
// render.js and the page furniture in page.js. Loaded last, with defer, so the DOM and the other
// scripts are ready.
//
// The page keeps little state of its own: which room is in view, what each room has been read up
// to, and the DOM elements already built for each room. Everything about the conversation itself
// lives in the ChatClient, which the page redraws from whenever it reports a change.
"use strict";

// The key proves to the server that a reconnecting tab is the same person as the connection it
// has not yet noticed is dead, so a name is never locked out by its own ghost (protocol.md).
let identityKey = saved.get("key");
if (!identityKey) {
  identityKey = randomHex(16);
  saved.set("key", identityKey);
}

// A host app that signs its users in hands the page a token (protocol.md, Tokens) in the URL
// fragment, /#token=… or /#room&token=…, which browsers never send to a server. It is read once,
// kept in memory only (never in localStorage), and removed from the address bar and the history
// at once. A host app may instead set the hubbub_token cookie, which the browser sends with the
// WebSocket upgrade by itself.
const fragmentToken = (function takeToken() {
  const rest = [];
  let token = "";
  for (const part of location.hash.replace(/^#/, "").split("&")) {
    if (part.startsWith("token=")) {
      try {
        token = decodeURIComponent(part.slice(6));
      } catch (e) {
        token = part.slice(6);
      }
    } else if (part) {
      rest.push(part);
    }
  }
  if (token) history.replaceState(history.state, "", location.pathname + location.search + (rest.length ? "#" + rest.join("&") : ""));
  return token;
})();

// With a token the server names us, so the page never asks for a name. (An HttpOnly cookie is
// invisible here: the page then asks for a name, which the server ignores in favour of the token.)
const tokenMode = !!fragmentToken || /(?:^|;\s*)hubbub_token=/.test(document.cookie);

const client = new ChatClient({
  url: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws",
  key: identityKey,
  token: fragmentToken,
});

const ui = {
  name: saved.get("name") || "",
  active: "",
  /** @type {string[]} rooms in sidebar order, remembered across visits */
  rooms: [],
  /** @type {Map<string, number>} */
  unread: new Map(),
  /** @type {Record<string, number>} room → highest seq the user has had in view */
  lastRead: saved.json("lastRead", {}),
  /** @type {Map<string, Map<string, HTMLElement>>} room → key → element, reused across redraws */
  views: new Map(),
  /** @type {Map<string, HTMLLIElement>} room → its sidebar entry */
  roomItems: new Map(),
};

/** Our name as the server confirmed it (it may have been normalised), else as typed. */
function me() {
  return client.me || ui.name;
}

function saveRooms() {
  saved.set("rooms", JSON.stringify(ui.rooms));
}

/** Persists read positions, only for rooms still in the list, so storage does not grow forever. */
function saveLastRead() {
  const keep = {};
  for (const r of ui.rooms) if (ui.lastRead[r] !== undefined) keep[r] = ui.lastRead[r];
  saved.set("lastRead", JSON.stringify(keep));
}

// --- rooms ---------------------------------------------------------------------------------------

/** The room named by the URL fragment (/#room is a deep link), or "". */
function roomFromHash() {
  let h = location.hash.replace(/^#/, "");
  try {
    h = decodeURIComponent(h);
  } catch (e) {
    /* keep it raw; validation below rejects it */
  }
  return h;
}

/** Brings a room into view, joining it first if needed. Returns false for an invalid name. */
function selectRoom(name) {
  if (!ROOM_NAME.test(name)) {
    showNotice("“" + name + "” is not a room name: use up to 64 letters, digits, - _ or ., starting with a letter or digit.");
    return false;
  }
  client.addRoom(name);
  if (!ui.rooms.includes(name)) {
    ui.rooms.push(name);
    saveRooms();
  }
  const changed = ui.active !== name;
  ui.active = name;
  $("room-title").textContent = "#" + name;
  $("messages").setAttribute("aria-label", "Messages in #" + name);
  $("composer-label").textContent = "Message #" + name;
  $("composer-input").placeholder = "Message #" + name;
  if (changed) $("jump").hidden = true;
  renderRooms();
  renderMessages({ toBottom: changed });
  renderMembers();
  renderTyping();
  markRead(name);
  return true;
}

/** Leaves a room and forgets it; leaving the room in view moves to the first remaining one. */
function leaveRoom(name) {
  client.leaveRoom(name);
  ui.rooms = ui.rooms.filter((r) => r !== name);
  ui.views.delete(name);
  ui.unread.delete(name);
  delete ui.lastRead[name];
  const li = ui.roomItems.get(name);
  if (li) li.remove();
  ui.roomItems.delete(name);
  saveRooms();
  saveLastRead();
  if (ui.active === name) {
    const next = ui.rooms[0] || "lobby";
    if (location.hash.replace(/^#/, "") === next) selectRoom(next);
    else location.hash = next;
  } else {
    renderRooms();
  }
}

/** A room counts as read only when its messages are actually on screen. */
function isViewing(room) {
  return room === ui.active && document.visibilityState === "visible";
}

/** Clears a room's unread count and remembers how far it was read, for the next visit. */
function markRead(room) {
  const r = client.rooms.get(room);
  if (r && r.maxSeq > (ui.lastRead[room] || 0)) {
    ui.lastRead[room] = r.maxSeq;
    saveLastRead();
  }
  if (ui.unread.get(room)) {
    ui.unread.set(room, 0);
    renderRooms();
  }
}

function renderRooms() {
  const list = $("room-list");
  let total = 0;
  ui.rooms.forEach((name, i) => {
    let li = ui.roomItems.get(name);
    if (!li) {
      li = roomItem(name);
      ui.roomItems.set(name, li);
    }
    // Reuse entries rather than rebuild the list, so keyboard focus survives incoming messages.
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    const n = ui.unread.get(name) || 0;
    total += n; // the room in view counts too while the tab is hidden
    const link = li.querySelector(".room-link");
    const badge = li.querySelector(".unread");
    li.classList.toggle("active", name === ui.active);
    li.classList.toggle("has-unread", n > 0);
    if (name === ui.active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
    badge.hidden = n === 0;
    badge.firstChild.textContent = n > 99 ? "99+" : String(n);
    badge.dataset.count = String(n);
    const r = client.rooms.get(name);
    li.classList.toggle("error", !!(r && r.error));
    li.querySelector(".room-leave").hidden = ui.rooms.length < 2;
  });
  const tb = $("rooms-toggle-badge");
  tb.hidden = total === 0;
  tb.textContent = total > 99 ? "99+" : String(total);
  document.title = (total ? "(" + total + ") " : "") + "#" + ui.active + " · hubbub";
}

/** Builds a sidebar entry: a link to #room (so Enter, middle-click and history work) and a leave button. */
function roomItem(name) {
  const li = document.createElement("li");
  li.className = "room";
  li.dataset.room = name;
  const a = document.createElement("a");
  a.className = "room-link";
  a.href = "#" + name;
  const hash = document.createElement("span");
  hash.className = "hash";
  hash.setAttribute("aria-hidden", "true");
  hash.textContent = "#";
  const label = document.createElement("span");
  label.className = "room-name";
  label.textContent = name;
  const badge = document.createElement("span");
  badge.className = "unread";
  badge.hidden = true;
  const hidden = document.createElement("span");
  hidden.className = "visually-hidden";
  hidden.textContent = " unread";
  badge.append(document.createTextNode("0"), hidden);
  a.append(hash, label, badge);
  a.addEventListener("click", () => closeDrawers());
  const leave = document.createElement("button");
  leave.type = "button";
  leave.className = "room-leave";
  leave.setAttribute("aria-label", "Leave #" + name);
  leave.title = "Leave #" + name;
  leave.textContent = "×";
  leave.addEventListener("click", () => leaveRoom(name));
  li.append(a, leave);
  return li;
}

// --- messages ------------------------------------------------------------------------------------

/** The element cache of a room. */
function viewOf(room) {
  let v = ui.views.get(room);
  if (!v) {
    v = new Map();
    ui.views.set(room, v);
  }
  return v;
}

/**
 * Redraws the message list of the room in view. Elements are cached per room and only moved,
 * added or removed, so the log's live region announces new messages only, and a long list costs
 * a walk, not a rebuild.
 *
 * opts.toBottom scrolls to the newest message; opts.prepended keeps the visible messages in place
 * while older ones appear above them.
 */
function renderMessages(opts = {}) {
  const r = client.rooms.get(ui.active);
  if (!r) return;
  const box = $("messages");
  const list = $("message-list");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
  const fromBottom = box.scrollHeight - box.scrollTop;
  const view = viewOf(r.name);
  const mine = me();

  const items = r.sorted().map((m) => ({ key: "s" + m.seq, m, p: null }));
  for (const p of r.pending.values()) items.push({ key: "p" + p.id, m: { from: mine, text: p.text, time: p.time }, p });
  const want = [];
  const keys = new Set();
  let prev = null;
  let prevDay = "";
  for (const it of items) {
    const when = parseTime(it.m.time);
    const dk = "d" + dayKey(when);
    if (dk !== prevDay) {
      if (!view.has(dk)) view.set(dk, dayDivider(when));
      want.push(view.get(dk));
      keys.add(dk);
      prevDay = dk;
      prev = null;
    }
    let el = view.get(it.key);
    const wasPending = !el && it.m.client_id && it.m.from === mine && view.get("p" + it.m.client_id);
    if (wasPending) {
      // Our own message, acknowledged: the row already on screen becomes the stored message
      // rather than being replaced, so it does not flicker or get announced a second time.
      el = wasPending;
      view.delete("p" + it.m.client_id);
      confirmElement(el, it.m);
      view.set(it.key, el);
    } else if (!el) {
      el = messageElement(it.m, it.m.from === mine);
      view.set(it.key, el);
    }
    if (it.p) {
      const p = it.p;
      paintPending(el, p, () => client.retry(r.name, p.id), () => client.discard(r.name, p.id));
    }
    el.classList.toggle("cont", continuesGroup(prev, it.m));
    want.push(el);
    keys.add(it.key);
    prev = it.p && it.p.state === "failed" ? null : it.m;
  }

  let cursor = list.firstChild;
  for (const el of want) {
    if (el === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(el, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
  for (const k of view.keys()) if (!keys.has(k)) view.delete(k);

  if (opts.prepended) box.scrollTop = box.scrollHeight - fromBottom;
  else if (atBottom || opts.toBottom) box.scrollTop = box.scrollHeight;
  else if (opts.appended) $("jump").hidden = false;
  renderHistoryBar(r);
  // A short list gives no scrollbar to pull older messages with, so fetch until one appears.
  if (box.scrollHeight <= box.clientHeight + 8) requestOlder();
}

/** Says what lies above the first message: more to load, the beginning of the room, or why it is empty. */
function renderHistoryBar(r) {
  const btn = $("load-older");
  const note = $("history-note");
  btn.hidden = !(r.joined && r.hasOlder() && !r.loadingHistory);
  $("fix-name").hidden = tokenMode || !(r.error && r.error.code === "name_taken");
  if (r.error) note.textContent = "Could not join #" + r.name + ": " + r.error.message;
  else if (r.loadingHistory) note.textContent = "Loading older messages…";
  else if (!r.joined) note.textContent = client.state === "live" ? "Joining #" + r.name + "…" : "";
  else if (r.hasOlder()) note.textContent = "";
  else if (r.messages.size || r.pending.size) note.textContent = "This is the beginning of #" + r.name + ".";
  else note.textContent = "No messages in #" + r.name + " yet. Say hello!";
}

/** Asks for the page before the oldest message shown, unless one is on its way or there is none. */
function requestOlder() {
  const r = client.rooms.get(ui.active);
  if (r && client.loadOlder(r.name)) renderHistoryBar(r);
}

function scrollToBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
  $("jump").hidden = true;
}

// --- members and typing --------------------------------------------------------------------------

/** Redraws the member list. It holds no focusable elements, so a rebuild loses nothing. */
function renderMembers() {
  const r = client.rooms.get(ui.active);
  const members = r ? r.members : [];
  const list = $("member-list");
  list.textContent = "";
  for (const name of members) {
    const li = document.createElement("li");
    li.className = "member";
    li.dataset.name = name;
    const av = document.createElement("span");
    av.setAttribute("aria-hidden", "true");
    paintAvatar(av, name);
    const label = document.createElement("span");
    label.className = "member-name";
    label.textContent = name;
    li.append(av, label);
    if (name === me()) {
      const you = document.createElement("span");
      you.className = "you";
      you.textContent = "(you)";
      li.append(" ", you);
    }
    list.appendChild(li);
  }
  // A crowded room lists only some names (and announces no arrivals); its size comes from
  // the server's count, kept up to date only while the room is small enough to list.
  const count = String(Math.max(members.length, (r && r.memberCount) || 0));
  $("member-count").textContent = count;
  $("members-toggle-count").textContent = count;
}

/** Shows who is typing; names stay for CHAT_TIMING.typingShown after their last notice. */
function renderTyping() {
  const names = client.typists(ui.active);
  const el = $("typing");
  let text = "";
  if (names.length === 1) text = names[0] + " is typing…";
  else if (names.length === 2) text = names[0] + " and " + names[1] + " are typing…";
  else if (names.length > 2) text = "Several people are typing…";
  if (el.textContent !== text) el.textContent = text;
}

// --- connection state ----------------------------------------------------------------------------

const STATE_TEXT = { idle: "Not connected", connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…" };

/** Shows the connection state; the status region announces changes of state, not the countdown. */
function renderStatus() {
  const st = client.state;
  const box = $("conn-status");
  box.dataset.state = st;
  box.dataset.attempt = String(client.attempt);
  $("conn").dataset.state = st;
  $("conn-text").textContent = STATE_TEXT[st] || st;
  const waiting = st === "reconnecting" && client.timers.reconnect !== 0;
  $("reconnect-now").hidden = !waiting;
  const secs = Math.max(0, Math.ceil((client.retryAt - Date.now()) / 1000));
  // The countdown is for eyes only; announcing every second would drown a screen reader.
  $("conn-detail").textContent = waiting && secs > 0 ? "in " + secs + " s" : "";
}

// --- the name dialog -----------------------------------------------------------------------------

/** Checks a name as the server will (protocol.md, Identity), to explain a problem before connecting. */
function validName(name) {
  if (!name) return "Please enter a name.";
  if (new TextEncoder().encode(name).length > 32) return "That name is too long (32 bytes at most).";
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "Names cannot contain control characters.";
  return "";
}

/** Opens the name prompt: on a first visit, on "Change name", or when the server refused the name. */
function openNameDialog(error) {
  const dlg = $("name-dialog");
  $("name-input").value = ui.name;
  $("name-error").textContent = error || "";
  $("name-cancel").hidden = !ui.name || !!error;
  $("name-title").textContent = ui.name ? "Change your name" : "Welcome to hubbub";
  $("name-submit").textContent = ui.name ? "Save" : "Start chatting";
  if (!dlg.open) dlg.showModal();
  $("name-input").focus();
}

/** Takes a new name and reconnects with it: a connection says hello once. */
function setName(name) {
  ui.name = name;
  saved.set("name", name);
  paintAvatar($("me-avatar"), name);
  $("me-name").textContent = name;
  client.start(name);
}

// --- events from the client ----------------------------------------------------------------------

client.addEventListener("status", renderStatus);

client.addEventListener("welcome", () => {
  if (tokenMode) {
    // The token's name, as the server says it; kept for this page only.
    ui.name = client.me;
    paintAvatar($("me-avatar"), client.me);
    $("me-name").textContent = client.me;
  }
  const input = $("composer-input");
  if (client.limits && client.limits.max_text) input.maxLength = client.limits.max_text;
  renderMembers();
});

client.addEventListener("joined", (ev) => {
  const { room, frame, error } = ev.detail;
  // On the first visit to a room its backlog counts as read, not as a wall of unread messages.
  if (frame && ui.lastRead[room] === undefined) {
    ui.lastRead[room] = frame.last_seq || 0;
    saveLastRead();
  }
  if (error) {
    if (error.code === "bad_room") {
      showNotice("Cannot join #" + room + ": " + error.message);
      leaveRoom(room);
      return;
    }
    const hint = error.code === "name_taken" ? " Change your name to join it." : "";
    showNotice("Cannot join #" + room + ": " + String(error.message).replace(/\.$/, "") + "." + hint);
  }
  renderRooms();
  if (room === ui.active) renderMessages();
});

client.addEventListener("messages", (ev) => {
  const { room, added, kind } = ev.detail;
  if (kind !== "history") {
    const read = ui.lastRead[room] || 0;
    let fresh = 0;
    for (const m of added) if (m.seq > read && m.from !== me()) fresh++;
    if (isViewing(room)) markRead(room);
    else if (fresh) {
      ui.unread.set(room, (ui.unread.get(room) || 0) + fresh);
      renderRooms();
    }
  }
  if (room === ui.active) {
    renderMessages({ prepended: kind === "history", appended: kind === "live" });
    renderTyping();
  }
});

client.addEventListener("deleted", (ev) => {
  // Rebuild that one row: the cached element still holds the old text.
  const { room, seq } = ev.detail;
  const view = viewOf(room);
  const el = view.get("s" + seq);
  if (el) {
    el.remove();
    view.delete("s" + seq);
  }
  if (room === ui.active) renderMessages();
});

client.addEventListener("pending", (ev) => {
  if (ev.detail.room === ui.active) renderMessages();
});

client.addEventListener("history", (ev) => {
  if (ev.detail.room === ui.active) renderMessages({ prepended: true });
});

client.addEventListener("members", (ev) => {
  if (ev.detail.room === ui.active) renderMembers();
});

client.addEventListener("typing", (ev) => {
  if (ev.detail.room === ui.active) renderTyping();
});

client.addEventListener("left", (ev) => {
  if (ev.detail.room === ui.active) renderMessages();
});

client.addEventListener("problem", (ev) => {
  const { code, message, request } = ev.detail;
  // Typing notices are best effort: being told to slow them down is not worth a banner.
  if (request === "typing") return;
  if (code === "not_joined" || code === "unavailable") return; // handled by rejoining / retry
  showNotice(message || code);
});

client.addEventListener("name-rejected", (ev) => {
  if (tokenMode) {
    // A new name would not help: the sign-in token itself was refused (expired, say).
    showNotice("Could not sign in: " + (ev.detail.message || ev.detail.code) + ". Reopen the chat from the site that sent you here.");
    return;
  }
  openNameDialog("The server did not accept that name: " + (ev.detail.message || ev.detail.code));
});

// --- events from the person ----------------------------------------------------------------------

$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("composer-input");
  const text = input.value.trim();
  if (!text) return;
  const max = client.limits && client.limits.max_text;
  if (max && new TextEncoder().encode(text).length > max) {
    showNotice("That message is too long: " + max + " bytes at most.");
    return;
  }
  client.send(ui.active, text);
  input.value = "";
  autoGrow(input);
  scrollToBottom();
});

$("composer-input").addEventListener("keydown", (ev) => {
  // Enter sends; Shift+Enter is a new line; an IME composing text needs its Enter for itself.
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    ev.preventDefault();
    $("composer").requestSubmit();
  }
});

$("composer-input").addEventListener("input", (ev) => {
  autoGrow(ev.target);
  if (ev.target.value.trim()) client.typing(ui.active);
});

/** Grows the composer with its text, up to a limit set in CSS (max-height). */
function autoGrow(el) {
  el.style.height = "auto";
  el.style.height = el.scrollHeight + "px";
}

$("join-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("join-input");
  const name = input.value.trim().replace(/^#/, "");
  if (!name) return;
  if (!ROOM_NAME.test(name)) {
    selectRoom(name); // shows why
    return;
  }
  input.value = "";
  closeDrawers();
  if (roomFromHash() === name) selectRoom(name);
  else location.hash = name;
  $("composer-input").focus();
});

$("messages").addEventListener("scroll", () => {
  const box = $("messages");
  if (box.scrollTop < 120) requestOlder();
  if (box.scrollHeight - box.scrollTop - box.clientHeight < 48) $("jump").hidden = true;
});

$("load-older").addEventListener("click", requestOlder);
$("jump").addEventListener("click", () => {
  scrollToBottom();
  $("composer-input").focus();
});
$("reconnect-now").addEventListener("click", () => client.reconnectNow());
$("rename").addEventListener("click", () => openNameDialog());
$("fix-name").addEventListener("click", () => openNameDialog());

$("name-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const name = $("name-input").value.trim();
  const problem = validName(name);
  if (problem) {
    $("name-error").textContent = problem;
    $("name-input").focus();
    return;
  }
  $("name-dialog").close();
  if (name !== ui.name || client.state === "idle") setName(name);
  $("composer-input").focus();
});

$("name-cancel").addEventListener("click", () => $("name-dialog").close());

$("name-dialog").addEventListener("cancel", (ev) => {
  // Without a name there is nothing to show behind the dialog, so it cannot be dismissed.
  if (!ui.name || client.state === "idle") ev.preventDefault();
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && ui.active) markRead(ui.active);
});

window.addEventListener("hashchange", () => selectRoom(roomFromHash() || "lobby"));

// A page kept in the back/forward cache would otherwise keep its socket, and its user would
// look present in every room; leave properly, and come back (catching up with since) on return.
window.addEventListener("pagehide", () => client.pause());
window.addEventListener("pageshow", (ev) => {
  if (ev.persisted && tokenMode) client.start("");
  else if (ev.persisted && ui.name) client.start(ui.name);
});

// The browser knows before any timeout when the network comes back.
window.addEventListener("online", () => client.reconnectNow());

// Typing notices expire and the reconnect countdown ticks without any event to redraw them.
setInterval(() => {
  renderTyping();
  if (client.state === "reconnecting") renderStatus();
}, 1000);

// --- start ---------------------------------------------------------------------------------------

(function start() {
  if (!window.WebSocket) {
    $("conn-text").textContent = "This browser does not support WebSockets.";
    return;
  }
  // A first visit joins only the room it was sent to (a deep link), or lobby.
  ui.rooms = saved.json("rooms", []).filter((r) => typeof r === "string" && ROOM_NAME.test(r));
  for (const r of ui.rooms) client.addRoom(r);
  if (!selectRoom(roomFromHash() || "lobby")) selectRoom("lobby");
  renderStatus();
  if (tokenMode) {
    $("rename").hidden = true;
    client.start("");
  } else if (ui.name) {
    setName(ui.name);
  } else {
    openNameDialog();
  }
})();
