package session

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"hubbub"
	"hubbub/internal/metrics"
	"hubbub/internal/wire"
)

// Search (docs/protocol.md, Search): which rooms a user may search is decided here, at query
// time, from what the Store says now — one room under the rule of history (MayRead), or every
// room of theirs — and the Store (hubbub.Searcher) finds the messages in them. hubbub.v1's
// search frame and the REST API's GET /api/search both come through Service.Search.

// Defaults of the search limits (Config.SearchTimeout, SearchRate, SearchBurst), the server's
// flags' defaults.
const (
	DefaultSearchTimeout = 2 * time.Second
	DefaultSearchRate    = 2
	DefaultSearchBurst   = 10
)

// maxSearchCursor bounds a cursor a client hands back: a store's cursors are short, and a long
// one is refused before the store parses it.
const maxSearchCursor = 1024

// SearchRequest is one page of a search as a client asks for it, not yet checked.
type SearchRequest struct {
	// User is the id of the user searching, whose read rights apply; "" for a backend acting
	// for no user (the REST API without user=), which may search any one room but has no rooms
	// of its own.
	User string
	// Joined are the rooms an anonymous user's connection is in: their rooms, as a stored
	// user's are their list.
	Joined []string
	// Allowed, when set, is asked about every room too (a token that names its rooms).
	Allowed func(room string) bool
	// Room, when set, is the one room searched; "" searches all the user's rooms.
	Room string
	// Text is the query; From a sender's name ("" for anyone).
	Text, From string
	// Since and Until are RFC 3339 times ("" for none).
	Since, Until string
	// Order is "newest", "relevance" or "".
	Order string
	// Cursor is the next of the page before; Limit the page size (0 = the default).
	Cursor string
	Limit  int
}

// Search checks a search request, decides the rooms it covers for its user, and returns a page
// of hits as a search_results frame (its ID left for the caller). The search is bounded by the
// Service's SearchTimeout on top of ctx.
func (s *Service) Search(ctx context.Context, req SearchRequest) (wire.SearchResults, error) {
	if s.cfg.SearchOff {
		return wire.SearchResults{}, hubbub.SearchOffError()
	}
	q, err := searchQuery(&req)
	if err != nil {
		return wire.SearchResults{}, err
	}
	res := wire.SearchResults{Type: wire.TypeSearchResults, Q: req.Text, Room: req.Room, Hits: []wire.SearchHit{}}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SearchTimeout)
	defer cancel()
	if q.Rooms, res.Partial, err = s.searchRooms(ctx, &req); err != nil {
		return wire.SearchResults{}, err
	}
	if req.From != "" {
		if q.User, err = s.senderID(ctx, req.From); err != nil {
			return wire.SearchResults{}, err
		}
	}
	// No rooms still goes to the store, which checks the query and the cursor before it
	// answers an empty page (hubbub.Searcher): a bad search is refused whether or not its
	// user has a room yet, not answered as a good one that found nothing.
	page, err := s.hub.Search(ctx, q, req.User)
	if err != nil {
		return wire.SearchResults{}, err
	}
	if req.Room != "" && len(page.Hits) == 0 {
		// A misspelt room would find nothing, as a good one where nobody said it: say which,
		// as its history does. Only an empty page costs the read.
		if err := s.roomKnown(ctx, req.Room); err != nil {
			return wire.SearchResults{}, err
		}
	}
	res.Hits, res.Next = wire.NewSearchHits(page.Hits, s.cfg.FilesURL), page.Next
	return res, nil
}

// roomKnown refuses, not_found, a room that is neither stored (storedRoom) nor open with a
// member (a room only keyless clients opened is stored nowhere).
func (s *Service) roomKnown(ctx context.Context, room string) error {
	if len(s.hub.Members(room)) > 0 {
		return nil
	}
	_, err := s.storedRoom(ctx, room)
	return err
}

