package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"hubbub"
	"hubbub/internal/httpbody"
	"hubbub/internal/hub"
	"hubbub/internal/session"
	"hubbub/internal/wire"
)

// Incoming webhooks (docs/integrations.md, Incoming webhooks): POST /hooks/{id}/{secret} with
// {"text", "id"?, "name"?} posts a message into the hook's room as its bot, for tools that can
// only POST JSON. The secret in the path is the credential (compared by its SHA-256 in
// constant time); id makes a retry idempotent (the message's ClientID is made from it and
// the hook's id, hookClientID, so hooks sharing a bot never take each other's posts); each hook has its own token bucket.

// Defaults of HooksConfig.
const (
	DefaultHookMaxBody = 16 << 10
	DefaultHookRate    = 1.0
	DefaultHookBurst   = 10
)

// HooksConfig configures the incoming webhooks' endpoint.
type HooksConfig struct {
	// MaxBody bounds a request's body, in bytes (default DefaultHookMaxBody); past it: 413.
	MaxBody int64
	// Rate and Burst are each hook's token bucket: posts per second and in a burst (defaults
	// DefaultHookRate, DefaultHookBurst); past it: 429 with Retry-After.
	Rate  float64
	Burst int
	// Logger receives the endpoint's logs.
	Logger *slog.Logger
}

// Hooks serves /hooks/. Create it with NewHooks; it is an http.Handler.
type Hooks struct {
	cfg      HooksConfig
	hub      *hub.Hub
	sessions *session.Service
	mux      *http.ServeMux

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // by hook id: at most the hooks that exist (MaxIncomingHooks)
}

// NewHooks returns the handler of /hooks/, posting through h as sessions' clients do.
func NewHooks(cfg HooksConfig, h *hub.Hub, sessions *session.Service) *Hooks {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultHookMaxBody
	}
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultHookRate
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultHookBurst
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	k := &Hooks{cfg: cfg, hub: h, sessions: sessions, limiters: map[string]*rate.Limiter{}}
	k.mux = http.NewServeMux()
	k.mux.HandleFunc("POST /hooks/{id}/{secret}", k.post)
	k.mux.HandleFunc("/hooks/", func(w http.ResponseWriter, r *http.Request) {
		httpbody.Unread(w, r)
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeAPIError(w, apiErrorf(http.StatusMethodNotAllowed, "method_not_allowed", "an incoming webhook takes POST only"))
			return
		}
		writeAPIError(w, apiErrorf(http.StatusNotFound, hubbub.ECodeNotFound, "no incoming webhook here: the URL is /hooks/{id}/{secret}"))
	})
	return k
}

// ServeHTTP implements http.Handler.
func (k *Hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) { k.mux.ServeHTTP(w, r) }

// hookPost is the body of a post to a hook.
type hookPost struct {
	// Text is the message (markdown, as a member's).
	Text string `json:"text"`
	// ID, if given, makes the post idempotent: a second post with the same id stores nothing
	// and answers with the first message.
	ID string `json:"id"`
	// Name, if given, is the sender name shown for this message instead of the bot's; a name
	// another user holds is refused, so a hook cannot pass for a person.
	Name string `json:"name"`
}

