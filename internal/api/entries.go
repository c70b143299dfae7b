package api

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"hubbub"
	"hubbub/internal/httpbody"
	"hubbub/internal/session"
	"hubbub/internal/wire"
)

// The room log through the API: replies, edits, deletes, reactions, threads and revisions.
// Every change is an entry of the room's log appended through the hub (Hub.Send), as a
// WebSocket client's edit, delete or react frame is, so members on every node see it in order
// and a client that was away replays it. The API acts as the user its body names (from), who
// need not be connected: the stored user who holds the name, or else the anonymous user of
// the name (a keyless connection's), so an entry always carries a user id (Entry.User). The
// Store checks that user against the message (only its sender edits it), so a bot edits and
// deletes its own messages. A delete without from is a moderator's (actor "api").

// entryReply answers an edit or delete: the frame the members got, and whether the id had
// been used before (nothing new stored).
type entryReply struct {
	Edited    *wire.Edited  `json:"edited,omitempty"`
	Deleted   *wire.Deleted `json:"deleted,omitempty"`
	Duplicate bool          `json:"duplicate"`
}

// reactionReply answers a reaction's POST or DELETE: the reaction's state after the call.
type reactionReply struct {
	Room  string `json:"room"`
	Seq   uint64 `json:"seq"`
	Emoji string `json:"emoji"`
	From  string `json:"from"`
	// Reacted is whether From holds the reaction now: true after a POST, false after a DELETE.
	Reacted bool `json:"reacted"`
	// Count is how many users hold the reaction now.
	Count int `json:"count"`
	// Changed is false if the reaction already was as asked, and nothing was stored.
	Changed bool `json:"changed"`
	// LogSeq is the change's place in the room's log, when it changed.
	LogSeq uint64 `json:"log_seq,omitempty"`
}

// editRequest is the body of PATCH /api/rooms/{room}/messages/{seq}.
type editRequest struct {
	From string `json:"from"`
	Text string `json:"text"`
	ID   string `json:"id,omitempty"`
}

// reactionRequest is the body of a reaction's POST and DELETE. It takes no id: the call is
// idempotent by the reaction's state, which it reads before it changes it.
type reactionRequest struct {
	From string `json:"from"`
}

// actorRequest is the optional body of a message's DELETE.
type actorRequest struct {
	From string `json:"from"`
	ID   string `json:"id,omitempty"`
}

// entry validates r as an edit of message seq of room.
func (r *editRequest) entry(room string, seq uint64, maxText int) (hubbub.Entry, error) {
	if err := validFrom(r.From); err != nil {
		return hubbub.Entry{}, err
	}
	text, err := session.MessageText(r.Text, maxText)
	if err != nil {
		return hubbub.Entry{}, err
	}
	if err := hubbub.ValidateClientID(r.ID); err != nil {
		return hubbub.Entry{}, err
	}
	return hubbub.Entry{Kind: hubbub.KindEdit, Room: room, From: r.From, Target: seq, Text: text, ClientID: r.ID}, nil
}

// check validates a delete's body: from may be empty (a moderator's delete).
func (r *actorRequest) check() error {
	if r.From != "" {
		if err := hubbub.ValidateName(r.From); err != nil {
			return err
		}
	}
	return hubbub.ValidateClientID(r.ID)
}

// pathMessage returns the {room} (resolved: inRoom) and {seq} of the request, validated.
func pathMessage(r *http.Request) (string, uint64, error) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		return "", 0, apiErrorf(http.StatusBadRequest, "bad_request", "seq must be a positive integer")
	}
	return r.PathValue("room"), seq, nil
}

// readOptionalBody decodes r's body into v if it has one; an empty body leaves v as it is.
func readOptionalBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(httpbody.Limit(w, r, apiBodyLimit))
	if err != nil {
		if failed := bodyFailed(err); failed != nil {
			return failed
		}
		return apiErrorf(http.StatusBadRequest, "bad_request", "reading the body: %v", err)
	}
	if strings.TrimSpace(string(body)) == "" {
		return nil
	}
	return decodeJSON(strings.NewReader(string(body)), v)
}

// mentions resolves the @names of text against the room's members, as the server does for a
// member's send and edit. The API speaks for the deployment, so its @room counts.
func (s *API) mentions(room, text string) ([]hubbub.Mention, bool) {
	if !strings.Contains(text, "@") {
		return nil, false
	}
	return s.sessions.ResolveMentions(context.Background(), room, text)
}

