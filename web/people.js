// people.js — the page's side of the people protocol (rooms-protocol.js): how rooms and direct
// messages are named and counted in the sidebar, the invitations, the room browser with its
// create form, the "new message" dialog, invites, the topic, the members with their presence,
// the Ctrl/Cmd+K room switcher, and the account (signed in, sign in, sign out).
//
// Loaded before app.js, whose `client` and `ui` it uses only when called; app.js calls
// wirePeople() once the client exists. Text from other people goes in with textContent only.
"use strict";

/** How long after the last reason to a read frame is sent: scrolling and bursts send one. */
const READ_DEBOUNCE_MS = 400;

/** How long the page waits for GET /api/me before asking a name anyway. */
const ACCOUNT_TIMEOUT_MS = 3000;

/** How long after the last presence change in the room in view its members are asked again. */
const ROSTER_DEBOUNCE_MS = 1500;

// --- names and counts ----------------------------------------------------------------------------

/** The row of the user's room list for a room, or undefined. */
function myRoom(name) {
  return client.myRooms.get(name);
}

/** Whether a room is a direct message. */
function isDM(name) {
  const info = myRoom(name);
  return isDMRoom(name) || !!(info && info.dm);
}

/** A room's name as people read it: "#general", or the other people of a DM, "bob, carol". */
function roomLabel(name) {
  if (!isDM(name)) return "#" + name;
  const info = myRoom(name);
  return info && info.people.length ? info.people.join(", ") : "Direct message";
}

/**
 * A room as a sentence names it: "#general", or for a DM "your conversation with bob, carol" —
 * never the DM's id (dm.…), which means nothing to a person.
 */
function roomPhrase(name) {
  if (!isDM(name)) return "#" + name;
  const label = roomLabel(name);
  return label === "Direct message" ? "this direct message" : "your conversation with " + label;
}

/** text with each `room "NAME"` of a server's message as roomPhrase says it (a DM never by its id). */
function roomsNamed(text) {
  return String(text).replace(/room "([^"]*)"/g, (_, name) => roomPhrase(name));
}

/** A room's unread and mention counts: the server's list when it keeps one, else the page's own. */
function countsOf(name) {
  if (client.hasRoomList) {
    const info = myRoom(name);
    return info ? { unread: info.unread, mentions: info.mentions } : { unread: 0, mentions: 0 };
  }
  return { unread: ui.unread.get(name) || 0, mentions: 0 };
}

/** "999+" for the biggest counts, the number otherwise. */
function countText(n) {
  return n >= PEOPLE_LIMITS.maxUnread ? PEOPLE_LIMITS.maxUnread + "+" : String(n);
}

/**
 * The read position a room had when it was opened: where "new since you left" goes, or null
 * for none. A read_seq of 0 is a room I have read nothing of anywhere (a DM someone started with
 * me and I never opened): every message is new, and a line above the first would say I had
 * been there and left.
 */
function readPositionOf(name) {
  const info = myRoom(name);
  if (client.hasRoomList) return info && info.unread > 0 && info.read_seq > 0 ? info.read_seq : null;
  return ui.unread.get(name) ? ui.lastRead[name] || 0 : null;
}

/**
 * Where the room opened begins for me, for ui.divider: after my read position ("new since you
 * left", readPositionOf), or, in a room I have never read anything of (a DM someone started with
 * me), at its first message, with no line — every message is new, and a room with unread
 * messages opens at the first of them, so a never-read one opens at the start of its history,
 * not at its newest message. unread is how many messages that start needs held (renderMessages
 * opens there only once they are: else the first unread is older than what is held). null for
 * neither. opening is true until renderMessages has drawn the start and opened the room there:
 * after a reload the room is in view before the room list says where it starts, and its
 * messages may come after that, so the first render that holds the start opens it there.
 * @returns {{room: string, seq: number, neverRead?: number, opening: boolean}|null}
 */
function dividerOf(name) {
  const read = readPositionOf(name);
  if (read !== null) return { room: name, seq: read, opening: true };
  const info = myRoom(name);
  if (client.hasRoomList && info && !info.invited && info.read_seq === 0 && info.unread > 0) {
    return { room: name, seq: 0, neverRead: info.unread, opening: true };
  }
  return null;
}

/** The highest position of a room this page holds: what reading it to the bottom reads up to. */
function heldPosition(name) {
  const r = client.rooms.get(name);
  if (!r) return 0;
  let top = r.since;
  for (const m of r.messages.values()) if (m.seq > top) top = m.seq;
  return top;
}

/** Whether the message list shows its newest message right now. */
function listShowsBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 48;
}

/**
 * The room in view, visible and scrolled to the bottom, is read: its counts drop now, and the
 * server hears the position once the scrolling or the burst of messages has settled.
 */
function readActive() {
  const room = ui.active;
  if (!room || document.visibilityState !== "visible" || !listShowsBottom()) return;
  const seq = heldPosition(room);
  if (!seq) return;
  client.applyRead(room, seq);
  if (ui.readPending && ui.readPending.room !== room) flushRead();
  ui.readPending = { room, seq };
  clearTimeout(ui.readTimer);
  ui.readTimer = setTimeout(flushRead, READ_DEBOUNCE_MS);
}

/** Sends the read position waiting for its debounce now (another room was read, the page goes). */
function flushRead() {
  clearTimeout(ui.readTimer);
  const p = ui.readPending;
  ui.readPending = null;
  if (p) client.markRead(p.room, p.seq);
}

// --- the sidebar's invitations -------------------------------------------------------------------

/** Lists the invitations: each room with Accept (join it) and Decline (part). */
function renderInvites() {
  const list = $("invite-list");
  const invites = Array.from(client.myRooms.values()).filter((x) => x.invited);
  $("invites-heading").hidden = invites.length === 0;
  list.hidden = invites.length === 0;
  renderRoomsToggle(); // on a phone the drawer they wait in is closed
  const keep = new Set(invites.map((x) => x.room));
  for (const li of Array.from(list.children)) if (!keep.has(li.dataset.room)) li.remove();
  for (const info of invites) {
    if (list.querySelector(`[data-room="${CSS.escape(info.room)}"]`)) continue;
    const li = document.createElement("li");
    li.className = "invite";
    li.dataset.room = info.room;
    const label = document.createElement("span");
    label.className = "invite-name";
    label.textContent = roomLabel(info.room);
    const accept = document.createElement("button");
    accept.type = "button";
    accept.className = "invite-accept";
    accept.textContent = "Join";
    accept.setAttribute("aria-label", "Join " + roomLabel(info.room));
    accept.addEventListener("click", () => acceptInvite(info.room));
    const decline = document.createElement("button");
    decline.type = "button";
    decline.className = "invite-decline link-button";
    decline.textContent = "Decline";
    decline.setAttribute("aria-label", "Decline the invitation to " + roomLabel(info.room));
    decline.addEventListener("click", () => {
      client.part(info.room);
      renderInvites();
    });
    li.append(label, accept, decline);
    list.appendChild(li);
  }
}

