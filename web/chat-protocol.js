// chat-protocol.js — the hubbub.v1 client the chat page is built on (docs/protocol.md).
//
// ChatClient owns one WebSocket and everything that must survive losing it: the rooms the user is
// in, the messages seen in each (keyed by seq, so a replay after a reconnect never shows one
// twice) in their current state (edits, deletions, reactions and reply counts applied from the
// room's log), and the sends and changes not yet acknowledged (keyed by their client id, so
// resending one after a reconnect never stores it twice). It knows nothing about the DOM: app.js listens to its events
// and draws. Keeping the two apart lets the reconnect logic be read without the rendering noise.
"use strict";

/**
 * What the page says of a message of bytes bytes where the server takes max (its max_text):
 * how long it is too, so that whoever pasted it knows how much to cut.
 */
function tooLongText(bytes, max) {
  return "That message is too long: " + bytes + " bytes, " + max + " at most (cut " + (bytes - max) + ").";
}

/**
 * How many bytes the server counts of a message's text against its max_text: the UTF-8 of the
 * text cleaned as it cleans it (CleanMultiline, entry.go: "\r\n" and "\r" are "\n", other
 * control characters spaces, white space trimmed at both ends), so that the page refuses, and
 * its counter warns of (counter.js), what the server would refuse, and no more.
 */
function textBytes(text) {
  const cleaned = text
    .replace(/\r\n?/g, "\n")
    .replace(/[^\P{Cc}\n]/gu, " ")
    .replace(/^\p{White_Space}+|\p{White_Space}+$/gu, "");
  return new TextEncoder().encode(cleaned).length;
}

/** The subprotocol that selects the JSON protocol on /ws. */
const HUBBUB_PROTOCOL = "hubbub.v1";

/** Timings, in milliseconds. */
const CHAT_TIMING = {
  ackTimeout: 10000, // a send on a live connection with no ack by then is shown as failed, with Retry
  backoffBase: 500, // first reconnect delay; doubles on every failed attempt…
  backoffMax: 10000, // …up to this
  stableAfter: 10000, // a connection live this long resets the backoff
  connectTimeout: 8000, // a socket that has not said welcome by then is given up
  pingEvery: 25000, // while idle we ping, so a silently dead connection is noticed…
  pongWait: 10000, // …when nothing at all comes back within this
  typingEvery: 3000, // at most one typing notice per room this often
  typingShown: 5000, // how long someone is shown as typing after their last notice
  historyPage: 50,
};

/** Limits the server holds messages to (hubbub's entry.go), mirrored to show what it shows. */
const CHAT_LIMITS = {
  reactionNames: 3, // a reaction lists the first few who hold it (MaxReactionNames)
  emojiBytes: 32, // MaxEmojiLen
};

/**
 * The hubbub.v1 frames this client knows (docs/protocol.md): each type's fields, with "type" left
 * out. Frames are sent and read through this table: a field it lacks is neither sent nor seen.
 * internal/wire declares the same frames in Go, and its TestBrowserFramesMatchWire fails when a
 * frame or a field is added on one side only.
 */
const HUBBUB_FRAMES = {
  // Client → server.
  send: {
    hello: ["name", "key", "token"],
    join: ["room", "since", "history", "notices"],
    leave: ["room"],
    send: ["room", "id", "text", "reply_to", "attachments"],
    history: ["room", "before", "limit", "thread", "after", "notices"],
    typing: ["room"],
    who: ["room"],
    ping: ["id"],
    kick: ["room", "name", "user", "reason"],
    ban: ["room", "name", "user", "duration", "reason"],
    unban: ["room", "name", "user"],
    mute: ["room", "name", "user", "duration", "reason"],
    unmute: ["room", "name", "user"],
    delete: ["room", "seq", "id"],
    // The room log: changes to messages.
    edit: ["room", "seq", "text", "id"],
    react: ["room", "seq", "emoji", "id"],
    revisions: ["room", "seq"],
    // Conversations: rooms with metadata, private rooms, DMs, read positions.
    create: ["room", "topic", "private"],
    dm: ["names"],
    invite: ["room", "name", "id"],
    remove: ["room", "name", "id"],
    part: ["room", "id"],
    topic: ["room", "topic", "id"],
    role: ["room", "name", "role", "id"],
    rooms: [],
    directory: ["query", "after", "limit"],
    members: ["room", "after"],
    read: ["room", "seq"],
    // Search.
    search: ["q", "room", "from", "since", "until", "order", "cursor", "limit", "id"],
    // Notifications for people who are away.
    notify: ["room", "level", "id"],
    // Slash commands.
    command: ["room", "name", "args", "id"],
    commands: [],
  },
  // Server → client.
  receive: {
    welcome: ["name", "server", "version", "role", "limits", "user", "commands", "search_off", "uploads_off"],
    joined: ["room", "members", "member_count", "last_seq", "replay", "truncated", "notices_truncated", "away"],
    left: ["room"],
    message: ["room", "seq", "id", "from", "user", "text", "time", "bot", "client_id", "deleted", "reply_to", "mentions", "mention_room", "edited_at", "reactions", "reply_count", "attachments"],
    ack: ["room", "id", "seq", "msg_id", "time", "duplicate", "target"],
    history: ["room", "messages", "more", "thread", "notices", "notices_truncated"],
    presence: ["room", "name", "event", "state", "renamed", "moderation", "by", "api", "sanction_seq"],
    typing: ["room", "name"],
    members: ["room", "members", "next", "sanctions", "sanctions_more"],
    pong: ["id"],
    deleted: ["room", "seq", "log_seq", "from", "time", "api", "author", "author_name"],
    edited: ["room", "seq", "log_seq", "from", "text", "time", "mentions", "mention_room", "client_id"],
    reacted: ["room", "log_seq", "changes"],
    revisions: ["room", "seq", "revisions"],
    moderated: ["action", "room", "name", "user", "seq", "until", "note"],
    sanction_changed: ["room", "log_seq", "action", "user", "name", "until", "from", "reason", "time", "api"],
    error: ["code", "message", "request", "room", "id", "retry_after_ms", "stored_room", "by", "until", "reason", "api"],
    // Conversations.
    room: ["room", "topic", "private", "dm", "created_by", "created", "members", "last_seq", "last_activity", "role", "invited", "read_seq", "unread", "mentions", "people"],
    unroom: ["room"],
    rooms: ["rooms"],
    directory: ["rooms", "next"],
    read: ["room", "seq"],
    renamed: ["name", "was"],
    topic_changed: ["room", "log_seq", "from", "user", "topic", "time", "client_id"],
    member_changed: ["room", "log_seq", "from", "user", "subject", "subject_name", "action", "role", "auto", "time", "client_id", "api"],
    // Search.
    search_results: ["id", "q", "room", "hits", "next", "partial"],
    // Notifications for people who are away.
    notify: ["room", "level", "id"],
    // Slash commands.
    commands: ["commands"],
    notice: ["room", "command", "id", "kind", "text", "from"],
  },
  // welcome's limits.
  limits: ["max_text", "max_rooms", "history_max", "history_page_max", "send_rate", "send_burst", "max_attachments", "frame"],
};

/**
 * Returns obj with only the fields `fields` lists (and its type, if it has one), or null if obj
 * is not an object.
 */
function wireFields(obj, fields) {
  if (!obj || typeof obj !== "object") return null;
  const out = typeof obj.type === "string" ? { type: obj.type } : {};
  for (const k of Object.keys(obj)) if (fields.includes(k)) out[k] = obj[k];
  return out;
}

/** The frames of a room's notices: changes to the room itself, entries of its log. */
const NOTICE_TYPES = new Set(["topic_changed", "member_changed", "sanction_changed"]);

/** Encodes a frame to send, with only the fields HUBBUB_FRAMES lists for its type. */
function encodeFrame(obj) {
  const fields = HUBBUB_FRAMES.send[obj.type];
  if (!fields) throw new Error("hubbub.v1 has no client frame " + obj.type);
  return JSON.stringify(wireFields(obj, fields));
}

/**
 * The size of a client frame as the server reads it, in UTF-8 bytes: what its welcome's
 * limits.frame (--read-limit) bounds. A larger frame closes the connection with 1009.
 */
function frameBytes(obj) {
  return new TextEncoder().encode(encodeFrame(obj)).length;
}

/** How many of a room's command notices a page keeps (they are not stored anywhere). */
const COMMAND_NOTICES_KEPT = 20;

/** How many renames of other members a page remembers (currentName), the oldest forgotten first. */
const RENAMES_KEPT = 200;

/** How many of a room's removals told by presence a page keeps (they are not stored either). */
const REMOVALS_KEPT = 20;

/**
 * How many of a room's bans told by an entry a page remembers until their leave comes (a ban of
 * someone not connected makes none), the oldest forgotten first.
 */
const BANS_TOLD_KEPT = 100;

/** Room names the server accepts (protocol.md, bad_room). Checked here to give a quick answer. */
const ROOM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * One room's state. It outlives connections: `joined` says whether the current socket is in the
 * room, everything else is kept so that a rejoin can ask for exactly what was missed.
 *
 * A room is a log of entries (docs/protocol.md): messages, and the edits, deletions and
 * reactions that change them, numbered together. `since` is the highest seq or log_seq applied
 * from that log, and an entry at or below it is never applied twice.
 */
