// rooms-protocol.js — the people part of hubbub.v1 (docs/protocol.md; issue 16) for ChatClient:
// the user's room list with its unread and mention counts, read positions shared by the user's
// devices, room creation, direct messages, invitations, the directory, the stored members of a
// room, and the topic and membership changes of a room's log.
//
// It adds methods to ChatClient (chat-protocol.js), which hands it every frame it does not read
// itself (receivePeople), every new message (countUnread) and every edit and delete
// (countChange). Kept apart so the reconnect and
// message logic there reads without this, and this without that. Like chat-protocol.js it knows
// nothing about the DOM.
//
// Events it adds (CustomEvent, details in `detail`):
//   myrooms   {room?}             the room list, or one room's row (counts, topic, invitation) changed
//   unroom    {room}              the room left the list: parted on another device, or removed
//   open      {room}              the room a create or dm request asked for exists: show it
//   directory {rooms, next, query} a page of the room directory
//   roster    {room, members, next} a page of a room's stored members, with presence
//   notices   {room}              a topic or membership change arrived in the room's log
"use strict";

/** Limits of the people requests. */
const PEOPLE_LIMITS = {
  directoryPage: 50, // rooms per directory page
  maxUnread: 999, // hubbub.MaxUnreadCount: the server's counts stop there, and so do ours
};

/** Whether a room name is a direct message's (hubbub.IsDMRoom). */
function isDMRoom(name) {
  return typeof name === "string" && name.startsWith("dm.");
}

/** A MyRoom row (rooms or room frame) with its fields checked, and `counted` set. */
function myRoomRow(x) {
  const n = (v) => (typeof v === "number" && v >= 0 ? v : 0);
  return {
    room: x.room,
    topic: typeof x.topic === "string" ? x.topic : "",
    private: x.private === true,
    dm: x.dm === true || isDMRoom(x.room),
    created_by: typeof x.created_by === "string" ? x.created_by : "",
    members: n(x.members),
    last_seq: n(x.last_seq),
    role: typeof x.role === "string" ? x.role : "member",
    invited: x.invited === true,
    read_seq: n(x.read_seq),
    unread: Math.min(n(x.unread), PEOPLE_LIMITS.maxUnread),
    mentions: Math.min(n(x.mentions), PEOPLE_LIMITS.maxUnread),
    people: Array.isArray(x.people) ? x.people.filter((p) => typeof p === "string") : [],
    // The highest seq the counts account for: the server counted up to last_seq, and every
    // message above it that arrives is counted here, once.
    counted: n(x.last_seq),
  };
}