/** Accepting an invitation is joining the room (the server makes the invitee a member). */
function acceptInvite(room) {
  const info = myRoom(room);
  if (info) info.invited = false;
  renderInvites();
  closeDrawers();
  openRoom(room);
}

/** Brings a room into view through the address, as a click on its link does. */
function openRoom(room) {
  if (roomFromHash() === room) selectRoom(room);
  else location.hash = room;
}

// --- dialogs -------------------------------------------------------------------------------------

/** The dialog a request's error belongs in, by the request's type. */
const DIALOG_OF_REQUEST = { create: "browse", directory: "browse", dm: "dm", invite: "invite", topic: "topic" };

/** Shows a refused request's error in its dialog, if that is open; returns whether it did. */
function dialogProblem(request, message) {
  if (request === "create" || request === "dm") {
    // Refused: nothing will open, and the form may be sent again.
    client.awaiting = null;
    $("create-submit").disabled = false;
    $("dm-submit").disabled = false;
  }
  const which = DIALOG_OF_REQUEST[request];
  if (!which || !$(which + "-dialog").open) return false;
  $(which + "-error").textContent = sentence(message);
  return true;
}

/** Opens a dialog with its error cleared, focusing the given element. */
function openDialog(which, focus) {
  const dlg = $(which + "-dialog");
  $(which + "-error").textContent = "";
  closeDrawers();
  if (!dlg.open) dlg.showModal();
  $(focus).focus();
}

// The room browser: the directory, searchable and paged, and the form that creates a room.

const browse = { query: "", next: "", timer: 0 };

function openBrowser() {
  $("create-form").reset();
  $("create-submit").disabled = false;
  openDialog("browse", "browse-search");
  browse.query = $("browse-search").value.trim();
  $("directory-list").textContent = "";
  askDirectory("");
}

/** Asks for a directory page; "" starts the list over. */
function askDirectory(after) {
  if (!client.directory(browse.query, after)) {
    $("directory-status").textContent = "Not connected: the list comes when the status says Live.";
    return;
  }
  $("directory-status").textContent = "Loading rooms…";
  $("directory-more").hidden = true;
}

/** A page of the directory: each room with its topic, members and last activity, and Join. */
function showDirectory(d) {
  if (d.query !== browse.query) return; // an answer to a search typed over since
  const list = $("directory-list");
  browse.next = d.next;
  for (const x of d.rooms) {
    const li = document.createElement("li");
    li.className = "directory-room";
    li.dataset.room = x.room;
    const head = document.createElement("div");
    head.className = "directory-head";
    const name = document.createElement("span");
    name.className = "directory-name";
    name.textContent = "#" + x.room;
    const meta = document.createElement("span");
    meta.className = "directory-meta";
    const n = typeof x.members === "number" ? x.members : 0;
    let text = n + (n === 1 ? " member" : " members");
    if (x.last_activity) text += " · active " + relativeTime(parseTime(x.last_activity));
    meta.textContent = text;
    head.append(name, meta);
    li.appendChild(head);
    if (x.topic) {
      const topic = document.createElement("p");
      topic.className = "directory-topic";
      topic.textContent = x.topic;
      li.appendChild(topic);
    }
    const join = document.createElement("button");
    join.type = "button";
    join.className = "directory-join";
    const following = ui.rooms.includes(x.room);
    join.textContent = following ? "Open" : "Join";
    join.setAttribute("aria-label", (following ? "Open #" : "Join #") + x.room);
    join.addEventListener("click", () => {
      $("browse-dialog").close();
      openRoom(x.room);
    });
    li.appendChild(join);
    list.appendChild(li);
  }
  const shown = list.children.length;
  $("directory-status").textContent =
    shown === 0 ? (browse.query ? "No public room matches “" + browse.query + "”." : "No public rooms yet: create one below.") : "";
  $("directory-more").hidden = !d.next;
}

/** "just now", "5 min ago", "3 h ago", else the date. */
function relativeTime(d) {
  const s = (Date.now() - d.getTime()) / 1000;
  if (s < 60) return "just now";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return untilFormat.format(d);
}