class RoomState {
  constructor(name) {
    this.name = name;
    /**
     * The timeline: seq → message, from minSeq up. Messages are kept in their current state
     * (text after edits, deleted, reactions, reply_count); `version` counts the changes applied
     * to one, so a view can tell when to redraw it.
     * @type {Map<number, object>}
     */
    this.messages = new Map();
    /**
     * Messages known outside the timeline: replies loaded for a thread and quoted parents
     * fetched on their own, older than the timeline's first message. They take changes too.
     * @type {Map<number, object>}
     */
    this.others = new Map();
    this.since = 0; // highest seq or log_seq applied: the `since` of the next rejoin
    this.joinSince = null; // the since the join on its way carried (null: none)
    this.minSeq = 0; // lowest seq held: the `before` of the next history page
    this.lastSeq = 0; // the room's last_seq when we joined
    this.positioned = false; // we have joined once, so rejoins carry `since`
    this.joined = false;
    this.historyDone = false; // the server said no older messages exist
    this.loadingHistory = false;
    /** @type {string[]} */
    this.members = [];
    /** @type {Map<string, number>} name → time their typing notice expires. */
    this.typing = new Map();
    /** @type {Set<string>} the members who are away (idle), from presence frames. */
    this.away = new Set();
    /**
     * Unacknowledged sends by client id. state is "queued" (not sent yet: it goes as soon as the
     * room is joined on a live connection), "sending" (sent, waiting for its ack) or "failed"
     * (refused, or unanswered: it waits for Retry, so nothing marked failed is sent behind the
     * person's back).
     * @type {Map<string, {id:string, room:string, text:string, replyTo:number, attachments:object[], state:string, error:string, time:Date, timer:number}>}
     */
    this.pending = new Map();
    /**
     * Unacknowledged changes to messages (edit, react, delete) by client id, "queued" or
     * "sending" as sends are; a refused one is dropped with a problem event.
     * @type {Map<string, {id:string, kind:string, seq:number, text?:string, emoji?:string, state:string, timer:number}>}
     */
    this.changes = new Map();
    /**
     * Threads asked for: parent seq → the seqs of its replies loaded so far (ascending), whether
     * later ones remain to load (`more`), and whether a page is on its way.
     * @type {Map<number, {replies:number[], more:boolean, loading:boolean, loaded:boolean}>}
     */
    this.threads = new Map();
    /**
     * History requests on their way, oldest first: the server answers a connection's requests
     * in order, so each history frame (or history error) answers the first of them.
     * @type {Array<{kind:"page"}|{kind:"thread", parent:number}|{kind:"parent", seq:number}>}
     */
    this.requests = [];
    /** Quoted parents asked for on their own (seq), and those the server no longer has. */
    this.fetching = new Set();
    this.missing = new Set();
    /**
     * Changes to the room itself, shown between the messages as small notices: log_seq → a
     * topic_changed, member_changed or sanction_changed frame (rooms-protocol.js).
     * @type {Map<number, object>}
     */
    this.notices = new Map();
    /**
     * Where the timeline says "some earlier room events are not shown": the seq each such
     * line goes after — the start of a span (a fresh join's replay, an older page) whose
     * older notices the server left out (notices_truncated: more than its --notice-limit),
     * 0 for a span from the room's first entry. noticeGapNext: the fresh join on its way said
     * so, and its first replayed message starts the span.
     * @type {Set<number>}
     */
    this.noticeGaps = new Set();
    this.noticeGapNext = false;
    /**
     * What slash commands showed me alone in this room (notice frames: an ephemeral answer,
     * "working…", a failure), never stored: {key, seq (placed after the entry it came after),
     * time, kind, text, from, command}. At most COMMAND_NOTICES_KEPT, the oldest dropped.
     */
    this.commandNotices = [];
    /**
     * Members a moderator took out of the room, as its presence told (a leave with
     * moderation): a kick, which is no entry of the log, or a ban no sanction_changed entry
     * told of first (one from a server node of the version before). Never stored: {key, seq
     * (after the entry it came after), time, moderation ("kick" or "ban"), name, by (the
     * moderator's name; "" for the server API), api (true for the server API's)}. At most
     * REMOVALS_KEPT, the oldest dropped.
     */
    this.removals = [];
    /**
     * The bans an entry of the log told of, by the entry's log_seq, with the banned name (lower
     * case): the leave with moderation "ban" that follows names the entry (sanction_seq) and is
     * the same ban, not told again. A leave without sanction_seq (a server before it) is
     * matched by name, which a rename since the ban defeats. At most BANS_TOLD_KEPT.
     * @type {Map<number, string>}
     */
    this.bansTold = new Map();
    this.lastTypingSent = 0;
    this.lastKeystroke = 0;
    this.typingTimer = 0;
    this.error = null; // why the last join failed, if it did
    // Set when a moderator removed us (a kick, or the kick of a ban): {message, by, until,
    // reason, api}, the kicked error's (by, until and reason "" when it has none: a server older
    // than them; api true when the server API did it). The room is then not joined again by itself, on reconnects or when shown,
    // only by rejoin.
    this.removed = null;
  }

  /**
   * Remembers the ban sanction_changed entry f told of (bansTold), forgetting the oldest past
   * BANS_TOLD_KEPT: the leave that follows it is not told again (banTold).
   */
  rememberBan(f) {
    this.bansTold.set(f.log_seq, f.name.toLowerCase());
    for (const seq of this.bansTold.keys()) {
      if (this.bansTold.size <= BANS_TOLD_KEPT) break;
      this.bansTold.delete(seq);
    }
  }

  /**
   * Whether an entry told the ban of presence leave f (moderation "ban"), forgetting it: by
   * the entry's log_seq the leave names (sanction_seq), else, from a server before the field,
   * by the banned name.
   */
  banTold(f) {
    if (typeof f.sanction_seq === "number") return this.bansTold.delete(f.sanction_seq);
    const name = f.name.toLowerCase();
    for (const [seq, banned] of this.bansTold) {
      if (banned === name) return this.bansTold.delete(seq);
    }
    return false;
  }

  /** Timeline messages in seq order. */
  sorted() {
    return Array.from(this.messages.values()).sort((a, b) => a.seq - b.seq);
  }

  /** The message with this seq, in the timeline or outside it, or undefined. */
  get(seq) {
    return this.messages.get(seq) || this.others.get(seq);
  }

  /** Whether older messages than those held can be fetched with `history`. */
  hasOlder() {
    if (this.historyDone) return false;
    if (this.messages.size > 0) return this.minSeq > 1;
    return this.lastSeq > 0;
  }

  /**
   * Adds a message to the timeline unless its seq is there; returns whether it was new. One
   * known outside the timeline moves in, keeping the changes it took meanwhile.
   */
  add(m) {
    if (typeof m.seq !== "number" || this.messages.has(m.seq)) return false;
    const known = this.others.get(m.seq);
    if (known) {
      this.others.delete(m.seq);
      m = known;
    }
    this.messages.set(m.seq, m);
    if (this.minSeq === 0 || m.seq < this.minSeq) this.minSeq = m.seq;
    return true;
  }

  /** Forgets held messages (after a truncated replay left a gap) but keeps the position. */
  clearMessages() {
    this.messages.clear();
    this.others.clear();
    this.threads.clear();
    this.missing.clear();
    this.notices.clear();
    this.noticeGaps.clear();
    this.minSeq = 0;
    this.historyDone = false;
  }
}

/**
 * Returns a message frame (live, replayed or from a history page) ready to be held: its
 * reactions well formed, `me` true for mine, and a version of 1.
 */
function heldMessage(m, me) {
  m.reactions = (Array.isArray(m.reactions) ? m.reactions : [])
    .filter((x) => x && typeof x.emoji === "string" && x.count > 0)
    .map((x) => {
      const names = Array.isArray(x.names) ? x.names.filter((n) => typeof n === "string") : [];
      return { emoji: x.emoji, count: x.count, names, me: x.me === true || (!!me && names.includes(me)) };
    });
  if (!Array.isArray(m.mentions)) m.mentions = [];
  m.attachments = heldAttachments(m.attachments);
  m.version = 1;
  return m;
}

/**
 * The attachments of a message frame, well formed: each an object with a string id, name,
 * type and url, a size, and numbers for an image's width and height. Anything else is
 * dropped, so the page never draws from a field of the wrong kind.
 */
function heldAttachments(list) {
  if (!Array.isArray(list)) return [];
  const out = [];
  for (const a of list) {
    if (!a || typeof a !== "object" || typeof a.id !== "string" || typeof a.url !== "string") continue;
    out.push({
      id: a.id,
      name: typeof a.name === "string" && a.name ? a.name : "file",
      type: typeof a.type === "string" ? a.type : "",
      size: Number.isFinite(a.size) && a.size >= 0 ? a.size : 0,
      width: Number.isFinite(a.width) && a.width > 0 ? a.width : 0,
      height: Number.isFinite(a.height) && a.height > 0 ? a.height : 0,
      thumb: a.thumb === true,
      url: a.url,
      thumb_url: typeof a.thumb_url === "string" ? a.thumb_url : "",
    });
  }
  return out;
}

/**
 * Applies one reaction change (a `reacted` frame's change) to message m: the emoji's count
 * becomes the change's, the name is added or removed among the first few, and `me` follows my
 * own changes. Applying a change twice leaves the same state, so a message replayed in its
 * current state followed by the changes that made it comes out right.
 */