// post: POST /hooks/{id}/{secret} {text, id?, name?}.
func (k *Hooks) post(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := apiContext(r)
	defer cancel()
	id := r.PathValue("id")
	// The hook, its secret and its rate are checked before the body is read, and a refusal
	// answers at once (httpbody.Unread): the body of a post to no hook is not waited for.
	refuse := func(err error) {
		httpbody.Unread(w, r)
		writeAPIError(w, err)
	}
	store := k.hub.Store()
	h, found, err := store.IncomingHook(ctx, id)
	switch {
	case err != nil:
		k.cfg.Logger.Error("hooks: store failed", "hook", id, "err", err)
		refuse(apiErrorf(http.StatusServiceUnavailable, hubbub.ECodeUnavailable, "the server cannot read its hooks right now; try again"))
		return
	case !found:
		refuse(apiErrorf(http.StatusNotFound, hubbub.ECodeNotFound, "no incoming webhook %q", id))
		return
	}
	given := hubbub.SecretHash(r.PathValue("secret"))
	if subtle.ConstantTimeCompare([]byte(given), []byte(h.SecretHash)) != 1 {
		k.cfg.Logger.Info("hooks: wrong secret", "hook", id, "remote", r.RemoteAddr)
		refuse(apiErrorf(http.StatusUnauthorized, "unauthorized", "wrong secret for incoming webhook %q", id))
		return
	}
	if wait := k.reserve(id); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait))))
		refuse(apiErrorf(http.StatusTooManyRequests, hubbub.ECodeRateLimited,
			"incoming webhook %q posts at most %g a second (burst %d); retry in %.0f s", id, k.cfg.Rate, k.cfg.Burst, math.Ceil(wait)))
		return
	}
	var p hookPost
	if err := k.readPost(w, r, &p); err != nil {
		writeAPIError(w, err)
		return
	}
	e, err := k.message(ctx, h, p)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	stored, dup, err := sendMeant(ctx, k.hub, &e)
	if hubbub.ErrorCode(err) == hubbub.ECodeConflict {
		// The hub names the id it was given, the hook's digest of the caller's (hookClientID),
		// which the caller never saw: the answer names the caller's own.
		err = hubbub.Errorf(hubbub.ECodeConflict, "%s",
			strings.Replace(hubbub.ErrorMessage(err), strconv.Quote(e.ClientID), strconv.Quote(p.ID), 1))
	}
	if err != nil {
		writeAPIError(w, err)
		return
	}
	k.cfg.Logger.Info("hooks: posted", "hook", id, "room", stored.Room, "seq", stored.Seq, "duplicate", dup)
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	writeJSON(w, status, apiMessageReply{Message: wire.NewMessageAt(stored, k.sessions.FilesURL()), Duplicate: dup})
}

// reserve takes a token of hook id's bucket: 0 if one was there, else how many seconds until
// one is (and none is taken).
func (k *Hooks) reserve(id string) float64 {
	k.mu.Lock()
	l := k.limiters[id]
	if l == nil {
		if len(k.limiters) >= hubbub.MaxIncomingHooks {
			clear(k.limiters) // deleted hooks' buckets: forget them all rather than grow
		}
		l = rate.NewLimiter(rate.Limit(k.cfg.Rate), k.cfg.Burst)
		k.limiters[id] = l
	}
	k.mu.Unlock()
	res := l.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel()
		return max(d.Seconds(), 1)
	}
	return 0
}

// readPost decodes the body: one JSON object, at most MaxBody bytes (413 past it). Fields it
// does not know are ignored, so that tools sending more (a username, an icon) still post; a
// key given twice in one object is refused, as the API's bodies (duplicateKey): encoding/json
// would post the last "text", which the tool may not have meant.
func (k *Hooks) readPost(w http.ResponseWriter, r *http.Request, p *hookPost) error {
	dec := json.NewDecoder(httpbody.Limit(w, r, k.cfg.MaxBody))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	if err == nil {
		if _, err = dec.Token(); errors.Is(err, io.EOF) {
			if raw[0] != '{' { // as decodeJSON: not encoding/json's words, Go type included
				return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "the body must be a JSON object {\"text\": …}, not %s", jsonKind(raw[0]))
			}
			if err := duplicateKey(raw); err != nil {
				return err
			}
			if err := json.Unmarshal(raw, p); err != nil {
				return badJSON(err)
			}
			if p.Text == "" {
				return noText(raw)
			}
			return nil
		}
		if err == nil {
			return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "the body must hold one JSON object and nothing after it")
		}
	}
	if failed := bodyFailed(err); failed != nil {
		return failed
	}
	switch {
	case errors.Is(err, io.EOF):
		return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadJSON, "the body must be a JSON object {\"text\": …}")
	}
	return badJSON(err)
}

