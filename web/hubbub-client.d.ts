// Type declarations of the hubbub JavaScript client package (hubbub-client.js): the hubbub.v1
// protocol client of the chat page (chat-protocol.js, rooms-protocol.js), for Node 20+ and
// browsers. docs/protocol.md describes the frames; docs/clients.md shows a bot.

/** The subprotocol of the JSON protocol on /ws: "hubbub.v1". */
export const HUBBUB_PROTOCOL: "hubbub.v1";

/** Every hubbub.v1 frame the client sends and reads: each type's fields, "type" left out. */
export const HUBBUB_FRAMES: {
  send: Record<string, string[]>;
  receive: Record<string, string[]>;
  limits: string[];
};

/** The client's timings, in milliseconds. */
export const CHAT_TIMING: {
  /** A send on a live connection with no ack by then is marked failed (retry resends it). */
  ackTimeout: number;
  /** The first reconnect delay; it doubles on every failed attempt, up to backoffMax. */
  backoffBase: number;
  backoffMax: number;
  /** A connection live this long resets the backoff. */
  stableAfter: number;
  /** A socket that has not said welcome by then is given up. */
  connectTimeout: number;
  /** While idle the client pings this often, and drops the connection without an answer in pongWait. */
  pingEvery: number;
  pongWait: number;
  typingEvery: number;
  typingShown: number;
  /** Messages per history page (loadOlder, loadThread). */
  historyPage: number;
};

/** Limits the client mirrors from the server. */
export const CHAT_LIMITS: { reactionNames: number; emojiBytes: number };

/** The room names the server accepts. */
export const ROOM_NAME: RegExp;

/** Encodes a client frame with only the fields HUBBUB_FRAMES lists for its type; throws on an unknown type. */
export function encodeFrame(frame: { type: string; [field: string]: unknown }): string;

/** Resolves with the message once the server has stored a send (its ack or its message frame); rejects if it failed. */
export function delivered(client: ChatClient, pending: PendingSend, options?: { signal?: AbortSignal }): Promise<Message>;

/** A user as welcome names them. */
export interface UserInfo {
  /** The user's stable id, the same on every device. */
  id: string;
  name: string;
  /** "guest", "account", "app" (a token's user) or "anonymous". */
  kind: string;
  role: string;
}

/** The server's limits, from welcome. */
export interface Limits {
  max_text: number;
  max_rooms: number;
  history_max: number;
  history_page_max: number;
  send_rate: number;
  send_burst: number;
  /** The most files one message may carry. */
  max_attachments?: number;
  /** The largest frame the server reads, in bytes (its --read-limit); absent from older servers. */
  frame?: number;
}

/** A file a message carries, as POST /upload answers and message frames carry it. */
export interface Attachment {
  id: string;
  /** The file's name, cleaned by the server. */
  name: string;
  /** Its type, sniffed by the server from its content. */
  type: string;
  size: number;
  /** An image's size in pixels (0 for other files). */
  width: number;
  height: number;
  /** Whether a thumbnail exists (thumb_url). */
  thumb: boolean;
  /** Where it is served (GET, with the same credentials as the socket). */
  url: string;
  thumb_url: string;
}

/** One emoji's reactions on a message. */
export interface Reaction {
  emoji: string;
  count: number;
  /** The first few who reacted. */
  names: string[];
  /** Whether I hold this reaction. */
  me: boolean;
}

/** A message as a room holds it: the message frame with every change of the room's log applied. */
export interface Message {
  type: "message";
  room: string;
  /** Its place in the room's log, gap-free per room. */
  seq: number;
  /** The server's id of the message. */
  id: string;
  /** The sender's name when they sent it. */
  from: string;
  /** The sender's user id, the same after a rename; absent on a message from before users. */
  user?: string;
  text: string;
  /** RFC 3339, UTC, with milliseconds. */
  time: string;
  /** True if a bot posted it (a bot user, an incoming webhook, a slash command's answer). */
  bot?: boolean;
  /** The sender's idempotency key, if it sent one. */
  client_id?: string;
  deleted?: boolean;
  /** The seq of the message this one answers. */
  reply_to?: number;
  /**
   * The users it mentions, as the server resolved them: each @name of its text, and for a reply
   * the author of the message it answers (reply: true; the text may not name them).
   */
  mentions?: { user?: string; name: string; reply?: boolean }[];
  mention_room?: boolean;
  edited_at?: string;
  reactions: Reaction[];
  reply_count?: number;
  /** The files it carries. */
  attachments: Attachment[];
  /** Whether I sent it. */
  me?: boolean;
  /** Counts the changes applied to it, so a view can tell when to redraw it. */
  version: number;
}

