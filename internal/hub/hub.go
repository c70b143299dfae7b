// Package hub keeps the rooms of one node: who is in each room, the recent entries of its log,
// and the fan-out of every room event to its members' outboxes.
//
// The hub is sharded by room. The hub-wide lock guards only the room map and is taken when a
// room is joined, created or removed — never on the path of a message. Each room has its own
// lock, held while it numbers-checks an entry and pushes it to its members; pushing never
// blocks (see Outbox), so a slow member cannot slow a room.
//
// The path of an entry (a message, an edit, a delete, a reaction): a session calls Hub.Send,
// which appends to the Store (assigning the room's next seq, durably) and publishes to the
// Broker; the broker hands the event to every node's room (room.go), which delivers entries
// strictly in seq order, filling gaps from the Store, and pushes each to every member's Outbox
// (reactions in bursts, reactions.go); each connection's writer drains its own: a write pump
// per connection on the goroutine transport, the server's shared flushers on the polled one.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"hubbub"
	"hubbub/internal/metrics"
)

// Config tunes a Hub. The zero value of each field means the default in its comment.
type Config struct {
	// Node identifies this node in events (default "local").
	Node string
	// History is how many recent messages a join without `since` replays, read from the Store
	// in their current state (default 50). It is capped at MaxReplay.
	History int
	// NoticeLimit is the most notices (topic, member and sanction entries) a join without
	// `since` or a history page carries when its client asks for them (default 100): the
	// newest of its span; more are left out and said to be (NoticesTruncated). A page of 50
	// messages in a busy private room spans few of them; a room where hundreds were invited
	// between two messages would otherwise make one page as long as its members list.
	NoticeLimit int
	// RoomBuffer is how many recent entries (of every kind) each room keeps in memory to serve
	// short reconnects without reading the Store (default 256).
	RoomBuffer int
	// MaxReplay is the most entries one join with since replays (default 10000); a client that
	// missed more gets the newest MaxReplay and `truncated`, and pages back with history
	// requests.
	MaxReplay int
	// ReplayBudget is how many messages and entries read from the Store for joins' replays the
	// node holds at once, from the read until the members' writers have taken them (default
	// 50000, about 40 MB of typical messages; raised to MaxReplay if lower). A join that needs
	// more waits for other replays to be written, up to StoreTimeout, then fails with
	// unavailable. Replays from a room's memory (RoomBuffer) do not count: they share the
	// room's entries.
	ReplayBudget int
	// ReactionWindow is how long a room holds the live reactions it delivers so as to send a
	// burst of them to each member as one frame (default 0: each reaction at once, on its own,
	// as PresenceWindow; the server's --reaction-window is DefaultReactionWindow). Any other
	// entry, and any join, sends them sooner.
	ReactionWindow time.Duration
	// ReactionBatch is the most reactions one burst holds; a burst that reaches it goes out at
	// once (default DefaultWindowBatch).
	ReactionBatch int
	// MaxRooms is how many rooms the node holds at once (default 10000).
	MaxRooms int
	// MaxStoredRooms is how many rooms the Store may hold, DMs included (default
	// DefaultMaxStoredRooms): past it, a room that does not exist yet is refused with
	// ECodeLimit, however it would be made (a join, a creation, a first message). See roomCap.
	MaxStoredRooms int
	// MaxMembers is how many connections one room holds (default 10000).
	MaxMembers int
	// GapWait is how long a room waits for a missing seq before reading it from the Store
	// (default 200ms). Gaps appear when several nodes publish to one room.
	GapWait time.Duration
	// PresenceLimit is the most connections a room may hold on this node for joins and leaves
	// to be announced to its members, and the most names a joined reply lists (default 500).
	// Announcing every arrival to everyone costs n² frames as a room fills.
	PresenceLimit int
	// PresenceWindow is how long a room holds the presence notices (joins, leaves, away and
	// back) it announces to its members so as to queue them to each member together, to be
	// written at once (default 0: each at once; the server's --presence-window is
	// DefaultPresenceWindow).
	// Anything else the room sends sends them first (presencewindow.go).
	PresenceWindow time.Duration
	// PresenceWindowMax is how long a room busy with joins holds them: a window that ended
	// holding several notices makes the room's next one this long, and a quiet one brings
	// it back to PresenceWindow (presencewindow.go). Default (or below PresenceWindow):
	// PresenceWindow, never longer; the server's --presence-window-max is
	// DefaultPresenceWindowMax.
	PresenceWindowMax time.Duration
	// PresenceBatch is the most presence notices a room holds; reaching it sends them at once
	// (default DefaultWindowBatch).
	PresenceBatch int
	// PresenceInterval is how often the node restates its members of each room to the other
	// nodes (default 5s).
	PresenceInterval time.Duration
	// PresenceExpiry is how long another node's members are kept without a restatement or
	// any other event of theirs: a node that dies has its members removed within this time
	// (default 3 × PresenceInterval). Keep it above 2 × PresenceInterval: a node restates a
	// busy room only every other interval (presence.go).
	PresenceExpiry time.Duration
	// PresenceWait is how long a room first opened on this node holds its first joins for the
	// other nodes to say who is in it, so that those joins' replies list the members of every
	// node (presenceopen.go); it ends as soon as every node heard from lately has answered,
	// and there is none while no other node is known. A node that just started waits at most
	// this long to learn which nodes there are (nodes.go).
	// Default 0: no wait, as for one node (the server's --presence-wait is DefaultPresenceWait
	// with NATS, and 0 with the in-process broker).
	PresenceWait time.Duration
	// AwayAfter is how long a connected user may send no frame from any of their connections
	// on this node before they show as away (default 5m).
	AwayAfter time.Duration
	// StoreTimeout bounds each Store call made on behalf of a room (default 5s).
	StoreTimeout time.Duration
	// Logger receives the hub's logs (default slog.Default()).
	Logger *slog.Logger
	// Metrics, when set, counts joins, sends and deliveries and times store and broker calls
	// (default nil: no metrics).
	Metrics *metrics.Metrics
	// Appended, when set, is called after each entry Send or Sanction stores (not a duplicate): the
	// webhooks dispatcher's nudge, so an event appended on this node is posted without
	// waiting for its poll. It must not block.
	Appended func()
}

