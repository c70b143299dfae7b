package fulltext

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"hubbub"

	_ "modernc.org/sqlite"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Café CRÈME brûlée": "cafe creme brulee",
		"ﬁne ①, x²":         "fine 1 x2",
		"we'll deploy-it":   "we ll deploy it",
		"我们在聊天室见面":          "我 们 在 聊 天 室 见 面",
		"チャットroom":          "チ ャ ッ ト room",
		"한국어 OK":            "한 국 어 ok",
		"  ...  ":           "",
		"a\xffb":            "a b",
		"ÅNGSTRÖM Straße":   "angstrom straße",
		"İstanbul":          "istanbul",
		"e\u0301te\u0301":   "ete",
		"日本語のテキスト abc123":   "日 本 語 の テ キ ス ト abc123",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("x", 500)
	if got := Tokens(long); len(got) != 1 || len(got[0]) != MaxTokenBytes {
		t.Errorf("a 500-letter word is %d tokens of %d bytes", len(got), len(got[0]))
	}
}

func TestParse(t *testing.T) {
	type tm = Term
	for in, want := range map[string][]Term{
		"deploy":             {{Tokens: []string{"deploy"}, Prefix: true}},
		"Café deploy café":   {{Tokens: []string{"cafe"}, Prefix: true}, {Tokens: []string{"deploy"}, Prefix: true}},
		`"new release" now`:  {{Tokens: []string{"new", "release"}}, {Tokens: []string{"now"}, Prefix: true}},
		`"unclosed phrase`:   {{Tokens: []string{"unclosed", "phrase"}}},
		"聊天":                 {{Tokens: []string{"聊", "天"}}},
		"聊天 见面":              {{Tokens: []string{"聊", "天"}}, {Tokens: []string{"见", "面"}}},
		"在chat室":             {{Tokens: []string{"在"}}, {Tokens: []string{"chat"}, Prefix: true}, {Tokens: []string{"室"}}},
		`a" OR 1=1; --`:      {{Tokens: []string{"a"}, Prefix: true}, {Tokens: []string{"or", "1", "1"}}},
		"NEAR(x y) AND col:": {{Tokens: []string{"near"}, Prefix: true}, {Tokens: []string{"x"}, Prefix: true}, {Tokens: []string{"y"}, Prefix: true}, {Tokens: []string{"and"}, Prefix: true}, {Tokens: []string{"col"}, Prefix: true}},
	} {
		q, err := Parse(in)
		if err != nil || !slices.EqualFunc(q.Terms, want, func(a, b tm) bool { return a.Prefix == b.Prefix && slices.Equal(a.Tokens, b.Tokens) }) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, q.Terms, err, want)
		}
	}
	for _, in := range []string{"", "   ", `"" ... !!!`, "\xff\xfe"} {
		if _, err := Parse(in); hubbub.ErrorCode(err) != hubbub.ECodeEmpty {
			t.Errorf("Parse(%q): %v, want ECodeEmpty", in, err)
		}
	}
	if _, err := Parse(strings.Repeat("a ", 200)); hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		t.Errorf("a 400-byte query: %v, want ECodeLimit", err)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		q, text string
		want    bool
	}{
		{"deploy", "We deployed it", true},
		{"deployed", "deploy now", false},
		{"cafe", "Meet at the Café", true},
		{"CAFÉ", "cafe au lait", true},
		{"聊天", "我们在聊天室见面", true},
		{"天聊", "我们在聊天室见面", false},
		{"チャット", "新しいチャットルーム", true},
		{`"new release"`, "the new release is out", true},
		{`"new release"`, "new: release!", true}, // punctuation is no word
		{`"new release"`, "release new", false},
		{`"new rel"`, "new release", false}, // a phrase is whole words
		{"new release", "release of the new thing", true},
		{"deploy friday", "deploy on monday", false},
	} {
		q, err := Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _, _ := q.Match(c.text); ok != c.want {
			t.Errorf("%q in %q: %v, want %v", c.q, c.text, ok, c.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	q, _ := Parse("deploy 聊天")
	got := Snippet("We DEPLOYED the 聊天 thing", q)
	want := []hubbub.SnippetPart{{Text: "We "}, {Text: "DEPLOYED", Hit: true}, {Text: " the "}, {Text: "聊天", Hit: true}, {Text: " thing"}}
	if !slices.Equal(got, want) {
		t.Errorf("snippet = %+v, want %+v", got, want)
	}
	long := strings.Repeat("lorem ipsum ", 50) + "needle " + strings.Repeat("dolor sit ", 50)
	q, _ = Parse("needle")
	got = Snippet(long, q)
	var text strings.Builder
	hits := 0
	for _, p := range got {
		text.WriteString(p.Text)
		if p.Hit {
			hits++
			if p.Text != "needle" {
				t.Errorf("hit %q", p.Text)
			}
		}
	}
	if n := len([]rune(text.String())); hits != 1 || n > hubbub.MaxSnippetRunes+2 || !strings.HasPrefix(text.String(), "…") || !strings.HasSuffix(text.String(), "…") {
		t.Errorf("snippet of a long text: %d hits, %d runes: %q", hits, n, text.String())
	}
	q, _ = Parse(`"b c"`)
	if got := Snippet("a b, c d", q); !slices.Equal(got, []hubbub.SnippetPart{{Text: "a "}, {Text: "b, c", Hit: true}, {Text: " d"}}) {
		t.Errorf("phrase snippet = %+v", got)
	}
}

func TestCursor(t *testing.T) {
	q := hubbub.SearchQuery{Rooms: []string{"a"}, Text: "x", Order: hubbub.SearchRelevance}
	k := Key{Rank: -1.25, TimeMS: 1700000000123, Room: "general", Seq: 42}
	q.Cursor = EncodeCursor(q, k)
	if got, err := DecodeCursor(q); err != nil || got != k {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	other := q
	other.Text = "y"
	if _, err := DecodeCursor(other); hubbub.ErrorCode(err) != hubbub.ECodeBadField {
		t.Errorf("another query's cursor: %v", err)
	}
	other = q
	other.Since = time.Unix(1, 0)
	if _, err := DecodeCursor(other); hubbub.ErrorCode(err) != hubbub.ECodeBadField {
		t.Errorf("another range's cursor: %v", err)
	}
	for _, c := range []string{"x", "!!", q.Cursor[:10], q.Cursor + "AAAA"} {
		q2 := q
		q2.Cursor = c
		if _, err := DecodeCursor(q2); hubbub.ErrorCode(err) != hubbub.ECodeBadField {
			t.Errorf("cursor %q: %v", c, err)
		}
	}
}

// ftsDB is an SQLite FTS5 table indexed as the SQLite store indexes (Fold's output, ascii
// tokenizer), for checking that rendered queries are accepted and match what Match does.
func ftsDB(t testing.TB) *sql.DB {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE VIRTUAL TABLE f USING fts5(body, tokenize = 'ascii', prefix = '1 2 3')`); err != nil {
		t.Fatal(err)
	}
	return db
}

var corpus = []string{
	"We deployed the new release on Friday", "Café crème at noon", "我们在聊天室见面",
	"新しいチャットルームへようこそ", "한국어 채팅방", "release new", "NEAR the AND OR NOT",
	`quotes " and ' and \ backslashes`, "x² ① ﬁne", "",
}

// TestFTS5AgreesWithMatch checks that SQLite finds exactly what Match finds, for queries of
// every shape.
func TestFTS5AgreesWithMatch(t *testing.T) {
	db := ftsDB(t)
	for i, c := range corpus {
		if _, err := db.Exec(`INSERT INTO f (rowid, body) VALUES (?, ?)`, i+1, Fold(c)); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range []string{"deploy", "release new", `"release new"`, `"new release"`, "cafe", "聊天", "天室见",
		"チャット", "채팅", "near", `"and or not"`, `"`, `\`, "fine", "x2", "1", "ne*", "AND", "NOT x", "r"} {
		q, err := Parse(in)
		if err != nil {
			continue
		}
		var want []int
		for i, c := range corpus {
			if ok, _, _ := q.Match(c); ok {
				want = append(want, i+1)
			}
		}
		got := ftsFind(t, db, q.FTS5("body"))
		if !slices.Equal(got, want) {
			t.Errorf("%q (%s): SQLite found %v, Match %v", in, q.FTS5("body"), got, want)
		}
	}
}

func ftsFind(t testing.TB, db *sql.DB, expr string) []int {
	rows, err := db.Query(`SELECT rowid FROM f WHERE f MATCH ? ORDER BY rowid`, expr)
	if err != nil {
		t.Fatalf("MATCH %q: %v", expr, err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("MATCH %q: %v", expr, err)
	}
	return got
}

// FuzzQuery: no query text makes Parse, the renderers or Snippet panic, and every query Parse
// accepts is one SQLite accepts, matching what Match matches.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"deploy", `"a b" c`, "聊天", `" OR "`, `*:^-+()`, "NEAR(a b, 3)", "\x00\xff", `'\`, "col : x"} {
		f.Add(s)
	}
	db := ftsDB(f)
	for i, c := range corpus {
		if _, err := db.Exec(`INSERT INTO f (rowid, body) VALUES (?, ?)`, i+1, Fold(c)); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := Parse(in)
		_ = Snippet(in, q)
		_ = TSVectorIn(RoomKey("r"), in)
		if err != nil {
			if c := hubbub.ErrorCode(err); c != hubbub.ECodeEmpty && c != hubbub.ECodeLimit {
				t.Fatalf("Parse(%q): %v", in, err)
			}
			return
		}
		_ = q.TSQueryIn(RoomKey("r"))
		var want []int
		for i, c := range corpus {
			if ok, _, _ := q.Match(c); ok {
				want = append(want, i+1)
			}
		}
		if got := ftsFind(t, db, q.FTS5("body")); !slices.Equal(got, want) {
			t.Fatalf("%q: SQLite found %v, Match %v", in, got, want)
		}
	})
}

// FuzzFoldASCII holds Fold's path for ASCII text to the rune-by-rune one: the same tokens,
// and any text with a byte beyond ASCII left to foldRunes.
func FuzzFoldASCII(f *testing.F) {
	for _, s := range []string{"", "Hello, World!", "#hb1a2b3c4d.0.12.345.1733370000000000000.xxxx", "we'll deploy-it T3000X",
		"\x00\x1f\x7f", "Café", "a\xffb", strings.Repeat("x", 250) + " y", strings.Repeat("ab ", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := foldASCII(s)
		ascii := true
		for i := range len(s) {
			ascii = ascii && s[i] < 0x80
		}
		if ok != ascii {
			t.Fatalf("foldASCII(%q) ok = %v, want %v", s, ok, ascii)
		}
		if want := foldRunes(s); ok && got != want {
			t.Fatalf("foldASCII(%q) = %q, foldRunes = %q", s, got, want)
		}
	})
}

// Fold of an ASCII text of more than MaxTokens tokens keeps the first MaxTokens, as the
// rune-by-rune path does, and a longer word is cut to MaxTokenBytes.
func TestFoldASCIILimits(t *testing.T) {
	long := strings.Repeat("w ", MaxTokens+5) + strings.Repeat("z", MaxTokenBytes+9)
	if got, want := Fold(long), foldRunes(long); got != want || len(strings.Fields(got)) != MaxTokens {
		t.Errorf("Fold of %d tokens: %d tokens, rune-by-rune %d", MaxTokens+6, len(strings.Fields(got)), len(strings.Fields(want)))
	}
	word := strings.Repeat("Z", MaxTokenBytes+9) + " end"
	if got := Fold(word); got != strings.Repeat("z", MaxTokenBytes)+" end" {
		t.Errorf("Fold(%d Zs and end) = %q", MaxTokenBytes+9, got)
	}
}
