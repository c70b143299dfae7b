package nats

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"hubbub"
)

// A node states its members of a room in one PresenceReported, every presence interval and in
// answer to a question: a list of every name it holds there, which grows with the room. A NATS
// server refuses a message larger than its max_payload (1 MB by default), and a room of 10,000
// members whose names are long and full of characters JSON escapes passes it: the statement
// was refused and only logged, and the other nodes kept a stale list of the node's members, or
// none (a room that opened there after the members joined never heard of them).
//
// So a statement larger than the broker's limit (eventLimit) goes in parts (tagPresencePart),
// each under the limit, each carrying a run of the names (and of the away names) in their
// order, the statement's number and the part's place in it. They are published one after the
// other, with no other statement's parts between them (partsMu), so they reach a subscriber in
// order. The subscription puts them together (assemble) and hands its handler one
// PresenceReported, the same as a statement in one message: nothing is applied before the
// last part, so no part is ever taken for the whole list, which would drop the names of the
// others. A statement with a part missing (the subscriber came in the middle of it, or a part
// was dropped as a slow consumer) is dropped whole: the node's next statement, an interval
// later, is whole again. So is one whose last part does not come within Options.PartsTimeout
// of its first (held): its node died in the middle of it, and will send no next one to end it,
// so it would be kept, up to maxStatementBytes, until the subscription ends.
//
// A node of the version before drops the parts as a kind it does not know: it never misreads
// one as a whole statement. It therefore knows nothing of the members of a room too large for
// one message, as it knew nothing when the one message was refused.

// Bounds of a statement in parts.
const (
	// MinMaxEvent is the smallest Options.MaxEvent: a part must hold a name or two beside
	// its room, node and numbers. A server's own max_payload may be smaller, and splits
	// statements all the same (a name no part can hold fails the statement).
	MinMaxEvent = 4096
	// payloadHeadroom is the fraction of the server's max_payload a part leaves free (1/64:
	// 16 KiB of 1 MB), so that a statement is split a little before the server's limit
	// rather than exactly at it.
	payloadHeadroom = 64
	// maxStatementParts and maxStatementBytes bound a statement in parts, on both sides: a
	// sender does not split one larger (it fails, as the one message did), and a receiver
	// drops one that says it is, so that what it holds for a faulty node stays bounded. A
	// room of 10,000 members of 32-byte names, every character escaped, states about 2 MB.
	maxStatementParts = 4096
	maxStatementBytes = 64 << 20
	// DefaultPartsTimeout is Options.PartsTimeout's default: three of hubbub's default
	// presence intervals (5 s), the silence after which the hub takes a node for dead.
	DefaultPartsTimeout = 15 * time.Second
)

// eventLimit returns the largest event, encoded, that Publish sends in one message: the
// server's max_payload less its headroom, or Options.MaxEvent if that is lower.
func (b *Broker) eventLimit() int {
	limit := b.maxEvent
	if server := b.nc.MaxPayload(); server > 0 {
		if s := int(server - server/payloadHeadroom); limit == 0 || s < limit {
			limit = s
		}
	}
	if limit <= 0 {
		return math.MaxInt
	}
	return limit
}

// publishParts publishes st, which does not fit one message of limit bytes, in parts, and
// returns once the server has confirmed them all.
func (b *Broker) publishParts(ctx context.Context, subject string, ev hubbub.Event, st hubbub.PresenceReported, limit int) error {
	parts, err := splitStatement(ev, st, limit, b.statements.Add(1))
	if err != nil {
		return fmt.Errorf("nats broker: publish to room %q: %w", ev.Room, err)
	}
	b.partsMu.Lock()
	for _, data := range parts {
		if err := b.nc.Publish(subject, data); err != nil {
			b.partsMu.Unlock()
			return fmt.Errorf("nats broker: publish to room %q: %w", ev.Room, b.connErr(err))
		}
	}
	b.partsMu.Unlock()
	if err := b.confirm(ctx); err != nil {
		return fmt.Errorf("nats broker: publish to room %q: not confirmed by the server: %w", ev.Room, err)
	}
	return nil
}