// storedRoom returns room's metadata, or refuses it, not_found, when the store holds neither
// metadata nor entries of it: the one answer about a room that is not there, so that a
// misspelt room is heard as missing, not read as an empty one.
func (s *Service) storedRoom(ctx context.Context, room string) (hubbub.RoomMeta, error) {
	meta, found, err := s.hub.Store().RoomMeta(ctx, room)
	if err != nil {
		return meta, s.storeRefused("reading the room", err)
	}
	if !found {
		return meta, hubbub.Errorf(hubbub.ECodeNotFound, "no room %q", room)
	}
	return meta, nil
}

// searchQuery checks what a request asks for, before anything is read: the query, the order,
// the times, the cursor and the limit. The rooms and the sender are left to Search.
func searchQuery(req *SearchRequest) (hubbub.SearchQuery, error) {
	q := hubbub.SearchQuery{Text: req.Text, Cursor: req.Cursor, Limit: req.Limit, Order: hubbub.SearchOrder(req.Order)}
	switch {
	case strings.TrimSpace(req.Text) == "":
		return q, hubbub.Errorf(hubbub.ECodeEmpty, "the search has no words: say what to look for in q")
	case len(req.Text) > hubbub.MaxSearchQueryLen:
		return q, hubbub.Errorf(hubbub.ECodeTooLong, "the search is longer than %d bytes", hubbub.MaxSearchQueryLen)
	case q.Order != "" && q.Order != hubbub.SearchNewest && q.Order != hubbub.SearchRelevance:
		return q, hubbub.Errorf(hubbub.ECodeBadField, "order must be %q or %q, not %q", hubbub.SearchNewest, hubbub.SearchRelevance, truncated(req.Order))
	case len(req.Cursor) > maxSearchCursor:
		return q, hubbub.Errorf(hubbub.ECodeBadField, "the cursor is not one this server made: start again without it")
	case req.Limit < 0:
		return q, hubbub.Errorf(hubbub.ECodeBadField, "limit must be a whole number ≥ 0 (0 = the server's default), not %d", req.Limit)
	case req.Room != "":
		if err := hubbub.ValidateRoom(req.Room); err != nil {
			return q, err
		}
	}
	var err error
	if q.Since, err = searchTime("since", req.Since); err != nil {
		return q, err
	}
	if q.Until, err = searchTime("until", req.Until); err != nil {
		return q, err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return q, hubbub.Errorf(hubbub.ECodeBadField, "until must be later than since")
	}
	return q, nil
}

// searchTime reads a time of a search ("" is none).
func searchTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, hubbub.Errorf(hubbub.ECodeBadField, "%s must be a time in RFC 3339, such as 2026-12-03T09:00:00Z, not %q", field, truncated(v))
	}
	return t, nil
}

// truncated shortens a client's value quoted in an error.
func truncated(s string) string {
	if len(s) <= 32 {
		return s
	}
	return strings.ToValidUTF8(s[:32], "") + "…"
}

// searchRooms returns the rooms a request covers, each one its user may read now: the one room
// it names (refused as history would be), or all their rooms — a stored user's list (rooms
// they are a member of, not those they are only invited to nor those that ban them), an
// anonymous user's joined rooms.
// Past hubbub.MaxSearchRooms only the most recently active are kept, and partial says so.
func (s *Service) searchRooms(ctx context.Context, req *SearchRequest) (rooms []string, partial bool, err error) {
	if req.Room != "" {
		if req.Allowed != nil && !req.Allowed(req.Room) {
			return nil, false, forbidden(req.Room)
		}
		if err := s.MayRead(ctx, req.Room, req.User); err != nil {
			return nil, false, err
		}
		return []string{req.Room}, false, nil
	}
	var found []candidate
	switch {
	case req.User == "":
		return nil, false, hubbub.Errorf(hubbub.ECodeMissing, "a search for no user needs a room")
	case strings.HasPrefix(req.User, hubbub.AnonymousPrefix):
		// An anonymous user has no list: their rooms are those the connection is in, each
		// checked again (they are public rooms, which nothing turns private, but the rule is
		// checked at query time, not remembered).
		for _, room := range req.Joined {
			if err := s.MayRead(ctx, room, req.User); err != nil {
				if hubbub.ErrorCode(err) == hubbub.ECodeUnavailable {
					return nil, false, err
				}
				continue
			}
			found = append(found, candidate{room: room})
		}
	default:
		mine, err := s.hub.Store().MyRooms(ctx, req.User)
		if err != nil {
			return nil, false, s.storeRefused("reading your rooms", err)
		}
		for _, r := range mine {
			// A banned member (a private room or a DM keeps them one) reads nothing of the
			// room while the ban lasts, as a search of it alone answers (MayRead).
			if !r.Invited && !r.Banned {
				found = append(found, candidate{room: r.Name, active: r.LastActivity})
			}
		}
	}
	if req.Allowed != nil {
		found = slices.DeleteFunc(found, func(c candidate) bool { return !req.Allowed(c.room) })
	}
	rooms, partial = mostActive(found, hubbub.MaxSearchRooms)
	return rooms, partial, nil
}