function applyReaction(m, ch, me) {
  const list = m.reactions;
  let i = list.findIndex((x) => x.emoji === ch.emoji);
  if (!(ch.count > 0)) {
    if (i >= 0) list.splice(i, 1);
    return;
  }
  if (i < 0) {
    list.push({ emoji: ch.emoji, count: 0, names: [], me: false });
    i = list.length - 1;
  }
  const x = list[i];
  x.count = ch.count;
  const at = x.names.indexOf(ch.from);
  if (ch.added && at < 0 && x.names.length < CHAT_LIMITS.reactionNames) x.names.push(ch.from);
  if (!ch.added && at >= 0) x.names.splice(at, 1);
  if (ch.from === me) x.me = !!ch.added;
}

/**
 * ChatClient speaks hubbub.v1 over one reconnecting WebSocket.
 *
 * Events (CustomEvent, details in `detail`):
 *   status   {state: "idle"|"connecting"|"live"|"reconnecting", retryAt, attempt}
 *   welcome  {name, limits, user, searchOff, uploadsOff}  searchOff: every search is refused
 *            ("disabled"); uploadsOff: every upload is (POST /upload)
 *   renamed  {name, was}  my user goes by name now (renamed elsewhere); the connection stays
 *   joined   {room, frame} or {room, error}   a join succeeded or failed
 *   left     {room}
 *   removed  {room, message, by, until, reason}  a moderator removed us from the room (kick,
 *                                  or ban: until); by "" for the server API, and by, until and
 *                                  reason all "" from a server older than them (message says it)
 *   member-renamed {room, was, name, removal}  another member goes by name now: removal is
 *                                  its line among the room's removals (moderation "rename")
 *   removal  {room, removal}       a moderator took another member out: removal {key, seq,
 *                                  time, moderation ("kick" or "ban"), name, by}, kept in the
 *                                  room's removals; a ban only when no entry told of it
 *   moderated {frame}              the server did what our moderation request asked
 *   sanction {room, action, user, name, until}  a moderator (another, or I) banned, muted or
 *                                  lifted: told to a moderator of the room once its roster
 *                                  listed the sanctions
 *   messages {room, added: message[], kind: "live"|"replay"|"history"|"ack", fresh}
 *                                  fresh: the messages are new entries of the log (live, or
 *                                  missed while away), not the current state a join or a
 *                                  history page shows
 *   sent     {room, message}       a message this client sent is stored: its frame, with the
 *                                  mentions the server resolved in it
 *   changed  {room, seqs: number[]} messages changed: edited, deleted, reacted to, replied to,
 *                                  or a quoted parent arrived
 *   thread   {room, parent}       a page of a thread arrived, or a reply was added to one
 *   revisions {room, seq, revisions}  the texts a message has had, oldest first
 *   search-results {id, frame?, error?}  the answer to search(): {q, room, hits: [{message,
 *                                  snippet: [{text, hit}]}], next, partial}, or the error frame
 *   commands {commands}           the server's slash commands, from welcome or commands
 *   command-notice {room, notice} what a slash command showed me alone: notice {kind
 *                                  ("answer", "working", "failed"), text, from, command, id}
 *   notify-level {room, level, id} or {room, id, error}  the answer to notifyLevel(): my
 *                                  notification level of the room now ("all", "mention" or
 *                                  "nothing"), or the error frame that refused it
 *   pending  {room, error?}       sends or changes waiting for their ack changed (error: a send's refusal, {code, message})
 *   members  {room}
 *   typing   {room}
 *   history  {room}              a history request finished (the view may load more)
 *   problem  {code, message, request, room, id}   an error frame nobody else handled
 *   name-rejected {code, message}
 */
class ChatClient extends EventTarget {
  /** @param {{url: string, key: string, token?: string, WebSocket?: Function}} opts */
  constructor(opts) {
    super();
    this.url = opts.url;
    this.key = opts.key;
    // The WebSocket class to dial with: the browser's (and Node 22's) by default; Node 20 needs
    // one passed (the ws package's, or its own behind --experimental-websocket).
    this.WebSocket = opts.WebSocket || globalThis.WebSocket;
    // A signed token from the host app (protocol.md, Tokens), kept in memory only. With one the
    // server names us; a token in the hubbub_token cookie needs nothing here.
    this.token = opts.token || "";
    this.name = "";
    this.me = ""; // the name the server confirmed in welcome
    this.renames = new Map(); // the renames of others seen: old name → new (onRenamed)
    /** @type {{name: string, description?: string}[]} the server's slash commands */
    this.commands = [];
    this.commandsAsked = 0; // when the list was last asked for (Date.now())
    this.role = ""; // "admin", "moderator" or "member", from welcome
    this.searchOff = false; // welcome's search_off: the server runs without its search index
    this.uploadsOff = false; // welcome's uploads_off: the server takes no uploads
    /** @type {{id: string, name: string, kind: string, role: string}|null} welcome's user */
    this.user = null;
    /**
     * The user's rooms as the server lists them (rooms-protocol.js): room → MyRoom fields, with
     * the unread and mention counts kept current. Empty until a rooms frame arrives (an older
     * server, or an anonymous connection, sends none: hasRoomList stays false).
     * @type {Map<string, object>}
     */
    this.myRooms = new Map();
    this.hasRoomList = false;
    /**
     * The rooms frames this page asked for (askRooms) and has not had yet, and the room and
     * unroom frames that came meanwhile, in order: a list the server read before a room was
     * added or taken out may come after the frame that says so (rooms-protocol.js).
     */
    this.roomsAsked = 0;
    /** @type {Array<{room: string, row: object|null}>} */
    this.roomsSince = [];
    /** @type {Map<string, number>} room → the last read position sent or heard */
    this.readSent = new Map();
    /**
     * Rooms this page parted whose unroom has not come yet: it comes through the user's
     * channel, so it may arrive after a join sent later (an Undo), and must not take that room
     * away again. Emptied by each welcome (a new connection).
     * @type {Set<string>}
     */
    this.partsSent = new Set();
    /** the ids of messages this client sent that were acknowledged before their frame came */
    this.ackedHere = new Set();
    /** @type {Set<string>} rooms whose members were asked for (a members frame answers) */
    this.rosterAsked = new Set();
    /**
     * The sanction changes heard since the first page of a room's members was asked for, by
     * room: the answer, read before some of them, gets them again (rooms-protocol.js, onRoster).
     * @type {Map<string, object[]>}
     */
    this.sanctionsHeard = new Map();
    this.started = false; // start has been called: there is a connection to report on
    this.limits = null;
    /** @type {Map<string, RoomState>} */
    this.rooms = new Map();
    this.state = "idle";
    this.ws = null;
    this.attempt = 0;
    this.everLive = false;
    this.retryAt = 0;
    this.liveSince = 0; // when the current connection said welcome
    this.timers = { reconnect: 0, connect: 0, ping: 0, pong: 0 };
    this.idCounter = 0;
    this.idPrefix = "w" + randomHex(6);
  }

  // --- public API, called by the page -------------------------------------------------------

  /** Starts (or restarts, with a new name) the connection. */
  start(name) {
    this.name = name;
    this.started = true;
    this.attempt = 0;
    this.drop();
    this.connect();
  }

  /** Closes the connection and stays offline until start is called again. */
  pause() {
    this.drop();
    this.setState("idle");
  }

  /** Skips the rest of the backoff delay and reconnects now. */
  reconnectNow() {
    if (this.state === "reconnecting" && this.timers.reconnect) {
      clearTimeout(this.timers.reconnect);
      this.timers.reconnect = 0;
      this.connect();
    }
  }

  /** Returns the room's state, creating it (and joining when live) if needed. */
  addRoom(name) {
    let r = this.rooms.get(name);
    if (!r) {
      r = new RoomState(name);
      this.rooms.set(name, r);
      if (this.state === "live") this.sendJoin(r);
    } else if (this.state === "live" && !r.joined && r.error && !r.removed) {
      this.sendJoin(r); // asking again is how a user retries a failed join
    }
    return r;
  }

  /** Joins a room again after a moderator removed us or a join failed (the person asked to). */
  rejoin(name) {
    const r = this.rooms.get(name);
    if (!r) return this.addRoom(name);
    r.removed = null;
    if (this.state === "live" && !r.joined) this.sendJoin(r);
    else r.error = null;
    this.emit("joined", { room: name, frame: null });
    return r;
  }

  /**
   * Leaves a room and forgets it. Returns its state, which restoreRoom takes back (an undo):
   * its messages and position are kept, so the rejoin replays only what was missed.
   */
  leaveRoom(name) {
    const r = this.rooms.get(name);
    if (!r) return null;
    for (const p of r.pending.values()) this.unsend(p);
    // Also when the join is still on its way: the server handles frames in order, so the leave
    // undoes it (and a not_joined answer, if the join failed, is harmless).
    if (this.state === "live" && !r.removed) this.frame({ type: "leave", room: name });
    for (const c of r.changes.values()) this.unsend(c);
    this.rooms.delete(name);
    r.joined = false;
    this.forgetRequests(r);
    r.typing.clear();
    return r;
  }

  /** Takes back a room that leaveRoom returned, joining it again where it was left. */
  restoreRoom(r) {
    if (!r || this.rooms.has(r.name)) return;
    this.rooms.set(r.name, r);
    if (this.state === "live" && !r.removed) this.sendJoin(r);
  }