function createFromForm() {
  const name = $("create-name").value.trim().replace(/^#/, "");
  const topic = $("create-topic").value.trim();
  if (!ROOM_NAME.test(name) || isDMRoom(name)) {
    $("browse-error").textContent = "Room names have up to 64 letters, digits, - _ or ., start with a letter or digit, and do not start with “dm.”.";
    $("create-name").focus();
    return;
  }
  if (!client.createRoom(name, topic, $("create-private").checked)) {
    $("browse-error").textContent = "Not connected: try again when the status says Live.";
    return;
  }
  $("browse-error").textContent = "";
  $("create-submit").disabled = true;
}

// The "new message" dialog: names, comma-separated, to a DM.

function openDMDialog() {
  $("dm-names").value = "";
  hideDMSuggestions();
  openDialog("dm", "dm-names");
  askRostersForDM();
}

/**
 * How many of my rooms' member lists opening New message asks for, at most: the first page of
 * each (the server's history page, 100 by default), in sidebar order.
 */
const DM_ROSTER_ROOMS = 20;

/** How long a room's member list asked for New message is taken as current. */
const DM_ROSTER_FRESH_MS = 5 * 60 * 1000;

/** When each room's first page of stored members last came (takeRoster), by room. */
const rosterTimes = new Map();

/**
 * Asks for the stored members of the rooms I am a member of whose member list this page has
 * not had lately, so the To field can suggest the offline members of a room whose member list
 * was never opened: the server has no look-up of users by name that a member may use, and its
 * members request answers only for rooms I am in (a private room's to its members), which is
 * what the field may show. Bounded: DM_ROSTER_ROOMS rooms, the first page of each.
 */
function askRostersForDM() {
  if (!client.hasRoomList) return;
  const now = Date.now();
  let asked = 0;
  for (const name of switcherRooms()) {
    if (asked >= DM_ROSTER_ROOMS) break;
    const info = myRoom(name);
    if (!info || info.invited || isDM(name) || client.rosterAsked.has(name)) continue;
    if (name === ui.active && ui.roster.room === name) continue; // kept current by askRoster
    if (now - (rosterTimes.get(name) || -Infinity) < DM_ROSTER_FRESH_MS) continue;
    if (!client.askMembers(name, "")) break; // not connected: the next opening asks
    asked++;
  }
}

/** How many names the To field suggests at once. */
const DM_SUGGESTIONS_MAX = 8;

/**
 * The names of the stored members of rooms whose roster this page was sent (takeRoster): the
 * room in view's, and my rooms' asked for New message (askRostersForDM).
 */
const rosterNames = new Set();

/**
 * The names this page can already show me, which the To field suggests: the people of my
 * direct messages, who is in the rooms I am in, who wrote there, and the stored members of
 * my rooms (rosterNames), offline ones too. Never a list of the server's users: a guest sees no one it could
 * not see in a room it shares.
 */
function knownNames() {
  const names = new Map(); // by lower case: one entry per person, whatever the case seen
  const add = (n) => {
    if (typeof n === "string" && n && !names.has(n.toLowerCase())) names.set(n.toLowerCase(), n);
  };
  for (const info of client.myRooms.values()) if (info.dm && Array.isArray(info.people)) info.people.forEach(add);
  for (const r of client.rooms.values()) {
    r.members.forEach(add);
    for (const m of r.messages.values()) if (!m.bot) add(m.from); // a bot takes no DMs as a rule
  }
  rosterNames.forEach(add);
  names.delete(me().toLowerCase());
  return Array.from(names.values());
}

const dmSuggest = { items: [], at: -1 };

/** The name being typed in the To field: what follows its last comma. */
function dmFragment() {
  const v = $("dm-names").value;
  return v.slice(v.lastIndexOf(",") + 1).trim().replace(/^@/, "");
}

/**
 * Lists the known names that contain what is typed after the last comma (those that start
 * with it first), leaving out names already in the field; all of them with force (the down
 * arrow in an empty field). No option is chosen until an arrow key chooses one, so Enter
 * still starts the conversation with what is typed.
 */
function suggestDM(force) {
  const input = $("dm-names");
  const q = dmFragment().toLowerCase();
  const typed = new Set(input.value.split(",").slice(0, -1).map((s) => s.trim().replace(/^@/, "").toLowerCase()));
  const scored = [];
  if (q || force) {
    for (const name of knownNames()) {
      const l = name.toLowerCase();
      const i = l.indexOf(q);
      if (i < 0 || typed.has(l) || l === q) continue;
      scored.push({ name, score: i === 0 ? 0 : 1 });
    }
  }
  scored.sort((a, b) => a.score - b.score || memberNameOrder.compare(a.name, b.name));
  dmSuggest.items = scored.slice(0, DM_SUGGESTIONS_MAX).map((x) => x.name);
  dmSuggest.at = -1;
  const list = renderOptions("dm-suggestions", "dm-option-", dmSuggest.items, chooseDMSuggestion, (li, name) => {
    li.dataset.name = name;
    const av = document.createElement("span");
    av.setAttribute("aria-hidden", "true");
    paintAvatar(av, name);
    li.append(av, optionLabel(name));
  });
  list.hidden = dmSuggest.items.length === 0;
  input.setAttribute("aria-expanded", String(!list.hidden));
  markDMSuggestion();
}

/**
 * Lists the suggestions again with names that came since (a room's members, askRostersForDM),
 * if a list shows or a name is being typed, keeping the one under the arrow keys chosen.
 */
function refreshDMSuggestions() {
  const shown = !$("dm-suggestions").hidden;
  if (document.activeElement !== $("dm-names") || (!shown && !dmFragment())) return;
  const chosen = dmSuggest.items[dmSuggest.at];
  suggestDM(shown && !dmFragment());
  const at = dmSuggest.items.indexOf(chosen);
  if (chosen && at >= 0) {
    dmSuggest.at = at;
    markDMSuggestion();
  }
}

/** Marks the suggestion under the arrow keys (markOption). */
function markDMSuggestion() {
  markOption("dm-names", "dm-suggestions", dmSuggest.at);
}

function hideDMSuggestions() {
  dmSuggest.items = [];
  dmSuggest.at = -1;
  $("dm-suggestions").hidden = true;
  $("dm-suggestions").textContent = "";
  $("dm-names").setAttribute("aria-expanded", "false");
  $("dm-names").removeAttribute("aria-activedescendant");
}

/** Puts the chosen name in place of what was typed after the last comma, ready for the next. */
function chooseDMSuggestion(i) {
  const name = dmSuggest.items[i];
  if (!name) return;
  const input = $("dm-names");
  const v = input.value;
  const head = v.slice(0, v.lastIndexOf(",") + 1);
  input.value = (head ? head + " " : "") + name + ", ";
  hideDMSuggestions();
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

/** The To field's keys: arrows choose a suggestion, Enter takes it, Escape closes the list. */
function dmNamesKey(ev) {
  const n = dmSuggest.items.length;
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ev.preventDefault();
    if (!n) {
      if (ev.key === "ArrowDown") suggestDM(true);
      return;
    }
    dmSuggest.at = ev.key === "ArrowDown" ? (dmSuggest.at + 1) % n : (dmSuggest.at + n - 1) % n;
    markDMSuggestion();
  } else if (ev.key === "Enter" && !ev.isComposing && dmSuggest.at >= 0) {
    ev.preventDefault(); // takes the name; the next Enter starts the conversation
    chooseDMSuggestion(dmSuggest.at);
  } else if (ev.key === "Escape" && n) {
    ev.preventDefault(); // closes the list, not the dialog
    hideDMSuggestions();
  }
}

function startDM() {
  const names = Array.from(new Set($("dm-names").value.split(",").map((s) => s.trim().replace(/^@/, "")).filter(Boolean)));
  const max = (client.limits && client.limits.max_dm_members) || 8;
  if (names.length === 0) {
    $("dm-error").textContent = "Type the name of the person to write to (several, separated by commas).";
    return;
  }
  if (names.length >= max) {
    $("dm-error").textContent = "A direct message has at most " + max + " people, you included.";
    return;
  }
  if (!client.openDM(names)) {
    $("dm-error").textContent = "Not connected: try again when the status says Live.";
    return;
  }
  $("dm-error").textContent = "";
  $("dm-submit").disabled = true;
}

// Invite and topic, for the room in view.

/**
 * Fills a dialog's title: words, then the room's name as one piece (.room-name-whole), so that
 * a long name moves to a line of its own whole rather than break at its hyphen ("#secret-" /
 * "plans"); only a name longer than the whole line wraps inside.
 */
function titleWithRoom(el, words, room) {
  const name = document.createElement("span");
  name.className = "room-name-whole";
  name.textContent = roomLabel(room);
  el.replaceChildren(words, name);
}

function openInviteDialog() {
  titleWithRoom($("invite-title"), "Invite someone to ", ui.active);
  $("invite-name").value = "";
  $("invite-dialog").dataset.room = ui.active;
  openDialog("invite", "invite-name");
}

function sendInvite() {
  const name = $("invite-name").value.trim().replace(/^@/, "");
  const room = $("invite-dialog").dataset.room;
  if (!name) {
    $("invite-error").textContent = "Type the name of the person to invite.";
    return;
  }
  if (!client.invite(room, name)) {
    $("invite-error").textContent = "Not connected: try again when the status says Live.";
    return;
  }
  ui.inviting = { room, name };
  $("invite-dialog").close();
  showNotice("Invited " + name + " to " + roomLabel(room) + ".", { kind: "info" });
  askRoster(room);
}

function openTopicDialog() {
  const r = client.rooms.get(ui.active);
  titleWithRoom($("topic-title"), "Topic of ", ui.active);
  $("topic-input").value = topicOf(ui.active);
  if (client.limits && client.limits.max_topic) $("topic-input").maxLength = client.limits.max_topic;
  $("topic-dialog").dataset.room = ui.active;
  openDialog("topic", "topic-input");
  if (!r) $("topic-error").textContent = "You are not in this room.";
}

function sendTopic() {
  const room = $("topic-dialog").dataset.room;
  const topic = $("topic-input").value.trim();
  if (!client.setTopic(room, topic)) {
    $("topic-error").textContent = "Not connected: try again when the status says Live.";
    return;
  }
  $("topic-dialog").close();
}

/** A room's topic, as its log or the room list last said it. */
function topicOf(name) {
  const r = client.rooms.get(name);
  if (r && typeof r.topic === "string") return r.topic;
  const info = myRoom(name);
  return info ? info.topic : "";
}

/** The header's title and topic for the room in view. */
function renderRoomHead() {
  const name = ui.active;
  const label = roomLabel(name);
  $("room-title").textContent = label;
  // With the title, not only when the room is opened: a DM opened before the room list came
  // (a reload, the way back from the account page) is known by its people only from the list,
  // and its message box said "Message Direct message" for good.
  $("messages").setAttribute("aria-label", "Messages in " + label);
  $("composer-label").textContent = "Message " + label;
  $("composer-input").placeholder = "Message " + label;
  renderComposerMute(); // "You are muted in #x until …" instead, while I am
  const info = myRoom(name);
  const lock = $("room-private");
  lock.hidden = !(info && info.private && !info.dm);
  const topic = topicOf(name);
  const btn = $("room-topic");
  btn.hidden = isDM(name);
  btn.textContent = topic || "Add a topic";
  btn.classList.toggle("empty", !topic);
  btn.title = topic ? "Change the topic" : "Set a topic for " + label;
  $("invite-button").hidden = !canInvite(name);
  // The moderation menus (⋯) show for a room's owner and moderators too (CSS).
  $("app").dataset.roomRole = canModerateRoom(name) && info ? info.role : "";
}

/**
 * Whether I may moderate a room (kick, ban, mute, delete others' messages, @room), as the
 * server decides (mayModerate): a server moderator or admin anywhere, a room's owner or
 * moderator there, public room or private. The welcome's role alone hid every ⋯ from a room's
 * moderator, whose /kick in `hubbub chat` worked.
 */
function canModerateRoom(name) {
  if (client.canModerate()) return true;
  const info = myRoom(name);
  return !!(info && !info.dm && !info.invited && (info.role === "owner" || info.role === "moderator"));
}

/** Whether I may invite to a room: a private room (not a DM) I own or moderate. */
function canInvite(name) {
  const info = myRoom(name);
  if (!info || !info.private || info.dm || info.invited) return false;
  return client.canModerate() || info.role === "owner" || info.role === "moderator";
}

// --- members with presence -----------------------------------------------------------------------

/** Asks for the stored members of a room (with presence), at most once per debounce. */
function askRoster(room) {
  if (!client.hasRoomList) return;
  clearTimeout(ui.rosterTimer);
  ui.rosterTimer = setTimeout(() => {
    if (ui.active === room) client.askMembers(room, "");
  }, ROSTER_DEBOUNCE_MS);
}

/**
 * Takes name off the roster of room, the room in view, until the next roster comes, and
 * reports whether it was on it: a moderator's kick or ban takes a public room out of its
 * member's list (protocol.md, Moderation), but the roster asked before lists them, connected,
 * so the page kept them online beside "eve was kicked by carol" until it asked again
 * (ROSTER_DEBOUNCE_MS). A private room or a DM keeps its kicked and banned members.
 */
function dropFromRoster(room, name) {
  const info = myRoom(room);
  if (ui.roster.room !== room || !ui.roster.byName.has(name) || !info || info.private || info.dm) return false;
  ui.roster.members = ui.roster.members.filter((m) => m.name !== name);
  ui.roster.byName.delete(name);
  return true;
}

/**
 * Renames was to name on the roster of room, if it is the one in view and lists was, and
 * reports whether it did: a member who renamed (a presence leave with renamed) keeps their
 * row, role and sanctions under the new name until the next roster, where the roster asked
 * before listed the old one under Offline beside them online.
 */
function renameInRoster(room, was, name) {
  const m = ui.roster.room === room ? ui.roster.byName.get(was) : undefined;
  if (!m || ui.roster.byName.has(name)) return false;
  ui.roster.byName.delete(was);
  m.name = name;
  ui.roster.byName.set(name, m);
  if (Array.isArray(ui.roster.sanctions)) {
    for (const s of ui.roster.sanctions) if (m.user && s.user === m.user) s.name = name;
  }
  return true;
}

/** The name the roster of the room in view gives user id user now, or "" if it lists no such member. */
function rosterNameOf(user) {
  if (!user || ui.roster.room !== ui.active) return "";
  const m = ui.roster.members.find((x) => x.user === user);
  return m ? m.name : "";
}

/** "last seen 5 min ago" for an offline member, from their last_seen. */
function lastSeenText(m) {
  return m.last_seen ? "last seen " + relativeTime(parseTime(m.last_seen)) : "offline";
}

/** What the roster of the room in view knows of name (a stored member), or undefined. */
function rosterMember(name) {
  return ui.roster.room === ui.active ? ui.roster.byName.get(name) : undefined;
}

/** Whether the roster says m is connected: online or away, in the room or not. */
function rosterConnected(m) {
  return m.state === "online" || m.state === "away";
}

/**
 * The names of the room's stored members (not the invited) whom the roster says are connected
 * but who are not among here, the room's presence: connected without having joined the room,
 * as a DM's people often are: listed with those online, not under Offline (the section and the
 * status line must agree).
 */
function connectedElsewhere(here) {
  if (ui.roster.room !== ui.active) return [];
  return ui.roster.members.filter((m) => !m.invited && rosterConnected(m) && !here.includes(m.name) && !meOutOfIt(m)).map((m) => m.name);
}

/**
 * Whether m is me, in a room a moderator took me out of (kicked, banned): a roster asked
 * before lists me, connected, and the page showed me among the members of a room it said I
 * was removed from, until the next roster (askRoster, on the removal).
 */
function meOutOfIt(m) {
  const r = client.rooms.get(ui.active);
  return m.name === me() && !!(r && (r.removed || (r.error && r.error.code === "banned")));
}

/**
 * Paints a member row of the online list with what the roster knows of them: away or online
 * (or unknown, when known is false: the page has no live presence of the room), their room
 * role, or their server role where it lets them moderate.
 */
function paintPresence(li, name, known) {
  const m = rosterMember(name);
  const r = client.rooms.get(ui.active);
  // Listed as connected: away when the presence frames say so for one in the room, the roster
  // for one connected without being in it.
  let state = m && m.state === "away" ? "away" : "online";
  if (r && r.away instanceof Set && r.members.includes(name)) state = r.away.has(name) ? "away" : "online";
  if (!known) state = "unknown";
  li.dataset.state = state;
  let dot = li.querySelector(".presence");
  if (!dot) {
    dot = document.createElement("span");
    dot.className = "presence";
    li.insertBefore(dot, li.children[1] || null);
  }
  if (state === "unknown") dot.title = client.state === "live" ? "Not known yet" : "Not known while reconnecting";
  else dot.title = state === "away" ? "Away" : "Online";
  dot.setAttribute("aria-label", dot.title);
  dot.setAttribute("role", "img");
  let role = li.querySelector(".member-role");
  // The server's admins first, then the room's owner or moderators, then the server's moderators.
  let roleText = "";
  if (m && m.server_role === "admin") roleText = "admin";
  else if (m && (m.role === "owner" || m.role === "moderator")) roleText = m.role;
  else if (m && m.server_role === "moderator") roleText = "moderator";
  if (roleText && !role) {
    role = document.createElement("span");
    role.className = "member-role";
    // On the line under the name (app.js, renderMembers), before "you".
    const sub = li.querySelector(".member-sub");
    if (sub) sub.prepend(role);
    else li.querySelector(".member-name").after(role);
  }
  if (role) {
    role.textContent = roleText;
    role.hidden = !roleText;
  }
}

/**
 * How the offline list orders names: alphabetically as a reader looks for someone, whatever
 * the case or accents ("amy, Bea, Émile"), numbers by value ("user2" before "user10").
 */
const memberNameOrder = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/**
 * The stored members not listed as connected (online, the room's presence and the roster's
 * connected members) under "Offline", with last seen, and the invited under "Invited", each
 * with their presence (renderInvited), sorted by name (ties by user id, so that the order is
 * the same at every redraw). The server pages them in user id order, which looks random;
 * sorting what is shown keeps the list in order as more pages load (a name from a later page
 * goes into its place).
 */
function renderOffline(online) {
  const list = $("member-offline-list");
  list.textContent = "";
  const all = ui.roster.room === ui.active ? ui.roster.members.filter((m) => !online.includes(m.name) && !meOutOfIt(m)) : [];
  all.sort((a, b) => memberNameOrder.compare(a.name, b.name) || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  const invited = all.filter((m) => m.invited);
  const rows = all.filter((m) => !m.invited);
  renderInvited(invited);
  $("offline-heading").hidden = rows.length === 0;
  for (const m of rows) {
    const muted = mutedText(m.name);
    const li = memberRow(m.name, "member offline", "offline", "Offline", lastSeenText(m) + (muted ? " · " + muted : ""));
    // A moderator bans someone away (or lifts their mute) as well as someone here.
    if (canModerateRoom(ui.active)) {
      li.appendChild(modButton("Moderate " + m.name));
    }
    list.appendChild(li);
  }
  // The banned of a public room are no longer its members: listed here, for a moderator to
  // lift the ban (told to moderators only: sanctionsOf).
  const shown = new Set(all.map((m) => m.name).concat(online));
  const banned = ui.roster.room === ui.active && Array.isArray(ui.roster.sanctions)
    ? ui.roster.sanctions.filter((s) => s.kind === "ban" && !shown.has(s.name) && !ui.roster.byName.has(s.name))
    : [];
  banned.sort((a, b) => memberNameOrder.compare(a.name, b.name));
  for (const s of banned) {
    const until = s.until ? parseTime(s.until) : null;
    const li = memberRow(s.name, "member offline", "banned", "", until && !isNaN(until) ? "banned " + untilText(until) : "banned");
    li.appendChild(modButton("Moderate " + s.name));
    list.appendChild(li);
  }
  if (banned.length) $("offline-heading").hidden = false;
  $("roster-more").hidden = !(ui.roster.room === ui.active && ui.roster.next);
}

/**
 * The invited of a private room, who have not joined it yet, under "Invited", each with the
 * presence the roster gives them: an invitee who is connected was listed under "Offline" as
 * "invited", as if away, when they could be asked to accept now. Online or away, the dot is
 * the online list's; offline, it is an offline member's ring, with when they were last seen.
 */
function renderInvited(rows) {
  const list = $("member-invited-list");
  list.textContent = "";
  $("invited-heading").hidden = rows.length === 0;
  // A roster of the lost connection says nothing true of who is connected now.
  const known = client.state === "live" && !ui.roster.stale;
  for (const m of rows) {
    const state = !known ? "unknown" : rosterConnected(m) ? m.state : "offline";
    const here = state === "online" || state === "away";
    const status = here ? state + ", not joined yet" : state === "offline" && m.last_seen ? "not joined yet, " + lastSeenText(m) : "not joined yet";
    const dot = { online: "Online", away: "Away", offline: "Offline" }[state] || "Not known yet";
    const li = memberRow(m.name, here ? "member invited" : "member invited offline", state, dot, status);
    if (canInvite(ui.active)) li.appendChild(modButton("Invitation of " + m.name));
    list.appendChild(li);
  }
}

/**
 * A row of the member panel's lists below the online one (Offline, Invited, the banned): the
 * avatar, a presence dot labelled dot (none when dot is ""), the name, and status under it.
 */
function memberRow(name, className, state, dot, status) {
  const li = document.createElement("li");
  li.className = className;
  li.dataset.name = name;
  li.dataset.state = state;
  const av = document.createElement("span");
  av.setAttribute("aria-hidden", "true");
  paintAvatar(av, name);
  li.appendChild(av);
  if (dot) {
    const d = document.createElement("span");
    d.className = "presence";
    d.setAttribute("role", "img");
    d.setAttribute("aria-label", dot);
    d.title = dot;
    li.appendChild(d);
  }
  const text = document.createElement("span");
  text.className = "member-text";
  const label = document.createElement("span");
  label.className = "offline-name";
  label.textContent = name;
  const line = document.createElement("span");
  line.className = "last-seen";
  line.textContent = status;
  text.append(label, line);
  li.appendChild(text);
  return li;
}

/** Whether a sanction (from the roster) is of the member called name: by user id, else by name (any case). */
function sanctionMatches(s, name) {
  const m = rosterMember(name);
  if (m && m.user && s.user) return s.user === m.user;
  return s.name.toLowerCase() === name.toLowerCase();
}

/**
 * The bans and mutes in force on name in the room in view, {ban, mute} (each the sanction or
 * undefined), as the roster says them; null when the page was not told (not a moderator of the
 * room, no roster yet, a server older than the field), or was told only some of the room's
 * (sanctions_more) and not of name's: the menu then offers both, as before the field.
 */
function sanctionsOf(name) {
  if (ui.roster.room !== ui.active || !Array.isArray(ui.roster.sanctions)) return null;
  const held = { ban: undefined, mute: undefined };
  for (const s of ui.roster.sanctions) if (sanctionMatches(s, name)) held[s.kind] = s;
  if (ui.roster.sanctionsMore && !held.ban && !held.mute) return null;
  return held;
}

/**
 * Keeps the roster's sanctions as a moderated frame (mine, answered to me) or a sanction event
 * (anyone's, told to the room's moderators: f.user is the user's id) changes them, so that the
 * menu offers the lift right after a mute; true if it changed them.
 */
function noteSanction(f) {
  const kind = { ban: "ban", unban: "ban", mute: "mute", unmute: "mute" }[f.action];
  if (!kind || !f.name || ui.roster.room !== f.room || !Array.isArray(ui.roster.sanctions)) return false;
  const m = rosterMember(f.name);
  const user = f.user || (m ? m.user : "");
  const same = (s) => s.kind === kind && (user && s.user ? s.user === user : sanctionMatches(s, f.name));
  const rest = ui.roster.sanctions.filter((s) => !same(s));
  if (f.action === kind) rest.push({ user, name: f.name, kind, until: f.until || "" });
  ui.roster.sanctions = rest;
  return true;
}

/**
 * "muted until 15:30" for a member muted in the room in view, as a moderator's roster says
 * (sanctionsOf); "" otherwise: a moderator saw a mute only by opening the member's menu.
 */
function mutedText(name) {
  const held = sanctionsOf(name);
  if (!held || !held.mute) return "";
  const until = held.mute.until ? parseTime(held.mute.until) : null;
  return until && !isNaN(until) ? "muted " + untilText(until) : "muted";
}

/** A page of the roster: the first replaces what was known of the room, later ones add to it. */
function takeRoster(d) {
  for (const m of d.members) rosterNames.add(m.name); // names the New message field suggests
  rosterTimes.set(d.room, Date.now());
  if ($("dm-dialog").open) refreshDMSuggestions();
  if (d.room !== ui.active) return; // asked for New message (askRostersForDM)
  // A page asked for over a connection since lost never comes: the first page of the new
  // one starts the roster over.
  if (ui.roster.room !== d.room || !ui.roster.paging || ui.roster.stale) {
    ui.roster = { room: d.room, members: [], byName: new Map(), next: "", paging: false, stale: false, sanctions: d.sanctions, sanctionsMore: d.sanctions_more };
  }
  ui.roster.paging = false;
  for (const m of d.members) {
    if (ui.roster.byName.has(m.name)) continue;
    ui.roster.members.push(m);
    ui.roster.byName.set(m.name, m);
  }
  ui.roster.next = d.next;
  renderMembers();
}

// --- the room switcher (Ctrl/Cmd+K) --------------------------------------------------------------

const switcher = { items: [], at: 0, opener: null, chosen: false };

function openSwitcher() {
  const dlg = $("switcher-dialog");
  switcher.opener = document.activeElement;
  switcher.chosen = false;
  $("switcher-input").value = "";
  closeDrawers();
  if (!dlg.open) dlg.showModal();
  filterSwitcher();
  $("switcher-input").focus();
}

/**
 * Every room the page knows, in sidebar order: followed rooms, then the rest of my list — but
 * the one in view, which switching to would change nothing.
 */
function switcherRooms() {
  const names = ui.rooms.filter((name) => name !== ui.active);
  for (const [name, info] of client.myRooms) if (!names.includes(name) && !info.invited && name !== ui.active) names.push(name);
  return names;
}

/** A room as the switcher lists it, as the sidebar shows it: "#general", a DM "@bob, carol". */
function switcherLabel(name) {
  return isDM(name) ? "@" + roomLabel(name) : roomLabel(name);
}

/** Lists the rooms whose name (or DM people) contain what is typed; names that start with it first. */
function filterSwitcher() {
  const q = $("switcher-input").value.trim().replace(/^[#@]/, "").toLowerCase();
  const scored = [];
  for (const name of switcherRooms()) {
    const label = roomLabel(name).replace(/^#/, "").toLowerCase();
    const i = label.indexOf(q);
    if (q && i < 0) continue;
    scored.push({ name, score: q ? (i === 0 ? 0 : 1) : 0 });
  }
  scored.sort((a, b) => a.score - b.score);
  switcher.items = scored.map((x) => x.name);
  switcher.at = 0;
  renderOptions("switcher-list", "switcher-option-", switcher.items, chooseSwitcher, (li, name) => {
    li.dataset.room = name;
    li.appendChild(optionLabel(switcherLabel(name)));
    const c = countsOf(name);
    if (c.unread) {
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = countText(c.unread);
      li.appendChild(badge);
    }
  });
  $("switcher-empty").hidden = switcher.items.length > 0;
  markSwitcher();
}

/**
 * Fills the listbox listboxId with one option per item (ids idPrefix0, idPrefix1, …), its
 * content drawn by fill(li, item): the room switcher's rooms and the New message dialog's
 * names both. A click on option i calls choose(i); pressing it keeps the focus in the input,
 * whose arrow keys and typing go on. Returns the list.
 */
function renderOptions(listboxId, idPrefix, items, choose, fill) {
  const list = $(listboxId);
  list.textContent = "";
  items.forEach((item, i) => {
    const li = document.createElement("li");
    li.id = idPrefix + i;
    li.setAttribute("role", "option");
    fill(li, item);
    li.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the focus in the input
    li.addEventListener("click", () => choose(i));
    list.appendChild(li);
  });
  return list;
}

/** An option's text (renderOptions), cut with "…" where it is too long for the list. */
function optionLabel(text) {
  const label = document.createElement("span");
  label.className = "switcher-label";
  label.textContent = text;
  return label;
}

/**
 * Marks option at of the list listboxId, the one under the arrow keys, for the eye and (through
 * inputId's aria-activedescendant) for screen readers: the room switcher's and the New message
 * dialog's suggestions both.
 */
function markOption(inputId, listboxId, at) {
  const input = $(inputId);
  const options = $(listboxId).children;
  for (let i = 0; i < options.length; i++) options[i].setAttribute("aria-selected", String(i === at));
  if (options[at]) {
    input.setAttribute("aria-activedescendant", options[at].id);
    options[at].scrollIntoView({ block: "nearest" });
  } else {
    input.removeAttribute("aria-activedescendant");
  }
}

/** Marks the room under the arrow keys (markOption). */
function markSwitcher() {
  markOption("switcher-input", "switcher-list", switcher.at);
}

function chooseSwitcher(i) {
  const name = switcher.items[i];
  if (!name) return;
  switcher.chosen = true;
  $("switcher-dialog").close();
  openRoom(name);
  $("composer-input").focus();
}

// --- the account ---------------------------------------------------------------------------------

/** Set by loadAccount when the server takes no guests (--auth accounts): visitors sign in. */
let signInRequired = false;

/**
 * Set by loadAccount when the server takes only its website's users (--auth token): no name is
 * asked, and no sign-in or password offered, which could not let anyone in.
 */
let tokenRequired = false;

/**
 * Asks the server who the session cookie signs in (GET /api/me): a signed-in user sees their
 * name and Sign out; a server with accounts and no session offers Sign in; a server without
 * accounts (404) shows neither. Returns the user, or null.
 */
async function loadAccount() {
  let res;
  // The page waits for this answer before asking a name; a server slow to give it is taken
  // as one without accounts.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ACCOUNT_TIMEOUT_MS);
  try {
    // optional=1: a guest is answered 200 {"user": null}, not 401, which the browser would log
    // as an error on every guest's load.
    res = await fetch("/api/me?optional=1", { credentials: "same-origin", headers: { Accept: "application/json" }, signal: abort.signal });
  } catch (e) {
    return null;
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  if (res.ok) {
    try {
      body = await res.json();
    } catch (e) {
      return null;
    }
  }
  if (res.status === 401 || (body && body.user === null)) {
    // This server has accounts: sign in, or keep this guest name with a password.
    // Every server that keeps users has the sign-in page; a page a host app signs in with a
    // token has no use for it, nor has any page of a server that lets only tokens in (auth,
    // absent from servers older than the field).
    const auth = body && typeof body.auth === "string" ? body.auth : "";
    tokenRequired = auth === "token";
    signInRequired = !!(body && body.signin === true) || auth === "accounts";
    const noAccounts = tokenMode || tokenRequired;
    $("signin-link").hidden = noAccounts;
    // "Set a password" keeps the guest name this browser chats under as an account. A server
    // that takes no guests let a browser that never chatted there as one have none: the
    // account page asked a name and a password for it and refused them ("this browser's key
    // does not hold that name as a guest"), or said to chat once first, which it cannot.
    $("account-link").hidden = noAccounts || (signInRequired && !saved.get("name"));
    $("name-signin").hidden = noAccounts;
    return null;
  }
  const me = body && body.user;
  if (!me || typeof me.name !== "string") return null;
  $("signin-link").hidden = true;
  // The account page is where a signed-in user changes their name and password and an admin
  // makes invite links (docs/operations.md): the page showed no way there, only Sign out.
  const account = $("account-link");
  account.textContent = "Account";
  account.title = me.role === "admin" ? "Your name, your password, and invite links for new people" : "Change your name or password";
  account.hidden = false;
  $("signout-form").hidden = false;
  // The double-submit token the sign-out form sends back (the hubbub_csrf cookie's value).
  $("signout-csrf").value = typeof body.csrf === "string" ? body.csrf : "";
  return me;
}

// --- wiring --------------------------------------------------------------------------------------

/** Connects the people events of the client and the page's controls to the page. */
function wirePeople() {
  client.addEventListener("myrooms", (ev) => {
    if (!ev.detail.room && !ui.dividerChecked) {
      // The room in view was opened before the first room list said where I had read it to
      // (a reload): the divider goes there now.
      ui.dividerChecked = true;
      const divider = dividerOf(ui.active);
      if (divider !== null && !(ui.divider && ui.divider.room === ui.active)) {
        ui.divider = divider;
        renderMessages();
      }
    }
    followMyRooms();
    renderRooms();
    renderInvites();
    if (!ev.detail.room || ev.detail.room === ui.active) {
      renderRoomHead();
      // Made a moderator of the room in view (or no longer one) while looking at it: its
      // messages and members get (or lose) their ⋯ now, and the members are asked again, as
      // the room's sanctions, which the menus follow, are told to its moderators only.
      const moderates = ui.active ? canModerateRoom(ui.active) : false;
      if (ui.moderatesActive !== undefined && ui.moderatesActive.room === ui.active && ui.moderatesActive.yes !== moderates) {
        renderMessages();
        renderMembers();
        if (moderates) client.askMembers(ui.active, "");
      }
      ui.moderatesActive = { room: ui.active, yes: moderates };
    }
    // The room in view was opened before the room list came (a page's hello and join go
    // together): its roster, asked only once the list is there, is asked now, not 1.5 s after
    // the room's last arrival or departure (askRoster) — meanwhile a moderator's menu offered
    // every Lift, not knowing the room's sanctions, and the Offline list was empty.
    if (!ev.detail.room && ui.active && ui.roster.room !== ui.active && !client.rosterAsked.has(ui.active)) client.askMembers(ui.active, "");
  });
  client.addEventListener("unroom", (ev) => {
    const room = ev.detail.room;
    renderInvites();
    if (ui.rooms.includes(room)) {
      const wasActive = ui.active === room;
      leaveRoom(room, { quiet: true, local: true });
      if (wasActive) showNotice("You are no longer in " + roomLabel(room) + ".", { kind: "info" });
    }
  });
  client.addEventListener("open", (ev) => {
    for (const which of ["browse", "dm"]) if ($(which + "-dialog").open) $(which + "-dialog").close();
    $("create-submit").disabled = false;
    $("dm-submit").disabled = false;
    followMyRooms();
    openRoom(ev.detail.room);
    $("composer-input").focus();
  });
  client.addEventListener("directory", (ev) => showDirectory(ev.detail));
  client.addEventListener("roster", (ev) => takeRoster(ev.detail));
  client.addEventListener("notices", (ev) => {
    if (ev.detail.room !== ui.active) return;
    renderMessages({ appended: true });
    renderRoomHead();
    askRoster(ui.active);
  });
  client.addEventListener("members", (ev) => {
    if (ev.detail.room === ui.active) askRoster(ui.active);
  });

  $("browse-rooms").addEventListener("click", openBrowser);
  $("browse-search").addEventListener("input", () => {
    clearTimeout(browse.timer);
    browse.timer = setTimeout(() => {
      browse.query = $("browse-search").value.trim();
      $("directory-list").textContent = "";
      askDirectory("");
    }, 250);
  });
  $("directory-more").addEventListener("click", () => askDirectory(browse.next));
  $("create-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    createFromForm();
  });
  $("browse-close").addEventListener("click", () => $("browse-dialog").close());
  $("browse-dialog").addEventListener("close", () => ($("create-submit").disabled = false));

  $("new-dm").addEventListener("click", openDMDialog);
  $("new-dm-2").addEventListener("click", openDMDialog);
  $("dm-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    startDM();
  });
  $("dm-cancel").addEventListener("click", () => $("dm-dialog").close());
  $("dm-dialog").addEventListener("close", () => {
    $("dm-submit").disabled = false;
    hideDMSuggestions();
  });
  $("dm-names").addEventListener("input", () => suggestDM(false));
  $("dm-names").addEventListener("keydown", dmNamesKey);
  $("dm-names").addEventListener("blur", hideDMSuggestions);

  $("invite-button").addEventListener("click", openInviteDialog);
  $("invite-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sendInvite();
  });
  $("invite-cancel").addEventListener("click", () => $("invite-dialog").close());

  $("room-topic").addEventListener("click", openTopicDialog);
  $("topic-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sendTopic();
  });
  $("topic-cancel").addEventListener("click", () => $("topic-dialog").close());

  $("roster-more").addEventListener("click", () => {
    ui.roster.paging = true;
    client.askMembers(ui.active, ui.roster.next);
  });

  if (/Mac|iPhone|iPad/.test(navigator.platform || "")) $("switcher-key").textContent = "⌘K";
  $("switcher-open").addEventListener("click", openSwitcher);
  $("switcher-input").addEventListener("input", filterSwitcher);
  $("switcher-input").addEventListener("keydown", (ev) => {
    const n = switcher.items.length;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      if (n) switcher.at = (switcher.at + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
      markSwitcher();
    } else if (ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      chooseSwitcher(switcher.at);
    }
  });
  $("switcher-dialog").addEventListener("close", () => {
    // Closed without choosing: the focus goes back where it was.
    const back = switcher.opener;
    if (!switcher.chosen && back && back.isConnected && back !== document.body) back.focus();
  });
  $("switcher-dialog").addEventListener("click", (ev) => {
    if (ev.target === $("switcher-dialog")) $("switcher-dialog").close(); // a click on the backdrop
  });
  document.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && !ev.shiftKey && (ev.key === "k" || ev.key === "K")) {
      ev.preventDefault();
      if ($("switcher-dialog").open) $("switcher-dialog").close();
      else if (!document.querySelector("dialog[open]")) openSwitcher();
    }
  });

  $("messages").addEventListener("scroll", () => {
    if (listShowsBottom()) readActive();
  });
}

