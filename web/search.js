// search.js — finding messages (docs/protocol.md, Search): the search panel that Ctrl/Cmd+F
// opens over the room in view, on ChatClient's search (chat-protocol.js).
//
// The panel searches this room or all my rooms; each hit shows its room, sender, time and the
// snippet the server cut around the matches, as the message reads (markdown's markers gone), with
// the matched pieces in <mark> — built as text nodes, never as HTML, since the snippet is other
// people's text. Clicking a hit opens its room
// at that message (messages.js's jumpTo pages back until it is loaded) and marks it.
"use strict";

/** Limits of the search panel. */
const SEARCH_LIMITS = {
  queryBytes: 256, // hubbub.MaxSearchQueryLen: longer is refused by the server
  page: 20, // hits per page (the server's default)
  typingDelay: 350, // ms after the last keystroke before a search goes out
};

// --- the panel -----------------------------------------------------------------------------------

const finder = {
  paging: false, // the request on its way asks for the next page
  id: "", // the request whose answer the panel waits for ("" for none)
  params: null, // what the panel searched for last (the "more" button asks again with next)
  next: "",
  timer: 0,
  opener: null, // what had the focus before the panel opened
  found: null, // {room, seq} of the hit last opened, marked in its room
  retry: false, // a search could not go out (no connection): it goes at the next welcome
  off: false, // the server runs without search (welcome's search_off, or a "disabled" answer)
};

/**
 * Turns the search off (the server said so) or on again (a later welcome without search_off):
 * off, the button is hidden, an open panel closes and Ctrl/Cmd+F is the browser's find again,
 * since a box that can only fail is worse than none.
 */
function setSearchOff(off) {
  finder.off = off;
  $("search-open").hidden = off;
  if (off) closeSearch(true);
}

/** Whether the chat has the focus: Ctrl/Cmd+F is ours there, the browser's elsewhere. */
function chatHasFocus() {
  const el = document.activeElement;
  return document.hasFocus() && !!el && el !== document.body && $("app").contains(el) && !document.querySelector("dialog[open]");
}

/** Opens the search panel (scope: "room" or "all"), the focus in its box. */
function openSearch(scope) {
  const panel = $("search");
  if (panel.hidden) finder.opener = document.activeElement;
  if (msgUI.thread) closeThread(false); // the two panels share a place
  if (scope) $(scope === "all" ? "search-scope-all" : "search-scope-room").checked = true;
  panel.hidden = false;
  $("app").classList.add("search-open");
  labelScope();
  const input = $("search-input");
  input.focus();
  input.select();
}

/**
 * Names the room "this room" searches: the one in view, which changes under the panel. A DM by
 * its people alone read "In bob", as if bob were a place: "In your conversation with bob".
 */
function labelScope() {
  $("search-scope-room-label").textContent = "In " + roomPhrase(ui.active);
}

/** Closes the search panel; unless quiet, the focus goes back where it was. */
function closeSearch(quiet) {
  const panel = $("search");
  if (panel.hidden) return;
  clearTimeout(finder.timer);
  finder.id = "";
  panel.hidden = true;
  $("app").classList.remove("search-open");
  const back = finder.opener;
  finder.opener = null;
  if (quiet) return;
  if (back && back.isConnected && back !== document.body && !panel.contains(back)) back.focus();
  else $("composer-input").focus();
}

/** What the panel's form asks for now, or null if there is nothing to search. */
function searchParams() {
  const q = $("search-input").value.trim();
  if (!q) return null;
  const params = { q, limit: SEARCH_LIMITS.page };
  labelScope();
  if ($("search-scope-room").checked) params.room = ui.active;
  return params;
}

/** Sends the panel's search (more: the next page of the last one). */
function runSearch(more) {
  clearTimeout(finder.timer);
  const params = more ? Object.assign({}, finder.params, { cursor: finder.next }) : searchParams();
  if (!more) finder.paging = false;
  if (!params) {
    finder.id = "";
    finder.params = null;
    clearResults("");
    return;
  }
  if (new TextEncoder().encode(params.q).length > SEARCH_LIMITS.queryBytes) {
    finder.id = "";
    clearResults("That is too long to search for: at most " + SEARCH_LIMITS.queryBytes + " bytes.");
    return;
  }
  const id = client.search(params);
  if (!id) {
    finder.id = "";
    clearResults("Not connected: the search goes once you are back online.");
    finder.retry = true;
    return;
  }
  finder.id = id;
  finder.retry = false;
  if (!more) finder.params = params;
  $("search-status").textContent = more ? "Loading more…" : "Searching…";
  $("search-more").disabled = true;
}

