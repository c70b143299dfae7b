package session

import (
	"context"
	"sync/atomic"
	"time"

	"hubbub"
	"hubbub/internal/auth"
	"hubbub/internal/hub"
	"hubbub/internal/metrics"
	"hubbub/internal/pairrate"
	"hubbub/internal/storecache"
)

// Config tunes the sessions. Every field must be set (internal/server fills it from its own
// configuration, defaults applied); the comments of server.Config explain each.
type Config struct {
	// Node names this server in welcome frames.
	Node string
	// MaxText is the longest message text, in bytes after cleaning.
	MaxText int
	// SendRate and SendBurst limit each connection's sends.
	SendRate  float64
	SendBurst int
	// AbuseLimit is how many rate-limited frames in a row close the connection with 1008.
	AbuseLimit int
	// TypingInterval is the shortest time between two typing notices a connection relays.
	TypingInterval time.Duration
	// MaxRoomsPerConn is how many rooms one connection may be in.
	MaxRoomsPerConn int
	// HistoryPageMax is the largest history page a client may ask for, and the largest page of
	// the directory and of a room's members.
	HistoryPageMax int
	// MaxDMMembers is the most people a direct message may have, its creator included
	// (0: hubbub.MaxDMMembers).
	MaxDMMembers int
	// SanctionsLimit is the most bans and mutes the first page of a room's members lists to
	// a moderator (0: DefaultSanctionsLimit): a room of thousands of bans would otherwise make
	// that frame as large. Past it the page says sanctions_more.
	SanctionsLimit int
	// MaxAttachments is the most files one message may carry (0: hubbub.MaxAttachments; never
	// more than it).
	MaxAttachments int
	// ReadLimit is the largest frame a client may send (the transport's read limit), which
	// the welcome tells clients (limits.frame) so that they refuse a larger request rather
	// than send it and be closed with 1009; 0 leaves it out of the welcome.
	ReadLimit int64
	// FilesURL is the base of the URLs messages give their attachments
	// (<FilesURL>/files/<id>/<name>): "" for this server's own origin, or the origin the
	// server's --files-url names. Every node of a cluster must use the same, since a message's
	// frame is encoded once for all its readers.
	FilesURL string
	// Auth is AuthGuest, AuthAccounts or AuthToken: who may come in (auth.go).
	Auth string
	// Users finds and creates the users connections act for; nil (a store without users)
	// makes every connection an anonymous user whose name nobody owns.
	Users hubbub.UserStore
	// Cache, when set, answers the reads every reconnect makes — whether a stored user holds a
	// keyless hello's name, the welcome's command list, whether a room is public — from the
	// node's memory while the store's generations say they hold (internal/storecache); nil
	// reads the store each time.
	Cache *storecache.Cache
	// Tokens, when set, verifies the tokens of host applications' users (required with
	// AuthToken).
	Tokens auth.Verifier
	// RoleFor, when set, overrides the stored role of a user who did not come with a token
	// when it returns a role (tests make moderators by name with it); it is given the user's
	// name and id.
	RoleFor func(name, userID string) string
	// SearchTimeout bounds the time of one search; SearchRate and SearchBurst limit each
	// connection's searches (a token bucket).
	SearchTimeout time.Duration
	SearchRate    float64
	SearchBurst   int
	// SearchOff refuses every search with ECodeDisabled: the store keeps no search index
	// (the server's --search-index=false).
	SearchOff bool
	// UploadsOff says, in every welcome, that uploads are refused (the server's --upload-max
	// 0, or no file storage); the files service refuses them.
	UploadsOff bool
	// Metrics counts rate-limit drops; nil counts nothing.
	Metrics *metrics.Metrics
	// Commands runs slash commands; nil: the server has none (a command frame is not_found).
	Commands CommandRunner
	// NewRoomRate and NewRoomBurst limit the rooms a user, and a client address, may bring
	// into being (a token bucket each; newrooms.go); NewGuestRate and NewGuestBurst the new
	// guest names one client address may store (newguests.go). A zero rate limits nothing.
	// Each limit remembers at most RateTracked users and RateTracked addresses.
	NewRoomRate   float64
	NewRoomBurst  int
	NewGuestRate  float64
	NewGuestBurst int
	RateTracked   int
	// BotCacheSize is how many bot tokens the node caches (0: DefaultBotCacheSize), and
	// BotCacheAge how long a cached bot is believed (0: DefaultBotCacheAge): the bound on how
	// late a change the broker did not carry takes effect if the store's generations do not
	// bring it sooner (ForgetBots, botcache.go).
	BotCacheSize int
	BotCacheAge  time.Duration
}