/** What notifies me of a room while I am away: every message, mentions (and a DM's messages), or nothing. */
export type NotifyLevel = "all" | "mention" | "nothing";

/** A page of a search's hits (the search-results event's frame). */
export interface SearchPage {
  q: string;
  /** The room searched; "" for all my rooms. */
  room: string;
  /** Each message found, as a history page holds it, and its snippet: the text around the matches in pieces, hit true on those that matched (show them as text). */
  hits: { message: Omit<Message, "version" | "me" | "reactions"> & { reactions?: Reaction[] }; snippet: { text: string; hit: boolean }[] }[];
  /** The cursor of the next page; "" on the last. */
  next: string;
  /** True when only my 1,000 most recently active rooms were searched. */
  partial: boolean;
}

/** A message of mine waiting for its ack; client.send returns it. */
export interface PendingSend {
  /** Its idempotency key: a resend with it is stored once. */
  id: string;
  room: string;
  text: string;
  replyTo: number;
  attachments: Attachment[];
  /** "queued" (goes when the room is joined on a live connection), "sending" (waits for the ack) or "failed" (refused or unanswered: retry sends it again with its id). */
  state: "queued" | "sending" | "failed";
  error: string;
  time: Date;
}

/** An edit, reaction or delete of mine waiting for its ack. */
export interface PendingChange {
  id: string;
  kind: "edit" | "react" | "delete";
  seq: number;
  text?: string;
  emoji?: string;
  state: "queued" | "sending";
}

/** One room's state; it outlives connections, so that a rejoin asks for exactly what was missed. */
export class RoomState {
  constructor(name: string);
  readonly name: string;
  /** The timeline: seq → message, in its current state. */
  messages: Map<number, Message>;
  /** The highest seq or log_seq applied: the since of the next rejoin. */
  since: number;
  /** The room's last_seq when it was last joined. */
  lastSeq: number;
  /** Whether the current connection is in the room. */
  joined: boolean;
  /** The members' names (in a crowded room only some). */
  members: string[];
  /** Sends waiting for their ack, by id. */
  pending: Map<string, PendingSend>;
  /** Changes waiting for their ack, by id. */
  changes: Map<string, PendingChange>;
  /** Why the last join failed, if it did. */
  error: { code: string; message: string } | null;
  /**
   * Set when a moderator removed me; the room is then only joined again by rejoin. The kicked
   * error's: by ("" for the server API), until (a ban's end; "" for a kick), reason; all three
   * "" from a server older than them, whose message says it; api, true when the server API
   * did it (say "a server admin").
   */
  removed: Removed | null;
  /**
   * Members a moderator took out, as presence told (never stored): a kick, or a ban no
   * sanction_changed entry told of (matched by the leave's sanction_seq, the entry's log_seq;
   * by name from a server before it). At most 20, the oldest dropped.
   */
  removals: Removal[];
  /**
   * Where a span's older notices were left out (notices_truncated, on a fresh join or an
   * older page): the seq of the message each span starts after (0: the room's start), above
   * which the page says some earlier room events are not shown.
   */
  noticeGaps: Set<number>;
  /** The timeline in seq order. */
  sorted(): Message[];
  /** The message with this seq, in the timeline or loaded outside it. */
  get(seq: number): Message | undefined;
  /** Whether older messages can be fetched (loadOlder). */
  hasOlder(): boolean;
}

/** How a moderator removed me from a room (the kicked error). */
export interface Removed {
  message: string;
  by: string;
  until: string;
  reason: string;
  /** True when the server API did it: say "a server admin". */
  api: boolean;
}

