package nats

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"hubbub"
)

// awkward are names whose JSON is longer than they are, in every way encoding/json lengthens
// a string.
var awkward = []string{`<b>&amp;</b>`, `"quoted" \ back`, "tab\tnew\nline\x01", "bad \xff\xfe utf-8", "line\u2028sep\u2029", "Zoë 😀 漢字", "\x7f"}

// quotedLen is never below the length encoding/json gives.
func TestQuotedLenBoundsJSON(t *testing.T) {
	for _, s := range append(awkward, "", "plain") {
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := quotedLen(s); got < len(data) {
			t.Errorf("quotedLen(%q) = %d, encoding/json writes %d bytes", s, got, len(data))
		}
	}
}

// splitStatement's parts are each within the limit and, put back together by a subscription,
// are the statement.
func TestSplitStatementRoundTrip(t *testing.T) {
	// Names are valid UTF-8 (hubbub.ValidateName): JSON would change the others.
	valid := slices.DeleteFunc(slices.Clone(awkward), func(s string) bool { return !utf8.ValidString(s) })
	st := hubbub.PresenceReported{}
	for i := range 3000 {
		name := fmt.Sprintf("%05d %s", i, valid[i%len(valid)])
		st.Names = append(st.Names, name)
		if i%7 == 0 {
			st.Away = append(st.Away, name)
		}
	}
	ev := hubbub.Event{Room: "room.with.dots", Node: "node-ü", Body: st}
	const limit = MinMaxEvent
	parts, err := splitStatement(ev, st, limit, 42)
	if err != nil {
		t.Fatal(err)
	}
	s := &subscription{broker: &Broker{log: slog.New(slog.NewTextHandler(io.Discard, nil))}, room: ev.Room}
	var got []hubbub.Event
	for i, data := range parts {
		if len(data) > limit {
			t.Errorf("part %d: %d bytes, over %d", i, len(data), limit)
		}
		var w wireEvent
		if err := decodeWire(data, &w); err != nil {
			t.Fatal(err)
		}
		if e, whole := s.assemble(&w, len(data)); whole {
			got = append(got, e)
		}
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], ev) {
		t.Fatalf("%d parts gave %d statements; want the one sent", len(parts), len(got))
	}
	if len(s.statements) != 0 {
		t.Errorf("the subscription still holds %d statements", len(s.statements))
	}

	// A name that no part can hold, and a statement of more parts than allowed, are errors.
	if _, err := splitStatement(ev, hubbub.PresenceReported{Names: []string{strings.Repeat("<", 1000)}}, limit, 1); err == nil {
		t.Error("a name of 6,000 bytes as JSON split into parts of 4,096")
	}
	many := hubbub.PresenceReported{Names: slices.Repeat([]string{strings.Repeat("x", 1000)}, 4*maxStatementParts)}
	if _, err := splitStatement(ev, many, limit, 1); err == nil {
		t.Error("a statement of more parts than maxStatementParts split")
	}
}

// A statement with a part missing is dropped whole, whichever part: the subscriber began after
// its first part, a part in the middle was lost, or the next statement began before its last.
// Nothing of it reaches the handler, and the next whole statement does.
func TestAssembleDropsIncompleteStatements(t *testing.T) {
	s := &subscription{broker: &Broker{log: slog.New(slog.NewTextHandler(io.Discard, nil))}, room: "r"}
	part := func(id uint64, i, n int, names ...string) *wireEvent {
		return &wireEvent{Kind: tagPresencePart, Room: "r", Node: "a", Statement: id, Part: i, Parts: n, Names: names}
	}
	var got []hubbub.Event
	feed := func(ws ...*wireEvent) {
		for _, w := range ws {
			if ev, whole := s.assemble(w, 100); whole {
				got = append(got, ev)
			}
		}
	}
	feed(part(1, 1, 3, "b"), part(1, 2, 3, "c")) // came in after part 0
	feed(part(2, 0, 3, "a"), part(2, 2, 3, "c")) // part 1 lost
	feed(part(3, 0, 2, "a"), part(4, 0, 2, "x"), part(3, 1, 2, "b"))
	feed(part(5, 0, 2, "a"), part(5, 1, 3, "b")) // a part that disagrees on the count
	feed(part(6, 2, 2, "a"), part(6, -1, 2, "a"), part(6, 0, maxStatementParts+1, "a"))
	if len(got) != 0 {
		t.Fatalf("incomplete statements reached the handler: %+v", got)
	}
	feed(part(7, 0, 3, "a", "b"), part(7, 1, 3, "c"), part(7, 2, 3, "d"))
	want := hubbub.Event{Room: "r", Node: "a", Body: hubbub.PresenceReported{Names: []string{"a", "b", "c", "d"}}}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
