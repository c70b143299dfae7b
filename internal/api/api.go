package api

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"hubbub"
	"hubbub/internal/commands"
	"hubbub/internal/httpbody"
	"hubbub/internal/hub"
	"hubbub/internal/session"
	"hubbub/internal/webhooks"
	"hubbub/internal/wire"
)

// Config configures the API.
type Config struct {
	// Key is the bearer key every request must carry; "" turns the API off (404), but for
	// the bots' own calls (bots.go).
	Key string
	// Node names this server in GET /api/rooms.
	Node string
	// MaxText is the longest message text a publish may carry, in bytes after cleaning.
	MaxText int
	// RoomsPageMax is the largest page GET /api/rooms (and users, members, the directory)
	// answers; a larger limit gets this many (default DefaultRoomsPageMax).
	RoomsPageMax int
	// HistoryPageMax is the most replies a thread page holds, as for history pages (default
	// 200, the server's --history-page-max).
	HistoryPageMax int
	// MaxDMMembers is the most people a direct message may have (0: hubbub.MaxDMMembers), the
	// server's --max-dm-members.
	MaxDMMembers int
	// Webhooks manages the server's webhooks under /api/webhooks (nil: those endpoints
	// answer 404).
	Webhooks *webhooks.Admin
	// Logger receives the API's logs.
	Logger *slog.Logger
	// Commands runs the server's slash commands; the admin routes of commands (/api/commands)
	// check a new command's URL with it. nil: adding a command answers 404.
	Commands *commands.Runner
}

// API serves /api/. Create it with New; it is an http.Handler.
type API struct {
	cfg      Config
	hub      *hub.Hub
	sessions *session.Service // history pages and moderation, shared with hubbub.v1
	handler  http.Handler
}

// defaultHistoryPageMax is Config.HistoryPageMax's default, the server's.
const defaultHistoryPageMax = 200

// apiBodyLimit bounds every API request body.
const apiBodyLimit = 64 << 10

// apiTimeout bounds the work of one API request.
const apiTimeout = 10 * time.Second

// apiActor is the actor the audit log names for moderation done through the API, and the
// From and User of the entries it makes (hubbub.Entry.MadeByAPI).
const apiActor = hubbub.APIActor

// apiError is an API failure: an HTTP status and a JSON body {"code", "message"}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Message }

func apiErrorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// toAPIError maps an error from the hub (a *hubbub.Error) or the decoder to its HTTP form.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	code := hubbub.ErrorCode(err)
	status := http.StatusInternalServerError
	switch code {
	case hubbub.ECodeBadJSON, hubbub.ECodeMissing, hubbub.ECodeBadName, hubbub.ECodeBadRoom, hubbub.ECodeTooLong,
		hubbub.ECodeEmpty, hubbub.ECodeBadID, hubbub.ECodeBadDuration, hubbub.ECodeBadField:
		status = http.StatusBadRequest
	case hubbub.ECodeLimit:
		status = http.StatusConflict // the message's state refuses it (too many kinds of reaction)
	case hubbub.ECodeExists, hubbub.ECodeNameTaken:
		status = http.StatusConflict // the room (or the member, the command, a user with the name) is there already
	case hubbub.ECodeConflict:
		status = http.StatusConflict // the request's id was spent on another request, or on other content (hub.Send)
	case hubbub.ECodeRoomCase:
		// The store refused a room another spelling of which exists; the API's own answer to
		// that is exists, naming it (existsAs, sendMeant).
		return &apiError{Status: http.StatusConflict, Code: hubbub.ECodeExists, Message: hubbub.ErrorMessage(err)}
	case hubbub.ECodeForbidden, hubbub.ECodeBanned, hubbub.ECodeMuted:
		status = http.StatusForbidden
	case hubbub.ECodeNotFound:
		status = http.StatusNotFound
	case hubbub.ECodeUnavailable, hubbub.ECodeRoomFull:
		status = http.StatusServiceUnavailable
	case hubbub.ECodeDisabled:
		status = http.StatusNotImplemented // not a failure to retry: this server does not offer it
	}
	return &apiError{Status: status, Code: code, Message: hubbub.ErrorMessage(err)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeAPIError(w http.ResponseWriter, err error) {
	if httpbody.TimedOut(w, err) { // a body that did not arrive in time (bodyFailed)
		return
	}
	ae := toAPIError(err)
	writeJSON(w, ae.Status, ae)
}

// apiHandler is an endpoint that returns its refusal instead of writing it: ServeHTTP writes
// the error it returns as the API's (writeAPIError), so each refusal in a handler is one
// return. A handler returns nil once it has written its answer, and an error only before.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP runs h and writes the error it returns, if any.
func (h apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		writeAPIError(w, err)
	}
}