/**
 * Follows the rooms of the server's list that this page does not follow yet (joined rooms and
 * DMs, not invitations), so their counts stay current from live messages. The server's limit
 * of rooms per connection bounds them: past it, a room is joined when it is opened.
 */
function followMyRooms() {
  const max = (client.limits && client.limits.max_rooms) || Infinity;
  let changed = false;
  for (const [name, info] of client.myRooms) {
    if (info.invited || ui.rooms.includes(name) || !ROOM_NAME.test(name)) continue;
    ui.rooms.push(name);
    changed = true;
    if (client.rooms.size < max) client.addRoom(name);
  }
  if (changed) saveRooms();
}

// --- in the message list -------------------------------------------------------------------------

/** Where an element of the message list starts, in the list's scroll coordinates. */
function dividerTop(box, el) {
  return el.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
}

/** The "new since you left" line above the first message that came after my read position. */
function unreadDivider() {
  const li = document.createElement("li");
  li.className = "unread-divider";
  li.setAttribute("role", "separator");
  li.setAttribute("aria-label", "New since you left");
  const span = document.createElement("span");
  span.textContent = "New since you left";
  li.appendChild(span);
  return li;
}

/**
 * What a topic, membership or sanction change says, in words: "ann invited bob", "a server
 * admin invited bob" (the server API's, api true: its from, "api", may be a user's name).
 */
