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
// fragment, /#token=… or /#room&token=…, which browsers never send to a server. It is removed
// from the address bar and the history at once, and kept in sessionStorage, which lasts as long
// as the tab (so a reload signs in again) and is never shared with other tabs or written to
// localStorage. A host app may instead set the hubbub_token cookie, which the browser sends with
// the WebSocket upgrade by itself.
const sessionToken = (function takeToken() {
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
  if (token) {
    history.replaceState(history.state, "", location.pathname + location.search + (rest.length ? "#" + rest.join("&") : ""));
    sessionSaved.set("token", token);
    return token;
  }
  return sessionSaved.get("token") || "";
})();

// With a token the server names us, so the page never asks for a name. (An HttpOnly cookie is
// invisible here: on a server that requires tokens the page connects without a name, people.js
// having learnt from GET /api/me that it does; on one that also takes guests it asks for a name,
// which the server ignores in favour of the token.)
const tokenMode = !!sessionToken || /(?:^|;\s*)hubbub_token=/.test(document.cookie);

// The server names us from a cookie the page cannot read: signed in with an account (a session
// cookie, HttpOnly: learnt from GET /api/me, people.js), or on a server that lets only tokens in
// (--auth token), the host app's hubbub_token cookie if it set one HttpOnly. Either way the page
// asks no name: the server's welcome gives it, or its refusal says to open the chat from the site.
let accountMode = false;

// signedIn: the name is an account's (a session cookie), which changes on the account page, where
// "Change name" leads: the hello's name would be ignored.
let signedIn = false;

const client = new ChatClient({
  url: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws",
  key: identityKey,
  token: sessionToken,
});