  /**
   * The name that name goes by now, as the renames this page saw say (bob → mod_ → moderator
   * gives moderator for bob), or name itself: what a message's sender is called now when
   * the member list does not say it.
   */
  currentName(name) {
    for (let i = 0; i < RENAMES_KEPT && this.renames.has(name); i++) name = this.renames.get(name);
    return name;
  }

  /** Whether the server lets this connection kick, ban, mute and delete (welcome's role). */
  canModerate() {
    return this.role === "admin" || this.role === "moderator";
  }

  /**
   * Sends a moderation request (protocol.md, Moderation): action is kick, ban, unban, mute,
   * unmute or delete; args holds name or seq, and reason and duration where they apply. The
   * server answers moderated (the event of that name) or an error (a problem event). Returns
   * false when not connected.
   */
  moderate(action, room, args) {
    if (this.state !== "live") return false;
    return this.frame(Object.assign({ type: action, room }, args));
  }

  /** A new client id: unique to this page, so the server can tell a resend from a new request. */
  nextId() {
    this.idCounter++;
    return this.idAt(this.idCounter);
  }

  /** The id numbered n: the prefix, the time and n (nextId's, or the next one's unused). */
  idAt(n) {
    return this.idPrefix + "-" + Date.now().toString(36) + "-" + n;
  }

  /**
   * Why the server would not take a message of text to room with opts (as send takes them),
   * or "" if it would: a text longer than its max_text, or a frame larger than it reads
   * (limits.frame, its --read-limit), which it would close the connection over instead of
   * answering. The page asks before it clears the composer, so that nothing typed is lost.
   */
  sendRefusal(room, text, opts = {}) {
    const l = this.limits || {};
    const bytes = l.max_text ? textBytes(text) : 0;
    if (bytes > l.max_text) return tooLongText(bytes, l.max_text);
    const id = this.idAt(this.idCounter + 1); // the size the next send's id will have
    const size = this.oversized(this.sendFrame({ room, id, text, replyTo: opts.replyTo > 0 ? opts.replyTo : 0, attachments: heldAttachments(opts.attachments) }));
    if (!size) return "";
    return "That message is too large to send: " + size + " bytes as the server reads it, which takes " + l.frame + " at most (quotes, backslashes and line breaks count twice).";
  }

  /** The size of frame f if it is larger than the server reads (limits.frame), else 0. */
  oversized(f) {
    const most = this.limits && this.limits.frame;
    if (!most) return 0;
    const size = frameBytes(f);
    return size > most ? size : 0;
  }

  /**
   * Queues a message and sends it when it can; it is pending until its ack. opts.replyTo is the
   * seq of the message it answers; opts.attachments the files it carries, as POST /upload
   * described them (only their ids are sent; the rest shows the pending message). Returns the
   * pending entry.
   */
  send(room, text, opts = {}) {
    const r = this.addRoom(room);
    const p = {
      id: this.nextId(),
      room,
      text,
      replyTo: opts.replyTo > 0 ? opts.replyTo : 0,
      attachments: heldAttachments(opts.attachments),
      state: "queued",
      error: "",
      time: new Date(),
      timer: 0,
    };
    r.pending.set(p.id, p);
    // A sent message ends "typing" for the others, so the next keystroke may say so again as
    // soon as the server's own typing interval (1 s by default) allows.
    r.lastTypingSent = Math.min(r.lastTypingSent, Date.now() - CHAT_TIMING.typingEvery + 1100);
    clearTimeout(r.typingTimer);
    r.typingTimer = 0;
    r.lastKeystroke = 0;
    this.transmit(r, p);
    this.emit("pending", { room });
    return p;
  }

  /** Sends a failed message again with the same id, so the server can drop a duplicate. */
  retry(room, id) {
    const r = this.rooms.get(room);
    const p = r && r.pending.get(id);
    if (!p) return;
    p.state = "queued";
    p.error = "";
    this.transmit(r, p);
    this.emit("pending", { room });
  }

  /** Drops a failed message the user gave up on. */
  discard(room, id) {
    const r = this.rooms.get(room);
    const p = r && r.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    r.pending.delete(id);
    this.emit("pending", { room });
  }

  /**
   * Asks for the page of messages before the oldest held; false if there is none or no need.
   * reach, when given, is the seq of an older message to bring in: the page is made large
   * enough to hold it (at most the server's history_page_max).
   */
  loadOlder(room, reach) {
    const r = this.rooms.get(room);
    if (!r || !r.joined || r.loadingHistory || !r.hasOlder()) return false;
    const f = { type: "history", room, limit: CHAT_TIMING.historyPage };
    if (reach > 0 && r.messages.size > 0 && reach < r.minSeq) {
      // A jump to an older message (a search hit, a link) asks for a page that reaches it, with
      // some before it, up to the server's largest page: seqs count every entry of the log, so
      // the distance in seqs is at least the number of messages in between.
      const most = (this.limits && this.limits.history_page_max) || CHAT_TIMING.historyPage;
      f.limit = Math.min(most, Math.max(CHAT_TIMING.historyPage, r.minSeq - reach + 20));
    }
    if (r.messages.size > 0) f.before = r.minSeq;
    f.notices = true; // the room's notices of the page's span come with it
    if (!this.ask(r, f, { kind: "page" })) return false;
    r.loadingHistory = true;
    return true;
  }

  /**
   * Replaces the text of my message seq (the server refuses anyone else's). The new text shows
   * at once (pendingEdit) and becomes the message's when the server acknowledges it.
   */
  edit(room, seq, text) {
    return this.change(room, { kind: "edit", seq, text });
  }

  /** Toggles my reaction emoji on message seq; the room's `reacted` frame shows the outcome. */
  react(room, seq, emoji) {
    return this.change(room, { kind: "react", seq, emoji });
  }

  /** Deletes message seq: my own, or anyone's for a moderator. The server answers moderated too. */
  deleteMessage(room, seq) {
    return this.change(room, { kind: "delete", seq });
  }

  /** The text of my edit of message seq that the server has not acknowledged yet, or null. */
  pendingEdit(room, seq) {
    const r = this.rooms.get(room);
    if (!r) return null;
    let text = null;
    for (const c of r.changes.values()) if (c.kind === "edit" && c.seq === seq) text = c.text;
    return text;
  }

  /**
   * Asks for the next page of the replies to message parent (a thread), oldest first; false if
   * one is on its way or every reply is loaded. The replies stay loaded, and live replies join
   * them, so a thread opened again shows at once.
   */
  loadThread(room, parent) {
    const r = this.rooms.get(room);
    if (!r || !r.joined) return false;
    let t = r.threads.get(parent);
    if (!t) {
      t = { replies: [], more: true, loading: false, loaded: false };
      r.threads.set(parent, t);
    }
    if (t.loading || (t.loaded && !t.more)) return false;
    const f = { type: "history", room, thread: parent, limit: CHAT_TIMING.historyPage };
    if (t.replies.length) f.after = t.replies[t.replies.length - 1];
    if (!this.ask(r, f, { kind: "thread", parent })) return false;
    t.loading = true;
    return true;
  }

  /**
   * Fetches message seq on its own (the parent a reply quotes, older than the timeline) unless
   * it is held, asked for, or known to be gone. A "changed" event tells when it arrived.
   */
  fetchMessage(room, seq) {
    const r = this.rooms.get(room);
    if (!r || !r.joined || r.get(seq) || r.fetching.has(seq) || r.missing.has(seq)) return;
    // The newest message with a seq below seq + 1 is seq itself, if the room still has it.
    if (this.ask(r, { type: "history", room, before: seq + 1, limit: 1 }, { kind: "parent", seq })) r.fetching.add(seq);
  }

  /** Asks for the texts message seq has had (its sender and moderators only). */
  revisions(room, seq) {
    return this.frame({ type: "revisions", room, seq });
  }

  /**
   * Sends a search (q, and optionally room, from, since, until, order, cursor, limit) and
   * returns its id, which the search-results event carries back; "" when not connected.
   */
  /** Whether name is one of the server's slash commands (welcome's and commands' list). */
  hasCommand(name) {
    return this.commands.some((c) => c.name === name);
  }

  /**
   * Uses slash command name with args in room (docs/protocol.md, Slash commands): nothing is
   * stored; the answer comes as a message of the command's bot, or a command-notice event.
   * Returns the id the notices carry back; "" when not connected.
   */
  command(room, name, args) {
    this.commandSeq = (this.commandSeq || 0) + 1;
    const id = "c" + this.commandSeq;
    return this.frame({ type: "command", room, name, args, id }) ? id : "";
  }

  /** Asks the server for its slash commands again (they may change while connected). */
  askCommands() {
    this.commandsAsked = Date.now();
    this.frame({ type: "commands" });
  }

  /** Keeps a commands list (welcome's or a commands frame's), its entries checked. */
  setCommands(list) {
    this.commands = (Array.isArray(list) ? list : [])
      .map((c) => wireFields(c, ["name", "description"]))
      .filter((c) => c && typeof c.name === "string");
    this.emit("commands", { commands: this.commands });
  }

  /** A notice frame: kept in its room's view, and told. */
  onNotice(f, r) {
    if (typeof f.text !== "string" || typeof f.kind !== "string") return;
    const n = { key: (this.noticeSeq = (this.noticeSeq || 0) + 1), seq: 0, time: new Date().toISOString(),
      kind: f.kind, text: f.text, from: typeof f.from === "string" ? f.from : "", command: String(f.command || ""), id: String(f.id || "") };
    if (r) {
      n.seq = r.since + 0.5; // after what the room held when it came
      r.commandNotices.push(n);
      if (r.commandNotices.length > COMMAND_NOTICES_KEPT) r.commandNotices.shift();
    }
    this.emit("command-notice", { room: String(f.room || ""), notice: n });
  }