function noticeText(f) {
  const who = f.api === true ? moderatorName("", true) : f.from || "someone";
  if (f.type === "topic_changed") return f.topic ? who + " set the topic: " + f.topic : who + " cleared the topic";
  if (f.type === "sanction_changed") return sanctionText(who, f);
  const whom = f.subject_name || "someone";
  switch (f.action) {
    case "invite":
      return who + " invited " + whom;
    case "join":
      if (f.subject && f.subject === f.user) return whom + " joined";
      // Nobody's join: a DM the server API started (POST /api/dms) is made with its people in
      // it, by no user, and "someone added bob" named an actor there was not.
      if (!f.user && !f.from && f.api !== true) return whom + " was added";
      return who + " added " + whom;
    case "leave":
      return whom + " left";
    case "remove":
      return who + " removed " + whom;
    case "role":
      // The server's own change: the only owner (who) left, and whom took the room over; or
      // whom joined a room that had lost its owner.
      if (f.auto === true && f.subject && f.subject === f.user) return whom + " is now the owner, as the room had none";
      if (f.auto === true) return whom + " is now the owner, as " + who + " left";
      return who + " made " + whom + (f.role === "owner" ? " an owner" : f.role === "moderator" ? " a moderator" : " a member");
    default:
      return who + " changed the members";
  }
}