// The windows a server holds reactions and presence notices for, and the most one holds, unless
// its operator says otherwise (cmd/hubbub's --reaction-window, --presence-window and the two
// batch flags). A Config left zero sends each at once: a window is a server's choice, which
// tests of the frames' order and embedders without one should not inherit.
const (
	DefaultReactionWindow = 100 * time.Millisecond
	DefaultPresenceWindow = 100 * time.Millisecond
	// DefaultPresenceWindowMax is a busy room's window: a storm's presence up to half a
	// second late, for a fifth of the writes of the short window.
	DefaultPresenceWindowMax = 500 * time.Millisecond
	DefaultWindowBatch       = 256
	// DefaultPresenceWait is how long, at most, a room opened on a node of a cluster holds its
	// first joins for the other nodes' members: their answers take a broker round trip, a few
	// milliseconds, and only a node that died without a word (or one of the version before
	// that does not hold the room) never answers.
	DefaultPresenceWait = 300 * time.Millisecond
)

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Node == "" {
		c.Node = "local"
	}
	def(&c.RoomBuffer, 256)
	def(&c.History, 50)
	def(&c.NoticeLimit, 100)
	def(&c.MaxReplay, 10000)
	c.History = min(c.History, c.MaxReplay)
	def(&c.ReplayBudget, 50000)
	c.ReplayBudget = max(c.ReplayBudget, c.MaxReplay)
	c.ReactionWindow = max(c.ReactionWindow, 0)
	def(&c.ReactionBatch, DefaultWindowBatch)
	def(&c.MaxRooms, 10000)
	def(&c.MaxStoredRooms, DefaultMaxStoredRooms)
	def(&c.MaxMembers, 10000)
	if c.GapWait <= 0 {
		c.GapWait = 200 * time.Millisecond
	}
	def(&c.PresenceLimit, 500)
	c.PresenceWindow = max(c.PresenceWindow, 0)
	c.PresenceWait = max(c.PresenceWait, 0)
	c.PresenceWindowMax = max(c.PresenceWindowMax, c.PresenceWindow)
	def(&c.PresenceBatch, DefaultWindowBatch)
	if c.PresenceInterval <= 0 {
		c.PresenceInterval = 5 * time.Second
	}
	if c.PresenceExpiry <= 0 {
		c.PresenceExpiry = PresenceExpiryOf(c.PresenceInterval)
	}
	if c.StoreTimeout <= 0 {
		c.StoreTimeout = 5 * time.Second
	}
	if c.AwayAfter <= 0 {
		c.AwayAfter = 5 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Hub holds the rooms this node serves.
type Hub struct {
	cfg   Config
	store hubbub.Store
	// capped is store with Config.MaxStoredRooms applied: what Store hands out.
	capped *roomCap
	broker hubbub.Broker
	log    *slog.Logger

	mu    sync.Mutex
	rooms map[string]*room
	// index mirrors rooms for lookups on the path of every message (a send checks the room's
	// sanctions): sync.Map reads take no lock, so rooms stay independent. Written under mu.
	index  sync.Map
	closed bool
	// draining is set by Drain: this node's members are all leaving.
	draining atomic.Bool

	// users are the user channels of the users connected here (users.go).
	users users
	// renameMu makes RenameUser's passes one at a time (rename.go).
	renameMu sync.Mutex

	// bots is the subscription to the bots' channel and its watchers (bots.go).
	bots botWatch

	// replayBudget bounds the replayed entries read from the Store and not yet taken to be
	// written, over every join (Config.ReplayBudget).
	replayBudget *semaphore.Weighted

	// presence is who is connected to this node, per user, and how lately active
	// (userpresence.go).
	presence userPresence

	// peers are the other nodes heard from lately, whose answers a room that opens waits for
	// (presenceopen.go), and the subscription to the presence channel (nodes.go).
	peers peers
	// presenceOrder is the counter of this node's hubbub.Order, which places each of its
	// presence events among the others of the room for the nodes that receive them. It
	// starts (presenceStarted) at the clock's nanoseconds: a node restarted under the same
	// --node goes on above its orders before the restart (it made fewer than one a
	// nanosecond), which the other nodes still hold against its events — and if the clock
	// was set back meanwhile, they learn from its announcements that it started again.
	presenceOrder   atomic.Uint64
	presenceStarted hubbub.Order

	bg       sync.WaitGroup // gap fills and presence answers in flight
	stop     chan struct{}  // closed by Close: ends presenceLoop and seenLoop
	loopDone chan struct{}
	seenKick chan struct{} // presenceLoop's tick to seenLoop; one waits at most
	seenDone chan struct{}
}

// presenceClock is the clock a node's presence orders start from (Hub.presenceStarted): the
// wall clock, which an internal test sets back as a machine's may be between two runs.
var presenceClock = time.Now

// New returns a hub that keeps history in store and exchanges events through broker.
func New(cfg Config, store hubbub.Store, broker hubbub.Broker) *Hub {
	cfg = cfg.withDefaults()
	h := &Hub{
		cfg:      cfg,
		store:    store,
		broker:   broker,
		log:      cfg.Logger.With("component", "hub"),
		rooms:    make(map[string]*room),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
		seenKick: make(chan struct{}, 1),
		seenDone: make(chan struct{}),
	}
	h.presenceStarted = hubbub.Order(presenceClock().UnixNano())
	h.presenceOrder.Store(uint64(h.presenceStarted))
	h.capped = newRoomCap(store, cfg.MaxStoredRooms, h.log)
	h.replayBudget = semaphore.NewWeighted(int64(cfg.ReplayBudget))
	h.followPresence()
	go h.presenceLoop()
	go h.seenLoop()
	return h
}

// Config returns the hub's effective configuration, defaults filled in.
func (h *Hub) Config() Config { return h.cfg }

// Store returns the Store the hub keeps history in, for the sessions' reads of what is not a
// room's log (users, rooms' metadata, read positions), with Config.MaxStoredRooms applied to
// the rooms they create or join.
func (h *Hub) Store() hubbub.Store { return h.capped }

// Logger returns the hub's logger.
func (h *Hub) Logger() *slog.Logger { return h.log }

// ErrClosed is returned by calls on a hub that was closed.
var ErrClosed = errors.New("hub: closed")

// Member is one connection's presence in rooms: the name it shows, the key that proves two
// connections belong to the same user, and the outbox its frames go to.
type Member struct {
	// Name is the user's name as the connection came with it, which is theirs server-wide
	// (hubbub.NameKey). It is set before the member is used and never changed after: the
	// user may be renamed while connected (RenameUser), so the name the connection goes by
	// now is CurrentName's.
	Name string
	// renamed is the name RenameUser gave the member, nil while it has the one it came with.
	// An atomic pointer, so that reading the name (every send stamps it) takes no lock and
	// allocates nothing.
	renamed atomic.Pointer[string]
	// Key is what a room's claim on a name compares: "user:" + UserID, so that every
	// connection of one user may hold the user's name at once, and no one else can.
	Key string
	Out *Outbox
	// UserID is the user the connection acts for (hubbub.User.ID, or an anonymous user's
	// hubbub.AnonymousUserID); always set. Sanctions, reactions and presence use it.
	UserID string
	// Role is "admin", "moderator" or "member" (empty means member): the user's server-wide
	// role, or a token's.
	Role string
	// Bot is true for a bot user (hubbub.UserBot): the messages it sends carry Entry.Bot.
	Bot bool
	// MessagesOnly members receive messages and edits but no deletes, reactions, presence or
	// typing events: the text protocol shows only messages (and edits as new lines), so
	// queueing the rest would only fill its outbox.
	MessagesOnly bool
	// Removed, if set, is called when the member is removed from a room: by a moderator (kick
	// or ban, after the room queued the kick notice in Out), or because the room left the
	// user's list (a membership entry that removed them, an unroom; reason ""). It is called
	// with the room's lock held, so it must not block nor call into the hub.
	Removed func(room, reason string)
	// ConnID names the connection among every node's, for a user's channel (Attach sets it):
	// a notice the connection caused skips it.
	ConnID string
	// AccountChanged, if set, is given the user's stored record after the store's users
	// changed (Hub.UserConnections): the session ends the connection if what it was opened
	// with no longer holds (the account disabled, another role, its session signed out). It
	// may read the store (a session), within ctx; an error means it could not tell, and the
	// check is to be made again.
	AccountChanged func(ctx context.Context, u hubbub.User) error
	// Renamed, if set, is called after RenameUser gave the member the user's new name (was
	// the name it had), outside the hub's locks, once the rooms here show the new name: the
	// session tells its client, which must say the new name when it connects again.
	Renamed func(was, name string)
}

// CurrentName is the name the member goes by now: Name, or the one a rename of its user gave
// it since (RenameUser).
func (m *Member) CurrentName() string {
	if p := m.renamed.Load(); p != nil {
		return *p
	}
	return m.Name
}

// JoinInfo describes a room as the joining member first sees it.
type JoinInfo struct {
	Room    string
	Members []string
	// MemberCount is how many members the room has; Members lists them all unless the room
	// holds more than PresenceLimit, when it lists that many.
	MemberCount int
	// Away are the names of Members that are away on every node that holds them (nil if none
	// is), so that a new client shows them idle from the start, not online until they change.
	Away []string
	// LastSeq is the room's delivered boundary: every replayed entry has a seq at or below it,
	// and every live one a seq above it.
	LastSeq uint64
	// Replay is how many frames the replay that follows the greeting holds: messages for a
	// join without Since, one per entry for a join with Since.
	Replay int
	// Truncated is true when the room holds older messages than the replay that it left out:
	// without Since, more than History; with Since, more than MaxReplay, or unreadable ones.
	Truncated bool
	// NoticesTruncated is true when the join asked for Notices and its replay left some of
	// its span's out: more than NoticeLimit.
	NoticesTruncated bool
	// Memo is set when Members is the list a crowded room keeps and gives every join until a
	// name leaves (past PresenceLimit): a Greet encodes the list through it (Memo.Encoded), once
	// for all the joins given that list. It is nil otherwise, and valid only inside Greet.
	Memo *Memo
}

// Memo keeps a greeting's encoding of a crowded room's member list for the next joins given
// the same list: 19,000 joins into one room each encoded the same 500 names
// (docs/benchmarks/reconnect-storm.md, "Connect + join"). It is used only from Greet, under
// the room's lock.
type Memo struct {
	names []string // the list enc was made of; held, so its memory cannot be another list's
	enc   []byte
}

// Encoded returns encode(names), made once while names is the very list m last encoded (the
// room's kept list; a new one is a new slice). The result is shared by every join given the
// list: read it, do not change it.
func (m *Memo) Encoded(names []string, encode func([]string) []byte) []byte {
	if len(names) == 0 || len(m.names) != len(names) || &m.names[0] != &names[0] {
		m.names, m.enc = names, encode(names)
	}
	return m.enc
}

// JoinRequest asks to add a member to a room.
type JoinRequest struct {
	Room   string
	Member *Member
	// Since, when set, asks for every entry after that seq; otherwise History recent messages
	// in their current state.
	Since *uint64
	// History is how many recent messages to replay without Since (0 = the hub's default).
	History int
	// Notices, without Since, asks for the room's notices (topic, member and sanction
	// entries) among the replayed messages, in seq order: those from the oldest message
	// replayed (from the first entry when the room holds no older message) to LastSeq, at
	// most NoticeLimit of them. With Since every entry is replayed anyway.
	Notices bool
	// NoReplay joins without replaying anything (the text protocol, like the original chat,
	// shows only what is said after one arrives).
	NoReplay bool
	// Greet builds the member's first frame in the room (its "joined" reply). It runs under the
	// room's lock so that the frame is queued before the replay and every live message.
	Greet func(JoinInfo) *Envelope
	// Allowed, if set, is asked under the room's lock just before the member is added: false
	// refuses the join (forbidden) with nothing queued, neither greeting nor replay. It is for
	// a permission that may be taken away while the join reads its replay (a bot's rooms
	// narrowed meanwhile), and must be cheap: the room waits for it.
	Allowed func() bool
	// Record, if set, writes what the join means to the Store (a stored user's room list, an
	// invitee's membership). It runs once the room is open on this node and before the member
	// is added: a join the hub refuses for want of the room — the broker down, so the room
	// cannot be subscribed to — records nothing, where recording first put a room the user
	// never got into in their list on every device. Its error refuses the join. The room is
	// opened without charging ctx's new-room charge (WithNewRoomCharge): Record stores the
	// room, and is charged for it there, once.
	Record func(ctx context.Context) error
	// Unrecord, if set, undoes what Record wrote: Join calls it when it refuses the join after
	// Record succeeded — the room filled meanwhile, the replay could not be read or had no room
	// in the replay budget, Allowed said no — so that a refused join leaves the room out of the
	// user's list. Its ctx is not the join's (a join refused because its client went must still
	// be undone); its error is logged.
	Unrecord func(ctx context.Context) error
}

// Join adds a member to a room, creating the room on first join, and queues, in this order,
// the greeting, the replay and then every live event of the room. Without Since the replay is
// the newest messages in their current state, the member's own reactions marked (Reaction.Me),
// each at or below the greeting's LastSeq; with Since it is every entry after Since, in order.
func (h *Hub) Join(ctx context.Context, req JoinRequest) (JoinInfo, error) {
	if err := hubbub.ValidateRoom(req.Room); err != nil {
		return JoinInfo{}, err
	}
	openCtx := ctx
	if req.Record != nil {
		openCtx = WithNewRoomCharge(ctx, nil) // Record pays for a room it stores
	}
	recorded := false // recorded once, whichever room the join then enters
	refused := func(err error) (JoinInfo, error) {
		if recorded {
			h.unrecord(ctx, req, err)
		}
		return JoinInfo{}, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		r, err := h.room(openCtx, req.Room)
		if err != nil {
			return refused(err)
		}
		if err := r.awaitOpening(ctx); err != nil {
			return refused(fmt.Errorf("hub: join %s: waiting for the other nodes' members: %w", req.Room, err))
		}
		if req.Record != nil && !recorded {
			// A full room is refused before the record is written, not undone after it; the
			// join checks again under the room's lock (it may fill meanwhile: Unrecord).
			err := r.refuseFull(req.Member)
			if err == nil {
				err = req.Record(ctx)
			}
			if err != nil {
				r.closeIfEmpty() // opened for this join alone, it holds nobody
				return JoinInfo{}, err
			}
			recorded = true
		}
		info, err := r.join(ctx, req)
		if errors.Is(err, errRoomClosed) {
			continue // the room emptied and closed between lookup and join; make a new one
		}
		if err != nil {
			return refused(err)
		}
		return info, nil
	}
	return refused(hubbub.Errorf(hubbub.ECodeUnavailable, "room %q is busy; try again", req.Room))
}

// unrecord undoes the record of a join refused after it (JoinRequest.Unrecord), within the
// store's timeout even if the join's ctx is done.
func (h *Hub) unrecord(ctx context.Context, req JoinRequest, why error) {
	if req.Unrecord == nil {
		return
	}
	uctx, cancel := h.storeCtx(context.WithoutCancel(ctx))
	defer cancel()
	if err := req.Unrecord(uctx); err != nil {
		h.log.Error("undoing a refused join's record failed: the room stays in the user's list", "room", req.Room, "why", why, "err", err)
	}
}

// ResolveRoom returns the stored name of the room a request naming name means, room names
// being one room whatever their case (hubbub.RoomStore.ResolveRoom), or name itself when no
// room has its key yet (a join or a first entry makes it as named). A room this node has open
// under name exactly is that room, with no read of the Store: the hot path of a join, whose
// name is most often the stored one. Every node asks the one shared Store, so every node
// gives one answer.
func (h *Hub) ResolveRoom(ctx context.Context, name string) (string, error) {
	if h.lookup(name) != nil {
		return name, nil
	}
	stored, found, err := h.store.ResolveRoom(ctx, name)
	if err != nil {
		h.log.Error("store resolve room failed", "room", name, "err", err)
		return "", hubbub.Errorf(hubbub.ECodeUnavailable, "room %q cannot be looked up now; try again", name)
	}
	if !found {
		return name, nil
	}
	return stored, nil
}

// Leave removes a member from a room; it is a no-op if the member is not there.
func (h *Hub) Leave(roomName string, m *Member) {
	r := h.lookup(roomName)
	if r != nil {
		r.leave(m)
	}
}

// Send stores an entry of any kind from a member (a message, or an edit, delete or reaction of
// one: e.Kind with its fields) and publishes it to the room's members on every node. It returns
// the stored entry once it is durable; duplicate reports that the member's ClientID had been
// stored before (or, for a delete, that the message was deleted already), in which case
// nothing new was stored and the entry returned is the first one.
//
// A ClientID names one request: the store answers it with the entry it was spent on, of
// whatever kind. When that entry is not what e asks for — another kind, another message,
// another emoji, another member change (sameRequest), or the same kind on the same target
// with other content: a message's text, reply_to or files, an edit's or a topic's text
// (checkResend) — Send returns a conflict error and does nothing else: answered as a
// duplicate, the client would take its new request for done (docs/protocol.md, The room log).
//
// A banned or muted user may append nothing. An entry with no User (a caller acting for a
// name, not a user) is taken to be from the user of that name's legacy id, its From, as rows
// stored before users existed are. The Store judges the target (not_found,
// forbidden, limit), and that error comes back as it is; any other failure is unavailable.
//
// If the broker fails, the entry is stored but Send returns an unavailable error, so the
// client is told instead of its entry silently missing from other nodes; when it retries with
// the same ClientID the store answers with the original entry and Send publishes it again
// (rooms drop seqs they have delivered, so a second publish is harmless). The handover the
// store appended after a member change (Store.Append) is published after the entry, and
// again on such a retry: the store returns it with the first outcome.
//
// Send does not change *e; the entry it returns is shared with the room's members (it is
// published as it is), so the caller must not change it. Both are pointers so that a send's
// path (session, hub, store) stays within a new goroutine's first stack: an Entry is ~400
// bytes, and copied by value at each step it cost every message a stack growth.
func (h *Hub) Send(ctx context.Context, e *hubbub.Entry) (*hubbub.Entry, bool, error) {
	user := e.User
	if user == "" {
		user = e.From // the store keys such an entry by its name too (hubbub.Store)
	}
	if err := h.mayPost(ctx, e.Room, user, e.From); err != nil {
		return nil, false, err
	}
	return h.appendEntry(ctx, e)
}

// appendEntry appends e to its room's log and publishes the entry the Store answered to every
// node: what Send and Sanction do once their checks passed (a sender's sanctions, a
// moderator's target). A duplicate is answered only if it is e's resend (checkResend), and is
// published again, as is the handover the store appended after a member change. It returns
// the stored entry and whether it was a duplicate, or the error to answer with: the Store's
// refusal as it is, anything else unavailable, in the words of e's kind (kindNoun). A
// sanction's entry is held by this node's room before it is published (holdSanction); a
// moderator's delete is audited here, a sanction by Sanction, which knows its actor. Send and
// appendEntry take less of the goroutine's stack together (80 + 240 bytes of frame) than
// Send did alone when it held all of this (544; Send says why that matters): Send holds
// nothing past its check, and the failures are functions of their own.
func (h *Hub) appendEntry(ctx context.Context, e *hubbub.Entry) (*hubbub.Entry, bool, error) {
	start := h.cfg.Metrics.Now()
	stored, handover, outcome, err := h.store.Append(ctx, e)
	h.cfg.Metrics.StoreAppend(start)
	var refused *hubbub.Error
	if errors.As(err, &refused) {
		return nil, false, err
	}
	if err != nil {
		return nil, false, h.unstored(e, err)
	}
	dup := outcome == hubbub.Duplicate
	if dup {
		if err := h.checkResend(ctx, stored, e); err != nil {
			return nil, false, err
		}
	}
	if stored.IsMessage() {
		h.cfg.Metrics.MessageIn()
	}
	if outcome == hubbub.StoredFirst {
		// The room's first entry, whatever seq the store's floor gave it: the room may have
		// come into being just now (a public room a join made is counted twice, which only
		// makes the next count come sooner).
		h.capped.stored(stored.Room, true)
	}
	if stored.Kind == hubbub.KindSanction {
		h.holdSanction(stored)
	}
	// Sanctions too: a webhook may follow them (hubbub.HookSanction), and without the nudge
	// their post waited for the dispatcher's next poll.
	if !dup && h.cfg.Appended != nil {
		h.cfg.Appended()
	}
	if err := h.publishEntry(ctx, stored); err != nil {
		return nil, false, h.undelivered(stored, err)
	}
	if err := h.Handover(ctx, handover); err != nil {
		return nil, false, err
	}
	if stored.Kind == hubbub.KindDelete && stored.Moderator && !dup {
		h.audit("delete", stored.From, stored.Room, "", "seq", stored.Target, "log_seq", stored.Seq)
	}
	return stored, dup, nil
}

// The failures of appendEntry are functions of their own (too big for the compiler to inline
// them, -gcflags=-m says), so that the arguments they build, a log line's and an error's, take
// no room in appendEntry's frame on the path of every send: with them, its frame was 624
// bytes; without, 240.

// unstored logs the Store's failure to append e and returns the error answered for it.
func (h *Hub) unstored(e *hubbub.Entry, err error) error {
	h.log.Error("store append failed", "room", e.Room, "kind", kindNoun(e.Kind), "err", err)
	return hubbub.Errorf(hubbub.ECodeUnavailable, "%s not stored; try again", kindNoun(e.Kind))
}

// undelivered logs the broker's failure to publish stored, an entry the Store appended, and
// returns the error answered for it: stored, but resend it with the same id (the store
// answers the resend with stored, which is published again). A sanction has no id to resend
// it with, and the same one again is the same change: try again.
func (h *Hub) undelivered(stored *hubbub.Entry, err error) error {
	h.log.Warn("broker publish failed", "room", stored.Room, "kind", kindNoun(stored.Kind), "seq", stored.Seq, "err", err)
	retry := "resend it with the same id"
	if stored.Kind == hubbub.KindSanction {
		retry = "try again"
	}
	return hubbub.Errorf(hubbub.ECodeUnavailable,
		"%s stored as seq %d but not delivered to every node; %s", kindNoun(stored.Kind), stored.Seq, retry)
}

// publishEntry publishes stored, an entry the Store appended, to every node (this one
// included: each node's room delivers it in the room's order), timed for the metrics.
func (h *Hub) publishEntry(ctx context.Context, stored *hubbub.Entry) error {
	start := h.cfg.Metrics.Now()
	err := h.broker.Publish(ctx, hubbub.Event{Room: stored.Room, Node: h.cfg.Node, Body: hubbub.EntryAppended{Entry: stored}})
	h.cfg.Metrics.BrokerPublish(start)
	return err
}

// kindNoun names an entry of kind in an error message.
func kindNoun(kind hubbub.EntryKind) string {
	switch kind {
	case hubbub.KindEdit:
		return "edit"
	case hubbub.KindDelete:
		return "delete"
	case hubbub.KindReaction:
		return "reaction"
	case hubbub.KindTopic:
		return "topic change"
	case hubbub.KindMember:
		return "member change"
	case hubbub.KindSanction:
		return "sanction"
	}
	return "message"
}

// checkResend returns nil if stored, the entry the store answered asked with (a duplicate:
// the ClientID's, or for a delete the one that deleted the message), is asked's own first
// outcome, so that asked may be answered as its resend; else the conflict refusing asked:
// its id was spent on another request (sameRequest), or on this one saying something else
// (differs). Only a duplicate gets here, so a new entry pays nothing for the comparison.
func (h *Hub) checkResend(ctx context.Context, stored, asked *hubbub.Entry) error {
	if !sameRequest(stored, asked) {
		return hubbub.Errorf(hubbub.ECodeConflict,
			"the id %q was used before for another request, %s: nothing was done; send this one with a new id", asked.ClientID, spentOn(stored))
	}
	how, err := h.differs(ctx, stored, asked)
	if err != nil {
		return err
	}
	if how != "" {
		return hubbub.Errorf(hubbub.ECodeConflict,
			"the id %q was used before for %s %s: nothing was done; send this one with a new id", asked.ClientID, spentOn(stored), how)
	}
	return nil
}

// differs says how asked says something other than stored, the same request by kind and
// target (sameRequest), was sent with — "with another text", "in reply to message 3", "with
// other files" — or "" if it does not. Compared is what a client sends and the server keeps
// as sent: a message's text (both cleaned), reply_to and files (by id, in order), an edit's
// text, a topic. Mentions are not: the server resolves them from the text. What the store no longer
// holds is taken as the same, so that a resend is answered as the first outcome as before:
// a deleted message's text and files, an edit's text once its message was deleted (the
// store empties both).
//
// The store answers a message as it reads now, so an edited message's text is its last
// edit's: the text it was sent with is its first revision, read from the store here, which
// only the resend of an edited message costs.
func (h *Hub) differs(ctx context.Context, stored, asked *hubbub.Entry) (string, error) {
	switch asked.Kind {
	case hubbub.KindMessage:
		switch {
		case stored.ReplyTo != asked.ReplyTo && stored.ReplyTo == 0:
			return "not in reply to a message", nil
		case stored.ReplyTo != asked.ReplyTo:
			return fmt.Sprintf("in reply to message %d", stored.ReplyTo), nil
		case stored.Deleted:
			return "", nil // nothing of what it said is left (its reply_to is)
		case !sameFiles(stored.Attachments, asked.Attachments):
			if len(stored.Attachments) == 0 {
				return "with no files", nil
			}
			return "with other files", nil
		}
		text := stored.Text
		if !stored.EditedAt.IsZero() {
			start := h.cfg.Metrics.Now()
			revs, found, err := h.store.Revisions(ctx, stored.Room, stored.Seq)
			h.cfg.Metrics.StoreRead(start)
			if err != nil {
				h.log.Error("store revisions failed", "room", stored.Room, "seq", stored.Seq, "err", err)
				return "", hubbub.Errorf(hubbub.ECodeUnavailable, "whether this resends message %d cannot be told now; try again", stored.Seq)
			}
			if !found || len(revs) == 0 {
				return "", nil // deleted since the store answered
			}
			text = revs[0].Text
		}
		if text != asked.Text {
			return "with another text", nil
		}
	case hubbub.KindEdit:
		// An edit's text is never empty: an empty one is the store's, after its message was
		// deleted.
		if stored.Text != "" && stored.Text != asked.Text {
			return "with another text", nil
		}
	case hubbub.KindTopic:
		if stored.Text != asked.Text {
			return "with another topic", nil
		}
	}
	return "", nil
}

// sameFiles reports whether a and b carry the same files in the same order (by id: a
// request names its files by id only).
func sameFiles(a, b []hubbub.Attachment) bool {
	return slices.EqualFunc(a, b, func(x, y hubbub.Attachment) bool { return x.ID == y.ID })
}

// sameRequest reports whether stored, the entry the store answered asked with, is the
// request asked is by kind and by what it changes: the message (Target), the emoji, the
// member and what happens to them. What it says is differs's.
func sameRequest(stored, asked *hubbub.Entry) bool {
	if stored.Kind != asked.Kind || stored.Target != asked.Target {
		return false
	}
	switch asked.Kind {
	case hubbub.KindReaction:
		return stored.Emoji == asked.Emoji
	case hubbub.KindMember:
		return stored.Subject == asked.Subject && stored.Action == asked.Action &&
			(asked.Action != hubbub.MemberRole || stored.Role == asked.Role)
	}
	return true
}

// spentOn names the entry an id was spent on for a conflict's message: "message 4", "the
// edit of message 4 (seq 6)", "the reaction 👍 to message 4 (seq 7)", "the invitation of bob
// (seq 3)".
func spentOn(e *hubbub.Entry) string {
	switch e.Kind {
	case hubbub.KindMessage:
		return fmt.Sprintf("message %d", e.Seq)
	case hubbub.KindReaction:
		return fmt.Sprintf("the reaction %s to message %d (seq %d)", e.Emoji, e.Target, e.Seq)
	case hubbub.KindEdit, hubbub.KindDelete:
		return fmt.Sprintf("the %s of message %d (seq %d)", kindNoun(e.Kind), e.Target, e.Seq)
	case hubbub.KindMember:
		what := map[string]string{hubbub.MemberInvite: "invitation", hubbub.MemberJoin: "join", hubbub.MemberLeave: "leaving",
			hubbub.MemberRemove: "removal", hubbub.MemberRole: "role change"}[e.Action]
		if what == "" {
			what = kindNoun(e.Kind)
		}
		who := e.SubjectName
		if who == "" {
			who = e.Subject // an entry stored before member entries carried the name
		}
		return fmt.Sprintf("the %s of %s (seq %d)", what, who, e.Seq)
	}
	return fmt.Sprintf("the %s (seq %d)", kindNoun(e.Kind), e.Seq)
}

// Typing tells the room's members on every node that name is typing.
func (h *Hub) Typing(ctx context.Context, roomName, name string) error {
	return h.broker.Publish(ctx, hubbub.Event{Room: roomName, Node: h.cfg.Node, Body: hubbub.MemberTyping{Name: name}})
}

// History returns up to limit messages of a room older than before (0 = newest), oldest first,
// in their current state with the reactions of user id viewer marked (Reaction.Me; "" marks
// none), and
// whether older ones remain.
func (h *Hub) History(ctx context.Context, roomName string, before uint64, limit int, viewer string) ([]hubbub.Entry, bool, error) {
	start := h.cfg.Metrics.Now()
	msgs, err := h.store.Before(ctx, roomName, before, limit+1)
	h.cfg.Metrics.StoreRead(start)
	if err != nil {
		h.log.Error("store history failed", "room", roomName, "err", err)
		return nil, false, hubbub.Errorf(hubbub.ECodeUnavailable, "history unavailable; try again")
	}
	more := len(msgs) > limit
	if more {
		msgs = msgs[1:]
	}
	if err := h.markMine(ctx, roomName, viewer, msgs); err != nil {
		h.log.Error("store reacted by failed", "room", roomName, "err", err)
		return nil, false, hubbub.Errorf(hubbub.ECodeUnavailable, "history unavailable; try again")
	}
	return msgs, more, nil
}

// Notices returns the notices of a room (its topic, member and sanction entries) with
// after < seq ≤ upto, oldest first: the newest NoticeLimit of them, and whether it left
// older ones of the span out. A history page asks for the span from its oldest message (0 if
// it is the room's first) to its end.
func (h *Hub) Notices(ctx context.Context, roomName string, after, upto uint64) ([]hubbub.Entry, bool, error) {
	start := h.cfg.Metrics.Now()
	es, err := h.store.Notices(ctx, roomName, after, upto, h.cfg.NoticeLimit+1)
	h.cfg.Metrics.StoreRead(start)
	if err != nil {
		h.log.Error("store notices failed", "room", roomName, "err", err)
		return nil, false, hubbub.Errorf(hubbub.ECodeUnavailable, "history unavailable; try again")
	}
	if len(es) > h.cfg.NoticeLimit {
		return es[len(es)-h.cfg.NoticeLimit:], true, nil
	}
	return es, false, nil
}

// NoticesAfter is where the notice span of a page of messages starts, exclusive: a page's
// notices have a log_seq above its oldest message's seq (oldest; 0 for a page with none) when
// older messages remain (more), and start from the room's first entry when none does — the
// notices before a room's first message (its making, the first invitations) belong to the
// page that holds it. A fresh join's replay and a history page both take their span from it,
// so that paging back from the one meets the other: every notice reaches a client once.
func NoticesAfter(oldest uint64, more bool) uint64 {
	if more {
		return oldest
	}
	return 0
}

// Thread returns up to limit replies to message parent of a room with seq above after (0 =
// from the first), oldest first, in their current state with the reactions of user id viewer
// marked,
// and whether later ones remain.
func (h *Hub) Thread(ctx context.Context, roomName string, parent, after uint64, limit int, viewer string) ([]hubbub.Entry, bool, error) {
	start := h.cfg.Metrics.Now()
	msgs, err := h.store.Replies(ctx, roomName, parent, after, limit+1)
	h.cfg.Metrics.StoreRead(start)
	if err != nil {
		h.log.Error("store replies failed", "room", roomName, "parent", parent, "err", err)
		return nil, false, hubbub.Errorf(hubbub.ECodeUnavailable, "thread unavailable; try again")
	}
	more := len(msgs) > limit
	if more {
		msgs = msgs[:limit]
	}
	if err := h.markMine(ctx, roomName, viewer, msgs); err != nil {
		h.log.Error("store reacted by failed", "room", roomName, "err", err)
		return nil, false, hubbub.Errorf(hubbub.ECodeUnavailable, "thread unavailable; try again")
	}
	return msgs, more, nil
}

// Revisions returns the texts message seq of a room has had, oldest first, the current one
// last; found is false if the room has no message seq. Who may see them is the caller's
// decision (the sender and moderators).
func (h *Hub) Revisions(ctx context.Context, roomName string, seq uint64) ([]hubbub.Revision, bool, error) {
	start := h.cfg.Metrics.Now()
	revs, found, err := h.store.Revisions(ctx, roomName, seq)
	h.cfg.Metrics.StoreRead(start)
	if err != nil {
		h.log.Error("store revisions failed", "room", roomName, "seq", seq, "err", err)
		return nil, false, hubbub.Errorf(hubbub.ECodeUnavailable, "revisions unavailable; try again")
	}
	return revs, found, nil
}

// markMine sets Reaction.Me on the reactions of msgs (ascending in seq, read for viewer alone)
// that user id viewer holds. It reads the Store only if one of msgs carries a reaction.
func (h *Hub) markMine(ctx context.Context, roomName, viewer string, msgs []hubbub.Entry) error {
	if viewer == "" || !slices.ContainsFunc(msgs, func(m hubbub.Entry) bool { return len(m.Reactions) > 0 }) {
		return nil
	}
	start := h.cfg.Metrics.Now()
	mine, err := h.store.ReactedBy(ctx, roomName, viewer, msgs[0].Seq, msgs[len(msgs)-1].Seq)
	h.cfg.Metrics.StoreRead(start)
	if err != nil || len(mine) == 0 {
		return err
	}
	held := make(map[hubbub.ReactionKey]bool, len(mine))
	for _, k := range mine {
		held[k] = true
	}
	for i := range msgs {
		for j := range msgs[i].Reactions {
			rc := &msgs[i].Reactions[j]
			rc.Me = held[hubbub.ReactionKey{Seq: msgs[i].Seq, Emoji: rc.Emoji}]
		}
	}
	return nil
}

// roomsLocked returns the node's open rooms, to visit each after h.mu is released (a room's
// own lock is never taken under h.mu's). Called with h.mu held.
func (h *Hub) roomsLocked() []*room {
	return slices.Collect(maps.Values(h.rooms))
}

// Members returns the sorted names in a room on this node.
func (h *Hub) Members(roomName string) []string { return h.names(roomName, false) }

// Who is Members for a reply that lists them to a member: the presence notices the room holds
// are queued first, so that the reply never reaches a member ahead of the joins and leaves it
// already reflects. Other readers (mentions, the API) take Members and leave the hold alone.
func (h *Hub) Who(roomName string) []string { return h.names(roomName, true) }

// names returns a room's sorted member names, after queueing its held presence notices if
// sendHeld.
func (h *Hub) names(roomName string, sendHeld bool) []string {
	r := h.lookup(roomName)
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if sendHeld {
		r.flushPresence()
	}
	return r.memberNames()
}

// MemberStates returns the state of each name in a room, on every node, by name: StateOnline
// if it is online on a node that holds it, StateAway if it is away on all of them. Names not
// in the room are not in it; nil if the node does not hold the room. The presence notices the
// room holds are queued first, under the same lock, as Who does: an answer built from these
// states never comes ahead of the notices it already counts.
func (h *Hub) MemberStates(roomName string) map[string]string {
	r := h.lookup(roomName)
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushPresence()
	out := make(map[string]string, len(r.names))
	for name := range r.names {
		out[name] = r.nameState(name)
	}
	for _, node := range r.remote {
		for name := range node.names {
			out[name] = r.nameState(name)
		}
	}
	return out
}

// MemberUsers returns the user ids of the members of a room on this node whose names are
// among names, by name. The other nodes' members are known by name only.
func (h *Hub) MemberUsers(roomName string, names []string) map[string]string {
	r := h.lookup(roomName)
	if r == nil || len(names) == 0 {
		return nil
	}
	out := make(map[string]string, len(names))
	r.mu.Lock()
	defer r.mu.Unlock()
	// Each name's claim says whose it is: a message mentioning a few of a room of thousands
	// looks up those few, not every member, under the lock its fan-out waits for (but for a
	// name a rename shared, holder).
	for _, name := range names {
		if c := r.names[name]; c != nil {
			out[name] = r.holder(name, c)
		}
	}
	return out
}

// Rooms reports how many rooms the node holds.
func (h *Hub) Rooms() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rooms)
}