// ChatClient through the global chat-protocol.js sets, so that this file also works as an ES
// module (the JavaScript package, hubbub-client.js), where that file's names are out of reach.
Object.assign(globalThis.HubbubProtocol.ChatClient.prototype, {
  // --- requests -------------------------------------------------------------------------------

  /** Asks for the room list again (the server also sends it unasked after welcome). */
  askRooms() {
    if (!(this.state === "live" && this.frame({ type: "rooms" }))) return false;
    this.roomsAsked++;
    return true;
  },

  /** Creates a room; the room frame that answers brings it into view (an "open" event). */
  createRoom(room, topic, isPrivate) {
    if (this.state !== "live") return false;
    const f = { type: "create", room, id: this.nextId() };
    if (topic) f.topic = topic;
    if (isPrivate) f.private = true;
    this.awaiting = { kind: "create", room };
    return this.frame(f);
  },

  /** Opens the direct message with these people (names), creating it on first use. */
  openDM(names) {
    if (this.state !== "live") return false;
    this.awaiting = { kind: "dm" };
    return this.frame({ type: "dm", names, id: this.nextId() });
  },

  /** Invites someone to a private room (owner and moderators). */
  invite(room, name) {
    return this.state === "live" && this.frame({ type: "invite", room, name, id: this.nextId() });
  },

  /** Removes a member from a private room, or takes back their invitation. */
  removeMember(room, name) {
    return this.state === "live" && this.frame({ type: "remove", room, name, id: this.nextId() });
  },

  /** Leaves a room for good (or declines an invitation); leaveRoom then forgets it here. */
  part(room) {
    if (this.state !== "live") return false;
    this.myRooms.delete(room);
    this.partsSent.add(room);
    this.changedSinceAsked(room, null);
    return this.frame({ type: "part", room, id: this.nextId() });
  },

  /**
   * Puts a public room this page joined for the first time in the list, as the server does
   * from that join on (protocol.md, My rooms), before any list says so.
   */
  listJoined(room, row) {
    this.myRooms.set(room, row);
    this.changedSinceAsked(room, row);
  },

  /**
   * Keeps a change to the list (row, or null for a room taken out) over the answers to
   * askRooms still on their way: the server read them before the change, perhaps. A part of
   * this page's own counts as much as an unroom: a list asked for before it (on joining a room,
   * to learn its topic) and come after it named the room still, which then came back, was
   * joined again and so listed again on the server (e2e TestBareAddressOpensMyRoomNotALeftLobby,
   * CI), and the part's unroom that came next was taken for an Undo's and dropped.
   */
  changedSinceAsked(room, row) {
    if (this.roomsAsked > 0) this.roomsSince.push({ room, row });
  },

  /** Sets a room's topic. */
  setTopic(room, topic) {
    return this.state === "live" && this.frame({ type: "topic", room, topic, id: this.nextId() });
  },

  /** Asks for a page of the room directory: public rooms whose name or topic contains query. */
  directory(query, after) {
    if (this.state !== "live") return false;
    this.directoryQuery = query;
    return this.frame({ type: "directory", query, after: after || "", limit: PEOPLE_LIMITS.directoryPage });
  },

  /** Asks for a page of a room's stored members with their presence (a "roster" event answers). */
  askMembers(room, after) {
    if (this.state !== "live" || !this.frame({ type: "members", room, after: after || "" })) return false;
    this.rosterAsked.add(room);
    if (!after) this.sanctionsHeard.set(room, []);
    return true;
  },

  /**
   * Takes room as read up to seq on this device: its counts drop, and the server hears it once
   * (a position at or below one already sent or heard is not sent again), so my other devices do
   * too. Returns whether a read frame went. With ask false, a recount the timeline cannot make
   * keeps the server's counts instead of asking for the list again (catchUpCounts, which runs
   * on a list: asking there could go on as long as the server's list lags).
   */
  markRead(room, seq, ask = true) {
    if (!(seq > 0)) return false;
    // The frame goes before the counts change: a recount that asks for the room list again
    // (applyRead) is then answered with this position already in it, not the one before.
    const r = this.rooms.get(room);
    let sent = false;
    if ((this.readSent.get(room) || 0) < seq && this.state === "live" && this.hasRoomList && r && r.joined) {
      this.readSent.set(room, seq);
      sent = this.frame({ type: "read", room, seq });
    }
    this.applyRead(room, seq, ask);
    return sent;
  },

  // --- counts ---------------------------------------------------------------------------------

  /** Whether a message is my own: by user id when the frames carry one, else by name. */
  isMine(m) {
    if (this.user && typeof m.user === "string" && m.user) return m.user === this.user.id;
    return m.from === this.me;
  },

  /**
   * Whether a message mentions me: by user id or name, or everyone with @room. A reply to a
   * message of mine mentions me too: the server adds me to its mentions (marked reply).
   */
  mentionsMe(m) {
    if (!m || m.deleted) return false;
    if (m.mention_room) return true;
    return this.mentionOfMe(m) !== undefined;
  },

  /** Whether a message replies to a message of mine: its mention of me is marked reply. */
  repliesToMe(m) {
    const x = m && !m.deleted ? this.mentionOfMe(m) : undefined;
    return !!(x && x.reply);
  },

  /** The mention of me among a message's mentions: by user id when known, else by name. */
  mentionOfMe(m) {
    const id = this.user ? this.user.id : "";
    return Array.isArray(m.mentions) ? m.mentions.find((x) => x && ((id && x.user === id) || x.name === this.me)) : undefined;
  },

  /** Counts a message that arrived in a room of the list, if the counts do not hold it yet. */
  countUnread(room, m) {
    const info = this.myRooms.get(room);
    if (!info || !m || typeof m.seq !== "number" || m.seq <= info.counted) return;
    info.counted = m.seq;
    info.last_seq = Math.max(info.last_seq, m.seq);
    if (m.seq <= info.read_seq || m.deleted || this.isMine(m)) return;
    info.unread = Math.min(info.unread + 1, PEOPLE_LIMITS.maxUnread);
    if (this.mentionsMe(m)) info.mentions = Math.min(info.mentions + 1, PEOPLE_LIMITS.maxUnread);
    this.emit("myrooms", { room });
  },

  /**
   * Brings a row the server just listed up to what this page knows. The list is read from the
   * store at one moment, and the page's stream goes on beside it: a message this page holds
   * above the row's last_seq came live before the list was read (the row does not count it),
   * and a read position above the row's was this page's own, sent or sent again now (a list
   * asked for before it, or read from a store a moment behind). Either, dropped, left the
   * count one off for good (e2e TestReloadOpensAtTheFirstUnread: 39 or 41 unread of 40).
   */
  catchUpCounts(room, info, readHere) {
    const r = this.rooms.get(room);
    if (r) for (const m of r.sorted()) if (m.seq > info.counted) this.countUnread(room, m);
    if (readHere > info.read_seq) this.markRead(room, readHere, false);
  },

  /**
   * What of message m the counts hold, taken before an edit or a delete changes it (null when
   * this page does not hold the message): countChange compares it with what m becomes.
   */
  countedState(m) {
    return m ? { deleted: !!m.deleted, mine: this.isMine(m), mention: this.mentionsMe(m) } : null;
  },

  /**
   * Follows an edit or a delete of message seq in the counts, as the server counts after it
   * (docs/protocol.md, My rooms): a deleted message is no longer unread, nor a mention; an
   * edit's mentions replace the message's, so an edit that drops my name takes it out of the
   * mentions and one that adds it counts it, while the message is unread. before is
   * countedState of the message before the change and m the message now; without before (a
   * message this page does not hold) the server's counts are asked for again. logSeq is the
   * change's own seq: one at or below what the counts account for is already in them (a rooms
   * frame read after it).
   */
  countChange(room, seq, logSeq, before, m) {
    const info = this.myRooms.get(room);
    if (!info || !(seq > info.read_seq) || seq > info.counted) return;
    if (typeof logSeq === "number" && logSeq > 0 && logSeq <= info.counted) return;
    if (!before || !m) {
      this.askRooms();
      return;
    }
    if (before.deleted || before.mine) return;
    const mention = !m.deleted && this.mentionsMe(m);
    const unreadGone = m.deleted ? 1 : 0;
    const mentionDelta = (mention ? 1 : 0) - (before.mention ? 1 : 0);
    if (unreadGone === 0 && mentionDelta === 0) return;
    // A count at its cap stands for that many or more: one less is the server's to say.
    if ((unreadGone && info.unread >= PEOPLE_LIMITS.maxUnread) || (mentionDelta < 0 && info.mentions >= PEOPLE_LIMITS.maxUnread)) {
      this.askRooms();
      return;
    }
    info.unread = Math.max(0, info.unread - unreadGone);
    info.mentions = Math.min(Math.max(0, info.mentions + mentionDelta), PEOPLE_LIMITS.maxUnread);
    this.emit("myrooms", { room });
  },

  /**
   * Moves a room's read position forward to seq and recounts what is still unread: nothing when
   * it reaches what the counts hold, else the held messages above it when the timeline holds
   * them all, else the server's count, asked for again (unless ask is false).
   */
  applyRead(room, seq, ask = true) {
    const info = this.myRooms.get(room);
    if (!info || seq <= info.read_seq) return;
    info.read_seq = seq;
    if (seq >= info.counted) {
      info.unread = 0;
      info.mentions = 0;
    } else {
      const r = this.rooms.get(room);
      let top = 0;
      if (r) for (const m of r.messages.values()) if (m.seq > top) top = m.seq;
      // The timeline must hold every message the counts took, or the recount drops the ones it
      // lacks: the server's list, read as a message was stored and not yet sent here, counts
      // it ahead of the live stream. A followed room's live stream brings those still, and they
      // are counted as they arrive; else the server counts.
      const lacking = top < info.counted;
      if (r && r.minSeq > 0 && r.minSeq <= seq + 1 && (!lacking || r.joined)) {
        let unread = 0;
        let mentions = 0;
        for (const m of r.messages.values()) {
          if (m.seq <= seq || m.seq > info.counted || m.deleted || this.isMine(m)) continue;
          unread++;
          if (this.mentionsMe(m)) mentions++;
        }
        info.unread = unread;
        info.mentions = mentions;
        if (lacking) info.counted = Math.max(top, seq);
      } else if (ask) {
        this.askRooms();
      }
    }
    this.emit("myrooms", { room });
  },

  // --- frames ---------------------------------------------------------------------------------

  /** Reads the frames of this file; r is the room the frame names, if this page follows it. */
  receivePeople(f, r) {
    switch (f.type) {
      case "rooms": {
        this.hasRoomList = true;
        const readHere = new Map();
        for (const [room, info] of this.myRooms) readHere.set(room, info.read_seq);
        this.myRooms.clear();
        for (const x of Array.isArray(f.rooms) ? f.rooms : []) {
          if (x && typeof x.room === "string") this.myRooms.set(x.room, myRoomRow(x));
        }
        for (const [room, info] of this.myRooms) this.readSent.set(room, info.read_seq);
        if (this.roomsAsked > 0) {
          // The answer to askRooms, read before the room and unroom frames that came since
          // it was asked, and the parts and joins this page sent since, perhaps: they stand
          // (changedSinceAsked). A DM started with me while the page asked (it
          // does when it joins a public room, app.js) vanished from the list, its messages
          // never counted (TestNeverReadDirectMessageOpensAtItsFirstMessage, a stress run).
          for (const { room, row } of this.roomsSince) {
            if (!row) this.myRooms.delete(room);
            else if (!this.myRooms.has(room)) this.myRooms.set(room, row);
          }
          if (--this.roomsAsked === 0) this.roomsSince = [];
        }
        for (const [room, info] of this.myRooms) this.catchUpCounts(room, info, readHere.get(room) || 0);
        this.emit("myrooms", {});
        break;
      }
      case "room": {
        if (typeof f.room !== "string") return;
        const info = myRoomRow(f);
        const readHere = this.myRooms.get(f.room)?.read_seq || 0;
        this.myRooms.set(f.room, info);
        this.changedSinceAsked(f.room, info);
        this.readSent.set(f.room, Math.max(this.readSent.get(f.room) || 0, info.read_seq));
        this.catchUpCounts(f.room, info, readHere);
        this.emit("myrooms", { room: f.room });
        const w = this.awaiting;
        if (w && !info.invited && ((w.kind === "dm" && info.dm) || (w.kind === "create" && w.room === f.room))) {
          this.awaiting = null;
          this.emit("open", { room: f.room });
        }
        break;
      }
      case "unroom":
        if (typeof f.room !== "string") return;
        // The answer to this page's own part of a room it has taken back since (Undo): the
        // server handled the part, the leave and the join in that order, so the room is mine
        // and joined again; this unroom, sent through the user's channel, merely came late.
        if (this.partsSent.delete(f.room) && this.rooms.has(f.room)) return;
        this.myRooms.delete(f.room);
        this.changedSinceAsked(f.room, null);
        this.emit("unroom", { room: f.room });
        break;
      case "read":
        if (typeof f.room !== "string" || typeof f.seq !== "number") return;
        this.readSent.set(f.room, Math.max(this.readSent.get(f.room) || 0, f.seq));
        this.applyRead(f.room, f.seq);
        break;
      case "directory":
        this.emit("directory", {
          rooms: (Array.isArray(f.rooms) ? f.rooms : []).filter((x) => x && typeof x.room === "string"),
          next: typeof f.next === "string" ? f.next : "",
          query: this.directoryQuery || "",
        });
        break;
      case "topic_changed":
      case "member_changed":
        if (r) this.onRoomChange(r, f);
        break;
      default:
      // a frame newer than this page
    }
  },

  /**
   * A topic, membership or sanction change from the room's log: shown in place, applied to the
   * list.
   */
  onRoomChange(r, f) {
    // joined.replay does not count sanction entries (docs/protocol.md, Moderation).
    if (f.type !== "sanction_changed") this.replayed(r);
    const fresh = this.advance(r, f.log_seq);
    if (!fresh && r.notices.has(f.log_seq)) return;
    if (typeof f.log_seq === "number") r.notices.set(f.log_seq, f);
    if (!fresh) {
      // At or below since: a notice a fresh join replays among its messages (notices: true),
      // or one applied before. It is shown in place, not applied again: the room's topic and
      // members are already what they are now.
      this.emit("notices", { room: r.name });
      return;
    }
    const info = this.myRooms.get(r.name);
    if (f.type === "topic_changed") {
      r.topic = typeof f.topic === "string" ? f.topic : "";
      if (info) info.topic = r.topic;
    } else if (info && this.user && f.subject === this.user.id) {
      if (f.action === "join") info.invited = false;
      if (f.action === "role" && f.role) info.role = f.role;
    }
    if (info && f.log_seq > info.last_seq) info.last_seq = f.log_seq;
    this.emit("notices", { room: r.name });
    if (info) this.emit("myrooms", { room: r.name });
  },

  /** The answer to askMembers. */
  onRoster(f) {
    this.rosterAsked.delete(f.room);
    const members = f.members
      .filter((x) => x && typeof x.name === "string")
      .map((x) => ({
        user: typeof x.user === "string" ? x.user : "",
        name: x.name,
        role: typeof x.role === "string" ? x.role : "member",
        // The server role of one who moderates the server; "" for a member (or an older server).
        server_role: x.server_role === "admin" || x.server_role === "moderator" ? x.server_role : "",
        invited: x.invited === true,
        state: x.state === "online" || x.state === "away" ? x.state : "offline",
        last_seen: typeof x.last_seen === "string" ? x.last_seen : "",
      }));
    // The room's bans and mutes in force, told to one who may moderate it on the first page;
    // null when not told (a later page, a member, an older server): every action is offered.
    let sanctions = Array.isArray(f.sanctions)
      ? f.sanctions
          .filter((x) => x && typeof x.name === "string" && (x.kind === "ban" || x.kind === "mute"))
          .map((x) => ({ user: typeof x.user === "string" ? x.user : "", name: x.name, kind: x.kind, until: typeof x.until === "string" ? x.until : "" }))
      : null;
    // A change heard while the answer was on its way may be newer than what it read: it is
    // applied again (one it read already changes nothing).
    const heard = this.sanctionsHeard.get(f.room);
    if (sanctions && heard) {
      for (const c of heard) sanctions = withSanction(sanctions, c);
      this.sanctionsHeard.delete(f.room);
    }
    // sanctions_more: the server listed only some of them (--sanctions-limit), those of the
    // members on the page first; of a user not listed, the page then does not know.
    this.emit("roster", { room: f.room, members, next: typeof f.next === "string" ? f.next : "", sanctions, sanctions_more: sanctions !== null && f.sanctions_more === true });
  },

  /**
   * A ban, mute or lift in a room: an entry of its log (log_seq), shown in place as a notice
   * like a topic or membership change, and a "sanction" event, which a roster that listed the
   * room's sanctions follows. From a server node of the version before, it has no log_seq and
   * reaches moderators only.
   */
  onSanctionChanged(f) {
    const kind = { ban: "ban", unban: "ban", mute: "mute", unmute: "mute" }[f.action];
    if (!kind || typeof f.room !== "string" || typeof f.name !== "string" || !f.name) return;
    const r = this.rooms.get(f.room);
    if (r && typeof f.log_seq === "number") {
      // At or below since: a fresh join's replayed notice (or one applied before), shown in
      // place and not applied again: no leave follows it, and the sanctions in force are what
      // the roster reads now.
      const old = f.log_seq <= r.since;
      // The leave this ban makes (presence, moderation "ban") comes after it: the entry says it.
      if (f.action === "ban" && !old) r.rememberBan(f);
      this.onRoomChange(r, f);
      if (old) return;
    }
    const c = { room: f.room, action: f.action, user: typeof f.user === "string" ? f.user : "", name: f.name, until: typeof f.until === "string" ? f.until : "" };
    const heard = this.sanctionsHeard.get(f.room);
    if (heard) heard.push(c);
    this.emit("sanction", c);
  },
});

/**
 * list (a roster's sanctions) with change c (a sanction event) applied: the user's sanction of
 * c's kind replaced, or taken out by a lift. The user is matched by id, else by name.
 */
function withSanction(list, c) {
  const kind = c.action.replace(/^un/, "");
  const same = (s) => s.kind === kind && (s.user && c.user ? s.user === c.user : s.name.toLowerCase() === c.name.toLowerCase());
  const rest = list.filter((s) => !same(s));
  if (c.action === kind) rest.push({ user: c.user, name: c.name, kind, until: c.until });
  return rest;
}