// New returns the handler of /api/: the API's routes behind the key check, or, without a key,
// a 404 that says the API is off. Requests act through h, as WebSocket clients do.
func New(cfg Config, h *hub.Hub, sessions *session.Service) *API {
	if cfg.RoomsPageMax <= 0 {
		cfg.RoomsPageMax = DefaultRoomsPageMax
	}
	if cfg.HistoryPageMax <= 0 {
		cfg.HistoryPageMax = defaultHistoryPageMax
	}
	s := &API{cfg: cfg, hub: h, sessions: sessions}
	m := http.NewServeMux()
	// A route whose path names a room gets it resolved first (inRoom).
	route := func(pattern string, h apiHandler) {
		if strings.Contains(pattern, "{room}") {
			h = s.inRoom(h)
		}
		m.Handle(pattern, h)
	}
	route("GET /api/rooms", s.apiRooms)
	route("POST /api/rooms", s.apiCreateRoom)
	route("GET /api/rooms/{room}", s.apiRoom)
	route("POST /api/rooms/{room}/invite", s.apiInvite)
	route("PUT /api/rooms/{room}/read", s.apiRead)
	route("GET /api/rooms/{room}/notify", s.apiNotify)
	route("PUT /api/rooms/{room}/notify", s.apiNotify)
	route("POST /api/dms", s.apiDM)
	route("GET /api/directory", s.apiDirectory)
	m.HandleFunc("GET /api/search", s.apiSearch)
	route("GET /api/users", s.apiUsers)
	route("GET /api/users/{name}", s.apiUser)
	route("GET /api/users/{name}/rooms", s.apiUserRooms)
	route("GET /api/rooms/{room}/members", s.apiMembers)
	route("GET /api/rooms/{room}/messages", s.apiHistory)
	route("POST /api/rooms/{room}/messages", s.apiPublish)
	route("GET /api/rooms/{room}/messages/{seq}", s.apiMessage)
	route("PATCH /api/rooms/{room}/messages/{seq}", s.apiEdit)
	route("DELETE /api/rooms/{room}/messages/{seq}", s.apiDelete)
	route("GET /api/rooms/{room}/messages/{seq}/replies", s.apiReplies)
	route("GET /api/rooms/{room}/messages/{seq}/revisions", s.apiRevisions)
	route("POST /api/rooms/{room}/messages/{seq}/reactions/{emoji}", s.apiReaction(true))
	route("DELETE /api/rooms/{room}/messages/{seq}/reactions/{emoji}", s.apiReaction(false))
	route("POST /api/rooms/{room}/kick", s.apiKick)
	route("POST /api/rooms/{room}/ban", s.apiSanction(wire.TypeBan))
	route("DELETE /api/rooms/{room}/bans/{name}", s.apiLift(wire.TypeUnban))
	route("POST /api/rooms/{room}/mute", s.apiSanction(wire.TypeMute))
	route("DELETE /api/rooms/{room}/mutes/{name}", s.apiLift(wire.TypeUnmute))
	route("GET /api/rooms/{room}/sanctions", s.apiSanctions)
	s.mountWebhooks(m)
	route("POST /api/bots", s.apiCreateBot)
	route("GET /api/bots", s.apiBots)
	route("GET /api/bots/{bot}", s.apiBot)
	route("PATCH /api/bots/{bot}", s.apiUpdateBot)
	route("POST /api/bots/{bot}/token", s.apiRotateBot)
	route("DELETE /api/bots/{bot}", s.apiDeleteBot)
	route("POST /api/hooks", s.apiCreateHook)
	route("GET /api/hooks", s.apiHooks)
	route("DELETE /api/hooks/{id}", s.apiDeleteHook)
	s.commandsRoutes(m)
	key := sha256.Sum256([]byte(cfg.Key))
	s.handler = s.apiAuth(key, m)
	return s
}