// candidate is a room a search of all my rooms may cover, and when it was last active.
type candidate struct {
	room   string
	active time.Time
}

// mostActive returns the rooms of found, or, when there are more than most, the most recently
// active of them (ties by name) and partial true.
func mostActive(found []candidate, most int) (rooms []string, partial bool) {
	if len(found) > most {
		found = slices.Clone(found)
		slices.SortStableFunc(found, func(a, b candidate) int {
			return cmp.Or(b.active.Compare(a.active), strings.Compare(a.room, b.room))
		})
		found, partial = found[:most], true
	}
	rooms = make([]string, len(found))
	for i, c := range found {
		rooms[i] = c.room
	}
	return rooms, partial
}

// senderID returns the user id a search's from names: the stored user holding the name, else
// the anonymous user of the name (who sent as a keyless connection). A name no one ever sent
// under finds nothing, which is the answer: an empty page, not an error.
func (s *Service) senderID(ctx context.Context, name string) (string, error) {
	if err := hubbub.ValidateName(name); err != nil {
		return "", err
	}
	u, found, err := s.hub.Store().UserByName(ctx, name)
	if err != nil {
		return "", s.storeRefused("finding "+name, err)
	}
	if found {
		return u.ID, nil
	}
	key, err := hubbub.NameKey(name)
	if err != nil {
		return "", err
	}
	return hubbub.AnonymousUserID(key), nil
}

// searchLimiter is a connection's token bucket for searches: a search reads the index of up
// to hubbub.MaxSearchRooms rooms, far more than a send writes, so it has its own rate.
// Like sendLimiter, it takes the session's Config at each call rather than keeping it.
type searchLimiter struct {
	bucket *rate.Limiter // nil until the first search
}

// allow reports whether a search may go ahead now.
func (l *searchLimiter) allow(cfg *Config) bool {
	if l.bucket == nil {
		l.bucket = rate.NewLimiter(rate.Limit(cfg.SearchRate), cfg.SearchBurst)
	}
	if l.bucket.Allow() {
		return true
	}
	cfg.Metrics.Drop(metrics.DropRateLimit)
	return false
}

// search answers a search frame with search_results, or an error frame naming it.
func (j *jsonSession) search(ctx context.Context, f *wire.ClientFrame) {
	if !j.searches.allow(&j.svc.cfg) {
		j.fail(hubbub.RateLimited(untilToken(j.searches.bucket, time.Now()), "searching too fast; slow down"), f)
		return
	}
	req := SearchRequest{User: j.member.UserID, Room: f.Room, Text: f.Q, From: f.From, Until: f.Until,
		Order: f.Order, Cursor: f.Cursor, Limit: f.Limit}
	if f.Since != nil {
		req.Since = f.Since.Time
	}
	if !storedUser(j.member) {
		req.Joined = j.rooms.list()
	}
	if j.id.claims != nil || j.id.bot != nil {
		req.Allowed = j.id.mayJoin
	}
	res, err := j.svc.Search(ctx, req)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			j.p.Debug("search refused", "err", err)
		}
		j.fail(err, f)
		return
	}
	res.ID = f.ID
	j.reply(res)
}