/**
 * Who a moderator is in a line of the timeline: their name, "you", or for the server API
 * (which names no one: docs/protocol.md, Moderation) "a server admin".
 */
function moderatorName(name, api) {
  if (api || !name) return "a server admin";
  return name === me() ? "you" : name;
}

/**
 * What a ban, mute or lift says: "carol banned bob until 15:30: spam", "carol lifted bob's
 * mute", "a server admin muted you" (the server API's: its from, "api", may be a user's
 * name). An end on another day than today shows its date too.
 */
function sanctionText(who, f) {
  who = f.api === true ? moderatorName("", true) : f.from === me() ? "you" : who;
  const mine = !!f.name && f.name === me();
  const whom = mine ? "you" : f.name || "someone";
  const whose = mine ? "your" : whom + "'s";
  switch (f.action) {
    case "unban":
      return who + " lifted " + whose + " ban";
    case "unmute":
      return who + " lifted " + whose + " mute";
  }
  let text = who + (f.action === "ban" ? " banned " : " muted ") + whom;
  if (f.until) {
    const until = parseTime(f.until);
    if (isUntilLifted(until)) text += " until lifted";
    else text += " until " + (dayKey(until) === dayKey(new Date()) ? "" : dayLabel(until) + " ") + timeFormat.format(until);
  }
  return f.reason ? text + ": " + f.reason : text;
}

