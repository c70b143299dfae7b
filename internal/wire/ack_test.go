package wire_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/wire"
)

// ackCases are acks as the server sends them, and with strings that need escaping.
func ackCases() []wire.Ack {
	at := time.Date(2026, 12, 5, 1, 2, 3, 4_000_000, time.UTC)
	stored := wire.NewAck(&hubbub.Entry{Room: "general", ClientID: "c-17", Seq: 42, ID: "m_01HZX", Time: at}, false)
	dup := wire.NewAck(&hubbub.Entry{Room: "general", ClientID: "c-17", Seq: 42, ID: "m_01HZX", Time: at}, true)
	edit := wire.NewAck(&hubbub.Entry{Room: "r", Seq: 1 << 63, ID: "e", Time: at, Target: 7}, false)
	return []wire.Ack{
		stored, dup, edit,
		{Type: wire.TypeAck},
		{Type: wire.TypeAck, Room: "café", ID: `a"b\c`, Seq: 0, MsgID: "<b>&", Time: "tab\there", Target: ^uint64(0)},
		{Type: wire.TypeAck, Room: "\u2028\u2029", ID: "bad\xffutf8", MsgID: "日本語", Time: "\x00\x1f\x7f"},
	}
}

// EncodeAck writes the bytes Encode does, for strings that need escaping too.
func TestEncodeAckIsEncode(t *testing.T) {
	for _, a := range ackCases() {
		want := wire.Encode(a)
		if got := wire.EncodeAck(&a); !bytes.Equal(got, want) {
			t.Errorf("EncodeAck(%+v)\n = %s\nwant %s", a, got, want)
		}
	}
}

// Every field of Ack, set by reflection to a value that is not its zero, is written by
// EncodeAck as Encode writes it: a field added to Ack later and forgotten in the hand-written
// encoder fails here instead of missing from every ack.
func TestEncodeAckWritesEveryField(t *testing.T) {
	var a wire.Ack
	v := reflect.ValueOf(&a).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("v" + v.Type().Field(i).Name)
		case reflect.Uint64:
			f.SetUint(uint64(i + 1))
		case reflect.Bool:
			f.SetBool(true)
		default:
			t.Fatalf("Ack.%s is a %s, which EncodeAck's test does not set", v.Type().Field(i).Name, f.Kind())
		}
	}
	if got, want := wire.EncodeAck(&a), wire.Encode(a); !bytes.Equal(got, want) {
		t.Errorf("EncodeAck(%+v)\n = %s\nwant %s", a, got, want)
	}
}

// FuzzEncodeAckIsEncode holds EncodeAck to Encode for any strings and numbers.
func FuzzEncodeAckIsEncode(f *testing.F) {
	for _, a := range ackCases() {
		f.Add(a.Room, a.ID, a.MsgID, a.Time, a.Seq, a.Target, a.Duplicate)
	}
	f.Fuzz(func(t *testing.T, room, id, msgID, at string, seq, target uint64, dup bool) {
		a := wire.Ack{Type: wire.TypeAck, Room: room, ID: id, Seq: seq, MsgID: msgID, Time: at, Duplicate: dup, Target: target}
		if got, want := wire.EncodeAck(&a), wire.Encode(a); !bytes.Equal(got, want) {
			t.Errorf("EncodeAck(%+v)\n = %s\nwant %s", a, got, want)
		}
	})
}