// closePolicyViolation is the close code (RFC 6455 §7.4.1) a session closes with when a client
// breaks a rule: a bad or expired token, a refused name, rate-limit abuse, a kick.
const closePolicyViolation = 1008

// Peer is the connection a session speaks through, as its transport offers it.
type Peer interface {
	// Outbox is the connection's send queue: the session's replies and the rooms' events.
	Outbox() *hub.Outbox
	// Close starts closing the connection with a close frame, after what is queued.
	Close(code int, reason string)
	// Debug logs about the connection.
	Debug(msg string, args ...any)
	// Info logs about the connection.
	Info(msg string, args ...any)
}

// Session is one connection's protocol: the transport hands it each message the client sends
// and tells it once when the connection ends.
type Session interface {
	// Codec encodes room events for this protocol.
	Codec() hub.Codec
	// Coalesce reports whether queued frames may be joined into one (the text protocol).
	Coalesce() bool
	// Handle processes one message from the client.
	Handle(data []byte)
	// End releases the session's rooms; the connection is closing.
	End()
	// User names whom the connection acts for: the name and user id of its last hello (a
	// text client's name), "" before one. The transport logs them when it ends.
	User() (name, id string)
}

// Service opens sessions and answers the requests the REST API shares with hubbub.v1
// (history pages, moderation).
type Service struct {
	cfg Config
	hub *hub.Hub
	// bots caches bots' tokens and follows the bots' live connections (botcache.go).
	bots bots
	// rechecks counts the RecheckUsers passes begun (accountchange.go).
	rechecks atomic.Uint64
	// newRooms limits new rooms per user and per client address (newrooms.go); nil: no limit.
	newRooms *pairrate.Limiter
	// newGuests limits new guest names per client address (newguests.go); nil: no limit.
	newGuests *pairrate.Limiter
}

// New returns a service whose sessions act on h.
func New(cfg Config, h *hub.Hub) *Service {
	s := &Service{cfg: cfg, hub: h}
	if cfg.NewRoomRate > 0 {
		s.newRooms = pairrate.New(cfg.NewRoomRate, max(cfg.NewRoomBurst, 1), max(cfg.RateTracked, 1))
	}
	if cfg.NewGuestRate > 0 {
		s.newGuests = pairrate.New(cfg.NewGuestRate, max(cfg.NewGuestBurst, 1), max(cfg.RateTracked, 1))
	}
	return s
}

// Open starts the session for a connection that negotiated subprotocol (hubbub.v1, or ""
// for the text protocol); creds are what its upgrade request carried (UpgradeCredentials). A
// session may already have queued a refusal and closed p when Open returns.
func (s *Service) Open(p Peer, subprotocol string, creds Credentials) Session {
	if subprotocol == hubbub.ProtocolJSON {
		return newJSONSession(s, p, creds)
	}
	return newTextSession(s, p, creds)
}

// Label names the protocol a connection with subprotocol speaks, for logs and metrics.
func Label(subprotocol string) (string, metrics.Protocol) {
	if subprotocol == hubbub.ProtocolJSON {
		return hubbub.ProtocolJSON, metrics.ProtoJSON
	}
	return "text", metrics.ProtoText
}

// CommandCall is one use of a slash command by a connection's user.
type CommandCall struct {
	// Name is the command's name; Args what followed it.
	Name, Args string
	// Room is where it was used; ID the id of the client's command frame.
	Room, ID string
	// User is the caller's user id; UserName their name.
	User, UserName string
}

// CommandRunner runs slash commands (internal/commands): the sessions hand it each use.
type CommandRunner interface {
	// Commands lists the registered commands.
	Commands(ctx context.Context) ([]hubbub.Command, error)
	// Start begins a use: it returns an error for a use refused at once (an unknown command),
	// and otherwise runs it in the background, calling tell with what the caller alone must
	// see (an ephemeral answer, "working…", a failure).
	Start(ctx context.Context, call CommandCall, tell func(hubbub.CommandNotice)) error
}
