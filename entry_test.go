package hubbub

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"hello":              "hello",
		"  two\nlines \n":    "two lines",
		"tab\there\r\n":      "tab here",
		"bell\a and \x00nul": "bell  and  nul",
		"bad \xff utf8":      "bad \uFFFD utf8",
		"\n\n":               "",
		"日本語 ok":             "日本語 ok",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanMultiline(t *testing.T) {
	for in, want := range map[string]string{
		"one":               "one",
		"\n two\r\nlines\r": "two\nlines",
		"a\tb\n\x00c":       "a b\n c",
	} {
		if got := CleanMultiline(in); got != want {
			t.Errorf("CleanMultiline(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"hi", "a\nb", "\xff\xfe", " \t ", "\u2028x\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanText(s)
		if !utf8.ValidString(out) {
			t.Fatalf("CleanText(%q) = %q is not valid UTF-8", s, out)
		}
		if strings.TrimSpace(out) != out {
			t.Fatalf("CleanText(%q) = %q is not trimmed", s, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) {
				t.Fatalf("CleanText(%q) = %q holds a control character", s, out)
			}
		}
	})
}

func TestValidateNameAndRoom(t *testing.T) {
	for _, ok := range []string{"ann", "Ann Lee", "日本", strings.Repeat("x", MaxNameLen),
		"ann \u2764\ufe0f", "\u203c\ufe0f", "\u845b\U000E0100", "\u182e\u180b"} { // emoji, ideographic, Mongolian variants
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", " ann", "ann ", "a\nb", "a\u200bb", strings.Repeat("x", MaxNameLen+1), "\xff"} {
		if err := ValidateName(bad); ErrorCode(err) != ECodeBadName {
			t.Errorf("ValidateName(%q) = %v, want a bad_name error", bad, err)
		}
	}
	// Each shows as "ann" (or "a nn"): a character that shows as nothing there would make
	// another name of what reads as ann's.
	for _, blank := range []string{"ann\ufe0f", "ann\ufe0e", "ann$\ufe0f", "\ufe0fann", "ann\U000E0100", "ann\u180b",
		"a\u034fnn", "ann\u115f", "ann\u1160", "ann\u3164", "ann\uffa0", "an\u17b4n", "ann\u2800"} {
		err := ValidateName(blank)
		if ErrorCode(err) != ECodeBadName || !strings.Contains(err.Error(), "shows as nothing") {
			t.Errorf("ValidateName(%q) = %v, want a bad_name error saying a character shows as nothing", blank, err)
		}
	}
	for _, ok := range []string{"lobby", "a", "Room-1_x.y", strings.Repeat("r", MaxRoomLen)} {
		if err := ValidateRoom(ok); err != nil {
			t.Errorf("ValidateRoom(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", ".x", "a b", "a/b", "é", strings.Repeat("r", MaxRoomLen+1)} {
		if err := ValidateRoom(bad); ErrorCode(err) != ECodeBadRoom {
			t.Errorf("ValidateRoom(%q) = %v, want a bad_room error", bad, err)
		}
	}
}

// TestValidateClientID: an idempotency id may be empty or up to MaxClientIDLen bytes of
// printable text; a control or invisible format character (which would reach every member's
// terminal in the echoed frame) and surrounding spaces are refused, each with its own reason.
func TestValidateClientID(t *testing.T) {
	for _, ok := range []string{"", "c-1", "ä€ 漢字", strings.Repeat("x", MaxClientIDLen)} {
		if err := ValidateClientID(ok); err != nil {
			t.Errorf("ValidateClientID(%q) = %v", ok, err)
		}
	}
	for bad, why := range map[string]string{
		strings.Repeat("x", MaxClientIDLen+1): "longer than",
		"\xff":                                "UTF-8",
		" c-1":                                "space",
		"c\x1b[2J":                            "non-printable",
		"c\u202e1":                            "non-printable",
		"c\u200b1":                            "non-printable",
	} {
		err := ValidateClientID(bad)
		if ErrorCode(err) != ECodeBadID || !strings.Contains(err.Error(), why) {
			t.Errorf("ValidateClientID(%q) = %v, want a bad_id error saying %q", bad, err, why)
		}
	}
}

func TestValidateEmoji(t *testing.T) {
	for _, ok := range []string{"👍", "❤️", ":thumbs_up:", ":+1:", "👩‍💻", "1️⃣", "🇫🇷", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👨‍👩‍👧‍👦", "👍🏽"} {
		if err := ValidateEmoji(ok); err != nil {
			t.Errorf("ValidateEmoji(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "hi", "1", "👍 👍", ":Thumbs:", ":a b:", "::x", "\u202e👍", "👍\n",
		"<b>", strings.Repeat("😀", 9), "\xff", "#", "👍👍", strings.Repeat("😀", 8), "🇫🇷🇫"} {
		err := ValidateEmoji(bad)
		if ErrorCode(err) != ECodeBadField {
			t.Errorf("ValidateEmoji(%q) = %v, want a bad_field error", bad, err)
		}
	}
}

func TestResolveMentions(t *testing.T) {
	members := []string{"ann", "ann marie", "bob", "zoë"}
	cases := []struct {
		text string
		want []string
		room bool
	}{
		{"hi @ann", []string{"ann"}, false},
		{"@ann marie, look", []string{"ann marie"}, false},
		{"@bob and @ann and @bob again", []string{"bob", "ann"}, false},
		{"mail ann@bob.com", nil, false},
		{"@annie is not ann", nil, false},
		{"(@zoë)", []string{"zoë"}, false},
		{"@room listen", nil, true},
		{"@roommate", nil, false},
		{"@carol is not here", nil, false},
		{"@", nil, false},
	}
	for _, c := range cases {
		got, room := ResolveMentions(c.text, members)
		var names []string
		for _, m := range got {
			if m.User != m.Name {
				t.Errorf("%q: mention %+v: a user's id is their name until accounts", c.text, m)
			}
			names = append(names, m.Name)
		}
		if !slices.Equal(names, c.want) || room != c.room {
			t.Errorf("ResolveMentions(%q) = %v, room %v; want %v, room %v", c.text, names, room, c.want, c.room)
		}
	}
	many := strings.Repeat("@bob ", 10) + "@ann"
	if got, _ := ResolveMentions(many, members); len(got) != 2 {
		t.Errorf("repeated mentions resolved to %v, want bob and ann once each", got)
	}
}

// A reply's author is mentioned once, marked Reply: added after the text's mentions, or the
// text's own mention of them marked; at MaxMentions in place of the text's last; and the
// caller's list is left as it was (it may be a stored entry's).
func TestReplyMention(t *testing.T) {
	ann := Mention{User: "u_ann", Name: "ann"}
	bob := Mention{User: "u_bob", Name: "bob"}
	text := []Mention{bob}
	if got, want := ReplyMention(text, ann), []Mention{bob, {User: "u_ann", Name: "ann", Reply: true}}; !slices.Equal(got, want) {
		t.Errorf("added: %v, want %v", got, want)
	}
	if text[0].Reply || len(text) != 1 {
		t.Errorf("the text's mentions changed: %v", text)
	}
	if got, want := ReplyMention([]Mention{ann, bob}, Mention{User: "u_ann", Name: "Ann"}), []Mention{{User: "u_ann", Name: "ann", Reply: true}, bob}; !slices.Equal(got, want) {
		t.Errorf("named in the text too: %v, want %v", got, want)
	}
	full := make([]Mention, MaxMentions)
	for i := range full {
		full[i] = Mention{User: strings.Repeat("u", i+1)}
	}
	got := ReplyMention(full, ann)
	if len(got) != MaxMentions || got[MaxMentions-1] != (Mention{User: "u_ann", Name: "ann", Reply: true}) || got[MaxMentions-2] != full[MaxMentions-2] {
		t.Errorf("at the cap: %d mentions, ending %v", len(got), got[len(got)-2:])
	}
	if got := ReplyMentions(ReplyMention(text, ann)); !slices.Equal(got, []Mention{{User: "u_ann", Name: "ann", Reply: true}}) {
		t.Errorf("ReplyMentions: %v", got)
	}
}