/** Empties the result list and says why. */
function clearResults(status) {
  $("search-results").replaceChildren();
  $("search-status").textContent = status;
  $("search-more").hidden = true;
  finder.next = "";
}

/** Shows an answer to the panel's search: a page of hits (after the others for "more"). */
function showResults(d) {
  if (!d.id || d.id !== finder.id) return; // an answer to a search typed over since
  finder.id = "";
  const paging = finder.paging;
  finder.paging = false;
  $("search-more").disabled = false;
  if (d.error) {
    $("search-status").textContent = searchProblem(d.error);
    // A server older than welcome's search_off says so only now: the panel says it, and the
    // button goes, so that Ctrl/Cmd+F is the browser's find from here on.
    if (d.error.code === "disabled") {
      finder.off = true;
      $("search-open").hidden = true;
    }
    return;
  }
  const f = d.frame;
  const list = $("search-results");
  if (!paging) list.replaceChildren();
  // Searched in one room, the scope above names it: each hit repeating it only took room (two
  // lines of a long room's name over every hit on a phone).
  const oneRoom = !!(finder.params && finder.params.room);
  for (const h of f.hits) list.append(hitElement(h, oneRoom));
  finder.next = f.next;
  $("search-more").hidden = !f.next;
  const n = list.childElementCount;
  let status = n === 0 ? "No messages match." : n === 1 ? "1 message" : n + (f.next ? "+ messages" : " messages");
  if (f.partial) status += " — in your 1,000 most recently active rooms";
  $("search-status").textContent = status;
}

/** Words for an error that refused a search. */
function searchProblem(e) {
  switch (e.code) {
    case "empty":
      return "Type a word to look for.";
    case "too_long":
      return "That is too long to search for.";
    case "forbidden":
      return "You cannot search this room.";
    case "rate_limited":
      return "Searching too fast: wait a moment.";
    case "unavailable":
      return e.message || "Search is unavailable; try again.";
    case "disabled":
      return "Search is off on this server.";
    default:
      return e.message || "The search failed (" + e.code + ").";
  }
}

const searchTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * A hit's room beside its sender: "#general", or for a DM "DM with fred" — the people's names
 * alone ("erin fred") read as two senders.
 */
function hitRoomLabel(name) {
  const label = roomLabel(name);
  return isDM(name) && label !== "Direct message" ? "DM with " + label : label;
}

// --- a snippet as the message reads ---------------------------------------------------------------
//
// The server cuts its snippet from the message's markdown source, so "**bob**" came with its
// stars. The page shows the same window of the message as it reads, markers gone: it renders
// the whole message (markdown.js), so that a bold opened before the cut still counts as markup,
// maps every character read back to the source character it came from, and keeps those that
// fall in the server's window, marking those in its hits. All of it stays text nodes.