/** A member a moderator took out of a room, from a presence leave with moderation. */
export interface Removal {
  key: number;
  /** Placed after the entry it came after: the room's since then, plus 0.5. */
  seq: number;
  time: string;
  /** "rename": another member goes by renamed now (member-renamed), no moderator's doing. */
  moderation: "kick" | "ban" | "rename";
  name: string;
  /** A rename's new name. */
  renamed?: string;
  /** The moderator's name; "" for the server API. */
  by: string;
  /** True when the server API did it: say "a server admin". */
  api: boolean;
}

/** A slash command as the server lists it. */
export interface CommandInfo {
  name: string;
  description?: string;
}

/** What a slash command showed me alone (never stored). */
export interface CommandNotice {
  kind: "answer" | "working" | "failed";
  text: string;
  /** The command's bot user's name. */
  from: string;
  command: string;
  /** The id command() returned. */
  id: string;
  time: string;
}

/** What each event of a ChatClient carries in its detail. */
export interface ChatClientEvents {
  status: { state: "idle" | "connecting" | "live" | "reconnecting"; retryAt: number; attempt: number };
  /**
   * searchOff: every search is refused with "disabled" (welcome's search_off); uploadsOff:
   * every upload is refused (welcome's uploads_off).
   */
  welcome: { name: string; limits: Limits; user: UserInfo | null; searchOff: boolean; uploadsOff: boolean };
  /**
   * My user goes by name now, not was (another device's hello with a new name, an operator's
   * rename); the connection stays, and the next hello says name.
   */
  renamed: { name: string; was: string };
  /** A join succeeded (frame: the joined frame; null when rejoin was asked while offline) or failed (error). */
  joined: { room: string; frame?: { last_seq: number; replay: number; truncated: boolean; notices_truncated?: boolean; members: string[]; away?: string[] } | null; error?: unknown };
  left: { room: string };
  /** A moderator removed me from the room (kick, or ban: until). */
  removed: { room: string } & Removed;
  /** A moderator took another member out of the room (a kick; a ban only when no entry told of it). */
  removal: { room: string; removal: Removal };
  /** Another member of the room goes by name now, not was; removal is its line in the room's removals. */
  "member-renamed": { room: string; was: string; name: string; removal: Removal };
  moderated: { frame: Record<string, unknown> };
  /**
   * A ban, mute or lift in a room, by any moderator (sanction_changed): an entry of the room's
   * log, told to every member and shown in the room's notices too; a roster that listed the
   * room's sanctions follows it. until is absent ("") on a lift.
   */
  sanction: { room: string; action: "ban" | "unban" | "mute" | "unmute"; user: string; name: string; until: string };
  /**
   * Messages arrived. kind: "live", "replay" (after a join), "history" (a page) or "ack" (my
   * own, shown from its ack). fresh: they are new entries of the log (live, or missed while
   * away), not the current state a join or a page shows.
   */
  messages: { room: string; added: Message[]; kind: "live" | "replay" | "history" | "ack"; fresh: boolean };
  /** A message this client sent is stored: its frame, with the mentions the server resolved. */
  sent: { room: string; message: Message };
  /** Messages changed: edited, deleted, reacted to, replied to, or a quoted parent arrived. */
  changed: { room: string; seqs: number[] };
  thread: { room: string; parent: number };
  revisions: { room: string; seq: number; revisions: unknown[] };
  /** The answer to search(id): a page of hits, or the error frame that refused it. */
  "search-results": { id: string; frame?: SearchPage; error?: { code: string; message: string } };
  /** The server's slash commands changed (welcome's list, or the answer to askCommands). */
  commands: { commands: CommandInfo[] };
  /** What a slash command showed me alone: its answer ("answer"), "working", or why it "failed". */
  "command-notice": { room: string; notice: CommandNotice };
  /** The answer to notifyLevel(id): my notification level of the room now, or the error frame that refused it. */
  "notify-level": { room: string; id: string; level?: NotifyLevel; error?: { code: string; message: string } };
  /**
   * Sends or changes waiting for their ack changed (room.pending, room.changes); error is the
   * server's refusal of a send that failed now (code "muted": its message says until when).
   */
  pending: { room: string; error?: { code: string; message: string } };
  members: { room: string };
  typing: { room: string };
  history: { room: string };
  /** An error frame nobody else handled (a refused send or change among them). */
  problem: { code: string; message: string; request?: string; room?: string; id?: string; seq?: number };
  /** The server refused the name (hello). */
  "name-rejected": { code: string; message: string };
  /** The room list, or one room's row, changed (client.myRooms). */
  myrooms: { room?: string };
  unroom: { room: string };
  open: { room: string };
  directory: { rooms: unknown[]; next: string; query: string };
  /**
   * A page of a room's stored members; sanctions, on the first page to one who may moderate the
   * room, are its bans and mutes in force (null when the server did not say: protocol.md, members);
   * sanctions_more, that the server listed only some of them (those of the members on the page
   * first), so a user not among them may still be sanctioned.
   */
  roster: {
    room: string;
    members: unknown[];
    next: string;
    sanctions: { user: string; name: string; kind: "ban" | "mute"; until: string }[] | null;
    sanctions_more: boolean;
  };
  /**
   * A change to the room itself (topic_changed, member_changed, sanction_changed) is shown in
   * the room's notices, keyed by its log_seq: live, in a replay, and since a fresh join and
   * every loadOlder page ask for them (notices: true), among the replayed and paged messages
   * too, once each. One at or below the applied seq is shown, not applied again.
   */
  notices: { room: string };
}

