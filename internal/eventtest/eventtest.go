// Package eventtest holds one sample of every kind of room change (hubbub.Event), each with
// every field set, for the tests that must cover every kind: the broker round trip
// (internal/brokertest), the codecs' frames, and hubbub's own check of Visit. A kind added to
// hubbub.EventVisitor without a sample here fails those tests (CheckEvery).
package eventtest

import (
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"hubbub"
)

// Every returns one event of each kind, for room and from node, with every field of its body
// set — to values that are hard to carry (non-ASCII, quotes, newlines, seqs beyond float64
// precision, sub-millisecond times). EntryAppended comes once for each kind of entry, and once
// more for a message that replies: a plain message (its fields as before the room log, so that
// encodings between nodes can be checked against the previous version's), a reply with every
// field a message carries, an edit, a delete and a reaction. Name tells them apart.
func Every(room, node string) []hubbub.Event {
	at := time.Date(2026, 2, 3, 4, 5, 6, 123456789, time.UTC)
	msg := &hubbub.Entry{
		Room:     room,
		Seq:      1<<53 + 7, // beyond float64 precision: a JSON codec must keep it an integer
		ID:       "01JABCDEF-id",
		ClientID: "client-key-1",
		From:     "Zoë 😀",
		Text:     "quotes \" backslash \\ <b>&amp;</b> line\u2028sep ünïcödé 漢字\nsecond line",
		Time:     at,
		Deleted:  true,
	}
	reply := &hubbub.Entry{
		Room: room, Seq: 1<<53 + 8, ID: "01JABCDEF-reply", ClientID: "client-key-2", From: "bob",
		User: "u_b0b", Bot: true,
		Text: "@Zoë 😀 and @room: \"yes\"\n漢字", Time: at.Add(time.Second),
		ReplyTo:     1<<53 + 7,
		Mentions:    []hubbub.Mention{{User: "Zoë 😀", Name: "Zoë 😀"}, {User: "u_c4r", Name: "carol", Reply: true}},
		MentionRoom: true,
		EditedAt:    at.Add(2 * time.Second),
		Reactions: []hubbub.Reaction{
			{Emoji: "👍🏽", Count: 4, Names: []string{"Zoë 😀", "bob", "carol"}, Me: true},
			{Emoji: ":tada:", Count: 1, Names: []string{"eve"}},
		},
		ReplyCount: 2,
		Attachments: []hubbub.Attachment{
			{ID: "f_1", Name: "Zoë's \"plan\" 漢字.png", Type: "image/png", Size: 1<<40 + 1, Width: 640, Height: 480, Thumb: true},
			{ID: "f_2", Name: "notes.txt", Type: "text/plain; charset=utf-8", Size: 12},
		},
	}
	edit := &hubbub.Entry{
		Room: room, Seq: 1<<53 + 9, ID: "01JABCDEF-edit", ClientID: "client-key-3", From: "bob",
		Kind: hubbub.KindEdit, Target: 1<<53 + 8, Text: "@Zoë 😀 \"no\"\nline", Time: at.Add(3 * time.Second),
		Mentions: []hubbub.Mention{{User: "Zoë 😀", Name: "Zoë 😀"}},
	}
	del := &hubbub.Entry{
		Room: room, Seq: 1<<53 + 10, ID: "01JABCDEF-delete", ClientID: "client-key-4", From: "mod",
		Kind: hubbub.KindDelete, Target: 1<<53 + 7, Moderator: true, Time: at.Add(4 * time.Second),
	}
	topic := &hubbub.Entry{
		Room: room, Seq: 1<<53 + 12, ID: "01JABCDEF-topic", ClientID: "client-key-6", From: "mod", User: "u_m0d",
		Kind: hubbub.KindTopic, Text: "plans for \"Q3\" 漢字", Time: at.Add(6 * time.Second),
	}
	member := &hubbub.Entry{
		Room: room, Seq: 1<<53 + 13, ID: "01JABCDEF-member", ClientID: "client-key-7", From: "mod", User: "u_m0d",
		Kind: hubbub.KindMember, Subject: "u_e5e", SubjectName: "eve", Action: hubbub.MemberRole, Role: hubbub.RoomOwner, Auto: true,
		Time: at.Add(7 * time.Second),
	}
	sanction := &hubbub.Entry{
		Room: room, Seq: 1<<53 + 14, ID: "01JABCDEF-sanction", From: "mod", User: "u_m0d",
		Kind: hubbub.KindSanction, Subject: "u_e5e", SubjectName: "eve", Action: hubbub.SanctionActionBan,
		Until: time.Date(2026, 2, 3, 5, 0, 0, 123000000, time.UTC), Text: "spam \"quoted\" 漢字", Time: at.Add(8 * time.Second),
	}
	reaction := &hubbub.Entry{
		Room: room, Seq: 1<<53 + 11, ID: "01JABCDEF-reaction", ClientID: "client-key-5", From: "carol",
		Kind: hubbub.KindReaction, Target: 1<<53 + 8, Emoji: "👍🏽", Added: true, Count: 4,
		Time: at.Add(5 * time.Second),
	}
	bodies := []hubbub.EventBody{
		hubbub.EntryAppended{Entry: msg},
		hubbub.EntryAppended{Entry: reply},
		hubbub.EntryAppended{Entry: edit},
		hubbub.EntryAppended{Entry: del},
		hubbub.EntryAppended{Entry: reaction},
		hubbub.EntryAppended{Entry: topic},
		hubbub.EntryAppended{Entry: member},
		hubbub.EntryAppended{Entry: sanction},
		hubbub.MemberJoined{Name: "Zoë 😀", State: "away", Order: 1<<60 + 1},
		hubbub.MemberLeft{Name: "bob", Renamed: "Bob ✨", Order: 1<<60 + 2, Moderation: "ban", By: "Mod ✨", API: true, Sanction: 1<<53 + 6},
		hubbub.MemberTyping{Name: "carol"},
		hubbub.PresenceReported{Names: []string{"Zoë 😀", "bob", ""}, Away: []string{"bob"}, Order: 1<<60 + 3},
		hubbub.PresenceRequested{Queried: true},
		hubbub.PresenceQueried{Room: "team.dev-1"},
		hubbub.AbsenceReported{},
		hubbub.NodeAnnounced{Peers: []string{"node-1", "10.0.0.7:3434", "Zoë 😀"}, Hello: true, Leaving: true, Started: 1<<60 + 4},
		hubbub.MemberKicked{Name: "eve", Reason: "spam \"quoted\"", By: "Mod ✨", API: true, Until: time.Date(2026, 2, 3, 5, 0, 0, 0, time.UTC)},
		hubbub.SanctionChanged{Sanction: hubbub.Sanction{Room: room, User: "u_e5e", Name: "eve", Kind: hubbub.SanctionBan,
			Until: time.Date(2026, 2, 3, 5, 0, 0, 123000000, time.UTC), By: "mod", Reason: "spam"}, By: "Mod ✨"},
		// A notice sets one of Read, Listed, Unlisted and Notice; the sample sets them all, so that
		// every field is seen to travel.
		hubbub.UserNotified{User: "u_e5e", Room: "dm.0123abcd", Read: 1<<53 + 9, Skip: "n/7", Unlisted: true,
			Listed: &hubbub.MyRoom{RoomMeta: hubbub.RoomMeta{Name: "dm.0123abcd", Topic: "\"Q3\" 漢字", Private: true, DM: true,
				CreatedBy: "u_m0d", Created: at, Members: 2, LastSeq: 1<<53 + 13, LastActivity: at.Add(7 * time.Second)},
				Role: hubbub.RoomOwner, Invited: true, ReadSeq: 1<<53 + 9, Unread: 4, Mentions: 1, People: []string{"Zoë 😀"}, Banned: true},
			Notice: &hubbub.CommandNotice{Room: "dm.0123abcd", Command: "deploy", ID: "c-1", Kind: hubbub.NoticeAnswer,
				Text: "done \"ok\" 漢字", From: "deploybot"}},
		hubbub.BotChanged{Bot: "u_b0t 漢字"},
		hubbub.StoreChanged{},
	}
	evs := make([]hubbub.Event, len(bodies))
	for i, b := range bodies {
		evs[i] = hubbub.Event{Room: room, Node: node, Body: b}
	}
	return evs
}