// appendEntry appends e through the hub. A duplicate id that names another request (another
// kind, or another message or emoji) or the same one with other content (another text,
// reply_to or files) is refused by the hub with conflict (409): the id was spent on that one.
func (s *API) appendEntry(ctx context.Context, e hubbub.Entry) (hubbub.Entry, bool, error) {
	stored, dup, err := sendMeant(ctx, s.hub, &e)
	if err != nil {
		return hubbub.Entry{}, false, err
	}
	return *stored, dup, nil
}

// apiEdit: PATCH /api/rooms/{room}/messages/{seq} {from, text, id?} — from must be the sender.
func (s *API) apiEdit(w http.ResponseWriter, r *http.Request) error {
	room, seq, err := pathMessage(r)
	if err != nil {
		return err
	}
	var req editRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	e, err := req.entry(room, seq, s.cfg.MaxText)
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	if e.User, e.From, err = s.actor(ctx, e.From); err != nil {
		return err
	}
	e.Mentions, e.MentionRoom = s.mentions(room, e.Text)
	e.Mentions = s.sessions.EditMentions(ctx, room, seq, e.Mentions)
	stored, dup, err := s.appendEntry(ctx, e)
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("api: edited", "room", room, "seq", seq, "from", e.From, "log_seq", stored.Seq, "duplicate", dup)
	edited := wire.NewEdited(&stored)
	writeJSON(w, http.StatusOK, entryReply{Edited: &edited, Duplicate: dup})
	return nil
}

// apiDelete: DELETE /api/rooms/{room}/messages/{seq} with an optional body {from?, id?}:
// without from, a moderator's delete (actor "api"); with it, the sender's own.
func (s *API) apiDelete(w http.ResponseWriter, r *http.Request) error {
	room, seq, err := pathMessage(r)
	if err != nil {
		return err
	}
	var req actorRequest
	if err := readOptionalBody(w, r, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	e := hubbub.Entry{Kind: hubbub.KindDelete, Room: room, From: req.From, Target: seq, ClientID: req.ID}
	ctx, cancel := apiContext(r)
	defer cancel()
	if e.From == "" {
		e.From, e.User, e.Moderator = apiActor, apiActor, true
	} else if e.User, e.From, err = s.actor(ctx, e.From); err != nil {
		return err
	}
	stored, dup, err := s.appendEntry(ctx, e)
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("api: deleted", "room", room, "seq", seq, "from", e.From, "moderator", e.Moderator, "log_seq", stored.Seq, "duplicate", dup)
	writeJSON(w, http.StatusOK, wire.Moderated{Type: wire.TypeModerated, Action: wire.TypeDelete, Room: room, Seq: seq})
	return nil
}

// apiReaction returns the handler of POST (add) and DELETE (remove) on
// /api/rooms/{room}/messages/{seq}/reactions/{emoji} {from}. The log's reaction entry
// toggles, so the handler reads whether from holds the reaction first and appends only to
// change it: a repeated call finds it as asked and stores nothing.
func (s *API) apiReaction(add bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		room, seq, err := pathMessage(r)
		if err != nil {
			return err
		}
		emoji := r.PathValue("emoji")
		// A reaction stored before reactions had to be one emoji ("👍👍") may be removed by its
		// holder, though no longer added: invalid is checked against what from holds, below.
		invalid := hubbub.ValidateEmoji(emoji)
		if invalid != nil && (add || len(emoji) > hubbub.MaxEmojiLen) {
			return invalid
		}
		var req reactionRequest
		if err := readBody(w, r, &req); err != nil {
			return err
		}
		if err := validFrom(req.From); err != nil {
			return err
		}
		ctx, cancel := apiContext(r)
		defer cancel()
		user, from, err := s.actor(ctx, req.From)
		if err != nil {
			return err
		}
		reply := reactionReply{Room: room, Seq: seq, Emoji: emoji, From: from, Reacted: add}
		// Two rounds at most: a concurrent toggle by the same user between the read and the
		// append (a racing call of the bot's own) is undone by the second.
		for range 2 {
			held, count, err := s.reaction(ctx, room, seq, emoji, user)
			if err != nil {
				return err
			}
			if invalid != nil && !held {
				return invalid
			}
			if held == add {
				reply.Count = count
				break
			}
			e := hubbub.Entry{Kind: hubbub.KindReaction, Room: room, From: from, User: user, Target: seq, Emoji: emoji}
			stored, _, err := s.hub.Send(ctx, &e)
			if err != nil {
				return err
			}
			reply.Count, reply.LogSeq, reply.Changed = stored.Count, stored.Seq, true
			if stored.Added == add {
				break
			}
		}
		s.cfg.Logger.Info("api: reaction", "room", room, "seq", seq, "emoji", emoji, "from", from, "user", user, "add", add, "changed", reply.Changed)
		status := http.StatusOK
		if add && reply.Changed {
			status = http.StatusCreated
		}
		writeJSON(w, status, reply)
		return nil
	}
}

