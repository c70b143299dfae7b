package fulltext

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestTSVectorIn: each distinct token once, led by the room's key, with its positions in
// order (at most 256, as PostgreSQL keeps), after the lexeme of the text's length class; a
// text of many distinct tokens (past the linear search) gives what Tokens says.
func TestTSVectorIn(t *testing.T) {
	k := RoomKey("general")
	if len(k) != 7 || strings.Trim(k, "0123456789abcdefghijklmnopqrstuv") != "" {
		t.Fatalf("RoomKey = %q, want 7 base-32 digits", k)
	}
	if RoomKey("general") != k || RoomKey("random") == k {
		t.Errorf("RoomKey not a function of the name: %q, %q", RoomKey("general"), RoomKey("random"))
	}
	for _, c := range []struct{ text, want string }{
		{"Café café au LAIT", "'K#04' 'K.cafe':1,2 'K.au':3 'K.lait':4"},
		{"我们聊天", "'K#04' 'K.我':1 'K.们':2 'K.聊':3 'K.天':4"},
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
	want := []string{"'K#23'"}
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

// TestLengthClass: every length has a class, 1…MaxLengthClass, never lower for a longer
// text, the length itself up to 16; ClassLexeme names it as TSVectorIn writes it.
func TestLengthClass(t *testing.T) {
	prev := 0
	for n := 1; n <= MaxTokens+1; n++ {
		c := LengthClass(n)
		if c < prev || c < 1 || c > MaxLengthClass || n <= 16 && c != n {
			t.Fatalf("LengthClass(%d) = %d after %d", n, c, prev)
		}
		prev = c
	}
	if prev != MaxLengthClass {
		t.Errorf("the longest text's class %d, want %d", prev, MaxLengthClass)
	}
	if got := ClassLexeme("K", 7); got != "'K#07'" || !strings.HasPrefix(TSVectorIn("K", "a b c d e f g"), got+" ") {
		t.Errorf("ClassLexeme(K, 7) = %s; vector %s", got, TSVectorIn("K", "a b c d e f g"))
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

// TestTSVectorBinary: the binary form holds TSVectorIn's lexemes in PostgreSQL's order (bytes
// compared; the length class's first), so that the database need not sort them, each with its
// positions; an empty text is an empty vector.
func TestTSVectorBinary(t *testing.T) {
	lex := func(s string, pos ...uint16) []byte {
		b := append([]byte(s), 0, 0, byte(len(pos)))
		for _, p := range pos {
			b = append(b, byte(p>>8), byte(p))
		}
		return b
	}
	want := []byte{0, 0, 0, 4}
	for _, l := range [][]byte{lex("K#04"), lex("K.au", 3), lex("K.cafe", 1, 2), lex("K.lait", 4)} {
		want = append(want, l...)
	}
	if got := TSVectorBinary("K", "Café café au LAIT"); string(got) != string(want) {
		t.Errorf("TSVectorBinary = %v, want %v", got, want)
	}
	want = []byte{0, 0, 0, 4}
	for _, l := range [][]byte{lex("K#03"), lex("K.ab", 2), lex("K.abc", 3), lex("K.b", 1)} {
		want = append(want, l...)
	}
	if got := TSVectorBinary("K", "b ab abc"); string(got) != string(want) {
		t.Errorf("TSVectorBinary = %v, want %v", got, want)
	}
	if got := TSVectorBinary("K", "!!"); string(got) != "\x00\x00\x00\x00" {
		t.Errorf("TSVectorBinary of no token = %v, want an empty vector", got)
	}
}

// TestTSVectorLiteralOfBinary: the literal of a binary vector holds the lexemes and
// positions TSVectorIn writes for the same text (in the binary's order); a vector cut short
// or with bytes past its end is an error, never a literal of part of it.
func TestTSVectorLiteralOfBinary(t *testing.T) {
	for _, text := range []string{"Café café au LAIT", "b ab abc", "!!", "数据库 search 数据", "a a a a b"} {
		got, err := AppendTSVectorLiteral(nil, TSVectorBinary("K", text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		lexemes := func(lit string) []string { l := strings.Fields(lit); slices.Sort(l); return l }
		if want := TSVectorIn("K", text); !slices.Equal(lexemes(string(got)), lexemes(want)) {
			t.Errorf("%q: literal of the binary %s, want the lexemes of %s", text, got, want)
		}
	}
	bin := TSVectorBinary("K", "Café au lait")
	for _, bad := range [][]byte{bin[:3], bin[:len(bin)-1], append(bin[:len(bin):len(bin)], 0)} {
		if _, err := AppendTSVectorLiteral(nil, bad); !errors.Is(err, ErrTSVectorBinary) {
			t.Errorf("literal of %v: %v, want ErrTSVectorBinary", bad, err)
		}
	}
}
