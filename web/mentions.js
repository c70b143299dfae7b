// mentions.js — the @name suggestions of the message boxes (the composer, the thread's reply box
// and the edit box): typing "@ca" lists the people of the room whose name starts with "ca" (then
// those with a word starting so), to pick with the arrow keys and Enter or Tab, or a click, so
// that the name goes in spelt as the server resolves it (protocol.md, Mentions: case and spaces
// included, "@Ann Lee") and its person is notified. A misspelt name notified nobody, and the
// page could only say so after the message had gone.
//
// Loaded after people.js (renderOptions, markOption, memberNameOrder) and before app.js, whose
// `client` and `ui` it uses only when called. Each box's own keydown handler asks mentionKey
// first, so that the list's keys come before sending, saving or cancelling.
"use strict";

/** How many people the list shows at once. */
const MENTION_SUGGESTIONS_MAX = 8;

/** The longest name after an @ that is looked up: the server's longest name (MaxNameLen). */
const MENTION_FRAGMENT_MAX = 32;

/**
 * What the list holds and for which box: items are {name, room?} (room for @room), at the one
 * under the arrow keys, start and end the @fragment's place in input's text. dismissed is the
 * box and the start of the fragment Escape closed the list on ({input, start}): the list stays
 * closed while that fragment is typed on, until another @. inserting is true while a chosen name
 * is written (chooseMention), whose input event asks for no list.
 */
const mentionSuggest = { input: null, room: "", items: [], at: 0, start: 0, end: 0, dismissed: null, inserting: false };

/**
 * The @fragment just before input's caret, or null: an @ at the start of the text or after a
 * space or punctuation but _ and @ (the server's mention boundary, markdown.js), then what was
 * typed up to the caret, on one line and at most MENTION_FRAGMENT_MAX characters.
 * @returns {{start: number, end: number, query: string}|null}
 */
function mentionFragment(input) {
  if (input.selectionStart !== input.selectionEnd) return null;
  const end = input.selectionEnd;
  const before = input.value.slice(Math.max(0, end - MENTION_FRAGMENT_MAX - 2), end);
  const at = before.lastIndexOf("@");
  if (at < 0) return null;
  const query = before.slice(at + 1);
  if (/[\n@]/.test(query) || Array.from(query).length > MENTION_FRAGMENT_MAX) return null;
  const start = end - before.length + at;
  const prev = start > 0 ? input.value.slice(0, start).slice(-1) : "";
  if (prev && !(/\s/.test(prev) || (/\p{P}/u.test(prev) && prev !== "_" && prev !== "@"))) return null;
  return { start, end, query };
}

/**
 * The people one can mention in room, those connected first: the room's presence and the
 * roster's connected members, then its other stored members (the roster of the room in view,
 * people.js), and for a DM its people. Never me, nor those only invited, who are not members.
 * @returns {{name: string, online: boolean}[]}
 */
function mentionPeople(room) {
  const mine = me();
  const people = new Map();
  const add = (name, online) => {
    if (typeof name !== "string" || !name || name === mine) return;
    const had = people.get(name);
    if (!had) people.set(name, { name, online });
    else if (online) had.online = true;
  };
  const r = client.rooms.get(room);
  if (r) for (const name of r.members) add(name, true);
  if (ui.roster.room === room) {
    for (const m of ui.roster.members) if (!m.invited) add(m.name, rosterConnected(m));
  }
  const info = myRoom(room);
  if (info && info.dm && Array.isArray(info.people)) info.people.forEach((name) => add(name, false));
  return Array.from(people.values());
}

/**
 * How well name matches query (lower case): 0 when the name starts with it, 1 when one of its
 * words does ("lee" in "Ann Lee", "smith" in "jo-smith"), -1 when neither.
 */
function mentionScore(name, query) {
  const l = name.toLowerCase();
  if (l.startsWith(query)) return 0;
  for (let i = 1; i < l.length; i++) {
    if (/[\s\p{P}]/u.test(l[i - 1]) && !/[\s\p{P}]/u.test(l[i]) && l.startsWith(query, i)) return 1;
  }
  return -1;
}

/**
 * The suggestions for query in room: the people whose name starts with it, then those with a
 * word starting so, the connected first in each, alphabetically; @room after the names that
 * start with query, for those the server lets mention everyone (its moderators and admins:
 * from others @room is plain text). A fragment holding a space ("Ann L") lists only names
 * that go on so: else a space would leave the list open under every word typed after an @.
 */