const ui = {
  name: saved.get("name") || "",
  /**
   * The name last typed in the name dialog, until a welcome or a refusal answers it; renaming
   * says whether the dialog stays open for that answer (a rename of a live connection).
   */
  asked: { name: "", renaming: false },
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
  /**
   * Where reading starts in the room in view (people.js, dividerOf): "new since you left" above
   * the first message after seq, or, with neverRead, at the first message with no line.
   * @type {{room: string, seq: number, neverRead?: number}|null}
   */
  divider: null,
  /** Whether I moderated the room in view when the room list last changed ({room, yes}). */
  moderatesActive: undefined,
  dividerChecked: false, // the first room list placed the divider of the room opened before it
  /**
   * The stored members of the room in view, with presence (people.js, takeRoster); stale once
   * the connection that brought it is gone, until the next one's roster replaces it. Its
   * sanctions are the room's bans and mutes in force, as the server tells a moderator (null
   * when it does not: every action is offered).
   */
  roster: { room: "", members: [], byName: new Map(), next: "", paging: false, stale: false, sanctions: null },
  readTimer: 0,
  /** @type {{room: string, seq: number}|null} a read position waiting to be sent (people.js) */
  readPending: null,
  rosterTimer: 0,
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

/**
 * The place the URL fragment names: /#room is a deep link to a room, /#room/seq to one of its
 * messages (the links "Copy link" makes). Returns {room, seq}; room is "" and seq 0 if absent.
 */
function placeFromHash() {
  let h = location.hash.replace(/^#/, "");
  try {
    h = decodeURIComponent(h);
  } catch (e) {
    /* keep it raw; validation below rejects it */
  }
  const m = /^(.*)\/(\d{1,15})$/.exec(h);
  return m ? { room: m[1], seq: Number(m[2]) } : { room: h, seq: 0 };
}

/** The room named by the URL fragment, or "". */
function roomFromHash() {
  return placeFromHash().room;
}

/** Brings the room the URL fragment names into view, and the message it names, if any. */
function followHash() {
  const place = placeFromHash();
  if (!selectRoom(place.room || "lobby")) return false;
  if (place.seq) jumpTo(ui.active, place.seq);
  return true;
}

/** Why name is not a room name (ROOM_NAME refused it). */
function roomNameProblem(name) {
  // Say which letters: "Été" starts with a letter, and was told to.
  return "“" + name + "” is not a room name: use up to 64 letters a–z or A–Z (no accents), digits, - _ or ., starting with a letter or digit.";
}

/** Brings a room into view, joining it first if needed. Returns false for an invalid name. */
function selectRoom(name) {
  if (!ROOM_NAME.test(name)) {
    showNotice(roomNameProblem(name));
    return false;
  }
  // A room in the list by another case is that room (room names fold, protocol.md): no
  // round trip to be told so.
  const known = !ui.rooms.includes(name) && ui.rooms.find((r) => r.toLowerCase() === name.toLowerCase());
  if (known) name = known;
  client.addRoom(name);
  if (!ui.rooms.includes(name)) {
    ui.rooms.push(name);
    saveRooms();
  }
  const changed = ui.active !== name;
  ui.active = name;
  // The address names the room in view, whoever brought it there (a search hit, the start):
  // a search hit opened in another room left it naming the room before, and a click on that
  // room's link, which sets the address to what it already was, did nothing.
  if (roomFromHash() !== name) history.replaceState(history.state, "", location.pathname + location.search + "#" + name);
  sessionSaved.set("room", name); // where this tab comes back to from the account pages
  if (changed) {
    $("jump").hidden = true;
    cancelEdit(false);
    closeThread(false);
    msgUI.jump = null;
    // Opening a room with unread messages marks where they start, until another room is opened.
    ui.divider = dividerOf(name);
    ui.roster = { room: "", members: [], byName: new Map(), next: "", paging: false, stale: false, sanctions: null };
    if (client.hasRoomList && client.state === "live") client.askMembers(name, "");
  }
  renderRoomHead();
  renderRooms();
  renderMessages({ toBottom: changed });
  renderMembers();
  renderTyping();
  renderDrafts();
  markRead(name);
  return true;
}

/**
 * Leaves a room and forgets it; leaving the room in view moves to the first remaining one.
 * Unless opts.quiet, a notice offers to undo it.
 */
function leaveRoom(name, opts = {}) {
  const place = ui.rooms.indexOf(name);
  const wasActive = ui.active === name;
  const lastRead = ui.lastRead[name];
  // In the server's list of my rooms, leaving is for good (part), on every device; a private
  // room or a DM cannot be undone (only an invitation brings it back). opts.local: the server
  // already took it out of the list (unroom).
  const info = myRoom(name);
  const closed = !!(info && (info.private || info.dm));
  if (!opts.local && info) client.part(name);
  const label = roomLabel(name);
  const state = client.leaveRoom(name);
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
    if (roomFromHash() === next) selectRoom(next);
    else location.hash = next;
  } else {
    renderRooms();
  }
  if (!opts.quiet && state && closed) {
    showNotice("You left " + label + ".", { kind: "info" });
  } else if (!opts.quiet && state) {
    showNotice("You left #" + name + ".", {
      kind: "info",
      action: { label: "Undo", run: () => undoLeave(state, place, wasActive, lastRead) },
    });
  }
}

/** Takes a room back where it was in the list, joined again, with what was said meanwhile. */
function undoLeave(state, place, wasActive, lastRead) {
  const name = state.name;
  if (!ui.rooms.includes(name)) {
    client.restoreRoom(state);
    ui.rooms.splice(Math.min(place, ui.rooms.length), 0, name);
    if (lastRead !== undefined) ui.lastRead[name] = lastRead;
    saveRooms();
    saveLastRead();
  }
  if (wasActive) {
    if (roomFromHash() === name) selectRoom(name);
    else location.hash = name;
  } else {
    renderRooms();
  }
}

/** A room counts as read only when its messages are actually on screen. */
function isViewing(room) {
  return room === ui.active && document.visibilityState === "visible";
}

/**
 * Clears a room's unread count and remembers how far it was read, for the next visit; with the
 * server's room list, only once the room is scrolled to the bottom, and the server hears it
 * (readActive).
 */
function markRead(room) {
  if (client.hasRoomList) {
    if (room === ui.active) readActive();
    return;
  }
  const r = client.rooms.get(room);
  if (r && r.since > (ui.lastRead[room] || 0)) {
    ui.lastRead[room] = r.since;
    saveLastRead();
  }
  if (ui.unread.get(room)) {
    ui.unread.set(room, 0);
    renderRooms();
  }
}

function renderRooms() {
  const lists = { rooms: $("room-list"), dms: $("dm-list") };
  const at = { rooms: 0, dms: 0 };
  let total = 0;
  let mentioned = 0;
  for (const name of ui.rooms) {
    let li = ui.roomItems.get(name);
    if (!li) {
      li = roomItem(name);
      ui.roomItems.set(name, li);
    }
    // Reuse entries rather than rebuild the list, so keyboard focus survives incoming messages.
    const which = isDM(name) ? "dms" : "rooms";
    const list = lists[which];
    if (list.children[at[which]] !== li) list.insertBefore(li, list.children[at[which]] || null);
    at[which]++;
    const { unread: n, mentions } = countsOf(name);
    total += n; // the room in view counts too while the tab is hidden
    mentioned += mentions;
    const link = li.querySelector(".room-link");
    const badge = li.querySelector(".unread");
    const at_ = li.querySelector(".mentions");
    li.classList.toggle("active", name === ui.active);
    li.classList.toggle("has-unread", n > 0);
    if (name === ui.active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
    badge.hidden = n === 0;
    badge.firstChild.textContent = countText(n);
    badge.dataset.count = String(n);
    at_.hidden = mentions === 0;
    at_.firstChild.textContent = "@" + countText(mentions);
    at_.dataset.count = String(mentions);
    const label = roomLabel(name);
    li.querySelector(".room-name").textContent = label.replace(/^#/, "");
    const info = myRoom(name);
    const mark = isDM(name) ? "@" : info && info.private ? "lock" : "#";
    const hash = li.querySelector(".hash");
    if (hash.dataset.mark !== mark) {
      hash.dataset.mark = mark;
      hash.textContent = mark === "lock" ? "" : mark;
      if (mark === "lock") hash.appendChild(icon("lock", 14));
    }
    li.querySelector(".room-leave").setAttribute("aria-label", "Leave " + label);
    li.querySelector(".room-leave").title = "Leave " + label;
    const r = client.rooms.get(name);
    // A room a moderator keeps us out of is greyed; one that failed for another reason is an error.
    const out = !!(r && (r.removed || (r.error && r.error.code === "banned")));
    li.classList.toggle("out", out);
    li.classList.toggle("error", !!(r && r.error) && !out);
    li.querySelector(".room-leave").hidden = ui.rooms.length < 2;
  }
  for (const which of ["rooms", "dms"]) {
    const list = lists[which];
    while (list.children.length > at[which]) list.lastChild.remove();
  }
  $("dms-empty").hidden = at.dms > 0 || !client.hasRoomList;
  // What needs the server's room list (DMs, the directory, topics) shows once it has one.
  $("app").dataset.people = client.hasRoomList ? "on" : "off";
  ui.drawerCounts = { unread: total, mentions: mentioned };
  renderRoomsToggle();
  document.title = (total ? "(" + countText(total) + ") " : "") + roomLabel(ui.active) + " · hubbub";
}

/**
 * The badge of the button that opens the room drawer on a phone, where the sidebar is out of
 * sight: the unread messages and the invitations waiting in it, red when a message mentions me.
 * An invitation showed only once the drawer was opened, and a mention looked like any message.
 */
function renderRoomsToggle() {
  const { unread, mentions } = ui.drawerCounts || { unread: 0, mentions: 0 };
  let invites = 0;
  for (const info of client.myRooms.values()) if (info.invited) invites++;
  const n = unread + invites;
  const tb = $("rooms-toggle-badge");
  tb.hidden = n === 0;
  tb.textContent = n > 99 ? "99+" : String(n);
  tb.classList.toggle("mention", mentions > 0);
  const say = [];
  if (unread) say.push(countText(unread) + " unread");
  if (mentions) say.push(countText(mentions) + " mentioning you");
  if (invites) say.push(invites === 1 ? "1 invitation" : invites + " invitations");
  // Its number alone says nothing to a screen reader: the button says what it counts.
  $("rooms-toggle").setAttribute("aria-label", say.length ? "Rooms: " + say.join(", ") : "Rooms");
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
  const mentions = document.createElement("span");
  mentions.className = "mentions";
  mentions.hidden = true;
  const mentionsHidden = document.createElement("span");
  mentionsHidden.className = "visually-hidden";
  mentionsHidden.textContent = " mentioning you";
  mentions.append(document.createTextNode("@0"), mentionsHidden);
  a.append(hash, label, mentions, badge);
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
  const waiting = waitingFor(r);

  const items = r.sorted().map((m) => ({ key: "s" + m.seq, m, p: null }));
  if (r.notices.size) {
    // Changes to the room itself go between the messages of their time. One older than the
    // loaded messages waits for the page that reaches them while older messages may exist
    // (a truncated replay left a gap); once there are none, it goes above the first (the
    // invitation and joining before a private room's first message: they vanished as it came).
    for (const [seq, f] of r.notices) {
      if (r.minSeq && seq < r.minSeq && r.hasOlder()) continue;
      items.push({ key: "n" + seq, m: { seq, time: f.time }, p: null, notice: f });
    }
    items.sort((a, b) => a.m.seq - b.m.seq);
  }
  if (r.noticeGaps.size) {
    // Where the server left a span's older notices out, one quiet line heads the span (after
    // the message it starts from), with the day of what follows it: it adds no divider.
    for (const seq of r.noticeGaps) {
      if (r.minSeq && seq < r.minSeq && r.hasOlder()) continue;
      items.push({ key: "g" + seq, m: { seq: seq + 0.5, time: undefined }, p: null, gap: true });
    }
    items.sort((a, b) => a.m.seq - b.m.seq);
    for (let i = items.length - 1, next = null; i >= 0; i--) {
      if (items[i].gap) items[i].m.time = next || (i > 0 ? items[i - 1].m.time : undefined);
      else next = items[i].m.time;
    }
  }
  if (r.commandNotices.length) {
    // What commands showed me alone goes after the entry it came after.
    for (const n of r.commandNotices) items.push({ key: "c" + n.key, m: { seq: n.seq, time: n.time }, p: null, command: n });
    items.sort((a, b) => a.m.seq - b.m.seq);
  }
  if (r.removals.length) {
    // Kicks, which are no entries, go after the entry they came after, as those notices do.
    for (const n of r.removals) {
      if (r.minSeq && n.seq < r.minSeq && r.hasOlder()) continue;
      items.push({ key: "k" + n.key, m: { seq: n.seq, time: n.time }, p: null, removal: n });
    }
    items.sort((a, b) => a.m.seq - b.m.seq);
  }
  const divider = ui.divider && ui.divider.room === r.name ? ui.divider : null;
  let dividerPlaced = false;
  // A room never read opens at its first message, once what is held reaches it: at least as
  // many messages of others as it has unread.
  const startHeld = divider !== null && !!divider.neverRead &&
    r.sorted().filter((m) => !m.deleted && !client.isMine(m)).length >= divider.neverRead;
  let firstUnread = null; // that first message's row
  for (const p of r.pending.values()) {
    items.push({ key: "p" + p.id, m: { from: mine, text: p.text, time: p.time, reply_to: p.replyTo, attachments: p.attachments }, p });
  }
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
    if (it.notice || it.command || it.removal || it.gap) {
      if (!view.has(it.key)) {
        view.set(it.key, it.notice ? noticeElement(it.notice) : it.removal ? removalElement(it.removal) : it.gap ? noticeGapElement() : commandNoticeElement(it.command));
      }
      want.push(view.get(it.key));
      keys.add(it.key);
      prev = null;
      continue;
    }
    const startsUnread = divider !== null && !dividerPlaced && !it.p && it.m.seq > divider.seq && !client.isMine(it.m);
    if (startsUnread && !divider.neverRead) {
      if (!view.has("unread")) view.set("unread", unreadDivider());
      want.push(view.get("unread"));
      keys.add("unread");
      dividerPlaced = true;
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
      paintPending(el, p, waiting, () => client.retry(r.name, p.id), () => client.discard(r.name, p.id));
    }
    if (startsUnread && startHeld) {
      firstUnread = el; // no line: I was never there to leave
      dividerPlaced = true;
    }
    paintRow(el, r, it.m, false);
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

  const dividerEl = firstUnread || (dividerPlaced ? view.get("unread") : null);
  // The room opens where reading starts: when it is opened, or — after a reload, which opens it
  // before the room list says where I read it to, and before its replay has come, a message at
  // a time — at each render until the replay is all there, else the list followed the replay
  // down to its newest message. A live message ends that: it is read where it is.
  const opening = !!dividerEl && (opts.toBottom || divider.opening);
  const moreThanFits = opening && box.scrollHeight - dividerTop(box, dividerEl) > box.clientHeight;
  if (divider && ((dividerEl && !r.replayLeft) || opts.appended)) divider.opening = false;
  if (opts.prepended) box.scrollTop = box.scrollHeight - fromBottom;
  else if (moreThanFits) {
    // More is new than fits: open at the first unread message, which is where reading starts.
    box.scrollTop = Math.max(0, dividerTop(box, dividerEl) - 8);
  } else if (atBottom || opts.toBottom) box.scrollTop = box.scrollHeight;
  else if (opts.appended) $("jump").hidden = false;
  renderHistoryBar(r);
  renderRoomOut(r);
  renderReplying();
  tryJump();
  // A short list gives no scrollbar to pull older messages with, so fetch until one appears.
  if (box.scrollHeight <= box.clientHeight + 8) requestOlder();
}

/** What a queued message in room r waits for, in words; "" when it is about to go. */
function waitingFor(r) {
  if (client.state !== "live") return "will send when connected";
  if (r.removed || r.error) return "will send when you are back in " + roomPhrase(r.name);
  return "";
}

/** Says what lies above the first message: more to load, the beginning of the room, or why it is empty. */
function renderHistoryBar(r) {
  const btn = $("load-older");
  const note = $("history-note");
  btn.hidden = !(r.joined && r.hasOlder() && !r.loadingHistory);
  // A room we are not in says why below, where the composer was (renderRoomOut).
  if (r.error || r.removed) note.textContent = "";
  else if (r.loadingHistory) note.textContent = "Loading older messages…";
  else if (!r.joined) note.textContent = client.state === "live" ? "Joining " + roomPhrase(r.name) + "…" : "";
  else if (r.hasOlder()) note.textContent = "";
  else if (r.messages.size || r.pending.size) note.textContent = "This is the beginning of " + roomPhrase(r.name) + ".";
  else note.textContent = "No messages in " + roomPhrase(r.name) + " yet. Say hello!";
}

/** How the end of a ban or mute is shown: "Dec 2, 2026, 5:40 PM". */
const untilFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * A ban's or mute's end in a sentence: "until Dec 2, 2026, 5:40 PM", or "until lifted" for one
 * with no end (duration "forever": its until is 9999-12-31, protocol.md, Moderation).
 */
function untilText(until) {
  return isUntilLifted(until) ? "until lifted" : "until " + untilFormat.format(until);
}

/**
 * My mutes, by room: when each ends (a Date). Told by the room's sanction_changed of me, and
 * by the server's muted refusal of a send (a mute from before the page joined).
 * @type {Map<string, Date>}
 */
const myMutes = new Map();
let myMuteTimer = 0;

/** Records that I am muted in room until until (a Date; null: not muted), and shows it. */
function noteMyMute(room, until) {
  if (until && !isNaN(until) && until > new Date()) myMutes.set(room, until);
  else myMutes.delete(room);
  if (room === ui.active) renderComposerMute();
}

/** When my mute in room ends, or null when I am not muted there (an ended one is forgotten). */
function mutedUntil(room) {
  const until = myMutes.get(room);
  if (until && until <= new Date()) myMutes.delete(room);
  return myMutes.get(room) || null;
}

/**
 * The composer of the room in view says that I am muted there and until when, its Send
 * disabled, and comes back when the mute ends (a timer) or is lifted (noteMyMute): before,
 * a muted user found out only from the refusal of what they had typed.
 */
function renderComposerMute() {
  const until = mutedUntil(ui.active);
  const input = $("composer-input");
  clearTimeout(myMuteTimer);
  $("send").disabled = !!until;
  input.classList.toggle("muted", !!until);
  if (!until) {
    input.placeholder = "Message " + roomLabel(ui.active);
    return;
  }
  input.placeholder = "You are muted in " + roomPhrase(ui.active) + " " + untilText(until);
  const left = until - Date.now();
  if (left < 2 ** 31 - 1) myMuteTimer = setTimeout(renderComposerMute, left + 50); // setTimeout's longest wait
}

/** Whether a sanction's end (a Date) is the one of a ban or mute until lifted. */
function isUntilLifted(until) {
  return until.getUTCFullYear() >= 9999;
}

/** Turns an RFC 3339 time in a server's message into the reader's local date and time. */
function localTimes(text) {
  return text.replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g, (t) => untilFormat.format(parseTime(t)));
}

/** Capitalises the first letter of a server's message (they are written to follow a colon). */
function sentence(text) {
  text = String(text || "").trim();
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
}

/**
 * What my removal from room by a moderator says (removed: the removed event's, or the room's
 * removed): who, until when for a ban, and why. "You were banned from #general by carol until
 * Dec 7, 2026, 3:30 PM: spam." The kicked error's by, until, reason and api say it; api, or no
 * by with one of the others, is the server API, which names no one ("by a server admin"); a
 * server older than them says it in its message alone (… by a moderator[: banned until
 * TIME][: reason]).
 */
function removedText(room, removed) {
  const where = roomPhrase(room);
  if (removed.by || removed.until || removed.reason || removed.api) {
    const who = moderatorName(removed.by, removed.api);
    const text = removed.until
      ? "You were banned from " + where + " by " + who + " " + untilText(parseTime(removed.until))
      : "You were removed from " + where + " by " + who;
    return sentence(text + (removed.reason ? ": " + removed.reason : ""));
  }
  const m = /by a moderator: ([\s\S]*)$/.exec(removed.message || "");
  const detail = m ? m[1].trim() : "";
  const ban = /^banned until (\S+?)(?:: ([\s\S]*))?$/.exec(detail);
  if (ban) return sentence("A moderator banned you from " + where + " until " + localTimes(ban[1]) + (ban[2] ? ": " + ban[2] : ""));
  return sentence("You were removed from " + where + " by a moderator" + (detail ? ": " + detail : ""));
}

/**
 * In a room we are not in (removed by a moderator, or the join was refused) the composer gives
 * way to a bar that says why and offers to join again: nothing typed there could be sent.
 */
function renderRoomOut(r) {
  let text = "";
  if (r.removed) {
    text = removedText(r.name, r.removed);
  } else if (r.error) {
    const msg = roomsNamed(localTimes(String(r.error.message || r.error.code)));
    text = r.error.code === "banned" || r.error.code === "forbidden" ? sentence(msg) : "Could not join " + roomPhrase(r.name) + ": " + sentence(msg);
  }
  const out = $("room-out");
  const hadFocus = out.contains(document.activeElement);
  out.hidden = !text;
  $("composer").hidden = !!text;
  if (!text) {
    if (hadFocus) $("composer-input").focus();
    return;
  }
  $("room-out-text").textContent = text;
  const nameTaken = !!(r.error && r.error.code === "name_taken");
  $("fix-name").hidden = tokenMode || !nameTaken;
  $("rejoin").textContent = r.removed ? "Join #" + r.name + " again" : "Try again";
  // The server keeps its most rooms: trying again cannot help until its operator raises the cap.
  $("rejoin").hidden = !!(r.error && r.error.code === "limit");
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

/** What the member panel's heading says while the page cannot know who is online. */
const PRESENCE_UNKNOWN = { idle: "not connected", connecting: "connecting…", reconnecting: "reconnecting…" };

/** Redraws the member list. It holds no focusable elements, so a rebuild loses nothing. */
function renderMembers() {
  const r = client.rooms.get(ui.active);
  // Presence comes over a live connection that has joined the room (its joined and presence
  // frames, and the roster it asked for). While the page reconnects it cannot know who is
  // online: the names it last had stay listed, marked unknown in grey, never claimed online,
  // until the server's presence of the new connection replaces them.
  const known = client.state === "live" && !!r && r.joined;
  // Those in the room now (its presence), and the stored members the roster says are connected
  // (online or away) without being in it: a DM's people whose clients have not joined it. They
  // are online, so they are listed as such, never under Offline (people.js, connectedElsewhere).
  const here = r ? r.members : [];
  const elsewhere = connectedElsewhere(here);
  const members = here.concat(elsewhere).sort();
  const list = $("member-list");
  list.textContent = "";
  for (const name of members) {
    const li = document.createElement("li");
    li.className = "member";
    li.dataset.name = name;
    const av = document.createElement("span");
    av.setAttribute("aria-hidden", "true");
    paintAvatar(av, name);
    // The name on a line of its own, its role and "you" under it: beside them, a name of 12
    // letters was cut to "christ…" in the panel's 220 px (and on a phone's drawer).
    const text = document.createElement("span");
    text.className = "member-text";
    const label = document.createElement("span");
    label.className = "member-name";
    label.textContent = name;
    label.title = name; // the whole of a name too long for the panel
    const sub = document.createElement("span");
    sub.className = "member-sub";
    text.append(label, sub);
    li.append(av, text);
    // One listed from a roster of the lost connection is unknown until the new roster comes.
    paintPresence(li, name, known && (here.includes(name) || !ui.roster.stale));
    if (name === me()) {
      const you = document.createElement("span");
      you.className = "you";
      you.textContent = "you";
      sub.append(you);
    } else if (canModerateRoom(ui.active)) {
      li.appendChild(modButton("Moderate " + name));
    }
    const muted = mutedText(name); // "" unless the roster told me, a moderator, of a mute
    if (muted) {
      const note = document.createElement("span");
      note.className = "member-muted";
      note.textContent = muted;
      sub.append(note);
    }
    list.appendChild(li);
  }
  renderOffline(members);
  if (!known) {
    // No count: "2 online" would be a guess. The heading says why instead ("Members,
    // reconnecting…"); a room not joined yet on a live connection says nothing until it is.
    const why = client.state === "live" ? "" : PRESENCE_UNKNOWN[client.state] || PRESENCE_UNKNOWN.reconnecting;
    $("member-count").textContent = why;
    $("members-toggle-count").textContent = "?";
    $("members-toggle").title = why ? "Members: who is online is not known while " + why.replace(/…$/, "") : "Members";
    return;
  }
  // A crowded room lists only some names (and announces no arrivals); its size comes from
  // the server's count, kept up to date only while the room is small enough to list. It
  // counts who is online, where the room browser counts the stored members: each says which.
  const online = here.length + (ui.roster.stale ? 0 : elsewhere.length);
  const count = String(Math.max(online, r.memberCount || 0));
  $("member-count").textContent = count + " online";
  $("members-toggle-count").textContent = count;
  $("members-toggle").title = count + " online";
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
  // Before a name is chosen nothing has tried to connect: there is nothing to report yet.
  $("conn").hidden = !client.started;
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

/**
 * Opens the name prompt: on a first visit, on "Change name", or when the server refused the
 * name; typed is the refused name, shown to be changed (default: my name).
 */
function openNameDialog(error, typed) {
  const dlg = $("name-dialog");
  ui.asked.renaming = false;
  $("name-submit").disabled = false;
  $("name-input").value = typed || ui.name;
  $("name-error").textContent = error || "";
  // Cancel keeps the name the connection has; a refused first name leaves none to keep.
  $("name-cancel").hidden = !ui.name || client.state === "idle";
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

client.addEventListener("status", () => {
  renderStatus();
  // Who is online is the server's to say, over a connection: without one, the roster's
  // presence is of the past (the next connection's roster replaces it), and the member
  // panel says it does not know.
  if (client.state !== "live") ui.roster.stale = true;
  renderMembers();
  if (ui.asked.renaming && client.state === "reconnecting" && client.timers.reconnect !== 0) {
    // The connection that carries the rename failed, and the next try waits: the dialog goes,
    // and the welcome that comes with the connection opens it again if the name was someone
    // else's.
    ui.asked.renaming = false;
    $("name-submit").disabled = false;
    $("name-dialog").close();
  }
  // What a queued message waits for depends on the connection.
  const r = client.rooms.get(ui.active);
  if (r && r.pending.size) renderMessages();
});

client.addEventListener("renamed", (ev) => {
  // Another device of mine said hello with a new name, my account was renamed on the account
  // page, or an operator renamed me: this page takes the name, and a guest's keeps it for its
  // next visit, since saying the old one would rename me back.
  const { name, was } = ev.detail;
  ui.name = name;
  if (!tokenMode && !accountMode) saved.set("name", name);
  paintAvatar($("me-avatar"), name);
  $("me-name").textContent = name;
  showNotice("You are " + name + " now, not “" + was + "”: your name was changed " + (signedIn ? "on the account page" : "on another device") + " or by an operator.", { kind: "info" });
  renderMembers();
  renderMessages();
});

client.addEventListener("welcome", () => {
  // The role decides whether moderation controls are shown (CSS); the server checks every
  // request whatever the page shows.
  $("app").dataset.role = client.role;
  if (tokenMode || accountMode) {
    // The token's or account's name, as the server says it; kept for this page only.
    ui.name = client.me;
    paintAvatar($("me-avatar"), client.me);
    $("me-name").textContent = client.me;
  } else if (client.me && client.me !== ui.name) {
    // A guest's other spelling of its stored name ("alice" for ALICE) signs in under the
    // stored one: show and keep that, as the room's member list and messages do. So does a
    // guest whose name was changed by an operator, or who asked for someone else's name: this
    // device's key is theirs, and the server kept the stored name — say so, since it is not
    // the one they typed.
    const taken = client.me.toLowerCase() !== ui.name.toLowerCase() ? ui.name : "";
    ui.name = client.me;
    saved.set("name", client.me);
    paintAvatar($("me-avatar"), client.me);
    $("me-name").textContent = client.me;
    if (taken && taken === ui.asked.name) {
      // A name just typed in the dialog: another user holds it (the one reason the server
      // keeps my stored name), as a first name taken is told. The dialog stays, to choose again.
      openNameDialog("The server did not accept that name: the name \"" + taken + "\" belongs to another user. You are still " + client.me + ".", taken);
    } else if (taken) {
      // The name this page kept, not one typed now: an operator renamed me meanwhile.
      showNotice("The server knows you as " + client.me + ", not “" + taken + "”.", { kind: "info" });
    }
  }
  ui.asked.name = "";
  if (ui.asked.renaming) {
    // The rename was taken: the dialog that waited for the answer goes.
    ui.asked.renaming = false;
    $("name-submit").disabled = false;
    $("name-dialog").close();
    $("composer-input").focus();
  }
  // No maxLength on the composer: it counts UTF-16 units, not the bytes the server limits, and
  // cut a longer paste off silently — the part past it was sent as if it were the message.
  // Sending checks the bytes and says so, keeping the text to shorten; counter.js counts
  // them as one types.
  startFileSession(); // files.js: the cookie that lets images load
  setUploadsOff(client.uploadsOff); // files.js: the attach button says so, and drops and pastes
  renderMembers();
  renderMessages();
});

client.addEventListener("joined", (ev) => {
  const { room, frame, error } = ev.detail;
  // On the first visit to a room its backlog counts as read, not as a wall of unread messages.
  if (frame && ui.lastRead[room] === undefined) {
    ui.lastRead[room] = frame.last_seq || 0;
    saveLastRead();
  }
  if (frame && client.hasRoomList && !myRoom(room) && !isDMRoom(room)) {
    // A public room joined for the first time joins my list on the server too; here its
    // backlog counts as read, on every device.
    client.listJoined(room, myRoomRow({ room, last_seq: frame.last_seq, read_seq: frame.last_seq }));
    client.markRead(room, frame.last_seq || 0);
    // That row knows only what joined said: no topic (the header offered "Add a topic" over a
    // room that had one, until a reload), no member count. The server's row has them.
    client.askRooms();
  }
  if (error) {
    if (error.code === "room_case" && error.stored && ROOM_NAME.test(error.stored)) {
      // Room names are one room whatever their case: "General" is general, and the room is
      // shown, joined and linked by its stored name (protocol.md, Room names).
      const wasActive = room === ui.active;
      leaveRoom(room, { quiet: true, local: true });
      if (wasActive) location.hash = error.stored;
      else selectRoom(error.stored);
      return;
    }
    if (error.code === "bad_room") {
      showNotice("Cannot join #" + room + ": " + error.message);
      leaveRoom(room, { quiet: true });
      return;
    }
    // The room in view says it where the composer was; another room needs a word.
    if (room !== ui.active) {
      const hint = error.code === "name_taken" ? " Change your name to join it." : "";
      showNotice("Cannot join " + roomPhrase(room) + ": " + roomsNamed(error.message).replace(/\.$/, "") + "." + hint);
    }
  }
  renderRooms();
  if (room === ui.active) {
    renderMessages();
    renderMembers();
    askRoster(room); // the members without me, in a public room (protocol.md, Moderation)
  }
});

client.addEventListener("messages", (ev) => {
  const { room, added, kind, fresh } = ev.detail;
  if (fresh) {
    // A direct message is written to me as much as a mention is (the server's notify level
    // "mention" counts both): a hidden tab shows either.
    for (const m of added) if (m.from !== me() && (client.mentionsMe(m) || isDM(room))) notifyMention(room, m);
  }
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

client.addEventListener("changed", (ev) => {
  // Edited, deleted, reacted to or replied to: the rows redraw what changed (paintRow).
  const { room, seqs } = ev.detail;
  const e = msgUI.editing;
  if (e && e.room === room && seqs.includes(e.seq)) {
    const m = client.rooms.get(room) && client.rooms.get(room).get(e.seq);
    if (!m || m.deleted) cancelEdit(false); // a moderator deleted it meanwhile
  }
  if (room === ui.active) renderMessages();
  if (msgUI.thread && msgUI.thread.room === room) renderThread();
});

client.addEventListener("thread", (ev) => {
  const th = msgUI.thread;
  if (th && th.room === ev.detail.room && th.parent === ev.detail.parent) renderThread();
});

client.addEventListener("revisions", (ev) => {
  const { room, seq, revisions } = ev.detail;
  showRevisions(room, seq, revisions);
});

client.addEventListener("pending", (ev) => {
  const err = ev.detail.error;
  if (err && err.code === "muted") {
    // A mute the page was not told of (it began before this page joined): the refusal says
    // until when ("… until 2026-12-07T15:00:00Z", or "until lifted").
    const m = /until (\d{4}-\d\d-\d\dT\S+Z)/.exec(err.message);
    noteMyMute(ev.detail.room, m ? parseTime(m[1]) : /until lifted/.test(err.message) ? parseTime("9999-12-31T00:00:00Z") : null);
  }
  if (ev.detail.room === ui.active) renderMessages();
  if (msgUI.thread && msgUI.thread.room === ev.detail.room) renderThread();
});

// A message of mine whose @name mentions no one says so: nobody of that name is in the room
// (no such user, or one who is not a member of this private room), so nobody was told.
client.addEventListener("sent", (ev) => {
  const names = unresolvedMentions(ev.detail.message);
  if (!names.length) return;
  const list = names.length === 1 ? "@" + names[0] : names.slice(0, -1).map((n) => "@" + n).join(", ") + " or @" + names[names.length - 1];
  showNotice("No one named " + list + " is in " + roomPhrase(ev.detail.room) + ": nobody was notified.", { kind: "info" });
});

/**
 * An @ that may start a mention: at the text's start or after anything but a letter, a digit,
 * _ or @ (a space, punctuation: "me@example.com" and "a_@b" start none), and the name after it.
 */
const UNRESOLVED_MENTION = /(?<![\p{L}\p{N}_@])@([\p{L}\p{N}_](?:[\p{L}\p{N}_.-]*[\p{L}\p{N}_])?)/gu;

/**
 * The @names of message m the server resolved to no one, each once, as typed: "zed" in "@zed
 * will help". Read from the message as the page draws it, so that code, links and the mentions
 * the server resolved are left out.
 */
function unresolvedMentions(m) {
  if (!m || typeof m.text !== "string" || !m.text.includes("@")) return [];
  const names = [];
  const walk = (node) => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === Node.TEXT_NODE) {
        for (const match of n.data.matchAll(UNRESOLVED_MENTION)) {
          const name = match[1];
          if (name !== "room" && !names.includes(name)) names.push(name);
        }
      } else if (n.nodeType === Node.ELEMENT_NODE && !["CODE", "PRE", "A"].includes(n.tagName) && !n.classList.contains("mention")) {
        walk(n);
      }
    }
  };
  walk(renderMarkdown(m.text, { mentions: m.mentions, mentionRoom: m.mention_room }));
  return names.slice(0, 5);
}

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

client.addEventListener("removed", (ev) => {
  const { room } = ev.detail;
  if (room !== ui.active) showNotice(removedText(room, ev.detail));
  renderRooms();
  if (room === ui.active) renderMessages();
});

// Another member kicked (or banned, when no entry said it): a line in the room's timeline, and
// the member list without them.
client.addEventListener("removal", (ev) => {
  const { room, removal } = ev.detail;
  if (room !== ui.active) return;
  if (dropFromRoster(room, removal.name)) renderMembers();
  renderMessages({ appended: true });
});

// Another member renamed: a line in the room's timeline ("bob is now moderator"), and the
// member list under the new name.
client.addEventListener("member-renamed", (ev) => {
  const { room, was, name } = ev.detail;
  if (renameInRoster(room, was, name) && room === ui.active) renderMembers();
  if (room === ui.active) renderMessages({ appended: true });
});

client.addEventListener("moderated", (ev) => {
  const f = ev.detail.frame;
  const until = f.until ? " " + untilText(parseTime(f.until)) : "";
  const where = roomPhrase(f.room);
  const info = myRoom(f.room);
  const done = {
    kick: info && (info.private || info.dm)
      ? f.name + " is out of " + where + " for now. They are still a member, and may come back."
      : f.name + " was removed from " + where + ". They may join again.",
    ban: f.name + " is banned from " + where + until + ".",
    unban: f.name + "’s ban in " + where + " is lifted.",
    mute: f.name + " is muted in " + where + until + ".",
    unmute: f.name + "’s mute in " + where + " is lifted.",
    delete: "Message deleted in " + where + ".",
  }[f.action];
  // A note says what the moderator may not expect (a ban of a name nobody holds, a kick of
  // a name nobody in the room shows).
  const hasNote = typeof f.note === "string" && f.note !== "";
  if (hasNote && f.action === "kick") {
    showNotice("Kick of " + f.name + " in " + where + ": " + f.note + ".", { kind: "problem" });
    return;
  }
  const note = hasNote ? " But " + f.note + "." : "";
  showNotice((done || "Done: " + f.action + ".") + note, { kind: note ? "problem" : "info" });
  if (noteSanction(f) && f.room === ui.active) renderMembers();
});

// Another moderator's ban, mute or lift (or mine again, which changes nothing more): the
// members' menus and the Offline list follow it without asking for the members again.
client.addEventListener("sanction", (ev) => {
  const c = ev.detail;
  const mine = client.user && c.user ? c.user === client.user.id : c.name === me();
  if (mine && c.action === "mute") noteMyMute(c.room, parseTime(c.until));
  if (mine && c.action === "unmute") noteMyMute(c.room, null);
  const dropped = c.action === "ban" && dropFromRoster(c.room, c.name); // no longer a member
  if ((noteSanction(c) || dropped) && c.room === ui.active) renderMembers();
});

/** What a refused people request did not do, by its request (when its dialog is closed). */
const PEOPLE_FAILED = {
  create: "The room was not created",
  dm: "The conversation was not opened",
  invite: "The invitation was not sent",
  remove: "They were not removed",
  part: "You did not leave the room",
  topic: "The topic was not changed",
  role: "The role was not changed",
  directory: "The room directory is not available",
};

/** What a refused change to a message did not do, by its request. */
const CHANGE_FAILED = {
  edit: "Your edit was not saved",
  react: "Your reaction was not saved",
  delete: "The message was not deleted",
  revisions: "The earlier versions cannot be shown",
};

client.addEventListener("command-notice", (ev) => {
  const { room, notice } = ev.detail;
  if (room === ui.active) renderMessages({ appended: true });
  else showNotice(roomLabel(room) + ": " + notice.text);
});

/** A row of what a slash command showed me alone: its answer, "working…", or why it failed. */
function commandNoticeElement(n) {
  const li = document.createElement("li");
  li.className = "room-notice command-notice";
  li.dataset.kind = n.kind;
  const text = document.createElement("span");
  text.className = "room-notice-text";
  if (n.kind === "answer") {
    const who = document.createElement("strong");
    who.textContent = n.from || "/" + n.command;
    text.append(who, " (only you can see this): " + n.text);
  } else {
    text.textContent = n.text;
  }
  const when = parseTime(n.time);
  li.append(text, " ", timeElement(when));
  return li;
}

client.addEventListener("problem", (ev) => {
  const { code, message, request } = ev.detail;
  // Typing notices are best effort: being told to slow them down is not worth a banner.
  if (request === "typing") return;
  if (dialogProblem(request, message || code)) return;
  if (PEOPLE_FAILED[request]) {
    $("create-submit").disabled = false;
    $("dm-submit").disabled = false;
    showNotice(PEOPLE_FAILED[request] + ": " + String(message || code).replace(/\.$/, "") + ".");
    return;
  }
  if (request === "read" || request === "members" || request === "rooms") return; // best effort
  if (CHANGE_FAILED[request]) {
    showNotice(CHANGE_FAILED[request] + ": " + String(message || code).replace(/\.$/, "") + ".");
    return;
  }
  if (code === "not_joined" || code === "unavailable") return; // handled by rejoining / retry
  showNotice(message || code);
});

client.addEventListener("name-rejected", (ev) => {
  if (tokenMode || accountMode || ev.detail.code === "unauthorized") {
    // A new name would not help: this server takes only people its website signed in, and
    // either the page has no sign-in or the one it has was refused (expired, say).
    openSignInDialog(ev.detail);
    return;
  }
  // The refused name is not mine: the page shows and keeps the last name the server took (none
  // on a first visit), not the refused one. A first name taken showed it as mine in the
  // sidebar, kept it for the next visit, and turned the welcome into "Change your name".
  const refused = client.name;
  if (ui.name !== client.me) {
    ui.name = client.me;
    saved.set("name", client.me);
    paintAvatar($("me-avatar"), client.me);
    $("me-name").textContent = client.me;
  }
  openNameDialog("The server did not accept that name: " + (ev.detail.message || ev.detail.code), refused);
});

/** Explains, in plain words, that the chat must be opened from the website that signs people in. */
function openSignInDialog(problem) {
  if ($("name-dialog").open) $("name-dialog").close();
  $("signin-go").hidden = true;
  if (tokenMode) {
    $("signin-title").textContent = "Your sign-in has ended";
    $("signin-text").textContent =
      "Go back to the site that sent you here and open the chat from there again; it will sign you in anew.";
    $("signin-detail").textContent = "The server said: " + (problem.message || problem.code) + ".";
    $("signin-detail").hidden = false;
  } else if (/session has ended/.test(String(problem.message || ""))) {
    // A signed-in page whose session was signed out (here, on another device, everywhere).
    $("signin-title").textContent = "You were signed out";
    $("signin-text").textContent = "Your session on this chat has ended. Sign in again to go on chatting.";
    $("signin-detail").hidden = true;
    $("signin-go").hidden = false;
  } else if (/\/signin\b/.test(String(problem.message || ""))) {
    // This server takes accounts only ("sign in at /signin"): its sign-in page is the way in.
    $("signin-title").textContent = "Please sign in first";
    $("signin-text").textContent = "This chat is open to people with an account on it. Sign in to start chatting.";
    $("signin-detail").hidden = true;
    $("signin-go").hidden = false;
  } else {
    $("signin-title").textContent = "Please sign in first";
    $("signin-text").textContent =
      "This chat is only open to people signed in on the website it belongs to. Go back to the site that sent you here and open the chat from there.";
    $("signin-detail").hidden = true;
  }
  const dlg = $("signin-dialog");
  if (!dlg.open) dlg.showModal();
  ($("signin-go").hidden ? $("signin-reload") : $("signin-go")).focus();
}

$("signin-reload").addEventListener("click", () => location.reload());
$("signin-dialog").addEventListener("cancel", (ev) => ev.preventDefault()); // nothing behind it works

// --- moderation ----------------------------------------------------------------------------------

/** The ⋯ button that opens the moderation menu of a message or a member (shown to moderators only, by CSS). */
function modButton(label) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "mod-button";
  b.setAttribute("aria-haspopup", "menu");
  b.setAttribute("aria-label", label);
  b.title = "Moderate";
  b.textContent = "⋯";
  return b;
}

const modMenu = { opener: null, target: null };

/** What a moderation button is about: a message (seq, from) or a member (name), in the room in view. */
function modTarget(button) {
  const msg = button.closest(".msg");
  if (msg && msg.dataset.seq) {
    const text = msg.querySelector(".text");
    const r = client.rooms.get(ui.active);
    const m = r && r.get(Number(msg.dataset.seq));
    // The sender by their user id: who they are now, if they renamed since (was: the name
    // the message shows), whom the moderation reaches (protocol.md, Moderation, by user id).
    const user = m && typeof m.user === "string" ? m.user : "";
    const now = rosterNameOf(user) || client.currentName(msg.dataset.from);
    return { room: ui.active, seq: Number(msg.dataset.seq), name: now, user, was: now !== msg.dataset.from ? msg.dataset.from : "",
      excerpt: m ? messageSnippet(m, 200) : text ? text.textContent : "" };
  }
  const member = button.closest(".member");
  if (member) {
    const m = rosterMember(member.dataset.name);
    return { room: ui.active, name: member.dataset.name, user: m && m.user ? m.user : "", was: "" };
  }
  return null;
}

/** How a moderation's menu and dialog name its target: "moderator (was bob)" after a rename. */
function targetLabel(target) {
  return target.was ? target.name + " (was " + target.was + ")" : target.name;
}

/** Opens the menu of actions for a message or member beside its button. */
function openModMenu(button) {
  const target = modTarget(button);
  if (!target) return;
  modMenu.opener = button;
  modMenu.target = target;
  const menu = $("mod-menu");
  menu.textContent = "";
  const add = (action, label) => {
    const item = document.createElement("button");
    item.type = "button";
    item.setAttribute("role", "menuitem");
    item.dataset.action = action;
    item.textContent = label;
    if (action === "delete" || action === "kick" || action === "ban") item.classList.add("danger");
    menu.appendChild(item);
  };
  const mine = target.name === me();
  const outranked = mine ? "" : outranksMe(target.name); // their server role, if it outranks mine
  const where = roomPhrase(target.room); // "#plans"; a DM by its people, never its id
  const info = myRoom(target.room);
  // A kick from a private room or a DM leaves them a member, who may come straight back
  // (protocol.md, Moderation): it is not the "Take … out of the members" below, and its
  // "Remove bob from #plans" read as if it were.
  const staysMember = !!(info && (info.private || info.dm));
  if (target.seq && !outranked) add("delete", "Delete message");
  if (outranked) {
    // The server would refuse each of these (the rank rule): say why instead of offering them.
    const note = document.createElement("div");
    note.className = "menu-title";
    note.textContent = target.name + " is a server " + outranked + ": only an admin may moderate them";
    menu.appendChild(note);
    if (!target.seq && canInvite(target.room)) add("remove-member", "Take " + target.name + " out of the members of " + where);
  } else if (!mine) {
    if (target.seq) {
      const sep = document.createElement("div");
      sep.className = "menu-separator";
      sep.setAttribute("role", "separator");
      menu.appendChild(sep);
    }
    // What is in force is lifted, what is not imposed; a page not told (a server older than
    // the roster's sanctions) offers both, and the server says which did nothing.
    const held = sanctionsOf(target.name);
    if (!held || !held.mute) add("mute", "Mute " + targetLabel(target) + "…");
    if (!held || !held.ban) add("kick", (staysMember ? "Kick " + targetLabel(target) + " out of " + where + " for now…" : "Remove " + targetLabel(target) + " from " + where + "…"));
    if (!held || !held.ban) add("ban", "Ban " + targetLabel(target) + "…");
    if (!held || held.mute) add("unmute", "Lift " + target.name + "’s mute");
    if (!held || held.ban) add("unban", "Lift " + target.name + "’s ban");
    // A private room's owner and moderators also decide who its members are.
    if (!target.seq && canInvite(target.room)) add("remove-member", "Take " + target.name + " out of the members of " + where);
  }
  menu.setAttribute("aria-label", target.seq ? "Message from " + target.name : target.name);
  menu.hidden = false;
  button.setAttribute("aria-expanded", "true");
  // Beside the button, kept inside the window.
  const at = button.getBoundingClientRect();
  const w = menu.offsetWidth;
  const h = menu.offsetHeight;
  const left = Math.max(8, Math.min(at.right - w, innerWidth - w - 8));
  const top = at.bottom + 4 + h > innerHeight - 8 ? Math.max(8, at.top - 4 - h) : at.bottom + 4;
  menu.style.left = left + "px";
  menu.style.top = top + "px";
  const first = menu.querySelector("[role=menuitem]");
  if (first) first.focus();
  else {
    menu.tabIndex = -1; // nothing to choose: the menu itself holds the focus, so Escape closes it
    menu.focus();
  }
}

/**
 * The server role ("admin" or "moderator") of a member whom my moderation would be refused
 * (only an admin moderates the server's admins and moderators), or "": known from the roster
 * of the room in view; a name it does not list is offered as before, and the server's refusal
 * says why.
 */
function outranksMe(name) {
  if (client.role === "admin") return "";
  const m = rosterMember(name);
  return m && (m.server_role === "admin" || m.server_role === "moderator") ? m.server_role : "";
}

/** Closes the menu; the focus goes back to its button unless it is moving elsewhere. */
function closeModMenu(refocus) {
  const menu = $("mod-menu");
  if (menu.hidden) return;
  menu.hidden = true;
  if (modMenu.opener) {
    modMenu.opener.removeAttribute("aria-expanded");
    if (refocus && modMenu.opener.isConnected) modMenu.opener.focus();
  }
}

document.addEventListener("click", (ev) => {
  const button = ev.target.closest && ev.target.closest(".mod-button");
  if (button) {
    const again = !$("mod-menu").hidden && modMenu.opener === button;
    closeModMenu(false);
    if (!again) openModMenu(button);
    return;
  }
  if (!$("mod-menu").contains(ev.target)) closeModMenu(false);
});

$("mod-menu").addEventListener("keydown", (ev) => {
  const items = Array.from($("mod-menu").querySelectorAll("[role=menuitem]"));
  const i = items.indexOf(document.activeElement);
  if (ev.key === "Escape") {
    ev.preventDefault();
    ev.stopPropagation();
    closeModMenu(true);
  } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ev.preventDefault();
    const next = (i + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items[next].focus();
  } else if (ev.key === "Tab") {
    closeModMenu(true);
  }
});

$("mod-menu").addEventListener("click", (ev) => {
  const item = ev.target.closest("[role=menuitem]");
  if (!item) return;
  const action = item.dataset.action;
  const target = modMenu.target;
  closeModMenu(false);
  if (action === "remove-member") {
    if (client.removeMember(target.room, target.name)) showNotice(target.name + " is no longer a member of " + roomPhrase(target.room) + ".", { kind: "info" });
    else showNotice("Not connected: try again when the status says Live.");
    askRoster(target.room);
    return;
  }
  if (action === "unmute" || action === "unban") moderate(action, target, {});
  else openModDialog(action, target);
});

/** Asks the moderator to confirm an action, with a reason (and a duration for mutes and bans). */
function openModDialog(action, target) {
  const name = targetLabel(target);
  const room = roomPhrase(target.room);
  const info = myRoom(target.room);
  const staysMember = !!(info && (info.private || info.dm)); // as in openModMenu
  const excerpt = snippet(target.excerpt || "", 80);
  const text = {
    delete: [
      target.own ? "Delete your message?" : "Delete this message?",
      "“" + excerpt + "”" + (target.own ? "" : " from " + name) +
        " becomes “Message deleted” for everyone in " + room + ", in the history too. This cannot be undone.",
      "Delete message",
    ],
    kick: staysMember
      ? ["Kick " + name + " out of " + room + " for now?", "They stay a member and can come back right away. To end that, take them out of the members instead; to keep them out for a while, ban them.", "Kick out"]
      : ["Remove " + name + " from " + room + "?", "They can join again right away; to keep them out for a while, ban them instead.", "Remove"],
    mute: ["Mute " + name + " in " + room, "They can still read " + room + " but not write in it until the mute ends or you lift it.", "Mute"],
    ban: ["Ban " + name + " from " + room, "They are removed now and cannot join " + room + " again until the ban ends or you lift it.", "Ban"],
  }[action];
  $("mod-title").textContent = text[0];
  $("mod-text").textContent = text[1];
  $("mod-confirm").textContent = text[2];
  $("mod-duration-field").hidden = action !== "mute" && action !== "ban";
  $("mod-reason-field").hidden = action === "delete";
  $("mod-reason").value = "";
  const dlg = $("mod-dialog");
  dlg.dataset.action = action;
  modMenu.target = target;
  dlg.showModal();
  (action === "delete" ? $("mod-confirm") : $("mod-duration-field").hidden ? $("mod-reason") : $("mod-duration")).focus();
}

/**
 * Sends a moderation request; the answer arrives as a "moderated" event or a problem. A delete
 * (of my message, or anyone's by a moderator) is a change to the room's log, with an id.
 */
function moderate(action, target, extra) {
  if (action === "delete" && target.seq) {
    if (!client.deleteMessage(target.room, target.seq)) showNotice("You are not in " + roomPhrase(target.room) + ".");
    return;
  }
  // By user id when the page knows it, so a renamed sender is reached; the name too, which a
  // server older than user reads instead.
  const args = Object.assign(target.user ? { name: target.name, user: target.user } : { name: target.name }, extra);
  if (!client.moderate(action, target.room, args)) showNotice("Not connected: try again when the status says Live.");
}

$("mod-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const dlg = $("mod-dialog");
  const action = dlg.dataset.action;
  const extra = {};
  const reason = $("mod-reason").value.trim();
  if (action !== "delete" && reason) extra.reason = reason;
  if (action === "mute" || action === "ban") extra.duration = $("mod-duration").value;
  dlg.close();
  moderate(action, modMenu.target, extra);
});

$("mod-cancel").addEventListener("click", () => $("mod-dialog").close());
$("mod-dialog").addEventListener("close", () => {
  if (modMenu.opener && modMenu.opener.isConnected) modMenu.opener.focus();
  else $("composer-input").focus();
});

// --- events from the person ----------------------------------------------------------------------

$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("composer-input");
  const text = input.value.trim();
  const muted = mutedUntil(ui.active);
  if (muted) {
    // Kept in the box, not sent: the server would refuse it (Enter submits past the button).
    showNotice("You are muted in " + roomPhrase(ui.active) + " " + untilText(muted) + ": your message was not sent.");
    return;
  }
  const files = draftState(ui.active); // files.js
  if (files.uploading) {
    showNotice("Wait for the upload to finish, or cancel it, then send.");
    return;
  }
  if (!text && !files.ready.length) {
    if (files.failed) showNotice("The file was not uploaded: retry it or remove it.");
    return;
  }
  // "/name args" with a name of the server's commands is a command, not a message.
  const slash = /^\/([a-z][a-z0-9_-]*)(?:\s+([\s\S]*))?$/.exec(text);
  if (slash && !files.ready.length && client.hasCommand(slash[1])) {
    if (!client.command(ui.active, slash[1], (slash[2] || "").trim())) {
      showNotice("Not connected: /" + slash[1] + " was not sent.");
      return;
    }
    input.value = "";
    autoGrow(input);
    scrollToBottom();
    return;
  }
  // Longer than the server takes, or a frame larger than it reads (which it would close the
  // connection over): refused here, the text left in the composer.
  const opts = { replyTo: replyingTo(), attachments: files.ready };
  const refused = client.sendRefusal(ui.active, text, opts);
  if (refused) {
    showNotice(refused);
    return;
  }
  askForNotificationsOnce();
  client.send(ui.active, text, opts);
  clearSentDrafts(ui.active);
  cancelReply(false);
  input.value = "";
  autoGrow(input);
  scrollToBottom();
});