// lookup returns the named room if the node holds it, without taking the hub's lock.
func (h *Hub) lookup(name string) *room {
	if r, ok := h.index.Load(name); ok {
		return r.(*room)
	}
	return nil
}

// Resync catches every room up after the node lost its broker for a while (the NATS broker calls
// it on reconnect): entries published meanwhile never reached this node, so each room reads
// what it is missing from the Store, and asks the other nodes for their members again. It
// returns at once; the work runs in the background.
func (h *Hub) Resync() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	rooms := h.roomsLocked()
	h.mu.Unlock()
	h.botsChanged("") // a bot's change published meanwhile never reached this node
	h.Go(func() {
		h.log.Info("resyncing rooms after a broker outage", "rooms", len(rooms))
		h.resubscribeUsers() // the channels of users who came while it was out
		if h.follows() {
			h.discover() // the nodes heard before may be gone, or others come
		}
		for _, r := range rooms {
			r.catchUp()
			h.publishQuiet(hubbub.Event{Room: r.name, Node: h.cfg.Node, Body: hubbub.PresenceRequested{}}, "presence query")
		}
	})
}

// Go runs fn in the background as the hub's own work: Close waits for it. It reports false,
// and does not run fn, once the hub is closed — so work started by a broker's handler (a bot's
// change, say) never outlives the hub and its store.
func (h *Hub) Go(fn func()) bool {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return false
	}
	h.bg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.bg.Done()
		fn()
	}()
	return true
}