function mentionSuggestions(room, query) {
  const q = query.toLowerCase();
  const scored = [];
  for (const p of mentionPeople(room)) {
    const score = mentionScore(p.name, q);
    if (score >= 0 && (!/\s/.test(q) || score === 0)) scored.push({ name: p.name, score: score * 2, online: p.online });
  }
  if (canModerateRoom(room) && "room".startsWith(q)) scored.push({ name: "room", room: true, score: 1, online: true });
  scored.sort((a, b) => a.score - b.score || Number(b.online) - Number(a.online) || memberNameOrder.compare(a.name, b.name));
  return scored.slice(0, MENTION_SUGGESTIONS_MAX);
}

/**
 * Lists the suggestions for the @fragment before input's caret in room, or hides the list. The
 * room's offline members come with its roster (people.js), asked when the room is opened: an @
 * typed before it came asks for it if it is not on its way (once; its answer lists them,
 * mentionRosterCame), rather than offering the connected only until the next key.
 */
function suggestMentions(input, room) {
  if (mentionSuggest.inserting) return;
  const f = room ? mentionFragment(input) : null;
  if (f && room === ui.active && ui.roster.room !== room && client.hasRoomList && !client.rosterAsked.has(room)) client.askMembers(room, "");
  const d = mentionSuggest.dismissed;
  if (d && (!f || f.start !== d.start || d.input !== input)) mentionSuggest.dismissed = null;
  const items = f && !mentionSuggest.dismissed ? mentionSuggestions(room, f.query) : [];
  if (!items.length) {
    if (mentionSuggest.input === input) hideMentions();
    return;
  }
  if (mentionSuggest.input && mentionSuggest.input !== input) hideMentions();
  const chosen = mentionSuggest.input === input ? mentionSuggest.items[mentionSuggest.at] : null;
  Object.assign(mentionSuggest, { input, room, items, start: f.start, end: f.end });
  // The one under the arrow keys stays so while it is listed; else the first, which Enter takes.
  const kept = chosen ? items.findIndex((x) => x.name === chosen.name) : -1;
  mentionSuggest.at = kept >= 0 ? kept : 0;
  const list = renderOptions("mention-list", "mention-option-", items, chooseMention, (li, item) => {
    li.dataset.name = item.name;
    const av = document.createElement("span");
    av.setAttribute("aria-hidden", "true");
    paintAvatar(av, item.room ? "@" : item.name);
    li.append(av, optionLabel(item.room ? "@room" : item.name));
    const note = document.createElement("span");
    note.className = "mention-note";
    if (item.room) note.textContent = "everyone in " + roomPhrase(room);
    else if (!item.online) note.textContent = "offline";
    if (note.textContent) li.appendChild(note);
  });
  list.hidden = false;
  input.setAttribute("aria-controls", "mention-list");
  input.setAttribute("aria-autocomplete", "list");
  placeMentions();
  markOption(input.id, "mention-list", mentionSuggest.at);
}

/**
 * Puts the list above its box, left-aligned with it, in the room above the box (below it when
 * there is more room there, as for the edit box of a message at the top of the list): never
 * over the box itself, on a phone's screen either.
 */
function placeMentions() {
  const input = mentionSuggest.input;
  const list = $("mention-list");
  if (!input || list.hidden) return;
  const box = (input.closest("form") || input).getBoundingClientRect();
  const viewH = window.innerHeight;
  const above = box.top - 8;
  const below = viewH - box.bottom - 8;
  list.style.left = Math.max(4, box.left) + "px";
  list.style.width = Math.min(box.width, 360, window.innerWidth - 8) + "px";
  if (above >= Math.min(200, below) || above >= below) {
    list.style.top = "";
    list.style.bottom = viewH - box.top + 4 + "px";
    list.style.maxHeight = Math.min(240, Math.max(80, above)) + "px";
  } else {
    list.style.bottom = "";
    list.style.top = box.bottom + 4 + "px";
    list.style.maxHeight = Math.min(240, Math.max(80, below)) + "px";
  }
}