  search(params) {
    this.searchSeq = (this.searchSeq || 0) + 1;
    const id = "q" + this.searchSeq;
    const f = Object.assign({ type: "search", id }, params);
    for (const k of Object.keys(f)) if (f[k] === "" || f[k] === undefined) delete f[k];
    return this.frame(f) ? id : "";
  }

  /**
   * Sets my notification level of room ("all", "mention" or "nothing": what notifies me of it
   * while I am away, docs/protocol.md, Notifications), or asks it when level is empty. Returns
   * the id the notify-level event carries back; "" when not connected.
   */
  notifyLevel(room, level) {
    this.notifySeq = (this.notifySeq || 0) + 1;
    const id = "n" + this.notifySeq;
    const f = { type: "notify", room, id };
    if (level) f.level = level;
    return this.frame(f) ? id : "";
  }

  /** A search_results frame: its hits with their fields checked. */
  onSearchResults(f) {
    const hits = [];
    for (const h of Array.isArray(f.hits) ? f.hits : []) {
      const m = h && wireFields(h.message, HUBBUB_FRAMES.receive.message);
      if (!m || typeof m.room !== "string" || typeof m.seq !== "number") continue;
      const snippet = (Array.isArray(h.snippet) ? h.snippet : [])
        .filter((p) => p && typeof p.text === "string")
        .map((p) => ({ text: p.text, hit: p.hit === true }));
      hits.push({ message: m, snippet });
    }
    this.emit("search-results", {
      id: typeof f.id === "string" ? f.id : "",
      frame: { q: f.q, room: f.room || "", hits, next: typeof f.next === "string" ? f.next : "", partial: f.partial === true },
    });
  }

  /**
   * Tells the room we are typing, at most once per typingEvery. Keystrokes inside the quiet
   * window are not lost: one trailing notice goes out when it ends, so someone who types a short
   * line right after sending the last one is still seen typing.
   */
  typing(room) {
    const r = this.rooms.get(room);
    if (!r || !r.joined) return;
    const now = Date.now();
    r.lastKeystroke = now;
    const wait = r.lastTypingSent + CHAT_TIMING.typingEvery - now;
    if (wait <= 0) {
      r.lastTypingSent = now;
      this.frame({ type: "typing", room });
    } else if (!r.typingTimer) {
      r.typingTimer = setTimeout(() => {
        r.typingTimer = 0;
        if (Date.now() - r.lastKeystroke < CHAT_TIMING.typingEvery) this.typing(room);
      }, wait);
    }
  }

  /** Names currently typing in a room (not us), dropping expired ones. */
  typists(room) {
    const r = this.rooms.get(room);
    if (!r) return [];
    const now = Date.now();
    const names = [];
    for (const [name, until] of r.typing) {
      if (until <= now) r.typing.delete(name);
      else names.push(name);
    }
    return names.sort();
  }

  // --- connection lifecycle -----------------------------------------------------------------