// reaction reads message seq of room and reports whether user (an id) holds the reaction
// emoji on it and how many do; a message that is missing or deleted is not_found.
func (s *API) reaction(ctx context.Context, room string, seq uint64, emoji, user string) (held bool, count int, err error) {
	m, err := s.message(ctx, room, seq, user)
	if err != nil {
		return false, 0, err
	}
	if m.Deleted {
		return false, 0, hubbub.Errorf(hubbub.ECodeNotFound, "message %d of room %q is deleted", seq, room)
	}
	for _, rc := range m.Reactions {
		if rc.Emoji == emoji {
			return rc.Me, rc.Count, nil
		}
	}
	return false, 0, nil
}

// apiMessage: GET /api/rooms/{room}/messages/{seq} — one message in its current state.
func (s *API) apiMessage(w http.ResponseWriter, r *http.Request) error {
	room, seq, err := pathMessage(r)
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	m, err := s.message(ctx, room, seq, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NewMessageAt(&m, s.sessions.FilesURL()))
	return nil
}

// message reads message seq of room in its current state, with viewer's reactions marked
// (Me; "" for none), or not_found.
func (s *API) message(ctx context.Context, room string, seq uint64, viewer string) (hubbub.Entry, error) {
	msgs, _, err := s.hub.History(ctx, room, seq+1, 1, viewer)
	if err != nil {
		return hubbub.Entry{}, err
	}
	if len(msgs) == 0 || msgs[0].Seq != seq {
		return hubbub.Entry{}, hubbub.Errorf(hubbub.ECodeNotFound, "room %q has no message %d", room, seq)
	}
	return msgs[0], nil
}

// apiReplies: GET /api/rooms/{room}/messages/{seq}/replies?after=&limit= — a page of the
// thread under message seq, oldest first.
func (s *API) apiReplies(w http.ResponseWriter, r *http.Request) error {
	room, seq, err := pathMessage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			return apiErrorf(http.StatusBadRequest, "bad_request", "after must be a seq (a non-negative integer)")
		}
	}
	limit, err := queryLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	if _, err := s.message(ctx, room, seq, ""); err != nil {
		return err
	}
	if limit == 0 {
		limit = DefaultThreadPage
	}
	msgs, more, err := s.hub.Thread(ctx, room, seq, after, min(limit, s.cfg.HistoryPageMax), "")
	if err != nil {
		return err
	}
	page := wire.History{Type: wire.TypeHistory, Room: room, Messages: make([]wire.Message, len(msgs)), More: more, Thread: seq}
	for i := range msgs {
		page.Messages[i] = wire.NewMessageAt(&msgs[i], s.sessions.FilesURL())
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// apiRevisions: GET /api/rooms/{room}/messages/{seq}/revisions — the texts the message has
// had, oldest first, the current one last (the API may read them, as a moderator may).
func (s *API) apiRevisions(w http.ResponseWriter, r *http.Request) error {
	room, seq, err := pathMessage(r)
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	revs, found, err := s.hub.Revisions(ctx, room, seq)
	if err != nil {
		return err
	}
	if !found {
		return hubbub.Errorf(hubbub.ECodeNotFound, "room %q has no message %d", room, seq)
	}
	writeJSON(w, http.StatusOK, wire.NewRevisions(room, seq, revs))
	return nil
}

// DefaultThreadPage is how many replies a thread page holds when the request gives no limit
// (or Config.HistoryPageMax, if that is smaller), as a history page.
const DefaultThreadPage = 50

// queryLimit reads a page's limit= ("" = the default, 0). Every page answers a limit past its
// maximum with its largest page, so one past what an int holds is read as the largest int.
func queryLimit(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	limit, err := strconv.Atoi(v)
	if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-") {
		return math.MaxInt, nil
	}
	if err != nil || limit <= 0 {
		return 0, apiErrorf(http.StatusBadRequest, "bad_request", "limit must be a positive integer")
	}
	return limit, nil
}