// noText is the refusal of a post whose body has no text: the keys it has, if any, are named,
// since a tool that misspelt "text" ("txt", "Text " with a space) was told only that its
// message was empty, though it sent one.
func noText(raw json.RawMessage) error {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields) // an object: readPost checked
	// Keys match the fields whatever their case (encoding/json, as the API's bodies): a
	// "Text" that is empty was sent, and is not one the body lacks.
	for k := range fields {
		if strings.EqualFold(k, "text") {
			return apiErrorf(http.StatusBadRequest, hubbub.ECodeEmpty, "the message is empty")
		}
	}
	if len(fields) == 0 {
		return apiErrorf(http.StatusBadRequest, hubbub.ECodeEmpty, "the message is empty: the body needs a \"text\"")
	}
	keys := slices.Sorted(maps.Keys(fields))
	for i, k := range keys {
		if len(k) > 32 {
			k = k[:32] + "…" // Quote escapes a rune the cut split
		}
		keys[i] = strconv.Quote(k)
	}
	if len(keys) > 5 {
		keys = append(keys[:5], "…")
	}
	return apiErrorf(http.StatusBadRequest, hubbub.ECodeEmpty, "the message is empty: the body has no \"text\" (its fields: %s)", strings.Join(keys, ", "))
}

// hookClientID is the ClientID of a post with id through hook: the store finds a resend by
// (room, user, ClientID), and several hooks may post as one bot into one room, so the id is
// scoped to the hook — else two tools that both send "id":"1" would lose the second's post to
// the first's — and kept apart from the ids the bot itself sends over the WebSocket. A digest
// keeps it within MaxClientIDLen whatever the id's length.
func hookClientID(hook, id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(hook + "\x00" + id))
	return "ih:" + hex.EncodeToString(sum[:20])
}

// botMayPost checks that hook h's bot may post into h's room now, as a post with the bot's
// own token is checked (botAuth): not disabled (hubbub user disable), its room patterns cover
// the room (an emptied list is a pause: nothing), and a private room or DM has it as a
// member. Bans and mutes are the hub's (Send), as for anyone. The bot is read from the store
// at each post, not from the token cache, so a change of its rooms — the API's or `hubbub bot
// rooms` on the store — applies to the next post on every node; a hook posts at most
// HooksConfig.Rate a second, and the read replaces the user's that the disabled check made.
func (k *Hooks) botMayPost(ctx context.Context, h hubbub.IncomingHook) error {
	b, found, err := k.hub.Store().Bot(ctx, h.Bot)
	switch {
	case err != nil:
		k.cfg.Logger.Error("hooks: store failed", "hook", h.ID, "err", err)
		return apiErrorf(http.StatusServiceUnavailable, hubbub.ECodeUnavailable, "the server cannot read the hook's bot right now; try again")
	case !found || b.User.Disabled:
		return apiErrorf(http.StatusForbidden, hubbub.ECodeForbidden, "the bot %q of incoming webhook %q is disabled", h.BotName, h.ID)
	}
	return botMayUseRoom(ctx, k.sessions, &b, h.Room)
}

// message is the entry p posts through hook h: by h's bot, marked as a bot's.
func (k *Hooks) message(ctx context.Context, h hubbub.IncomingHook, p hookPost) (hubbub.Entry, error) {
	text, _, err := k.sessions.MessageContent(p.Text, nil)
	if err != nil {
		return hubbub.Entry{}, err
	}
	if err := hubbub.ValidateClientID(p.ID); err != nil {
		return hubbub.Entry{}, err
	}
	if err := k.botMayPost(ctx, h); err != nil {
		return hubbub.Entry{}, err
	}
	from := h.BotName
	if p.Name != "" {
		if err := hubbub.ValidateName(p.Name); err != nil {
			return hubbub.Entry{}, err
		}
		u, held, err := k.hub.Store().UserByName(ctx, p.Name)
		if err != nil {
			k.cfg.Logger.Error("hooks: store failed", "hook", h.ID, "err", err)
			return hubbub.Entry{}, apiErrorf(http.StatusServiceUnavailable, hubbub.ECodeUnavailable, "the server cannot check the name right now; try again")
		}
		if held && u.ID != h.Bot {
			return hubbub.Entry{}, apiErrorf(http.StatusConflict, hubbub.ECodeNameTaken, "the name %q is another user's; a hook may not post as them", p.Name)
		}
		from = p.Name
	}
	e := hubbub.Entry{Room: h.Room, From: from, User: h.Bot, Text: text, ClientID: hookClientID(h.ID, p.ID), Bot: true}
	if strings.Contains(text, "@") {
		e.Mentions, e.MentionRoom = k.sessions.ResolveMentions(ctx, h.Room, text)
	}
	return e, nil
}
