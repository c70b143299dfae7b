package sqlstore

import (
	"strings"
	"testing"
	"unicode/utf8"

	"hubbub"
)

// A long name is cut at a rune boundary, never inside a character, and stays valid UTF-8.
func TestCutName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a.png", "a.png"},
		{strings.Repeat("a", hubbub.MaxFileNameLen), strings.Repeat("a", hubbub.MaxFileNameLen)},
		{strings.Repeat("a", hubbub.MaxFileNameLen-1) + "é", strings.Repeat("a", hubbub.MaxFileNameLen-1)},
		{strings.Repeat("漢", 100), strings.Repeat("漢", hubbub.MaxFileNameLen/3)},
		{"bad\xffname", "bad\uFFFDname"},
	} {
		got := CutName(tc.in)
		if got != tc.want || !utf8.ValidString(got) || len(got) > hubbub.MaxFileNameLen {
			t.Errorf("CutName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A message's attachments are refused before any query when no store could take them.
func TestCheckAttachments(t *testing.T) {
	ids := func(ids ...string) hubbub.Entry {
		e := hubbub.Entry{Room: "r"}
		for _, id := range ids {
			e.Attachments = append(e.Attachments, hubbub.Attachment{ID: id})
		}
		return e
	}
	many := make([]string, hubbub.MaxAttachments+1)
	for i := range many {
		many[i] = "f_" + strings.Repeat("x", i+1)
	}
	for _, tc := range []struct {
		e    hubbub.Entry
		code string
	}{
		{ids(), ""},
		{ids("f_1", "f_2"), ""},
		{ids(many[:hubbub.MaxAttachments]...), ""},
		{ids(many...), hubbub.ECodeLimit},
		{ids("f_1", "f_1"), hubbub.ECodeBadField},
		{ids(""), hubbub.ECodeBadField},
		{ids(strings.Repeat("f", hubbub.MaxFileIDLen+1)), hubbub.ECodeBadField},
	} {
		err := CheckAppend(&tc.e)
		if tc.code == "" && err != nil || tc.code != "" && hubbub.ErrorCode(err) != tc.code {
			t.Errorf("CheckAppend(%d attachments %v): %v, want code %q", len(tc.e.Attachments), tc.e.Attachments, err, tc.code)
		}
	}
}