// ServeHTTP implements http.Handler.
func (s *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// apiAuth checks the bearer key in constant time (comparing SHA-256 digests, so not even the
// key's length leaks), then routes; the mux's own 404 and 405 answers become JSON errors. A
// bot's token (hubbub.BotTokenPrefix) goes to botAuth instead, also when the API key is off.
func (s *API) apiAuth(key [32]byte, m *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		given, ok := session.BearerToken(r)
		if ok && strings.HasPrefix(given, hubbub.BotTokenPrefix) {
			if err := s.botAuth(w, r, m, given); err != nil {
				writeAPIError(w, err)
			}
			return
		}
		if s.cfg.Key == "" {
			writeAPIError(w, apiErrorf(http.StatusNotFound, hubbub.ECodeNotFound, "the server API is off (start the server with --api-key)"))
			return
		}
		sum := sha256.Sum256([]byte(given))
		if subtle.ConstantTimeCompare(sum[:], key[:]) != 1 || !ok {
			s.cfg.Logger.Info("api: unauthorized", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "key_given", ok)
			w.Header().Set("WWW-Authenticate", `Bearer realm="hubbub"`)
			writeAPIError(w, apiErrorf(http.StatusUnauthorized, "unauthorized", "a valid API key is required: Authorization: Bearer <key>"))
			return
		}
		if unrouted(w, r, m) {
			return
		}
		m.ServeHTTP(w, r)
	})
}

// unrouted answers a request no route of m takes, and reports whether it did: 405 with Allow
// for a path whose routes take other methods, else 404, as JSON errors (the mux's own answers
// are plain text). It is asked once the caller is known, key or bot token alike: a wrong
// method is a wrong method whoever sends it.
func unrouted(w http.ResponseWriter, r *http.Request, m *http.ServeMux) bool {
	if _, pattern := m.Handler(r); pattern != "" {
		return false
	}
	rec := &headerRecorder{header: http.Header{}}
	m.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeAPIError(w, apiErrorf(rec.status, "method_not_allowed", "%s is not allowed on %s", r.Method, r.URL.Path))
	default:
		writeAPIError(w, apiErrorf(http.StatusNotFound, hubbub.ECodeNotFound, "no API endpoint %s %s", r.Method, r.URL.Path))
	}
	return true
}

// headerRecorder captures the status and headers of the mux's own error answers.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(status int)      { h.status = status }

// bodyFailed is the answer to a read of a body (httpbody.Limit) that err says failed for
// want of the body itself, or nil: the 413 of one past its limit, or err for one that did not
// arrive in time, which writeAPIError answers 408 (httpbody.TimedOut) rather than as bad JSON.
func bodyFailed(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apiErrorf(http.StatusRequestEntityTooLarge, "too_large", "the body is larger than %d bytes", tooBig.Limit)
	}
	if errors.Is(err, httpbody.ErrTimeout) {
		return err
	}
	return nil
}

// decodeJSON reads exactly one JSON object into v, refusing unknown fields and trailing data.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	// The body is read whole first (at most apiBodyLimit) so that one that is JSON but no
	// object is refused as such: decoded into v, null would leave v empty ("from" is
	// required) and an array would be refused in encoding/json's words, Go type included.
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if failed := bodyFailed(err); failed != nil {
			return failed
		}
		if errors.Is(err, io.EOF) {
			return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "the body must be a JSON object")
		}
		return badJSON(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if failed := bodyFailed(err); failed != nil {
			return failed
		}
		return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "the body must hold one JSON object and nothing after it")
	}
	if raw[0] != '{' { // json.RawMessage holds the value without the spaces around it
		return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "the body must be a JSON object, not %s", jsonKind(raw[0]))
	}
	if err := duplicateKey(raw); err != nil {
		return err
	}
	obj := json.NewDecoder(bytes.NewReader(raw))
	obj.DisallowUnknownFields()
	if err := obj.Decode(v); err != nil {
		return badJSON(err)
	}
	return nil
}

