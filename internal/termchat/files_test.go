package termchat

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hubbub/client"
	"hubbub/internal/chattest"
	"hubbub/internal/server"
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

// /download SEQ saves a message's files in the current directory, fetched as the user: a
// person had to copy the URL into curl with their key. A number that is no message, a message
// without a file, a file of that name already there (never overwritten, and nothing saved), a
// deleted message and a bare /download are each refused with a word of why.
func TestChatDownload(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: "test-api-key"}})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	up := t.TempDir()
	for name, text := range map[string]string{"notes.txt": "the notes, in full\n", "plan.txt": "the plan\n"} {
		if err := os.WriteFile(filepath.Join(up, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// carol's script sends #1 and #3 with a file each, #2 with none.
	script := "/upload " + filepath.Join(up, "notes.txt") + " the notes\nno file here\n/upload " + filepath.Join(up, "plan.txt") + " the plan\n"
	if _, stderr, err := chatToEnd(t, script, chattest.Args(chattest.User(t, "carol"), []string{s.WS})...); err != nil {
		t.Fatalf("carol: %v\n%s", err, stderr)
	}
	bob.Send(servertest.Frame{"type": "react", "room": "general", "seq": 3, "emoji": "👍", "id": "b1"}) // #4
	bob.AwaitFunc("the reaction's ack", func(f servertest.Frame) bool { return f.Type() == "ack" && f.Str("id") == "b1" })

	dir := t.TempDir()
	t.Chdir(dir) // where ann runs her chat
	if err := os.WriteFile("plan.txt", []byte("mine, not to lose\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ann, typeLine := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general", "[general] #3 carol: the plan [👍 1] [file: plan.txt")
	typeLine("/download 1")
	ann.WaitErr(t, "* saved notes.txt (19 B) from #1 in general\n")
	if got, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(got) != "the notes, in full\n" {
		t.Errorf("notes.txt holds %q (%v), want the file carol sent", got, err)
	}
	for _, tc := range []struct{ line, want string }{
		{"/download 3", "* /download: plan.txt is here already: not overwritten, and nothing saved (move it away, or give another name: /download 3 NAME)\n"},
		{"/download 2", "* /download: #2 in general has no file\n"},
		{"/download 4", "* /download: #4 in general is no message: give the number printed as #N before one\n"},
		{"/download 99", "* /download: #99 in general is no message"},
		{"/download x", `* /download: "x" is not a message number`},
		{"/download", "* usage: /download SEQ [NAME|DIR]\n"},
		{"/download 1", "* /download: notes.txt is here already: not overwritten"},
	} {
		typeLine(tc.line)
		ann.WaitErr(t, tc.want)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "plan.txt")); string(got) != "mine, not to lose\n" {
		t.Errorf("plan.txt was overwritten: %q", got)
	}

	// Once the message is deleted its files are gone: said so, and nothing is written.
	if err := os.Remove("plan.txt"); err != nil {
		t.Fatal(err)
	}
	if code, _ := s.API("DELETE", "/api/rooms/general/messages/3", "test-api-key", nil); code != http.StatusOK {
		t.Fatalf("delete: status %d", code)
	}
	ann.WaitOutput(t, "* a server admin deleted carol's message #3 in general\n")
	typeLine("/download 3")
	ann.WaitErr(t, "* /download: #3 in general was deleted, and its files with it\n")
	if _, err := os.Stat("plan.txt"); err == nil {
		t.Errorf("a deleted message's file was saved")
	}
}

// /download SEQ NAME saves a message's one file as NAME, and /download SEQ DIR each file in
// the directory DIR, under its own name: a person had to save into the chat's directory and
// move the files by hand. Nothing is overwritten (NAME there already, a file of the message's
// in DIR), nothing lands elsewhere than typed: a DIR is never made (nodir/, or the directory
// of nodir/x.txt, is said to be missing), a NAME for a message of two files is refused, and
// "~/" is the home directory, as in a shell; a NAME with spaces goes in double quotes.
func TestChatDownloadSaveAs(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	bob, err := client.Connect(ctx, client.SessionOptions{URLs: []string{s.WS}, Name: "bob", Key: "key-bob", SkipHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	if _, err := bob.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	post := func(files map[string]string) {
		t.Helper()
		var ids []string
		for _, name := range []string{"notes.txt", "a.txt", "b.txt"} {
			if text, ok := files[name]; ok {
				att, err := bob.Upload(ctx, name, strings.NewReader(text), int64(len(text)))
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, att.ID)
			}
		}
		r, err := bob.Post(ctx, client.Outgoing{Room: "general", Text: "files", Attachments: ids})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	post(map[string]string{"notes.txt": "the notes, in full\n"})      // #1
	post(map[string]string{"a.txt": "file a\n", "b.txt": "file b\n"}) // #2

	dir, home := t.TempDir(), t.TempDir()
	t.Chdir(dir)
	t.Setenv("HOME", home)
	if err := os.Mkdir("saved", 0o755); err != nil {
		t.Fatal(err)
	}
	ann, typeLine := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general", "[general] #2 bob: files [file: a.txt")
	for _, tc := range []struct{ line, want string }{
		{"/download 1 minutes.txt", "* saved minutes.txt (19 B) from #1 in general\n"},
		{"/download 1 minutes.txt", "* /download: minutes.txt is here already: not overwritten, and nothing saved (move it away, or give another name: /download 1 NAME)\n"},
		{"/download 1 saved", "* saved saved/notes.txt (19 B) from #1 in general\n"},
		{"/download 2 saved/", "* saved saved/b.txt (7 B) from #2 in general\n"},
		{"/download 2 saved", "* /download: saved/a.txt is here already: not overwritten, and nothing saved (move it away, or give a directory: /download 2 DIR)\n"},
		{"/download 2 both.txt", "* /download: #2 in general has 2 files, and both.txt is no directory: give a directory that exists to save them in (/download 2 DIR), or none for this one\n"},
		{"/download 1 nodir/", "* /download: no directory nodir/: nothing saved (a directory is not made; make it, then /download 1 nodir/ again)\n"},
		{"/download 1 nodir/x.txt", "* /download: no directory nodir to save x.txt in: nothing saved (a directory is not made)\n"},
		{"/download 1 minutes.txt/", "* /download: minutes.txt/ is not a directory: nothing saved\n"},
		{`/download 1 "the minutes.txt"`, "* saved the minutes.txt (19 B) from #1 in general\n"},
		{"/download 1 ~/minutes.txt", "* saved " + filepath.Join(home, "minutes.txt") + " (19 B) from #1 in general\n"},
		{"/download 1 two words", "* usage: /download SEQ [NAME|DIR]\n"},
		{`/download 1 "open`, "* usage: /download SEQ [NAME|DIR] (the closing \" is missing)\n"},
	} {
		typeLine(tc.line)
		ann.WaitErr(t, tc.want)
	}
	for path, want := range map[string]string{
		"minutes.txt": "the notes, in full\n", "saved/notes.txt": "the notes, in full\n",
		"saved/a.txt": "file a\n", "saved/b.txt": "file b\n", "the minutes.txt": "the notes, in full\n",
		filepath.Join(home, "minutes.txt"): "the notes, in full\n",
	} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s holds %q (%v), want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"both.txt", "nodir", "notes.txt", "a.txt"} {
		if _, err := os.Lstat(path); err == nil {
			t.Errorf("%s was made", path)
		}
	}
}

// A path in quotes reads as typed, its backslashes too: a Windows path to a directory ends in
// one, and a share's starts with two, where a name's quotes take \" and \\ as escapes.
func TestCutPathTakesBackslashesAsTyped(t *testing.T) {
	for _, tc := range []struct{ in, path, rest string }{
		{`"C:\Users\ann\My Files\" notes`, `C:\Users\ann\My Files\`, "notes"},
		{`"\\server\share\plan.pdf" the plan`, `\\server\share\plan.pdf`, "the plan"},
		{`/tmp/a.txt`, "/tmp/a.txt", ""},
	} {
		path, rest, err := cutPath(tc.in)
		if err != nil || path != tc.path || rest != tc.rest {
			t.Errorf("cutPath(%s) = %q, %q, %v; want %q, %q", tc.in, path, rest, err, tc.path, tc.rest)
		}
	}
	if name, _, _ := cutQuotedWord(`"say \"hi\""`); name != `say "hi"` {
		t.Errorf(`a name's quotes read \" as a quote: got %q`, name)
	}
}