// Drain tells the hub that the node is going away (its server is shutting down): every member
// here is about to leave. Their leaves are still published, so that the members on other
// nodes see them go, but no longer announced to the members here, who are leaving too: at a
// shutdown with 10,000 connections in rooms of 100 those announcements were most of the work
// (docs/benchmarks.md, "Admission control and shutdown").
//
// The presence notices rooms hold (Config.PresenceWindow) are dropped, and their timers stopped,
// for the same reason: at a shutdown they would be written to connections being closed. And
// the joins a room that opened holds for the other nodes' answers (Config.PresenceWait) go at
// once: the server finishes the frame a connection is handling before it closes it, and would
// otherwise wait for the answers of a node that died.
func (h *Hub) Drain() {
	h.draining.Store(true)
	h.mu.Lock()
	rooms := h.roomsLocked()
	h.mu.Unlock()
	for _, r := range rooms {
		r.mu.Lock()
		r.dropPresence()
		r.endOpening()
		r.mu.Unlock()
	}
}

// Close drops every room and waits for background work; later joins fail with ErrClosed.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.stop)
	rooms := h.roomsLocked()
	h.mu.Unlock()
	for _, r := range rooms {
		r.close()
	}
	h.closeBots()
	<-h.loopDone
	<-h.seenDone
	h.bg.Wait()
	h.leave()
	h.flushSeen()
}