/**
 * What a member's removal by a moderator says, as the room's presence told it: "eve was kicked
 * by carol", "eve was banned by a server admin" (a ban only when no entry told of it).
 */
function removalText(n) {
  if (n.moderation === "rename") return n.name + " is now " + n.renamed;
  return n.name + (n.moderation === "ban" ? " was banned by " : " was kicked by ") + moderatorName(n.by, n.api);
}

/** A small line in the message list for a member a moderator took out (removalText). */
function removalElement(n) {
  const li = document.createElement("li");
  li.className = "room-notice";
  li.dataset.kind = n.moderation;
  const text = document.createElement("span");
  text.className = "room-notice-text";
  text.textContent = removalText(n);
  li.append(text, " ", timeElement(parseTime(n.time)));
  return li;
}

/**
 * The quiet line heading a span of the timeline whose older room events the server left out
 * (notices_truncated): the topic, membership and ban changes shown below it are the newest.
 */
function noticeGapElement() {
  const li = document.createElement("li");
  li.className = "room-notice-gap";
  li.textContent = "Some earlier room events are not shown";
  return li;
}

/** A small line in the message list for a change to the room itself. */
function noticeElement(f) {
  const li = document.createElement("li");
  li.className = "room-notice";
  li.dataset.logSeq = String(f.log_seq);
  li.dataset.kind = f.type === "topic_changed" ? "topic" : f.action || "member"; // sanction_changed: ban, unmute…
  const text = document.createElement("span");
  text.className = "room-notice-text";
  text.textContent = noticeText(f);
  const when = parseTime(f.time);
  li.append(text, " ", timeElement(when));
  return li;
}