/** Characters markdown may drop between two pieces of text: its markers, a list's number. */
const MARKDOWN_MARKERS = /^[\s*_~`>\-+.)\d\\[\]]*$/;

/**
 * The text that the markdown source src reads as, with, for each of its UTF-16 units, the index
 * of the source unit it shows (-1 for a line break between blocks that the source has not).
 */
function readWithSource(src) {
  let out = "";
  const at = [];
  let p = 0; // the source read up to here
  const place = (t) => {
    // Text as written (the common case): found whole, with only markers skipped.
    const i = src.indexOf(t, p);
    if (i !== -1 && MARKDOWN_MARKERS.test(src.slice(p, i))) {
      for (let k = 0; k < t.length; k++) at.push(i + k);
      out += t;
      p = i + t.length;
      return;
    }
    // Text that markdown changed (an escape dropped its backslash, a code span's line break
    // became a space): each character at the next place it occurs.
    for (const c of t) {
      let i = src.indexOf(c, p);
      if (c === " ") {
        const nl = src.indexOf("\n", p);
        if (nl !== -1 && (i === -1 || nl < i)) i = nl;
      }
      for (let k = 0; k < c.length; k++) at.push(i === -1 ? Math.max(0, p - 1) : i + k);
      if (i !== -1) p = i + c.length;
    }
    out += t;
  };
  const walk = (node) => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === Node.TEXT_NODE) {
        place(n.data);
        continue;
      }
      if (n.nodeType !== Node.ELEMENT_NODE) continue;
      if (BLOCK_ELEMENTS.has(n.tagName) && out && !out.endsWith("\n")) {
        out += "\n";
        at.push(-1);
      }
      walk(n);
      // A link's label is read; its "](target)" is not: skip it, parentheses balanced.
      if (n.tagName === "A" && n.title && src.startsWith("](", p)) {
        let k = p + 2;
        for (let depth = 0; k < src.length; k++) {
          if (src[k] === "(") depth++;
          else if (src[k] === ")" && depth-- === 0) break;
        }
        p = k + 1;
      }
    }
  };
  walk(renderMarkdown(src));
  return { out, at };
}

/**
 * The snippet parts (the server's, [{text, hit}]) as the message text reads: the same window of
 * it, with its markdown markers gone and the same words marked. When the window cannot be found
 * in the text, or no marked word would be left to see (a match inside a link's address), the
 * server's parts come back as they are: raw markers beat a hit that shows no reason.
 */
function readSnippet(text, parts) {
  let win = parts.map((p) => p.text).join("");
  // The server marks a cut end with "…", merged into the text beside it.
  let lead = "";
  let trail = "";
  let start = text.indexOf(win);
  for (const [l, r] of [["…", ""], ["", "…"], ["…", "…"]]) {
    if (start !== -1) break;
    if (!win.startsWith(l) || !win.endsWith(r) || win.length < l.length + r.length) continue;
    const inner = win.slice(l.length, win.length - r.length);
    start = text.indexOf(inner);
    if (start !== -1) [lead, trail, win] = [l, r, inner];
  }
  if (start === -1) return parts;
  // The hits as ranges of the source.
  const hits = [];
  let off = start - lead.length;
  for (const p of parts) {
    if (p.hit) hits.push([off, off + p.text.length]);
    off += p.text.length;
  }
  const isHit = (i) => hits.some(([a, b]) => i >= a && i < b);
  const end = start + win.length;
  const { out, at } = readWithSource(text);
  const read = [];
  let last = -1; // the source index of the last character kept
  for (let k = 0; k < out.length; k++) {
    const i = at[k] === -1 ? last : at[k];
    if (i < start || i >= end) continue;
    if (at[k] !== -1) last = i;
    const hit = at[k] !== -1 && isHit(i);
    const top = read[read.length - 1];
    if (top && top.hit === hit) top.text += out[k];
    else read.push({ text: out[k], hit });
  }
  if (hits.length && !read.some((p) => p.hit)) return parts;
  while (read.length && !read[read.length - 1].hit && read[read.length - 1].text.endsWith("\n")) {
    read[read.length - 1].text = read[read.length - 1].text.slice(0, -1); // a block's end, cut
    if (!read[read.length - 1].text) read.pop();
  }
  if (lead) read.unshift({ text: lead, hit: false });
  if (trail) read.push({ text: trail, hit: false });
  return mergeParts(read);
}

/** Parts with neighbours of one kind joined, as the server sends them. */
function mergeParts(parts) {
  const out = [];
  for (const p of parts) {
    const top = out[out.length - 1];
    if (top && top.hit === p.hit) top.text += p.text;
    else if (p.text) out.push({ text: p.text, hit: p.hit });
  }
  return out;
}

/**
 * One hit of the result list: a button that opens the message, with its snippet marked, and
 * its room unless the search was in one room (oneRoom).
 */
function hitElement(h, oneRoom) {
  const m = h.message;
  const li = document.createElement("li");
  li.className = "search-hit";
  li.dataset.room = m.room;
  li.dataset.seq = String(m.seq);
  const open = document.createElement("button");
  open.type = "button";
  open.className = "search-hit-open";
  const head = document.createElement("span");
  head.className = "search-hit-head";
  const room = document.createElement("span");
  room.className = "search-hit-room";
  room.textContent = hitRoomLabel(m.room);
  const from = document.createElement("strong");
  from.className = "search-hit-from";
  from.textContent = m.from || "";
  const when = parseTime(m.time);
  const time = document.createElement("time");
  time.className = "search-hit-time";
  time.dateTime = when.toISOString();
  time.textContent = searchTimeFormat.format(when);
  if (oneRoom) head.append(from, " ", time);
  else head.append(from, " ", room, " ", time);
  const text = document.createElement("span");
  text.className = "search-snippet";
  const parts = h.snippet.length ? h.snippet : [{ text: m.text || "", hit: false }];
  for (const p of readSnippet(m.text || "", parts)) {
    if (p.hit) {
      const mark = document.createElement("mark");
      mark.textContent = p.text;
      text.append(mark);
    } else {
      text.append(document.createTextNode(p.text));
    }
  }
  open.append(head, text);
  open.addEventListener("click", () => openHit(m.room, m.seq));
  li.append(open);
  return li;
}

/** Opens a hit's room at its message, marked, with the messages around it. */
function openHit(room, seq) {
  if (room !== ui.active && !selectRoom(room)) return;
  labelScope();
  if (finder.found) {
    const old = rowOf(finder.found.room, finder.found.seq);
    if (old) old.classList.remove("search-found");
  }
  finder.found = { room, seq };
  jumpTo(room, seq);
  markFound();
  // On a narrow screen the panel covers the room: step aside so the message shows.
  if (window.matchMedia("(max-width: 1023px)").matches) closeSearch(true);
}

/** Marks the opened hit's row once the jump has brought it in (it pages back for an old one). */
function markFound() {
  const f = finder.found;
  if (!f) return;
  const row = rowOf(f.room, f.seq);
  if (row) row.classList.add("search-found");
}

function wireSearch() {
  client.addEventListener("search-results", (ev) => showResults(ev.detail));
  // A search that could not go out, or whose answer the lost connection took, goes again.
  client.addEventListener("welcome", (ev) => {
    setSearchOff(!!ev.detail.searchOff);
    if ($("search").hidden || !(finder.retry || finder.id)) return;
    if (finder.paging && finder.next) runSearch(true);
    else runSearch(false);
  });
  // Every redraw may bring the opened hit in (a page of older messages), or a new row for it.
  client.addEventListener("messages", () => queueMicrotask(markFound));
  client.addEventListener("history", () => setTimeout(markFound, 0));

  $("search-open").addEventListener("click", () => ($("search").hidden ? openSearch("") : closeSearch(false)));
  $("search-close").addEventListener("click", () => closeSearch(false));
  $("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    runSearch(false);
  });
  $("search-input").addEventListener("input", () => {
    clearTimeout(finder.timer);
    finder.timer = setTimeout(() => runSearch(false), SEARCH_LIMITS.typingDelay);
  });
  for (const id of ["search-scope-room", "search-scope-all"]) $(id).addEventListener("change", () => runSearch(false));
  $("search-more").addEventListener("click", () => {
    if (!finder.next || !finder.params) return;
    finder.paging = true;
    runSearch(true);
  });
  $("search").addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      ev.preventDefault();
      ev.stopPropagation();
      closeSearch(false);
    }
  });
  document.addEventListener("keydown", (ev) => {
    if (!(ev.ctrlKey || ev.metaKey) || ev.altKey || ev.shiftKey || (ev.key !== "f" && ev.key !== "F")) return;
    if ($("search").contains(document.activeElement)) {
      // A second Ctrl/Cmd+F in the panel gives the browser's own find, as one expects.
      return;
    }
    if (!chatHasFocus() || finder.off) return;
    ev.preventDefault();
    openSearch("");
  });
  if (/Mac|iPhone|iPad/.test(navigator.platform || "")) $("search-open").title = "Search messages (⌘F)";
}

wireSearch();
