package fulltext

import (
	"fmt"
	"strings"
	"testing"
)

// TestTSVectorIn: each distinct token once, led by the room's key, with its positions in
// order (at most 256, as PostgreSQL keeps); a text of many distinct tokens (past the linear
// search) gives what Tokens says.
func TestTSVectorIn(t *testing.T) {
	k := RoomKey("general")
	if len(k) != 7 || strings.Trim(k, "0123456789abcdefghijklmnopqrstuv") != "" {
		t.Fatalf("RoomKey = %q, want 7 base-32 digits", k)
	}
	if RoomKey("general") != k || RoomKey("random") == k {
		t.Errorf("RoomKey not a function of the name: %q, %q", RoomKey("general"), RoomKey("random"))
	}
	for _, c := range []struct{ text, want string }{
		{"Café café au LAIT", "'K.cafe':1,2 'K.au':3 'K.lait':4"},
		{"我们聊天", "'K.我':1 'K.们':2 'K.聊':3 'K.天':4"},
		{"", ""},
		{"!!", ""},
	} {
		if got := TSVectorIn("K", c.text); got != c.want {
			t.Errorf("TSVectorIn(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	many := strings.Repeat("x ", 300)
	if got := TSVectorIn("K", many); strings.Count(got, ",") != 255 {
		t.Errorf("a token 300 times: %d positions, want 256", strings.Count(got, ",")+1)
	}
	var words []string
	for i := range 200 {
		words = append(words, fmt.Sprint("w", i%150))
	}
	text := strings.Join(words, " ")
	var want []string
	for i := range 150 {
		pos := fmt.Sprint(i + 1)
		if i < 50 {
			pos += fmt.Sprint(",", i+151)
		}
		want = append(want, fmt.Sprintf("'K.w%d':%s", i, pos))
	}
	if got := TSVectorIn("K", text); got != strings.Join(want, " ") {
		t.Errorf("150 distinct tokens:\n got %s\nwant %s", got, strings.Join(want, " "))
	}
}

// TestTSQueryIn: every lexeme led by the room's key, a word a prefix, a phrase and a CJK run
// adjacent tokens, the terms joined by &.
func TestTSQueryIn(t *testing.T) {
	q, err := Parse(`Caf "au lait" 聊天`)
	if err != nil {
		t.Fatal(err)
	}
	want := `('K.caf':*) & ('K.au' <-> 'K.lait') & ('K.聊' <-> 'K.天')`
	if got := q.TSQueryIn("K"); got != want {
		t.Errorf("TSQueryIn = %s, want %s", got, want)
	}
}

// BenchmarkTSVectorIn measures the vector of a typical chat line, which every append on
// PostgreSQL makes.
func BenchmarkTSVectorIn(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = TSVectorIn("abcdefg", "hello, this is a typical chat message about the deploy review t3000x café, the deploy")
	}
}