/** How to connect. */
export interface ChatClientOptions {
  /** The WebSocket endpoint: ws(s)://host/ws. */
  url: string;
  /** The guest's secret: the name belongs to whoever holds it (may be empty: anonymous). */
  key: string;
  /** A token signed by the host application; the server then takes the name from it. */
  token?: string;
  /** The WebSocket class (default globalThis.WebSocket: browsers, Node 22+, Node 20 with --experimental-websocket; else the ws package's). */
  WebSocket?: new (url: string, protocol: string) => WebSocket;
}

/**
 * The hubbub.v1 client: one WebSocket that reconnects by itself with exponential backoff and
 * jitter, says hello again, rejoins every room with since (what was missed arrives once, in
 * order), and resends every unacknowledged message with its id. It holds each room's messages
 * in their current state and reports changes as events (CustomEvent, in detail).
 */
export class ChatClient extends EventTarget {
  constructor(options: ChatClientOptions);
  readonly url: string;
  /** The name asked for in start, and the one the server confirmed in welcome. */
  name: string;
  me: string;
  /** "admin", "moderator" or "member", from welcome. */
  role: string;
  user: UserInfo | null;
  limits: Limits | null;
  /** Whether the server runs without search (welcome's search_off). */
  searchOff: boolean;
  /** Whether the server takes no uploads (welcome's uploads_off): files already sent still download. */
  uploadsOff: boolean;
  state: "idle" | "connecting" | "live" | "reconnecting";
  /** The rooms this client is in or joining, by name. */
  rooms: Map<string, RoomState>;
  /**
   * The user's list of rooms as the server sent it, with unread and mention counts, which the
   * client keeps as the server would count them: messages that arrive, edits that add or drop
   * a mention of me, deletes, and reads (a myrooms event says so).
   */
  myRooms: Map<string, Record<string, unknown>>;
  hasRoomList: boolean;