$("composer-input").addEventListener("keydown", (ev) => {
  if (mentionKey(ev)) return; // the @name list's keys first (mentions.js)
  // Enter sends; Shift+Enter is a new line; an IME composing text needs its Enter for itself.
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    ev.preventDefault();
    $("composer").requestSubmit();
  } else if (ev.key === "ArrowUp" && !ev.target.value && !ev.isComposing && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    // The Up arrow in an empty composer edits my last message, as in most chat apps.
    if (editLastMessage()) ev.preventDefault();
  } else if (ev.key === "Escape" && cancelReply(true)) {
    ev.preventDefault();
  }
});

$("composer-input").addEventListener("input", (ev) => {
  autoGrow(ev.target);
  // Commands may be added while we are connected: a "/" asks for the list again, now and then.
  if (ev.target.value === "/" && Date.now() - client.commandsAsked > 30000) client.askCommands();
  if (ev.target.value.trim()) client.typing(ui.active);
});

/**
 * Grows a message box with its text, up to a limit set in CSS (max-height), and updates its
 * length counter.
 */
function autoGrow(el) {
  el.style.height = "auto";
  // Empty, it is one line high: the scroll height of an empty box is its placeholder's, which a
  // long room's name ("Message #…") wraps over several lines on a phone.
  if (el.value) el.style.height = el.scrollHeight + "px";
  countLength(el); // counter.js: every change of a box's text comes through here
}