// Name names one of Every's samples: its kind (KindName), and for an entry other than a plain
// message, the entry's kind after a slash ("EntryAppended/edit"), "EntryAppended/reply" for a
// message that replies.
func Name(ev hubbub.Event) string {
	name := KindName(ev)
	if e := ev.AppendedEntry(); e != nil {
		switch {
		case !e.IsMessage():
			name += "/" + string(e.Kind)
		case e.ReplyTo != 0:
			name += "/reply"
		}
	}
	return name
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

func (kindNamer) EntryAppended(hubbub.Event, hubbub.EntryAppended) string { return "EntryAppended" }
func (kindNamer) MemberJoined(hubbub.Event, hubbub.MemberJoined) string   { return "MemberJoined" }
func (kindNamer) MemberLeft(hubbub.Event, hubbub.MemberLeft) string       { return "MemberLeft" }
func (kindNamer) MemberTyping(hubbub.Event, hubbub.MemberTyping) string   { return "MemberTyping" }
func (kindNamer) MemberKicked(hubbub.Event, hubbub.MemberKicked) string   { return "MemberKicked" }
func (kindNamer) PresenceReported(hubbub.Event, hubbub.PresenceReported) string {
	return "PresenceReported"
}
func (kindNamer) PresenceRequested(hubbub.Event, hubbub.PresenceRequested) string {
	return "PresenceRequested"
}
func (kindNamer) PresenceQueried(hubbub.Event, hubbub.PresenceQueried) string {
	return "PresenceQueried"
}
func (kindNamer) AbsenceReported(hubbub.Event, hubbub.AbsenceReported) string {
	return "AbsenceReported"
}
func (kindNamer) NodeAnnounced(hubbub.Event, hubbub.NodeAnnounced) string { return "NodeAnnounced" }
func (kindNamer) SanctionChanged(hubbub.Event, hubbub.SanctionChanged) string {
	return "SanctionChanged"
}
func (kindNamer) UserNotified(hubbub.Event, hubbub.UserNotified) string { return "UserNotified" }
func (kindNamer) BotChanged(hubbub.Event, hubbub.BotChanged) string     { return "BotChanged" }
func (kindNamer) StoreChanged(hubbub.Event, hubbub.StoreChanged) string { return "StoreChanged" }

// CheckEvery fails t unless evs hold one event of each kind (Kinds), each with every field of
// its body set, including the fields of the structs it holds; EntryAppended once for each kind
// of entry, every field of Entry set in one of them at least. A test that enumerates kinds
// calls it on its samples so that it cannot silently skip one.
func CheckEvery(t testing.TB, evs []hubbub.Event) {
	t.Helper()
	seen := make(map[reflect.Type]int)
	entryKinds := make(map[hubbub.EntryKind]int)
	entryFields := make(map[string]bool)
	for _, ev := range evs {
		seen[reflect.TypeOf(ev.Body)]++
		if e := ev.AppendedEntry(); e != nil {
			entryKinds[e.Kind]++
			setFields(reflect.ValueOf(*e), "Entry", entryFields)
			continue
		}
		allSet(t, reflect.ValueOf(ev.Body), KindName(ev))
	}
	kinds := Kinds()
	for _, k := range kinds {
		if k != reflect.TypeFor[hubbub.EntryAppended]() && seen[k] != 1 {
			t.Errorf("the samples hold %d events of kind %s, want 1: add it to eventtest.Every", seen[k], k.Name())
		}
	}
	for k := range seen {
		if !slices.Contains(kinds, k) {
			t.Errorf("the samples hold a %v, which is not a kind of hubbub.EventVisitor", k)
		}
	}
	for _, k := range []hubbub.EntryKind{hubbub.KindMessage, hubbub.KindEdit, hubbub.KindDelete, hubbub.KindReaction} {
		if entryKinds[k] == 0 {
			t.Errorf("the samples hold no EntryAppended of entry kind %q: add one to eventtest.Every", k)
		}
	}
	all := make(map[string]bool)
	fieldsOf(reflect.TypeFor[hubbub.Entry](), "Entry", all)
	for _, f := range slices.Sorted(maps.Keys(all)) {
		if !entryFields[f] {
			t.Errorf("%s is set in no EntryAppended sample: set it in eventtest.Every", f)
		}
	}
}

// fieldsOf adds to out the path of every field of the struct type t and of the structs its
// fields hold, point to or list.
func fieldsOf(t reflect.Type, name string, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		out[name+"."+f.Name] = true
		fieldsOf(f.Type, name+"."+f.Name, out)
	}
}

// setFields adds to set the path of every field of the struct v (and of the structs it
// holds, points to or lists) that is not zero.
func setFields(v reflect.Value, name string, set map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			setFields(v.Elem(), name, set)
		}
	case reflect.Slice:
		for i := range v.Len() {
			setFields(v.Index(i), name, set)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			f, fname := v.Field(i), name+"."+v.Type().Field(i).Name
			if !f.IsZero() {
				set[fname] = true
				setFields(f, fname, set)
			}
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
