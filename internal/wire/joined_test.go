package wire_test

import (
	"bytes"
	"reflect"
	"testing"

	"hubbub/internal/wire"
)

// EncodeJoined writes the bytes Encode does, for names that need escaping too.
func TestEncodeJoinedIsEncode(t *testing.T) {
	cases := []wire.Joined{
		{Type: wire.TypeJoined, Room: "general", Members: []string{"ann", "bob"}, MemberCount: 2, LastSeq: 42, Replay: 1},
		{Type: wire.TypeJoined, Room: "r", MemberCount: 0, Truncated: true},
		{Type: wire.TypeJoined, Room: "r", Members: []string{}, MemberCount: 19000, LastSeq: 1 << 62, Replay: 50, Truncated: true},
		{Type: wire.TypeJoined, Room: "r", Members: []string{"ann"}, MemberCount: 1, LastSeq: 9, Replay: 4, NoticesTruncated: true, Away: []string{"ann"}},
		{Type: wire.TypeJoined, Room: "café", Members: []string{"zoë", `a"b\c`, "<b>&", "tab\there", "\u2028", "bad\xffutf8", "日本語", ""}, MemberCount: 8},
	}
	for _, j := range cases {
		want := wire.Encode(j)
		if got := wire.EncodeJoined(&j); !bytes.Equal(got, want) {
			t.Errorf("EncodeJoined(%+v)\n = %s\nwant %s", j, got, want)
		}
		if got := wire.EncodeJoinedMembers(&j, wire.AppendMembers(nil, j.Members)); !bytes.Equal(got, want) {
			t.Errorf("EncodeJoinedMembers(%+v)\n = %s\nwant %s", j, got, want)
		}
		if got := joinedInParts(&j); !bytes.Equal(got, want) {
			t.Errorf("EncodeJoinedParts(%+v) around the list\n = %s\nwant %s", j, got, want)
		}
	}
}

// joinedInParts is the frame EncodeJoinedParts gives j, joined around j's list as a writer
// joins them; the head is appended to first, which must not write into the tail (they share
// an array).
func joinedInParts(j *wire.Joined) []byte {
	head, tail := wire.EncodeJoinedParts(j)
	tailBefore := string(tail)
	out := append(head, wire.AppendMembers(nil, j.Members)...)
	out = append(out, tail...)
	if string(tail) != tailBefore {
		return []byte("the tail changed under an append to the head")
	}
	return out
}

// Every field of Joined, set by reflection to a value that is not its zero, is written by
// EncodeJoined as Encode writes it: a field added to Joined later and forgotten in the hand
// written encoder fails here instead of silently missing from every joined frame.
func TestEncodeJoinedWritesEveryField(t *testing.T) {
	var j wire.Joined
	v := reflect.ValueOf(&j).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("v" + v.Type().Field(i).Name)
		case reflect.Int, reflect.Int64, reflect.Int32:
			f.SetInt(int64(i + 1))
		case reflect.Uint64, reflect.Uint, reflect.Uint32:
			f.SetUint(uint64(i + 1))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			if f.Type().Elem().Kind() != reflect.String {
				t.Fatalf("field %s: a slice of %v; teach this test to fill it", v.Type().Field(i).Name, f.Type().Elem())
			}
			f.Set(reflect.ValueOf([]string{"ann", "bob"}))
		default:
			t.Fatalf("field %s of kind %v; teach this test to fill it", v.Type().Field(i).Name, f.Kind())
		}
	}
	if got, want := wire.EncodeJoined(&j), wire.Encode(j); !bytes.Equal(got, want) {
		t.Fatalf("EncodeJoined = %s\nEncode       = %s", got, want)
	}
	if got, want := joinedInParts(&j), wire.Encode(j); !bytes.Equal(got, want) {
		t.Fatalf("EncodeJoinedParts = %s\nEncode            = %s", got, want)
	}
}

// FuzzEncodeJoined holds EncodeJoined to Encode for any room and name.
func FuzzEncodeJoined(f *testing.F) {
	f.Add("general", "ann", 3)
	f.Add("r", "\x00<\u2029>", -1)
	f.Fuzz(func(t *testing.T, room, name string, n int) {
		j := wire.Joined{Type: wire.TypeJoined, Room: room, Members: []string{name, name + "x"}, MemberCount: n, LastSeq: uint64(n), Replay: n}
		if got, want := wire.EncodeJoined(&j), wire.Encode(j); !bytes.Equal(got, want) {
			t.Fatalf("EncodeJoined = %s, Encode = %s", got, want)
		}
		if got, want := wire.EncodeJoinedMembers(&j, wire.AppendMembers(nil, j.Members)), wire.Encode(j); !bytes.Equal(got, want) {
			t.Fatalf("EncodeJoinedMembers = %s, Encode = %s", got, want)
		}
		if got, want := joinedInParts(&j), wire.Encode(j); !bytes.Equal(got, want) {
			t.Fatalf("EncodeJoinedParts = %s, Encode = %s", got, want)
		}
	})
}

// BenchmarkEncodeJoined is a joined frame of a crowded room: 500 names, as --presence-limit
// lists by default.
func BenchmarkEncodeJoined(b *testing.B) {
	j := wire.Joined{Type: wire.TypeJoined, Room: "bench", MemberCount: 19000, LastSeq: 7}
	for i := range 500 {
		j.Members = append(j.Members, "bench-user-"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	b.Run("hand", func(b *testing.B) {
		for b.Loop() {
			wire.EncodeJoined(&j)
		}
	})
	b.Run("kept", func(b *testing.B) { // the list encoded once, as a crowded room keeps it
		members := wire.AppendMembers(nil, j.Members)
		for b.Loop() {
			wire.EncodeJoinedMembers(&j, members)
		}
	})
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			wire.Encode(j)
		}
	})
}