$("join-input").addEventListener("input", () => {
  $("join-error").hidden = true;
  $("join-input").removeAttribute("aria-invalid");
});

$("join-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("join-input");
  const name = input.value.trim().replace(/^#/, "");
  if (!name) return;
  if (!ROOM_NAME.test(name)) {
    // Said beside the form: on a phone the sidebar drawer it sits in covers the page's notice.
    const why = $("join-error");
    why.textContent = roomNameProblem(name);
    why.hidden = false;
    input.setAttribute("aria-invalid", "true");
    return;
  }
  input.value = "";
  closeDrawers();
  // Typing the name of a room we were removed from, or could not join, asks to join it again.
  const known = client.rooms.get(name);
  if (known && (known.removed || known.error)) client.rejoin(name);
  if (roomFromHash() === name) selectRoom(name);
  else location.hash = name;
  $("composer-input").focus();
});

/** Whether the message list showed its newest message when it last scrolled. */
let listAtBottom = true;

$("messages").addEventListener("scroll", () => {
  const box = $("messages");
  if (box.scrollTop < 120) requestOlder();
  listAtBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
  if (listAtBottom) $("jump").hidden = true;
});

// When the list's box changes size (the thread panel opens beside it, the window is resized,
// the reply bar shows) a list that showed its newest message keeps showing it.
if (window.ResizeObserver) {
  new ResizeObserver(() => {
    const box = $("messages");
    if (listAtBottom) box.scrollTop = box.scrollHeight;
  }).observe($("messages"));
}