  connect() {
    this.timers.reconnect = 0;
    this.setState(this.everLive ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new this.WebSocket(this.url, HUBBUB_PROTOCOL);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    // A handshake that hangs (a half-open network) would otherwise leave us "connecting" forever.
    this.timers.connect = setTimeout(() => this.lost(ws), CHAT_TIMING.connectTimeout);
    ws.onopen = () => {
      const hello = { type: "hello" };
      if (this.name) hello.name = this.name;
      if (this.key) hello.key = this.key;
      if (this.token) hello.token = this.token;
      ws.send(encodeFrame(hello));
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => this.lost(ws, ev && ev.code);
    // Browsers follow an error with a close event, which then finds nothing left to do; some
    // other WebSockets (Node 20's) may not, and a connection that never opened can end silently
    // there, which the connect timeout covers.
    ws.onerror = () => this.lost(ws);
  }

  /** Closes the current socket without treating it as a loss (used for restarts). */
  drop() {
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000);
      } catch (e) {
        /* already closed */
      }
    }
    this.markAllUnjoined();
  }

  /** The socket closed or stopped answering: forget its rooms and try again after a while. */
  lost(ws, code) {
    if (ws !== this.ws) return;
    if (code === 1009) this.failOversized();
    this.drop();
    if (this.state === "idle") return;
    this.scheduleReconnect();
  }

  /**
   * The server closed the connection with 1009: a frame was larger than it reads, and it says
   * no more. Every frame larger than that one is too, so the largest send or change on its way
   * is one it will not read: it fails (a send stays shown, with its text, for the person to
   * shorten and retry) instead of going again after the reconnect, to be closed over again
   * for ever.
   */
  failOversized() {
    let worst = null;
    let room = null;
    let size = 0;
    for (const r of this.rooms.values()) {
      for (const p of r.pending.values()) {
        const n = p.state === "sending" ? frameBytes(this.sendFrame(p)) : 0;
        if (n > size) [worst, room, size] = [p, r, n];
      }
      for (const c of r.changes.values()) {
        const n = c.state === "sending" ? frameBytes(this.changeFrame(r, c)) : 0;
        if (n > size) [worst, room, size] = [c, r, n];
      }
    }
    if (!worst) return;
    const message = "too large for the server (" + size + " bytes): it closed the connection over it";
    if (room.changes.get(worst.id) === worst) {
      this.dropChange(room, worst, { code: "too_long", message });
      return;
    }
    clearTimeout(worst.timer);
    worst.timer = 0;
    worst.state = "failed";
    worst.error = message;
    this.emit("pending", { room: room.name });
  }

  scheduleReconnect() {
    // Exponential backoff with jitter: after a server restart every browser comes back, and
    // spreading them out keeps the new server from being hit by all of them in the same instant.
    // The backoff starts over only after a connection that lasted: a server that welcomes and
    // then drops us at once must not be hammered twice a second.
    if (this.liveSince && Date.now() - this.liveSince > CHAT_TIMING.stableAfter) this.attempt = 0;
    this.liveSince = 0;
    const ceiling = Math.min(CHAT_TIMING.backoffMax, CHAT_TIMING.backoffBase * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.attempt++;
    this.retryAt = Date.now() + delay;
    this.timers.reconnect = setTimeout(() => this.connect(), delay);
    this.setState("reconnecting");
  }

  clearTimers() {
    for (const k of Object.keys(this.timers)) {
      clearTimeout(this.timers[k]);
      this.timers[k] = 0;
    }
  }

  markAllUnjoined() {
    for (const r of this.rooms.values()) {
      r.joined = false;
      this.forgetRequests(r);
      r.typing.clear();
      let changed = false;
      for (const p of r.pending.values()) changed = this.unsend(p) || changed;
      for (const c of r.changes.values()) changed = this.unsend(c) || changed;
      if (changed) this.emit("pending", { room: r.name });
    }
  }

  /** Forgets the history requests of a connection that is gone: no answer will come. */
  forgetRequests(r) {
    r.loadingHistory = false;
    for (const t of r.threads.values()) t.loading = false;
    r.fetching.clear();
    r.requests = [];
  }

  /**
   * Puts a send that is on its way back in the queue (its connection or room is gone; it goes
   * again, with its id, on the next join). Returns whether it changed.
   */
  unsend(p) {
    clearTimeout(p.timer);
    p.timer = 0;
    if (p.state !== "sending") return false;
    p.state = "queued";
    return true;
  }

  setState(state) {
    this.state = state;
    this.emit("status", { state, retryAt: this.retryAt, attempt: this.attempt });
  }

  /** Restarts the idle watchdog: any frame from the server proves the connection is alive. */
  heard() {
    clearTimeout(this.timers.ping);
    clearTimeout(this.timers.pong);
    this.timers.pong = 0;
    const ws = this.ws;
    this.timers.ping = setTimeout(() => {
      this.frame({ type: "ping", id: "idle" });
      this.timers.pong = setTimeout(() => this.lost(ws), CHAT_TIMING.pongWait);
    }, CHAT_TIMING.pingEvery);
  }

  frame(obj) {
    if (!this.ws || this.ws.readyState !== WS_OPEN) return false;
    this.ws.send(encodeFrame(obj));
    return true;
  }

  sendJoin(r) {
    const f = { type: "join", room: r.name };
    // Rejoining with the highest seq applied makes the server replay exactly what we missed:
    // the messages, and the edits, deletions and reactions made meanwhile.
    if (r.positioned) f.since = r.since;
    // A fresh join (a reload) asks for the room's notices among its messages — the topic set,
    // the invitations, the bans — so that the room reads as it did before the reload; a join
    // with since replays them anyway.
    else f.notices = true;
    r.joinSince = r.positioned ? r.since : null;
    r.error = null;
    this.frame(f);
  }

  /** Sends a history request and notes what it asked for; false when not connected. */
  ask(r, f, request) {
    if (!this.frame(f)) return false;
    r.requests.push(request);
    return true;
  }

  /** Queues a change to message c.seq of room and sends it when it can. Returns the change. */
  change(room, c) {
    const r = this.rooms.get(room);
    if (!r) return null;
    c.id = this.nextId();
    c.state = "queued";
    c.timer = 0;
    r.changes.set(c.id, c);
    this.transmitChange(r, c);
    this.emit("pending", { room });
    if (c.kind === "edit") this.emit("changed", { room, seqs: [c.seq] });
    return c;
  }

  /**
   * Sends a queued change if its room is joined on a live connection, as transmit does for
   * sends. One the server does not answer in time is given up with a problem event: a change
   * is a click, which the person can repeat, not text they would lose.
   */
  transmitChange(r, c) {
    clearTimeout(c.timer);
    c.timer = 0;
    const f = this.changeFrame(r, c);
    const size = r.joined && this.state === "live" ? this.oversized(f) : 0;
    if (size) {
      this.dropChange(r, c, { code: "too_long", message: "too large for the server: " + size + " bytes, and it reads " + this.limits.frame + " at most" });
      return;
    }
    if (!r.joined || this.state !== "live" || !this.frame(f)) {
      c.state = "queued";
      return;
    }
    c.state = "sending";
    c.timer = setTimeout(() => {
      if (c.state === "sending") this.dropChange(r, c, { code: "timeout", message: "no answer from the server" });
    }, CHAT_TIMING.ackTimeout);
  }

  /** The frame of change c to a message of room r. */
  changeFrame(r, c) {
    const f = { type: c.kind, room: r.name, seq: c.seq, id: c.id };
    if (c.kind === "edit") f.text = c.text;
    if (c.kind === "react") f.emoji = c.emoji;
    return f;
  }

  /** Gives up a change the server refused or did not answer, and says so. */
  dropChange(r, c, why) {
    clearTimeout(c.timer);
    r.changes.delete(c.id);
    this.emit("pending", { room: r.name });
    if (c.kind === "edit") this.emit("changed", { room: r.name, seqs: [c.seq] });
    this.emit("problem", { code: why.code, message: why.message, request: c.kind, room: r.name, id: c.id, seq: c.seq });
  }

  /**
   * Sends a queued message if its room is joined on a live connection, and arms its ack
   * timeout; otherwise it stays queued and the next join sends it. Only a message that was
   * actually sent can time out: one waiting for a connection says so, however long it waits.
   */
  transmit(r, p) {
    clearTimeout(p.timer);
    p.timer = 0;
    const f = this.sendFrame(p);
    // Queued before the welcome said what the server reads, or sent by code that did not ask
    // sendRefusal: written, it would close the connection, and go again after each reconnect.
    const size = r.joined && this.state === "live" ? this.oversized(f) : 0;
    if (size) {
      p.state = "failed";
      p.error = "too large for the server: " + size + " bytes, and it reads " + this.limits.frame + " at most";
      return;
    }
    if (!r.joined || this.state !== "live" || !this.frame(f)) {
      p.state = "queued";
      return;
    }
    p.state = "sending";
    p.timer = setTimeout(() => {
      if (p.state !== "sending") return;
      p.state = "failed";
      p.error = "no answer from the server";
      this.emit("pending", { room: p.room });
    }, CHAT_TIMING.ackTimeout);
  }

  /** The send frame of pending message p. */
  sendFrame(p) {
    const f = { type: "send", room: p.room, id: p.id, text: p.text };
    if (p.replyTo) f.reply_to = p.replyTo;
    if (p.attachments.length) f.attachments = p.attachments.map((a) => a.id);
    return f;
  }

  // --- incoming frames ----------------------------------------------------------------------

  receive(data) {
    let f;
    try {
      f = JSON.parse(data);
    } catch (e) {
      return; // the server only sends JSON; ignore anything else rather than break
    }
    if (!f || typeof f.type !== "string") return;
    this.heard();
    const fields = HUBBUB_FRAMES.receive[f.type];
    if (!fields) return; // a frame newer than this page: nothing to do beyond heard()
    f = wireFields(f, fields);
    const r = typeof f.room === "string" ? this.rooms.get(f.room) : undefined;
    switch (f.type) {
      case "welcome":
        clearTimeout(this.timers.connect);
        this.timers.connect = 0;
        this.me = f.name || this.name;
        this.partsSent.clear(); // a new connection: the last one's unrooms will not come
        this.roomsAsked = 0; // nor the answers to its rooms requests
        this.roomsSince = [];
        this.role = f.role || "member";
        this.user = f.user && typeof f.user.id === "string" ? f.user : null;
        this.limits = wireFields(f.limits, HUBBUB_FRAMES.limits);
        this.setCommands(f.commands);
        this.commandsAsked = Date.now();
        this.liveSince = Date.now();
        this.everLive = true;
        this.setState("live");
        this.searchOff = f.search_off === true;
        this.uploadsOff = f.uploads_off === true;
        this.emit("welcome", { name: this.me, limits: this.limits, user: this.user, searchOff: this.searchOff, uploadsOff: this.uploadsOff });
        for (const room of this.rooms.values()) if (!room.removed) this.sendJoin(room);
        break;
      case "joined":
        if (r) this.onJoined(r, f);
        break;
      case "left":
        if (r) r.joined = false;
        this.emit("left", { room: f.room });
        break;
      case "message":
        if (r) this.onMessage(r, f);
        break;
      case "ack":
        if (r) this.onAck(r, f);
        break;
      case "history":
        if (r) this.onHistory(r, f);
        break;
      case "presence":
        if (r) this.onPresence(r, f);
        break;
      case "renamed":
        // My user goes by another name now (another device's hello, an operator): this
        // connection stays. The next hello says the new name, since the old one would rename
        // the user back.
        if (typeof f.name === "string" && f.name) {
          const was = typeof f.was === "string" && f.was ? f.was : this.me;
          this.me = f.name;
          if (this.name) this.name = f.name;
          this.emit("renamed", { name: f.name, was });
        }
        break;
      case "deleted":
        if (r) this.onDeleted(r, f);
        break;
      case "edited":
        if (r) this.onEdited(r, f);
        break;
      case "reacted":
        if (r) this.onReacted(r, f);
        break;
      case "revisions":
        if (r && Array.isArray(f.revisions)) this.emit("revisions", { room: r.name, seq: f.seq, revisions: f.revisions });
        break;
      case "moderated":
        this.emit("moderated", { frame: f });
        break;
      case "sanction_changed":
        this.onSanctionChanged(f);
        break;
      case "members":
        if (Array.isArray(f.members) && (f.members.some((x) => x && typeof x === "object") || this.rosterAsked.has(f.room))) {
          this.onRoster(f); // the answer to a members request: stored members with presence
        } else if (r && Array.isArray(f.members)) {
          r.members = f.members.slice().sort();
          this.emit("members", { room: r.name });
        }
        break;
      case "typing":
        if (r && f.name && f.name !== this.me) {
          r.typing.set(f.name, Date.now() + CHAT_TIMING.typingShown);
          this.emit("typing", { room: r.name });
        }
        break;
      case "error":
        this.onError(f);
        break;
      case "search_results":
        this.onSearchResults(f);
        break;
      case "commands":
        this.setCommands(f.commands);
        break;
      case "notice":
        this.onNotice(f, r);
        break;
      case "notify":
        if (typeof f.room === "string" && typeof f.level === "string") {
          this.emit("notify-level", { room: f.room, level: f.level, id: typeof f.id === "string" ? f.id : "" });
        }
        break;
      default:
        // pong: nothing to do beyond heard(); the people frames are rooms-protocol.js's.
        this.receivePeople(f, r);
    }
  }

  onJoined(r, f) {
    // A truncated replay means a gap between what we hold and what follows; drop the old part
    // and let the user page back with history instead of showing a hole.
    if (f.truncated && r.messages.size > 0) r.clearMessages();
    // A last_seq below the since we sent means the server's log is another one (its store was
    // replaced or reset): what we hold has nothing to do with it any more.
    const reset = r.joinSince !== null && (f.last_seq || 0) < r.joinSince;
    if (reset) {
      r.clearMessages();
      r.since = f.last_seq || 0;
    }
    // A join without since replays messages in their current state, each at or below
    // last_seq: they are where the log stands, so what follows them is what comes after it.
    if (r.joinSince === null) r.since = Math.max(r.since, f.last_seq || 0);
    // A fresh join that left no older message out replayed the room from its first entry,
    // its notices included: nothing is left to page back to.
    if (r.joinSince === null && f.truncated === false && !reset) r.historyDone = true;
    // A fresh join whose span held more notices than the server sends (notices_truncated):
    // the line saying so heads the span — the first replayed message when older ones remain,
    // else the room's start.
    r.noticeGapNext = false;
    if (r.joinSince === null && f.notices_truncated === true) {
      if (f.truncated) r.noticeGapNext = true;
      else r.noticeGaps.add(0);
    }
    r.joined = true;
    r.positioned = true;
    r.error = null;
    r.removed = null;
    r.lastSeq = f.last_seq || 0;
    r.members = Array.isArray(f.members) ? f.members.slice().sort() : [];
    // Who is away now (absent from servers before the field: everyone shows online until their
    // next presence change).
    r.away = new Set(Array.isArray(f.away) ? f.away : []);
    // Past the server's presence limit the list is partial and joins go unannounced: remember
    // the true size, or forget it once the list is complete.
    r.memberCount = f.member_count > r.members.length ? f.member_count : 0;
    r.replayLeft = f.replay || 0;
    this.emit("joined", { room: r.name, frame: f });
    this.emit("members", { room: r.name });
    if (reset) this.emit("changed", { room: r.name, seqs: [] });
    // Whatever was queued (typed offline, or unacknowledged when the old connection died) goes
    // now, with its id. Failed sends wait for the person to press Retry instead.
    for (const p of r.pending.values()) {
      if (p.state === "queued") this.transmit(r, p);
    }
    for (const c of r.changes.values()) {
      if (c.state === "queued") this.transmitChange(r, c);
    }
    this.emit("pending", { room: r.name });
  }

  /** Counts a frame of the replay that follows joined; returns "replay" or "live". */
  replayed(r) {
    if (r.replayLeft > 0) {
      r.replayLeft--;
      return "replay";
    }
    return "live";
  }

  /**
   * Takes the log position of an entry: true if it is new (above since, which it becomes),
   * false if it was applied before and must be skipped. An entry without one (a server older
   * than the room log) is always applied.
   */
  advance(r, logSeq) {
    if (typeof logSeq !== "number" || logSeq <= 0) return true;
    if (logSeq <= r.since) return false;
    r.since = logSeq;
    return true;
  }

  onMessage(r, f) {
    const kind = this.replayed(r);
    if (r.noticeGapNext && kind === "replay" && typeof f.seq === "number") {
      r.noticeGaps.add(f.seq); // the oldest of a fresh join's replay, which comes in seq order
      r.noticeGapNext = false;
    }
    // A message above since is a new entry of the log (live, or missed while away); one at or
    // below it is the current state of a message a join without since shows.
    const fresh = this.advance(r, f.seq);
    heldMessage(f, this.me);
    if (fresh) f.reply_count = 0; // its replies follow in the log, and count as they come
    if (f.from) r.typing.delete(f.from);
    // Mine, sent from here: still pending, or acknowledged before this frame came.
    const sentHere = !!f.client_id && f.from === this.me && (r.pending.has(f.client_id) || this.ackedHere.delete(f.client_id));
    if (f.client_id && f.from === this.me) this.settle(r, f.client_id);
    const held = r.messages.get(f.seq);
    if (held) {
      // Our own message, shown from its ack: the frame says what the server made of it.
      if (fresh) {
        const count = held.reply_count || 0;
        Object.assign(held, f, { reply_count: count, version: held.version + 1 });
        this.emit("changed", { room: r.name, seqs: [f.seq] });
      }
    } else if (r.add(f)) {
      this.countUnread(r.name, r.messages.get(f.seq));
      this.emit("messages", { room: r.name, added: [r.messages.get(f.seq)], kind, fresh });
    }
    if (fresh && f.reply_to) this.countReply(r, r.get(f.seq));
    if (fresh && sentHere) this.emit("sent", { room: r.name, message: r.get(f.seq) });
  }

  /** A new reply adds one to its parent's count, and joins its thread if that is loaded. */
  countReply(r, reply) {
    const parent = r.get(reply.reply_to);
    if (parent) {
      parent.reply_count = (parent.reply_count || 0) + 1;
      parent.version++;
      this.emit("changed", { room: r.name, seqs: [parent.seq] });
    }
    const t = r.threads.get(reply.reply_to);
    // A thread with more to load gets this reply with its last page, in order.
    if (t && t.loaded && !t.more && !t.replies.includes(reply.seq)) {
      t.replies.push(reply.seq);
      this.emit("thread", { room: r.name, parent: reply.reply_to });
    }
  }

  onEdited(r, f) {
    this.replayed(r);
    if (!this.advance(r, f.log_seq)) return;
    if (f.client_id && f.from === this.me) this.settleChange(r, f.client_id);
    const m = r.get(f.seq);
    const before = this.countedState(m);
    // An edit replayed after its message was deleted has no text left: the tombstone stays.
    if (m && !m.deleted) {
      m.text = typeof f.text === "string" ? f.text : m.text;
      m.edited_at = f.time;
      m.mentions = Array.isArray(f.mentions) ? f.mentions : [];
      m.mention_room = !!f.mention_room;
      m.version++;
    }
    this.countChange(r.name, f.seq, f.log_seq, before, m);
    if (m && !m.deleted) this.emit("changed", { room: r.name, seqs: [m.seq] });
  }

  onDeleted(r, f) {
    this.replayed(r);
    if (!this.advance(r, f.log_seq)) return;
    // The message keeps its place and loses its text; its reactions and replies stay.
    const m = r.get(f.seq);
    const before = this.countedState(m);
    if (m && !m.deleted) {
      m.deleted = true;
      m.text = "";
      m.mentions = [];
      m.mention_room = false;
      m.attachments = []; // its files go with it (the server deletes them)
      m.version++;
    }
    this.countChange(r.name, f.seq, f.log_seq, before, m);
    if (before && !before.deleted) this.emit("changed", { room: r.name, seqs: [m.seq] });
  }

  onReacted(r, f) {
    this.replayed(r);
    const seqs = [];
    for (const ch of Array.isArray(f.changes) ? f.changes : []) {
      if (!ch || typeof ch.emoji !== "string" || !this.advance(r, ch.log_seq)) continue;
      const m = r.get(ch.seq);
      if (!m || m.deleted) continue;
      applyReaction(m, ch, this.me);
      m.version++;
      if (!seqs.includes(m.seq)) seqs.push(m.seq);
    }
    this.advance(r, f.log_seq);
    if (seqs.length) this.emit("changed", { room: r.name, seqs });
  }

  onAck(r, f) {
    if (r.changes.has(f.id)) {
      this.onChangeAck(r, r.changes.get(f.id), f);
      return;
    }
    const p = r.pending.get(f.id);
    // The ack carries all a message needs, so if it beats the message frame we can show it now.
    // It does not move since: entries before it may still be on their way.
    if (p && typeof f.seq === "number" && !r.get(f.seq)) {
      const m = heldMessage(
        { type: "message", room: r.name, seq: f.seq, id: f.msg_id, from: this.me, text: p.text, time: f.time, client_id: f.id, attachments: p.attachments },
        this.me,
      );
      if (p.replyTo) m.reply_to = p.replyTo;
      if (r.add(m)) this.emit("messages", { room: r.name, added: [m], kind: "ack", fresh: false });
    }
    if (p) {
      // Its frame says what the server made of it ("sent"); a frame that never comes (the room
      // left meanwhile) must not keep its id for ever.
      if (this.ackedHere.size >= 256) this.ackedHere.clear();
      this.ackedHere.add(f.id);
    }
    this.settle(r, f.id);
  }

  /**
   * A change is durable. An edit or delete shows now, without waiting for its entry to come
   * back through the room (applying that entry again changes nothing); a reaction shows when
   * the room's reacted frame says how many hold it.
   */
  onChangeAck(r, c, f) {
    this.settleChange(r, c.id);
    const m = r.get(c.seq);
    if (!m || m.deleted) return;
    if (c.kind === "edit") {
      m.text = c.text;
      m.edited_at = f.time;
    } else if (c.kind === "delete") {
      // A moderator's delete of someone else's message, unread perhaps: the counts follow
      // here, since the deleted frame that comes back finds the message deleted already.
      const before = this.countedState(m);
      m.deleted = true;
      m.text = "";
      m.mentions = [];
      m.mention_room = false;
      m.attachments = [];
      this.countChange(r.name, c.seq, f.seq, before, m);
    } else {
      return;
    }
    m.version++;
    this.emit("changed", { room: r.name, seqs: [m.seq] });
  }

  settleChange(r, id) {
    const c = r.changes.get(id);
    if (!c) return;
    clearTimeout(c.timer);
    r.changes.delete(id);
    this.emit("pending", { room: r.name });
    if (c.kind === "edit") this.emit("changed", { room: r.name, seqs: [c.seq] });
  }

  settle(r, id) {
    const p = r.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    r.pending.delete(id);
    this.emit("pending", { room: r.name });
  }

  onHistory(r, f) {
    // The answer to the oldest request on its way; the thread field tells a thread page apart
    // should the queue have lost count.
    let req = r.requests.shift();
    if (f.thread) req = { kind: "thread", parent: f.thread };
    else if (!req || req.kind === "thread") req = { kind: "page" };
    const page = [];
    for (const raw of Array.isArray(f.messages) ? f.messages : []) {
      const m = wireFields(raw, HUBBUB_FRAMES.receive.message);
      if (m && typeof m.seq === "number") page.push(heldMessage(m, this.me));
    }
    if (req.kind === "thread") this.onThreadPage(r, req.parent, page, !!f.more);
    else if (req.kind === "parent") this.onParentPage(r, req.seq, page);
    else this.onOlderPage(r, page, !!f.more, Array.isArray(f.notices) ? f.notices : [], f.notices_truncated === true);
  }

  /**
   * A page of older messages joins the timeline at its start, with the room's notices of its
   * span (asked for with notices: true): shown in place, keyed by log_seq, never applied (the
   * room's topic and members are what they are now). When the server left older notices of
   * the span out (truncated), a line at the span's start says so: after the page's oldest
   * message, or at the room's start when it holds the first.
   */
  onOlderPage(r, page, more, notices, truncated) {
    r.loadingHistory = false;
    let shown = false;
    if (truncated) {
      const oldest = page.reduce((min, m) => Math.min(min, m.seq), Infinity);
      r.noticeGaps.add(more && oldest !== Infinity ? oldest : 0); // drawn with the page ("history")
    }
    for (const raw of notices || []) {
      const n = raw && HUBBUB_FRAMES.receive[raw.type] && NOTICE_TYPES.has(raw.type) ? wireFields(raw, HUBBUB_FRAMES.receive[raw.type]) : null;
      if (!n || typeof n.log_seq !== "number" || r.notices.has(n.log_seq)) continue;
      r.notices.set(n.log_seq, n);
      shown = true;
    }
    const added = [];
    for (const m of page) if (r.add(m)) added.push(r.messages.get(m.seq));
    if (!more) r.historyDone = true;
    if (added.length) this.emit("messages", { room: r.name, added, kind: "history", fresh: false });
    else if (shown) this.emit("notices", { room: r.name });
    this.emit("history", { room: r.name });
  }

  /** A page of a thread: its replies are kept outside the timeline unless they are in it. */
  onThreadPage(r, parent, page, more) {
    let t = r.threads.get(parent);
    if (!t) {
      t = { replies: [], more: true, loading: false, loaded: false };
      r.threads.set(parent, t);
    }
    for (const m of page) {
      if (!r.get(m.seq)) r.others.set(m.seq, m);
      if (!t.replies.includes(m.seq)) t.replies.push(m.seq);
    }
    t.replies.sort((a, b) => a - b);
    t.loading = false;
    t.loaded = true;
    t.more = more;
    this.emit("thread", { room: r.name, parent });
  }

  /** The page of one message asked for by fetchMessage: the parent a reply quotes. */
  onParentPage(r, seq, page) {
    r.fetching.delete(seq);
    const m = page.find((x) => x.seq === seq);
    if (m && !r.get(seq)) r.others.set(seq, m);
    if (!m) r.missing.add(seq);
    this.emit("changed", { room: r.name, seqs: [seq] });
  }

  onPresence(r, f) {
    if (!f.name) return;
    const i = r.members.indexOf(f.name);
    if (f.event === "state" || f.event === "join") {
      if (f.state === "away") r.away.add(f.name);
      else r.away.delete(f.name);
    }
    // A state is news of a member already in the room: away and back, or one of another node
    // that the server learned of after this client's joined (its answer came late).
    if ((f.event === "join" || f.event === "state") && i < 0) {
      r.members.push(f.name);
      r.members.sort();
    } else if (f.event === "leave" && i >= 0) {
      r.members.splice(i, 1);
      r.typing.delete(f.name);
      r.away.delete(f.name);
      // A rename, not a departure: the member goes by `renamed` now (its state came before,
      // unless the list had the name already).
      if (typeof f.renamed === "string" && f.renamed && !r.members.includes(f.renamed)) {
        r.members.push(f.renamed);
        r.members.sort();
      }
    }
    if (f.event === "leave" && (f.moderation === "kick" || f.moderation === "ban")) this.onRemoval(r, f);
    if (f.event === "leave" && typeof f.renamed === "string" && f.renamed) this.onRenamed(r, f);
    this.emit("members", { room: r.name });
  }

  /**
   * Another member of r renamed (a presence leave with renamed): kept to be shown in the
   * room's timeline, "bob is now moderator", among its removals (moderation "rename"), as
   * hubbub chat prints it. My own rename is the renamed event's.
   */
  onRenamed(r, f) {
    if (f.renamed === this.me || f.name === this.me) return;
    this.renames.delete(f.renamed); // the new name is someone's own now, not a former one
    this.renames.set(f.name, f.renamed);
    if (this.renames.size > RENAMES_KEPT) this.renames.delete(this.renames.keys().next().value);
    const n = { key: (this.noticeSeq = (this.noticeSeq || 0) + 1), seq: r.since + 0.5, time: new Date().toISOString(),
      moderation: "rename", name: f.name, renamed: f.renamed, by: "", api: false };
    r.removals.push(n);
    if (r.removals.length > REMOVALS_KEPT) r.removals.shift();
    this.emit("member-renamed", { room: r.name, was: f.name, name: f.renamed, removal: n });
  }

  /**
   * A member a moderator took out (a presence leave with moderation): kept to be shown in the
   * room's timeline, "eve was kicked by carol". A ban's leave follows its sanction_changed
   * entry, which tells it already (docs/protocol.md, Moderation): it is kept only when no
   * entry told of it.
   */
  onRemoval(r, f) {
    if (f.moderation === "ban" && r.banTold(f)) return;
    const n = { key: (this.noticeSeq = (this.noticeSeq || 0) + 1), seq: r.since + 0.5, time: new Date().toISOString(),
      moderation: f.moderation, name: f.name, by: typeof f.by === "string" ? f.by : "", api: f.api === true };
    r.removals.push(n);
    if (r.removals.length > REMOVALS_KEPT) r.removals.shift();
    this.emit("removal", { room: r.name, removal: n });
  }

  onError(f) {
    if (f.request === "search") {
      // A refused search is the searcher's to show (search-results), not a problem of the room.
      this.emit("search-results", { id: typeof f.id === "string" ? f.id : "", error: f });
      return;
    }
    if (f.request === "notify") {
      // The room menu that asked shows it, as search shows its own.
      this.emit("notify-level", { room: typeof f.room === "string" ? f.room : "", id: typeof f.id === "string" ? f.id : "", error: f });
      return;
    }
    const r = typeof f.room === "string" ? this.errorRoom(f.room) : undefined;
    if (f.code === "bad_name" || (f.request === "hello" && this.state !== "live")) {
      // Reconnecting with a name the server refuses would loop forever; ask the person instead.
      this.state = "idle";
      this.drop();
      this.setState("idle");
      this.emit("name-rejected", { code: f.code, message: f.message });
      return;
    }
    if (f.code === "kicked" && r) {
      this.onRemoved(r, f);
      return;
    }
    if (r && f.id && r.changes.has(f.id)) {
      const c = r.changes.get(f.id);
      if (f.code !== "not_joined" || r.removed) {
        this.dropChange(r, c, f);
        return;
      }
      // The server forgot us (below, we join again): the change goes after the join.
      this.unsend(c);
      c.state = "queued";
    }
    if (r && f.id && r.pending.has(f.id)) {
      const p = r.pending.get(f.id);
      clearTimeout(p.timer);
      p.timer = 0;
      // After a removal, the send's not_joined answer would only hide why.
      if (!(r.removed && p.state === "failed")) {
        p.state = "failed";
        p.error = f.message || f.code;
      }
      this.emit("pending", { room: r.name, error: { code: f.code, message: typeof f.message === "string" ? f.message : "" } });
      return;
    }
    if (r && f.request === "join") {
      // A room_case refusal names the room's stored name (protocol.md, Room names): the page
      // asks again by it.
      r.error = { code: f.code, message: f.message, stored: typeof f.stored_room === "string" ? f.stored_room : "" };
      this.emit("joined", { room: r.name, error: r.error });
      return;
    }
    if (r && f.request === "history") {
      const req = r.requests.shift() || { kind: "page" };
      if (req.kind === "thread") {
        const t = r.threads.get(req.parent);
        if (t) t.loading = false;
        this.emit("thread", { room: r.name, parent: req.parent });
      } else if (req.kind === "parent") {
        r.fetching.delete(req.seq);
        r.missing.add(req.seq); // not asked again: the quote says the message is not available
        this.emit("changed", { room: r.name, seqs: [req.seq] });
      } else {
        r.loadingHistory = false;
        this.emit("history", { room: r.name });
      }
    }
    if (f.code === "not_joined" && r && this.state === "live" && !r.removed) {
      // The server forgot us (a kick, a restart we missed): join again.
      r.joined = false;
      this.sendJoin(r);
    }
    this.emit("problem", { code: f.code, message: f.message, request: f.request, room: f.room, id: f.id });
  }

  /**
   * The room an error answers: the one named room, or, as the server echoes a name longer than
   * any room's (64 bytes) cut short with "…" (protocol.md, error), the over-long one it begins.
   */
  errorRoom(room) {
    const r = this.rooms.get(room);
    if (r || !room.endsWith("…")) return r;
    const start = room.slice(0, -1);
    for (const [name, s] of this.rooms) {
      if (name.length > start.length && name.startsWith(start) && new TextEncoder().encode(name).length > 64) return s;
    }
    return undefined;
  }

  /**
   * A moderator removed us from the room: we are no longer a member, sends on their way there
   * will not be stored, and the room stays out until the person rejoins (a "left" follows).
   */
  onRemoved(r, f) {
    const text = (v) => (typeof v === "string" ? v : "");
    r.removed = { message: text(f.message), by: text(f.by), until: text(f.until), reason: text(f.reason), api: f.api === true };
    r.joined = false;
    this.forgetRequests(r);
    r.members = [];
    r.memberCount = 0;
    r.typing.clear();
    for (const p of r.pending.values()) {
      clearTimeout(p.timer);
      p.timer = 0;
      if (p.state === "failed") continue;
      p.state = "failed";
      p.error = 'you were removed from room "' + r.name + '"'; // the page names it (roomsNamed)
    }
    this.emit("removed", Object.assign({ room: r.name }, r.removed));
    this.emit("members", { room: r.name });
    this.emit("pending", { room: r.name });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/** WebSocket.OPEN, the same in every implementation. */
const WS_OPEN = 1;

/** Returns n random bytes as hex, from the browser's CSPRNG. */
function randomHex(n) {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// This file is also the JavaScript package's protocol client (package.json, hubbub-client.js),
// which loads it as an ES module: there its names stay inside the module, so it hands them over
// through this one global, which hubbub-client.js takes back and removes. The page, which
// loads it as a plain script, ignores it.
globalThis.HubbubProtocol = { HUBBUB_PROTOCOL, HUBBUB_FRAMES, CHAT_TIMING, CHAT_LIMITS, ROOM_NAME, encodeFrame, RoomState, ChatClient };