// room returns the named room, creating and loading it if needed.
func (h *Hub) room(ctx context.Context, name string) (*room, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	if r := h.rooms[name]; r != nil {
		h.mu.Unlock()
		return r, nil
	}
	if len(h.rooms) >= h.cfg.MaxRooms {
		h.mu.Unlock()
		return nil, hubbub.Errorf(hubbub.ECodeRoomFull, "the server holds its maximum of %d rooms", h.cfg.MaxRooms)
	}
	r := newRoom(h, name)
	// Hold the new room's lock until it is loaded, so that joiners and broker events wait for
	// its history instead of seeing an empty room.
	r.mu.Lock()
	h.rooms[name] = r
	h.index.Store(name, r)
	h.mu.Unlock()

	unheld := h.unheld(ctx, name) // before the room's own subscription (load)
	err := r.load(ctx)
	if err == nil {
		r.startOpening(unheld)
	}
	r.mu.Unlock()
	if err != nil {
		h.forget(r)
		r.close()
		return nil, err
	}
	// Ask the other nodes who is in the room, rather than wait for their next restatement:
	// every node on the presence channel, and, while a node of the version before may be up,
	// those holding the room on it, as that version asked (nodes of this version leave that
	// question to the other).
	h.publishQuiet(hubbub.Event{Room: hubbub.PresenceChannel, Node: h.cfg.Node, Body: hubbub.PresenceQueried{Room: name}}, "presence query")
	if h.peers.mixed(time.Now(), h.cfg.PresenceExpiry, h.cfg.PresenceWait) {
		h.publishQuiet(hubbub.Event{Room: name, Node: h.cfg.Node, Body: hubbub.PresenceRequested{Queried: true}}, "presence query")
	}
	return r, nil
}