$("load-older").addEventListener("click", requestOlder);
$("jump").addEventListener("click", () => {
  scrollToBottom();
  $("composer-input").focus();
});
$("reconnect-now").addEventListener("click", () => client.reconnectNow());
$("rename").addEventListener("click", () => {
  if (signedIn) location.assign("/account#new-name");
  else openNameDialog();
});
$("fix-name").addEventListener("click", () => openNameDialog());
$("rejoin").addEventListener("click", () => client.rejoin(ui.active));

$("name-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const name = $("name-input").value.trim();
  const problem = validName(name);
  if (problem) {
    $("name-error").textContent = problem;
    $("name-input").focus();
    return;
  }
  const renaming = client.state === "live" && name !== ui.name;
  if (name !== ui.name || client.state === "idle") {
    ui.asked.name = name;
    setName(name);
  }
  if (renaming) {
    // The dialog stays until the server has answered: a name another user holds is answered
    // with my own name (welcome), and the dialog then says so.
    ui.asked.renaming = true;
    $("name-submit").disabled = true;
    $("name-error").textContent = "";
    return;
  }
  $("name-dialog").close();
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

window.addEventListener("hashchange", followHash);

// A page kept in the back/forward cache would otherwise keep its socket, and its user would
// look present in every room; leave properly, and come back (catching up with since) on return.
window.addEventListener("pagehide", () => {
  flushRead();
  client.pause();
});
window.addEventListener("pageshow", (ev) => {
  if (ev.persisted && (tokenMode || accountMode)) client.start("");
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

/**
 * The account page sends the browser back here with what it did (/?password=changed, or set
 * for a guest who made the name an account): the notice says so, once, and the address drops
 * it, so that a reload or a bookmark does not say it again. The page came back without a word.
 */
function sayWhatTheAccountPageDid() {
  const params = new URLSearchParams(location.search);
  const done = params.get("password");
  if (done === null) return;
  params.delete("password");
  const rest = params.toString();
  history.replaceState(history.state, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  if (done === "changed") showNotice("Your password is changed. Your other devices are signed out.", { kind: "info" });
  else if (done === "set") showNotice("Your password is set: sign in with your name and it on any device.", { kind: "info" });
}

(function start() {
  if (!window.WebSocket) {
    $("conn-text").textContent = "This browser does not support WebSockets.";
    return;
  }
  // A first visit joins only the room it was sent to (a deep link), or lobby. A later visit to
  // the bare address opens the room this tab had in view, if still mine, else the first of my
  // rooms: lobby again would join it, and put it back in my rooms on every device, however
  // often I had left it with its ×. The sign-in and account pages come back to the bare
  // address, and a password set in #general landed in the first room.
  ui.rooms = saved.json("rooms", []).filter((r) => typeof r === "string" && ROOM_NAME.test(r));
  for (const r of ui.rooms) client.addRoom(r);
  const inView = sessionSaved.get("room");
  if (!roomFromHash() && ui.rooms.length) selectRoom(ui.rooms.includes(inView) ? inView : ui.rooms[0]);
  else if (!followHash()) selectRoom("lobby");
  renderStatus();
  wirePeople();
  sayWhatTheAccountPageDid();
  if (tokenMode) {
    $("rename").hidden = true;
    client.start("");
    loadAccount();
    return;
  }
  // Someone signed in with an account needs no name: the server takes the user from the
  // session cookie (HttpOnly, so only GET /api/me can tell), and ignores the hello's name.
  loadAccount().then((account) => {
    if (account) {
      accountMode = true;
      signedIn = true;
      $("rename").title = "Change your account's name, on the account page";
      ui.name = account.name;
      paintAvatar($("me-avatar"), account.name);
      $("me-name").textContent = account.name;
      client.start("");
    } else if (signInRequired) {
      // The server takes no guests: a name asked now would only be refused ("sign in at /signin").
      $("rename").hidden = true;
      openSignInDialog({ code: "unauthorized", message: "sign in at /signin" });
    } else if (tokenRequired) {
      // The server takes only its website's users, and this page holds no token it can see. A
      // name would only be refused; connect without one instead: an HttpOnly hubbub_token
      // cookie signs in by itself, and without one the server's "unauthorized" opens the
      // explanation (name-rejected) — open the chat from the site that sent you here.
      accountMode = true;
      $("rename").hidden = true;
      client.start("");
    } else if (ui.name) {
      setName(ui.name);
    } else {
      openNameDialog();
    }
  });
})();