/** Closes the list, if open. */
function hideMentions() {
  const input = mentionSuggest.input;
  mentionSuggest.input = null;
  mentionSuggest.items = [];
  mentionSuggest.at = 0;
  const list = $("mention-list");
  list.hidden = true;
  list.textContent = "";
  if (input) {
    input.removeAttribute("aria-activedescendant");
    input.removeAttribute("aria-controls");
  }
}

/**
 * Writes the chosen name in place of the @fragment, with a space after it, caret after that;
 * the text after the caret stays as it was: "@ca|, see" becomes "@carol |, see".
 */
function chooseMention(i) {
  const item = mentionSuggest.items[i];
  const input = mentionSuggest.input;
  if (!item || !input) return;
  const { start, end } = mentionSuggest;
  const text = "@" + item.name + " ";
  hideMentions();
  input.focus();
  // Written as typing writes, so that Ctrl+Z takes the name out again (back to the @fragment):
  // setRangeText, alone, changes the text outside the box's undo history, which then undid
  // what was typed before instead. The input event it fires grows the box, counts its length
  // and sends typing; it lists no suggestions for the name just written (inserting).
  input.setSelectionRange(start, end);
  mentionSuggest.inserting = true;
  let typed = false;
  try {
    typed = document.execCommand("insertText", false, text);
  } catch (e) {
    typed = false; // a browser without it, or one that throws for a textarea
  } finally {
    mentionSuggest.inserting = false;
  }
  if (typed) return;
  // A browser that cannot: written the other way, outside the undo history.
  input.setRangeText(text, start, end, "end");
  autoGrow(input);
  if (input.id === "composer-input" && ui.active) client.typing(ui.active);
}

/**
 * The list's keys, asked by each box's keydown handler before its own: the arrows move, Enter
 * and Tab take the one marked, Escape closes the list (and only the list). Returns true when
 * the key was the list's; an input method composing text keeps its keys.
 */
function mentionKey(ev) {
  const n = mentionSuggest.items.length;
  if (!n || ev.target !== mentionSuggest.input || ev.isComposing || ev.keyCode === 229) return false;
  if (ev.altKey || ev.ctrlKey || ev.metaKey) return false;
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    mentionSuggest.at = ev.key === "ArrowDown" ? (mentionSuggest.at + 1) % n : (mentionSuggest.at + n - 1) % n;
    markOption(ev.target.id, "mention-list", mentionSuggest.at);
  } else if ((ev.key === "Enter" && !ev.shiftKey) || (ev.key === "Tab" && !ev.shiftKey)) {
    chooseMention(mentionSuggest.at);
  } else if (ev.key === "Escape") {
    mentionSuggest.dismissed = { input: ev.target, start: mentionSuggest.start };
    hideMentions();
    ev.stopPropagation(); // closes the list, not the reply, the edit or the thread
  } else {
    return false;
  }
  ev.preventDefault();
  return true;
}

/**
 * Has the box input suggest names of roomOf()'s people ("" for none) as an @name is typed in
 * it; its keydown handler calls mentionKey. The caret moved by a click or an arrow along the
 * line asks again; leaving the box closes the list.
 */
function watchMentions(input, roomOf) {
  const again = () => suggestMentions(input, roomOf());
  mentionBoxes.set(input, roomOf);
  input.setAttribute("aria-autocomplete", "list");
  input.addEventListener("input", again);
  input.addEventListener("click", again);
  input.addEventListener("keyup", (ev) => {
    if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(ev.key)) again();
  });
  input.addEventListener("blur", () => {
    if (mentionSuggest.input === input) hideMentions();
  });
}

/** The boxes watchMentions watches, each with its roomOf. */
const mentionBoxes = new WeakMap();

/**
 * A roster came (people.js has taken it: its listener was added first): the box being typed in,
 * if it is of that room, lists its suggestions again, the room's offline members now among
 * them, without waiting for another key.
 */
function mentionRosterCame(room) {
  const input = document.activeElement;
  const roomOf = input && mentionBoxes.get(input);
  if (roomOf && roomOf() === room) suggestMentions(input, room);
}

window.addEventListener("resize", placeMentions);
document.addEventListener("DOMContentLoaded", () => {
  client.addEventListener("roster", (ev) => mentionRosterCame(ev.detail.room));
  watchMentions($("composer-input"), () => ui.active || "");
  watchMentions($("thread-input"), () => (msgUI.thread ? msgUI.thread.room : ""));
});