// duplicateKey refuses a JSON object (raw, already known to be valid JSON) that names one key
// twice in an object, at any depth. encoding/json keeps the last, so a backend that sent
// "text" twice by mistake would publish the text it did not mean, and no one would know; and
// since encoding/json matches a key to a field whatever its case, "text" and "Text" are one
// field too. No API body has a map whose keys differ only by case, so the case-blind rule
// refuses nothing legitimate.
func duplicateKey(raw []byte) error {
	type level struct {
		object  bool
		wantKey bool              // in an object, the next token is a key
		keys    map[string]string // the object's keys so far, by foldKey
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var stack []level
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF; the caller's full decode reports anything else
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				stack = append(stack, level{object: d == '{', wantKey: d == '{'})
			default:
				stack = stack[:top]
				if top > 0 && stack[top-1].object {
					stack[top-1].wantKey = true
				}
			}
			continue
		}
		if top < 0 || !stack[top].object {
			continue
		}
		if !stack[top].wantKey {
			stack[top].wantKey = true // a scalar value: a key comes next
			continue
		}
		key, _ := tok.(string)
		folded := foldKey(key)
		if k, ok := stack[top].keys[folded]; ok {
			if k == key {
				return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "the key %q appears twice in one object", key)
			}
			return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "the keys %q and %q name one field (keys match fields whatever their case)", k, key)
		}
		if stack[top].keys == nil {
			stack[top].keys = map[string]string{}
		}
		stack[top].keys[folded] = key
		stack[top].wantKey = false
	}
}

// foldKey returns the key two keys share exactly when strings.EqualFold says they match:
// each rune replaced by the smallest of its case-folding orbit. A map of folded keys finds a
// body's second spelling of a field at once; comparing each key with every one before it
// cost a 64 KiB body of 8,000 short keys 152 ms of CPU.
func foldKey(key string) string {
	b := make([]rune, 0, len(key))
	for _, r := range key {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b = append(b, least)
	}
	return string(b)
}

// jsonKind names the kind of JSON value that starts with c.
func jsonKind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "true or false"
	}
	return "a number"
}

// badJSON is the answer to a body encoding/json refused, in JSON's words: a field of the
// wrong kind named with what it must hold, an unknown field named, and no Go type names
// (encoding/json says "Go struct field editRequest.text of type string").
func badJSON(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "%s", wire.TypeProblem(typeErr))
	}
	return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// validFrom checks a body's "from", the name of the user the call acts for: required, and a
// valid name.
func validFrom(from string) error {
	if from == "" {
		return hubbub.Errorf(hubbub.ECodeBadName, `"from" is required: the name of the user the call acts for`)
	}
	return hubbub.ValidateName(from)
}

// readBody decodes r's body, bounded by apiBodyLimit, into v.
func readBody(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSON(httpbody.Limit(w, r, apiBodyLimit), v)
}

// publishRequest is the body of POST /api/rooms/{room}/messages.
type publishRequest struct {
	From string `json:"from"`
	Text string `json:"text"`
	ID   string `json:"id,omitempty"`
	// ReplyTo is the seq of the message of the room this one answers (0: none).
	ReplyTo uint64 `json:"reply_to,omitempty"`
	// Attachments are the ids of files the user From uploaded, which the message carries.
	Attachments []string `json:"attachments,omitempty"`
}

// message validates p as a message to room (validated: inRoom), with the text and attachment
// rules of svc (the server's sessions).
func (p *publishRequest) message(room string, svc *session.Service) (hubbub.Entry, error) {
	if err := validFrom(p.From); err != nil {
		return hubbub.Entry{}, err
	}
	text, files, err := svc.MessageContent(p.Text, p.Attachments)
	if err != nil {
		return hubbub.Entry{}, err
	}
	if err := hubbub.ValidateClientID(p.ID); err != nil {
		return hubbub.Entry{}, err
	}
	return hubbub.Entry{Room: room, From: p.From, Text: text, ClientID: p.ID, ReplyTo: p.ReplyTo, Attachments: files}, nil
}