// splitStatement encodes st, the statement of ev's node in ev's room, as parts of statement
// id, each at most limit bytes: st.Names in their order, then st.Away in theirs, each part
// taking as many as fit. The receiver concatenates each list back (assemble).
func splitStatement(ev hubbub.Event, st hubbub.PresenceReported, limit int, id uint64) ([][]byte, error) {
	// What every part carries beside its names, measured with the largest part numbers.
	frame, err := json.Marshal(&wireEvent{Kind: tagPresencePart, Room: ev.Room, Node: ev.Node, Statement: id,
		Part: maxStatementParts, Parts: maxStatementParts, Order: st.Order})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	budget := limit - len(frame) - len(`,"names":[]`) - len(`,"away":[]`)
	var (
		ends [][2]int // each part's end in Names and in Away
		n, a int      // the names and away names placed so far
		used int      // of the current part's budget
	)
	place := func(name string) error {
		size := quotedLen(name) + 1 // and the comma before the next
		if size > budget {
			return fmt.Errorf("presence of %d names: a name of %d bytes does not fit a part of at most %d bytes", len(st.Names), len(name), limit)
		}
		if used+size > budget {
			ends = append(ends, [2]int{n, a})
			used = 0
		}
		used += size
		return nil
	}
	for _, name := range st.Names {
		if err := place(name); err != nil {
			return nil, err
		}
		n++
	}
	for _, name := range st.Away {
		if err := place(name); err != nil {
			return nil, err
		}
		a++
	}
	ends = append(ends, [2]int{n, a})
	tooLarge := func() error {
		return fmt.Errorf("presence of %d names: %d parts of at most %d bytes, more than the %d parts or %d bytes a statement may take",
			len(st.Names), len(ends), limit, maxStatementParts, maxStatementBytes)
	}
	if len(ends) > maxStatementParts {
		return nil, tooLarge()
	}
	parts := make([][]byte, len(ends))
	var start [2]int
	total := 0
	for i, end := range ends {
		w := wireEvent{Kind: tagPresencePart, Room: ev.Room, Node: ev.Node, Statement: id, Part: i, Parts: len(ends),
			Names: st.Names[start[0]:end[0]], Away: st.Away[start[1]:end[1]], Order: st.Order}
		data, err := json.Marshal(&w)
		if err != nil {
			return nil, fmt.Errorf("encode part %d: %w", i, err)
		}
		if len(data) > limit { // quotedLen is an upper bound: never
			return nil, fmt.Errorf("part %d of a presence statement is %d bytes, over the limit of %d", i, len(data), limit)
		}
		if total += len(data); total > maxStatementBytes { // a receiver would drop it (assemble)
			return nil, tooLarge()
		}
		parts[i] = data
		start = end
	}
	return parts, nil
}

// quotedLen returns at least the length of s as encoding/json writes it, quotes included:
// printable ASCII as itself but for the quote, the backslash and <, > and & (escaped for
// HTML), in at most six bytes each (\u003c), as control characters; a byte of invalid UTF-8 as
// \ufffd, U+2028 and U+2029 as \u2028 and \u2029, every other character as its UTF-8.
func quotedLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				n++
			} else {
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += size
		}
		i += size
	}
	return n
}

// statement is a PresenceReported arriving in parts from one node, put together by a
// subscription.
type statement struct {
	id          uint64
	started     time.Time // when its first part came
	next, parts int       // the part expected next, of how many
	bytes       int       // the parts' bytes so far
	names, away []string
}

