package termchat

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
	"hubbub/internal/wire"
)

// /upload sends a file with a message; the other client prints the message with the file's
// name, size and absolute URL. A missing file, a folder and a bare /upload are refused with a
// word each, and nothing is sent for them.
func TestChatUpload(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	dir := t.TempDir()
	notes := filepath.Join(dir, "meeting notes.txt")
	if err := os.WriteFile(notes, []byte("the notes, in full\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A PNG whose header declares 20000×20000 pixels: refused (422 too_large) before decoding.
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], 20000)
	binary.BigEndian.PutUint32(ihdr[4:], 20000)
	ihdr[8], ihdr[9] = 8, 6
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), ihdr[:]...)
	png = binary.BigEndian.AppendUint32(png, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr[:]...)))
	huge := filepath.Join(dir, "huge.png")
	if err := os.WriteFile(huge, png, 0o644); err != nil {
		t.Fatal(err)
	}

	bob, _ := typedChat(t, chattest.Args(chattest.User(t, "bob"), []string{s.WS})...)
	bob.WaitOutput(t, "* you joined general; members: bob\n")

	in := strings.Join([]string{
		`/upload "` + notes + `" here are the notes`,
		"/upload",
		"/upload " + filepath.Join(dir, "missing.txt"),
		"/upload " + dir,
		`/upload "` + notes,
		"/upload " + huge,
	}, "\n") + "\n"
	_, stderr, err := chatToEnd(t, in, chattest.Args(chattest.User(t, "alice"), []string{s.WS})...)
	// Every /upload but the first failed, and with it the text it was to send: the run fails.
	if err == nil || err.Error() != "chat: 5 commands failed; the first: usage: /upload PATH [TEXT]" {
		t.Fatalf("alice: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"* uploaded meeting notes.txt (19 B)\n",
		"* usage: /upload PATH [TEXT]\n",
		"* /upload: open " + filepath.Join(dir, "missing.txt") + ": no such file or directory\n",
		"* /upload: " + dir + " is not a file\n",
		"* usage: /upload PATH [TEXT] (the closing \" is missing)\n",
		// The server's refusal as the chat's others print, "reason (code)", with the file's
		// name: it was "client: upload huge.png: upload refused (422, too_large): …".
		"* /upload: huge.png: too many pixels: the image is 20000×20000 pixels",
		"more than the limit of 40000000 (too_large)\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("alice's stderr has no %q:\n%s", want, stderr)
		}
	}
	line := regexp.QuoteMeta("[general] #1 alice: here are the notes [file: meeting notes.txt (19 B) "+s.URL+"/files/") +
		`f_[^/ ]+` + regexp.QuoteMeta("/meeting%20notes.txt]")
	bob.WaitOutput(t, "[general] #1 alice: here are the notes [file: ")
	if got := chattest.Lines(bob.Out.String(), "[general]"); len(got) != 1 || !regexp.MustCompile("^"+line+"$").MatchString(got[0]) {
		t.Errorf("bob printed %q, want one line matching %s", got, line)
	}
}

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