  addEventListener<K extends keyof ChatClientEvents>(
    type: K,
    listener: (event: CustomEvent<ChatClientEvents[K]>) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof ChatClientEvents>(
    type: K,
    listener: (event: CustomEvent<ChatClientEvents[K]>) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;

  /** Connects (or reconnects with a new name) and stays connected until pause. */
  start(name: string): void;
  /** Closes the connection and stays offline until start. */
  pause(): void;
  /** Skips the rest of the backoff delay and reconnects now. */
  reconnectNow(): void;
  /** Joins a room (when live; else on connecting) and returns its state. */
  addRoom(name: string): RoomState;
  /** Joins again a room a moderator removed me from, or whose join failed. */
  rejoin(name: string): RoomState;
  /** Leaves a room and forgets it; restoreRoom takes the returned state back. */
  leaveRoom(name: string): RoomState | null;
  restoreRoom(room: RoomState | null): void;
  canModerate(): boolean;
  /** kick, ban, unban, mute, unmute or delete; args: name (or user, a user's id, with name) or seq, reason, duration. */
  moderate(action: string, room: string, args: Record<string, unknown>): boolean;
  /** The name a member called name goes by now, as the renames this client saw say. */
  currentName(name: string): string;
  /** A new idempotency key, unique to this client. */
  nextId(): string;
  /**
   * Queues a message (joining the room if needed); it is pending until its ack (delivered waits
   * for it). options.attachments are files uploaded with POST /upload, as its answers describe
   * them (only their ids are sent; one without an id and url is dropped). A message whose frame
   * is larger than the server reads (limits.frame) fails at once instead of being sent, and one
   * the server closes the connection over (1009) fails instead of being sent again.
   */
  send(room: string, text: string, options?: { replyTo?: number; attachments?: Attachment[] }): PendingSend;
  /**
   * Why the server would not take this message (its text past limits.max_text, or its frame
   * past limits.frame), or "" if it would: ask before send to keep the text when it would not.
   */
  sendRefusal(room: string, text: string, options?: { replyTo?: number; attachments?: Attachment[] }): string;
  /** Sends a failed message again with the same id. */
  retry(room: string, id: string): void;
  /** Drops a failed message. */
  discard(room: string, id: string): void;
  /** Asks for the page before the oldest message held, with the room's notices of its span; with reach (a seq), one large enough to hold that message, up to history_page_max. */
  loadOlder(room: string, reach?: number): boolean;
  edit(room: string, seq: number, text: string): PendingChange | null;
  /** Toggles my reaction (an emoji or a :short_name:). */
  react(room: string, seq: number, emoji: string): PendingChange | null;
  deleteMessage(room: string, seq: number): PendingChange | null;
  pendingEdit(room: string, seq: number): string | null;
  loadThread(room: string, parent: number): boolean;
  fetchMessage(room: string, seq: number): void;
  revisions(room: string, seq: number): boolean;
  /** Searches (docs/protocol.md, Search); returns the id the search-results event carries, "" when not connected. */
  search(params: { q: string; room?: string; from?: string; since?: string; until?: string; order?: "newest" | "relevance"; cursor?: string; limit?: number }): string;
  /** Sets my notification level of a room, or asks it without a level (docs/protocol.md, Notifications); returns the id the notify-level event carries, "" when not connected. */
  notifyLevel(room: string, level?: NotifyLevel): string;
  /** The server's slash commands (docs/protocol.md, Slash commands). */
  commands: CommandInfo[];
  /** Whether name (without its slash) is one of the server's commands. */
  hasCommand(name: string): boolean;
  /** Uses a slash command in a room; returns the id its notices carry back, "" when not connected. */
  command(room: string, name: string, args: string): string;
  /** Asks the server for its commands again (a commands event answers). */
  askCommands(): void;
  /** Tells the room I am typing (rate-limited here). */
  typing(room: string): void;
  /** Who is typing in the room now (not me). */
  typists(room: string): string[];

  askRooms(): boolean;
  createRoom(room: string, topic?: string, isPrivate?: boolean): boolean;
  openDM(names: string[]): boolean;
  invite(room: string, name: string): boolean;
  removeMember(room: string, name: string): boolean;
  part(room: string): boolean;
  setTopic(room: string, topic: string): boolean;
  directory(query: string, after?: string): boolean;
  askMembers(room: string, after?: string): boolean;
  /**
   * Moves my read position in the room forward to seq (my other devices hear it). With ask
   * false, counts the held messages cannot settle stay the server's rather than being asked for.
   */
  markRead(room: string, seq: number, ask?: boolean): boolean;
  /** Whether a message is my own. */
  isMine(message: Message): boolean;
  /** Whether a message mentions me (or everyone, with @room), a reply to a message of mine included. */
  mentionsMe(message: Message): boolean;
  /** Whether a message replies to a message of mine: the server marked its mention of me reply. */
  repliesToMe(message: Message): boolean;
}
