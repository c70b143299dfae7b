package wire_test

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"hubbub/internal/wire"
)

func TestEncodeWelcomeIsEncode(t *testing.T) {
	limits := wire.Limits{MaxText: 4000, MaxRooms: 50, HistoryMax: 50, HistoryPageMax: 200, SendRate: 5, SendBurst: 10}
	cases := []wire.Welcome{
		{Type: wire.TypeWelcome, Name: "ann", Server: "node1", Version: "v1.2.3", Role: "member", Limits: limits},
		{Type: wire.TypeWelcome, Name: "zoë <b>&", Server: "", Version: "dev", Role: "admin", Limits: wire.Limits{SendRate: 0.5, MaxAttachments: 10},
			User: &wire.UserInfo{ID: "u_1", Name: "zoë <b>&", Kind: "guest", Role: "admin"}, SearchOff: true, UploadsOff: true},
		{Type: wire.TypeWelcome, Name: "a\"b\\c\u2028", Role: "moderator", Limits: wire.Limits{SendRate: 1e-7, SendBurst: -1, MaxText: math.MaxInt},
			Commands: []wire.CommandInfo{{Name: "hush"}, {Name: "roll", Description: "rolls a die\n"}}},
		{Type: wire.TypeWelcome, Limits: wire.Limits{SendRate: 1e21}, Commands: []wire.CommandInfo{}},
		{Type: wire.TypeWelcome, Limits: wire.Limits{SendRate: 123456789.125, HistoryPageMax: math.MinInt}},
		{Type: wire.TypeWelcome, Limits: wire.Limits{SendRate: -2.5e-9}, User: &wire.UserInfo{}},
		{Type: wire.TypeWelcome, Name: "bad\xffutf8", Limits: wire.Limits{SendRate: math.SmallestNonzeroFloat64}},
		{Type: wire.TypeWelcome, Limits: wire.Limits{SendRate: math.MaxFloat64}},
	}
	for _, w := range cases {
		want := wire.Encode(w)
		if got := wire.EncodeWelcome(&w); !bytes.Equal(got, want) {
			t.Errorf("EncodeWelcome(%+v)\n = %s\nwant %s", w, got, want)
		}
	}
}

func TestEncodeWelcomeRefusesWhatEncodeRefuses(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("EncodeWelcome of a NaN send rate did not panic, as Encode does")
		}
	}()
	wire.EncodeWelcome(&wire.Welcome{Type: wire.TypeWelcome, Limits: wire.Limits{SendRate: math.NaN()}})
}

func FuzzEncodeWelcome(f *testing.F) {
	f.Add("ann", "node1", "u_1", "roll", "rolls a die", 5.0, 10, true)
	f.Add("\x00<\u2029>", "", "", "", "", 1e-7, -1, false)
	f.Fuzz(func(t *testing.T, name, server, id, cmd, desc string, rate float64, n int, user bool) {
		if math.IsNaN(rate) || math.IsInf(rate, 0) {
			return
		}
		w := wire.Welcome{Type: wire.TypeWelcome, Name: name, Server: server, Version: cmd, Role: desc,
			Limits: wire.Limits{MaxText: n, MaxRooms: -n, HistoryMax: n, HistoryPageMax: n, SendRate: rate, SendBurst: n, MaxAttachments: n, Frame: -n}}
		if user {
			w.User = &wire.UserInfo{ID: id, Name: name, Kind: server, Role: desc}
			w.SearchOff = true
			w.UploadsOff = n%2 == 0
		}
		if cmd != "" {
			w.Commands = []wire.CommandInfo{{Name: cmd, Description: desc}, {Name: name}}
		}
		if got, want := wire.EncodeWelcome(&w), wire.Encode(w); !bytes.Equal(got, want) {
			t.Fatalf("EncodeWelcome = %s, Encode = %s", got, want)
		}
	})
}

// BenchmarkEncodeWelcome is the welcome of a guest on a server with no commands, as the
// idle scenario's clients get it: by hand and through Encode.
func BenchmarkEncodeWelcome(b *testing.B) {
	w := wire.Welcome{Type: wire.TypeWelcome, Name: "bench-user-12345", Server: "node1", Version: "v0.0.0-dev", Role: "member",
		Limits: wire.Limits{MaxText: 4000, MaxRooms: 50, HistoryMax: 50, HistoryPageMax: 200, SendRate: 5, SendBurst: 10, MaxAttachments: 10},
		User:   &wire.UserInfo{ID: "anon:bench-user-12345", Name: "bench-user-12345", Kind: "anonymous", Role: "member"}}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wire.EncodeWelcome(&w)
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wire.Encode(w)
		}
	})
}

// TestEncodeWelcomeWritesEveryField sets every field of a welcome, its limits, its user and a
// command (by reflection, so a field added later is set too) and holds EncodeWelcome to
// Encode: a field EncodeWelcome does not know would vanish from every welcome.
func TestEncodeWelcomeWritesEveryField(t *testing.T) {
	var w wire.Welcome
	fillEveryField(t, reflect.ValueOf(&w).Elem(), "Welcome")
	if w.User == nil || len(w.Commands) == 0 {
		t.Fatal("the filler left the user or the commands empty")
	}
	if got, want := wire.EncodeWelcome(&w), wire.Encode(w); !bytes.Equal(got, want) {
		t.Errorf("EncodeWelcome(%+v)\n = %s\nwant %s", w, got, want)
	}
}

// fillEveryField gives every field of v (a struct) a value that is not its zero: strings
// their path, numbers their index, pointers and slices one filled element.
func fillEveryField(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	for i := range v.NumField() {
		f, name := v.Field(i), path+"."+v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.String:
			f.SetString("v" + name)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(i + 1))
		case reflect.Uint64:
			f.SetUint(uint64(i + 1))
		case reflect.Float64:
			f.SetFloat(float64(i) + 0.5)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Struct:
			fillEveryField(t, f, name)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
			fillEveryField(t, f.Elem(), name)
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			fillEveryField(t, f.Index(0), name+"[0]")
		default:
			t.Fatalf("%s is a %s, which the filler does not set", name, f.Kind())
		}
	}
}