// moderationRequest is the body of the kick, ban and mute endpoints.
type moderationRequest struct {
	Name string `json:"name"`
	// User, instead of Name, is the id of the user moderated (a message's user): whoever has
	// it, by the name they go by now (session.Moderation.Target).
	User     string `json:"user,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Duration string `json:"duration,omitempty"`
}

// check validates what every moderation body needs: a name, and a duration for ban and mute.
func (m *moderationRequest) check(action string) error {
	switch {
	case m.User != "":
		if len(m.User) > maxUserIDLen {
			return hubbub.Errorf(hubbub.ECodeBadField, "\"user\" must be a user id of at most %d bytes", maxUserIDLen)
		}
	case m.Name == "":
		return hubbub.Errorf(hubbub.ECodeMissing, "%s needs a \"name\" (or a \"user\", a user's id)", action)
	default:
		if err := hubbub.ValidateName(m.Name); err != nil {
			return err
		}
	}
	if action == wire.TypeBan || action == wire.TypeMute {
		if m.Duration == "" { // as hubbub.v1's ban and mute without one
			return hubbub.Errorf(hubbub.ECodeMissing, "%s needs a \"duration\" (such as \"10m\", \"24h\" or \"7d\", or \"forever\")", action)
		}
		if _, _, err := session.ParseDuration(m.Duration); err != nil {
			return err
		}
	} else if m.Duration != "" {
		return hubbub.Errorf(hubbub.ECodeBadDuration, "%s takes no duration", action)
	}
	if _, err := session.CleanReason(m.Reason); err != nil {
		return err
	}
	return nil
}

func apiContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), apiTimeout)
}

// inRoom runs h with the request's {room} resolved, the one place a path's room is: validated
// (400 bad_room, before anything else of the request is read), then taken as the room's stored
// name, which h reads as r.PathValue("room"). Room names are one room whatever their case
// (docs/protocol.md, "Room names"), and an HTTP caller, unlike a WebSocket client matching
// answers to the name it sent, is simply answered for the room it meant (the answers name it
// as stored). A name no room has yet stays as given. A bot's token (botAuth) may use the room
// only if its patterns cover the stored name.
func (s *API) inRoom(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		room, err := s.resolveRoom(r, r.PathValue("room"))
		if err != nil {
			return err
		}
		if b := requestBot(r); b != nil {
			ctx, cancel := apiContext(r)
			err := botMayUseRoom(ctx, s.sessions, b, room)
			cancel()
			if err != nil {
				return err
			}
		}
		r.SetPathValue("room", room)
		return h(w, r)
	}
}

// resolveRoom returns room, validated, as its stored name (inRoom).
func (s *API) resolveRoom(r *http.Request, room string) (string, error) {
	if err := hubbub.ValidateRoom(room); err != nil {
		return room, err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	return s.hub.ResolveRoom(ctx, room)
}

// storedName is resolveRoom for a room named outside the path (a query's, a body's): a valid
// name as its stored name, an invalid one as given, for its caller to refuse in its own words.
func (s *API) storedName(r *http.Request, room string) (string, error) {
	if hubbub.ValidateRoom(room) != nil {
		return room, nil
	}
	return s.resolveRoom(r, room)
}

// noRoom is the answer about a room that is not there: neither metadata nor entries, and for
// the routes that take a room in use, no member on any node either (storedRoom, roomInUse).
func noRoom(room string) error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "no room %q", room)
}

// sendMeant sends e through h, as the API's writes to a room do; when the store refuses it
// room_case — e's room was no room yet, and another spelling of its name was made since the
// name was resolved (at the same instant, on another node say) — it sends it to that room:
// the room the call meant, as resolving a moment later would have found (docs/api.md). It
// changes e.Room then.
func sendMeant(ctx context.Context, h *hub.Hub, e *hubbub.Entry) (*hubbub.Entry, bool, error) {
	stored, dup, err := h.Send(ctx, e)
	if name := hubbub.ErrorStoredRoom(err); hubbub.ErrorCode(err) == hubbub.ECodeRoomCase && name != "" && name != e.Room {
		e.Room = name
		stored, dup, err = h.Send(ctx, e)
	}
	return stored, dup, err
}

// apiMessageReply answers a publish.
type apiMessageReply struct {
	Message   wire.Message `json:"message"`
	Duplicate bool         `json:"duplicate"`
}

// apiPublish: POST /api/rooms/{room}/messages {from, text, id?, reply_to?, attachments?}. With
// a bot's token, from is the bot's own name (it may be left out). A message from a bot user
// is marked as a bot's.
func (s *API) apiPublish(w http.ResponseWriter, r *http.Request) error {
	var p publishRequest
	if err := readBody(w, r, &p); err != nil {
		return err
	}
	if b := requestBot(r); b != nil {
		if p.From == "" {
			p.From = b.User.Name
		} else if k1, k2 := nameKey(p.From), nameKey(b.User.Name); k1 != k2 {
			return apiErrorf(http.StatusForbidden, hubbub.ECodeForbidden, "a bot posts as itself (%q), not as %q", b.User.Name, p.From)
		}
	}
	m, err := p.message(r.PathValue("room"), s.sessions)
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	if err := hubbub.CheckDMStarted(ctx, s.hub.Store(), m.Room); err != nil {
		return s.storeFailed("reading the room", err)
	}
	u, err := s.actorUser(ctx, m.From)
	if err != nil {
		return err
	}
	m.User, m.From, m.Bot = u.ID, u.Name, u.Kind == hubbub.UserBot
	m.Mentions, m.MentionRoom = s.mentions(m.Room, m.Text)
	m.Mentions = s.sessions.MentionReplied(ctx, m.Room, m.ReplyTo, m.User, m.Mentions)
	stored, dup, err := s.appendEntry(ctx, m)
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("api: published", "room", stored.Room, "from", stored.From, "seq", stored.Seq, "duplicate", dup)
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	writeJSON(w, status, apiMessageReply{Message: wire.NewMessageAt(&stored, s.sessions.FilesURL()), Duplicate: dup})
	return nil
}

// nameKey is hubbub.NameKey of name, "" for a name that has none.
func nameKey(name string) string {
	k, _ := hubbub.NameKey(name)
	return k
}

// apiMembers: GET /api/rooms/{room}/members — the names in the room, on every node; with
// stored=1, the room's stored members and invitees (apiStoredMembers).
func (s *API) apiMembers(w http.ResponseWriter, r *http.Request) error {
	room := r.PathValue("room")
	switch r.URL.Query().Get("stored") {
	case "", "0", "false":
	case "1", "true":
		return s.apiStoredMembers(w, r, room)
	default:
		return apiErrorf(http.StatusBadRequest, "bad_request", "stored must be 1 or 0")
	}
	members := s.hub.Members(room)
	if members == nil {
		ctx, cancel := apiContext(r)
		defer cancel()
		if err := s.storedRoom(ctx, room); err != nil {
			return err
		}
		members = []string{}
	}
	writeJSON(w, http.StatusOK, wire.NewWho(room, members))
	return nil
}

// apiHistory: GET /api/rooms/{room}/messages?before=&limit= — a page of history.
func (s *API) apiHistory(w http.ResponseWriter, r *http.Request) error {
	room := r.PathValue("room")
	q := r.URL.Query()
	var before uint64
	if v := q.Get("before"); v != "" {
		var err error
		if before, err = strconv.ParseUint(v, 10, 64); err != nil {
			return apiErrorf(http.StatusBadRequest, "bad_request", "before must be a seq (a non-negative integer)")
		}
	}
	limit, err := queryLimit(q.Get("limit")) // 0: HistoryPage's default
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	page, err := s.sessions.HistoryPage(ctx, room, before, limit, "")
	if err != nil {
		return err
	}
	if len(page.Messages) == 0 {
		if err := s.roomInUse(ctx, room); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// apiModerate runs a moderation request from the API and answers it.
func (s *API) apiModerate(w http.ResponseWriter, r *http.Request, m session.Moderation) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	if m.Action == wire.TypeBan || m.Action == wire.TypeMute {
		// A misspelt room's sanction would be stored and keep nobody out. A kick stores
		// nothing (and may reach a room open on another node only), and a lift must reach a
		// sanction stored in any room.
		if err := s.roomInUse(ctx, m.Room); err != nil {
			return err
		}
	}
	m.ActorRole = hubbub.RoleAdmin // the operator's token
	// No Name: the room knows nobody behind the API, and the kicked are told "a server admin".
	done, err := s.sessions.Moderate(ctx, hub.Actor{Log: apiActor, API: true}, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, done)
	return nil
}

// apiKick: POST /api/rooms/{room}/kick {name, reason?}.
func (s *API) apiKick(w http.ResponseWriter, r *http.Request) error {
	return s.apiBodyModeration(w, r, wire.TypeKick)
}

// apiSanction returns the handler of POST /api/rooms/{room}/ban and …/mute {name, duration, reason?}.
func (s *API) apiSanction(action string) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error { return s.apiBodyModeration(w, r, action) }
}

func (s *API) apiBodyModeration(w http.ResponseWriter, r *http.Request, action string) error {
	var req moderationRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	if err := req.check(action); err != nil {
		return err
	}
	return s.apiModerate(w, r, session.Moderation{Action: action, Room: r.PathValue("room"), Name: req.Name, Target: req.User, Reason: req.Reason, Duration: req.Duration})
}

// apiLift returns the handler of DELETE /api/rooms/{room}/bans/{name} and …/mutes/{name};
// with ?by=id the last segment is the user's id instead (session.Moderation.Target).
func (s *API) apiLift(action string) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		m := session.Moderation{Action: action, Room: r.PathValue("room")}
		byID, err := pathByID(r)
		if err != nil {
			return err
		}
		if byID {
			m.Target = r.PathValue("name")
		} else {
			m.Name = r.PathValue("name")
		}
		return s.apiModerate(w, r, m)
	}
}

// pathByID reads a request's by: "id" says its path names a user by id, absent or "name" by
// name; anything else is bad_field.
func pathByID(r *http.Request) (bool, error) {
	switch by := r.URL.Query().Get("by"); by {
	case "", "name":
		return false, nil
	case "id":
		if len(r.PathValue("name")) > maxUserIDLen {
			return false, hubbub.Errorf(hubbub.ECodeBadField, "a user id is at most %d bytes", maxUserIDLen)
		}
		return true, nil
	default:
		return false, hubbub.Errorf(hubbub.ECodeBadField, "by must be \"id\" or \"name\", not %q", by)
	}
}

// apiSanctions: GET /api/rooms/{room}/sanctions?after=&limit= — a page of the bans and mutes
// in force, by user id (sanctionsPage).
func (s *API) apiSanctions(w http.ResponseWriter, r *http.Request) error {
	room := r.PathValue("room")
	limit, after, err := s.userPage(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("limit") == "" {
		// The largest page, not the usual 100: the list was one answer before it was paged,
		// and a script written then, which reads no next, keeps every sanction of a room of
		// up to --rooms-page-max.
		limit = max(limit, s.cfg.RoomsPageMax)
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	// The store's page, and what sanctionsPage needs past it to know whether another page
	// follows and to keep a user's sanctions together.
	list, err := s.hub.SanctionsPage(ctx, room, after, limit+sanctionsPeek)
	if err != nil {
		return err
	}
	if len(list) == 0 { // none, or none after the cursor: a misspelt room is a 404
		if err := s.roomInUse(ctx, room); err != nil {
			return err
		}
	}
	var page struct {
		Room      string        `json:"room"`
		Sanctions []apiSanction `json:"sanctions"`
		Next      string        `json:"next,omitempty"`
	}
	list, page.Next = sanctionsPage(list, limit)
	page.Room, page.Sanctions = room, newAPISanctions(list)
	writeJSON(w, http.StatusOK, page)
	return nil
}

// sanctionsPeek is how many sanctions past a page sanctionsPage reads: a user holds at most
// one of each kind, so with the page's limit and these it sees where the page's last user's
// sanctions end and whether any follow.
const sanctionsPeek = 2

// sanctionsPage returns the page of list (the Store's page of a room's sanctions in force
// after a cursor, by user id and kind, read with limit+sanctionsPeek) at most limit long, and
// next, the after of the page that follows ("" on the last). A room may hold a sanction for
// every user who ever met it, so the answer is paged like the users it names. A user's ban
// and mute stay on one page (a page ends early rather than between them, since the next page
// starts after the user), except on a page of one, which holds both.
func sanctionsPage(list []hubbub.Sanction, limit int) (page []hubbub.Sanction, next string) {
	key := func(sn *hubbub.Sanction) string { return cmp.Or(sn.User, sn.Name) } // one stored before users existed is keyed by its name
	if len(list) <= limit {
		return list, ""
	}
	end := limit
	for end > 0 && key(&list[end-1]) == key(&list[end]) {
		end--
	}
	if end == 0 { // a page of one, whose user has both
		for end = 1; end < len(list) && key(&list[end]) == key(&list[0]); end++ {
		}
	}
	if end == len(list) {
		return list, ""
	}
	return list[:end], key(&list[end-1])
}
