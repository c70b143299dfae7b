package main

import (
	"testing"

	"hubbub/internal/wire"
)

// A message's files print after its text, each with its name, size and absolute URL; a URL
// that is not http(s) once resolved is not printed as one.
func TestFilesText(t *testing.T) {
	m := &wire.Message{Attachments: []wire.Attachment{
		{ID: "f_1", Name: "a b.png", Size: 2048, URL: "/files/f_1/a%20b.png"},
		{ID: "f_2", Name: "evil\x1b[31m.txt", Size: 3, URL: "javascript:alert(1)"},
		{ID: "f_3", Name: "c.pdf", Size: 5 << 20, URL: "https://files.example/files/f_3/c.pdf"},
	}}
	want := " [file: a b.png (2.0 KB) http://h:1/files/f_1/a%20b.png] [file: evil [31m.txt (3 B) (no address)]" +
		" [file: c.pdf (5.0 MB) https://files.example/files/f_3/c.pdf]"
	if got := filesText(m, "ws://h:1/ws"); got != want {
		t.Errorf("filesText = %q\nwant       %q", got, want)
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KB", 12_345: "12.1 KB", 25 << 20: "25.0 MB", 150 << 20: "150 MB", 3 << 30: "3.0 GB"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
}