// publishQuiet publishes ev within StoreTimeout and only logs a failure ("broker publish <what>
// failed"). It is for presence: nobody waits on it, and the periodic restatement
// (presenceLoop) makes up for a lost event.
func (h *Hub) publishQuiet(ev hubbub.Event, what string) {
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.StoreTimeout)
	defer cancel()
	if err := h.broker.Publish(ctx, ev); err != nil {
		h.log.Warn("broker publish "+what+" failed", "room", ev.Room, "err", err)
	}
}

// forget removes r from the room map if it is still the room of that name.
func (h *Hub) forget(r *room) {
	h.mu.Lock()
	if h.rooms[r.name] == r {
		delete(h.rooms, r.name)
		h.index.Delete(r.name)
	}
	h.mu.Unlock()
}

func (h *Hub) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, h.cfg.StoreTimeout)
}

func (h *Hub) unavailable(op, roomName string, err error) error {
	h.log.Error("store "+op+" failed", "room", roomName, "err", err)
	return hubbub.Errorf(hubbub.ECodeUnavailable, "room %q is unavailable; try again", roomName)
}

// PresenceExpiryOf is Config.PresenceExpiry's default for a presence interval: a node heard
// from not once in three of its statements is gone. It is 0 where interval is not positive
// and at most the longest time.Duration. The NATS broker drops a node's statement in parts
// after the same silence (cmd/hubbub serve gives it this).
func PresenceExpiryOf(interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	if interval > math.MaxInt64/3 {
		return math.MaxInt64
	}
	return 3 * interval
}