// assemble takes w, a part of a node's statement of size bytes, and returns the statement once
// its last part has come. It runs on the subscription's dispatch goroutine, as every call of
// its handler does (dispatch.go), so s.statements needs no lock.
func (s *subscription) assemble(w *wireEvent, size int) (hubbub.Event, bool) {
	log := s.broker.log
	if w.Parts < 1 || w.Parts > maxStatementParts || w.Part < 0 || w.Part >= w.Parts {
		log.Warn("dropping a part of a presence statement that does not say its place", "room", s.room, "node", w.Node,
			"part", w.Part, "parts", w.Parts)
		return hubbub.Event{}, false
	}
	st := s.statements[w.Node]
	switch {
	case w.Part == 0:
		// A node publishes one statement's parts before the next one's: a first part ends
		// whatever came before it unfinished.
		st = &statement{id: w.Statement, parts: w.Parts, started: time.Now()}
		if s.statements == nil {
			s.statements = make(map[string]*statement)
		}
		s.statements[w.Node] = st
	case st == nil || st.id != w.Statement || st.parts != w.Parts || st.next != w.Part:
		// The subscription began after the statement did, or a part was lost (dropped as a
		// slow consumer): the statement is dropped whole, and the node's next one is whole.
		delete(s.statements, w.Node)
		log.Debug("dropping a presence statement with a part missing", "room", s.room, "node", w.Node,
			"statement", w.Statement, "part", w.Part, "parts", w.Parts)
		return hubbub.Event{}, false
	}
	st.bytes += size
	if st.bytes > maxStatementBytes {
		delete(s.statements, w.Node)
		log.Warn("dropping a presence statement larger than any room's", "room", s.room, "node", w.Node, "bytes", st.bytes)
		return hubbub.Event{}, false
	}
	st.names = append(st.names, w.Names...)
	st.away = append(st.away, w.Away...)
	st.next++
	if st.next < st.parts {
		return hubbub.Event{}, false
	}
	delete(s.statements, w.Node)
	return hubbub.Event{Room: w.Room, Node: w.Node, Body: hubbub.PresenceReported{Names: st.names, Away: st.away, Order: w.Order}}, true
}

// held are the subscriptions of one dispatch queue that hold a statement in parts, and the
// ticker that looks at their age while there are any (none the rest of the time). Only the
// queue's goroutine touches them (dispatcher.run).
type held struct {
	timeout time.Duration // Options.PartsTimeout
	subs    map[*subscription]struct{}
	ticker  *time.Ticker
}

// note notes that s may hold a statement in parts, after one of its messages.
func (h *held) note(s *subscription) {
	if len(s.statements) == 0 {
		return
	}
	if h.subs == nil {
		h.subs = make(map[*subscription]struct{})
	}
	h.subs[s] = struct{}{}
	if h.ticker == nil {
		// Every half timeout: a statement goes between one and one and a half timeouts
		// after its first part.
		h.ticker = time.NewTicker(max(h.timeout/2, time.Millisecond))
	}
}

// tick is the ticker's channel, nil (never ready) while no statement is held.
func (h *held) tick() <-chan time.Time {
	if h.ticker == nil {
		return nil
	}
	return h.ticker.C
}

// sweep drops the statements whose first part came before now - timeout, and every
// statement of a cancelled subscription.
func (h *held) sweep(now time.Time) {
	cutoff := now.Add(-h.timeout)
	for s := range h.subs {
		s.dropStale(cutoff)
		if len(s.statements) == 0 {
			delete(h.subs, s)
		}
	}
	if len(h.subs) == 0 {
		h.stop()
	}
}

// stop stops the ticker.
func (h *held) stop() {
	if h.ticker != nil {
		h.ticker.Stop()
		h.ticker = nil
	}
}

// dropStale drops the statements begun before cutoff: their node died in the middle of one
// (or its last part was lost, and it has sent no statement since, which would have ended
// it). It runs on the subscription's dispatch goroutine.
func (s *subscription) dropStale(cutoff time.Time) {
	cancelled := s.cancelled.Load()
	for node, st := range s.statements {
		if cancelled {
			delete(s.statements, node)
			continue
		}
		if st.started.Before(cutoff) {
			delete(s.statements, node)
			s.broker.log.Info("dropping a presence statement whose last part did not come in time: its node may have died sending it",
				"room", s.room, "node", node, "statement", st.id, "parts", st.parts, "received", st.next, "bytes", st.bytes,
				"timeout", s.broker.partsTimeout)
		}
	}
}
