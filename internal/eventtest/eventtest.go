// Package eventtest holds one sample of every kind of room change (hubbub.Event), each with
// every field set, for the tests that must cover every kind: the broker round trip
// (internal/brokertest), the codecs' frames, and hubbub's own check of Visit. A kind added to
// hubbub.EventVisitor without a sample here fails those tests (CheckEvery).
package eventtest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"hubbub"
)

// Every returns one event of each kind, for room and from node, with every field of its body
// set — to values that are hard to carry (non-ASCII, quotes, newlines, seqs beyond float64
// precision, sub-millisecond times).
func Every(room, node string) []hubbub.Event {
	msg := &hubbub.Entry{
		Room:     room,
		Seq:      1<<53 + 7, // beyond float64 precision: a JSON codec must keep it an integer
		ID:       "01JABCDEF-id",
		ClientID: "client-key-1",
		From:     "Zoë 😀",
		Text:     "quotes \" backslash \\ <b>&amp;</b> line\u2028sep ünïcödé 漢字\nsecond line",
		Time:     time.Date(2026, 2, 3, 4, 5, 6, 123456789, time.UTC),
		Deleted:  true,
	}
	bodies := []hubbub.EventBody{
		hubbub.EntryAppended{Entry: msg},
		hubbub.MemberJoined{Name: "Zoë 😀"},
		hubbub.MemberLeft{Name: "bob"},
		hubbub.MemberTyping{Name: "carol"},
		hubbub.PresenceReported{Names: []string{"Zoë 😀", "bob", ""}},
		hubbub.PresenceRequested{},
		hubbub.MemberKicked{Name: "eve", Reason: "spam \"quoted\""},
		hubbub.SanctionChanged{Sanction: hubbub.Sanction{Room: room, Name: "eve", Kind: hubbub.SanctionBan,
			Until: time.Date(2026, 2, 3, 5, 0, 0, 123000000, time.UTC), By: "mod", Reason: "spam"}},
		hubbub.MessageDeleted{Seq: 1<<53 + 9},
	}
	evs := make([]hubbub.Event, len(bodies))
	for i, b := range bodies {
		evs[i] = hubbub.Event{Room: room, Node: node, Body: b}
	}
	return evs
}

// Kinds returns the body type of every kind, read from the methods of hubbub.EventVisitor: the
// list that a new kind joins by being added to the visitor.
func Kinds() []reflect.Type {
	v := reflect.TypeFor[hubbub.EventVisitor[struct{}]]()
	kinds := make([]reflect.Type, v.NumMethod())
	for i := range kinds {
		kinds[i] = v.Method(i).Type.In(1)
	}
	return kinds
}

// KindName names ev's kind: the EventVisitor method that hubbub.Visit calls for it.
func KindName(ev hubbub.Event) string { return hubbub.Visit(ev, kindNamer{}) }

type kindNamer struct{}

func (kindNamer) EntryAppended(hubbub.Event, hubbub.EntryAppended) string   { return "EntryAppended" }
func (kindNamer) MemberJoined(hubbub.Event, hubbub.MemberJoined) string     { return "MemberJoined" }
func (kindNamer) MemberLeft(hubbub.Event, hubbub.MemberLeft) string         { return "MemberLeft" }
func (kindNamer) MemberTyping(hubbub.Event, hubbub.MemberTyping) string     { return "MemberTyping" }
func (kindNamer) MemberKicked(hubbub.Event, hubbub.MemberKicked) string     { return "MemberKicked" }
func (kindNamer) MessageDeleted(hubbub.Event, hubbub.MessageDeleted) string { return "MessageDeleted" }
func (kindNamer) PresenceReported(hubbub.Event, hubbub.PresenceReported) string {
	return "PresenceReported"
}
func (kindNamer) PresenceRequested(hubbub.Event, hubbub.PresenceRequested) string {
	return "PresenceRequested"
}
func (kindNamer) SanctionChanged(hubbub.Event, hubbub.SanctionChanged) string {
	return "SanctionChanged"
}

// CheckEvery fails t unless evs hold exactly one event of each kind (Kinds), each with every
// field of its body set, including the fields of the structs it holds; a test that enumerates
// kinds calls it on its samples so that it cannot silently skip one.
func CheckEvery(t testing.TB, evs []hubbub.Event) {
	t.Helper()
	seen := make(map[reflect.Type]int)
	for _, ev := range evs {
		seen[reflect.TypeOf(ev.Body)]++
		allSet(t, reflect.ValueOf(ev.Body), KindName(ev))
	}
	kinds := Kinds()
	for _, k := range kinds {
		if seen[k] != 1 {
			t.Errorf("the samples hold %d events of kind %s, want 1: add it to eventtest.Every", seen[k], k.Name())
		}
	}
	for k := range seen {
		if !slices.Contains(kinds, k) {
			t.Errorf("the samples hold a %v, which is not a kind of hubbub.EventVisitor", k)
		}
	}
}

// allSet fails t if a field of the struct v, or of a struct it holds or points to, is zero.
func allSet(t testing.TB, v reflect.Value, name string) {
	t.Helper()
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			t.Errorf("%s is nil: set it in eventtest.Every", name)
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct || v.Type() == reflect.TypeFor[time.Time]() {
		return
	}
	for i := range v.NumField() {
		f, fname := v.Field(i), name+"."+v.Type().Field(i).Name
		if f.IsZero() {
			t.Errorf("%s is not set: set it in eventtest.Every", fname)
			continue
		}
		allSet(t, f, fname)
	}
}
