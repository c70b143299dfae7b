package client_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/files"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

func TestHTTPURLAndFileURL(t *testing.T) {
	for _, c := range []struct{ ws, path, want string }{
		{"ws://h:1/ws", "/upload", "http://h:1/upload"},
		{"wss://h/ws", "/upload", "https://h/upload"},
		{"http://h:1", "/upload", "http://h:1/upload"},
		{"https://h/chat/ws?x=1", "/upload", "https://h/chat/upload"},
	} {
		u, err := client.HTTPURL(c.ws, c.path)
		if err != nil || u.String() != c.want {
			t.Errorf("HTTPURL(%q, %q) = %v, %v; want %s", c.ws, c.path, u, err, c.want)
		}
	}
	for _, c := range []struct{ ws, file, want string }{
		{"ws://h:1/ws", "/files/f_1/a%20b.png", "http://h:1/files/f_1/a%20b.png"},
		{"wss://h/chat/ws", "https://files.example/files/f_1/x", "https://files.example/files/f_1/x"},
		{"ws://h:1/ws", "javascript:alert(1)", ""},
	} {
		if got := client.FileURL(c.ws, c.file); got != c.want {
			t.Errorf("FileURL(%q, %q) = %q, want %q", c.ws, c.file, got, c.want)
		}
	}
}

// Post carries files by id: the server attaches the user's own upload (created here in the
// store, as POST /upload does) and every member receives the message with it; ids that are
// not the user's uploads are refused, and malformed ones never leave the client.
func TestPostAttachments(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	ann, _ := joinSession(t, ctx, "ann", s.WS)
	_, bobRec := joinSession(t, ctx, "bob", s.WS)
	f := hubbub.File{Attachment: hubbub.Attachment{ID: "f_posttest1", Name: "plan.txt", Type: "text/plain; charset=utf-8", Size: 5},
		User: ann.User().ID, Bytes: 5}
	if _, err := s.Store.CreateFile(ctx, f, 0); err != nil {
		t.Fatal(err)
	}
	r, err := ann.Post(ctx, client.Outgoing{Room: "general", Attachments: []string{f.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); err != nil {
		t.Fatalf("a message of a file alone: %v", err)
	}
	var got *wire.Message
	testwait.Until(t, "bob's message with the file", func() bool {
		if ms := bobRec.messages("general"); len(ms) > 0 {
			got = ms[len(ms)-1]
			return true
		}
		return false
	})
	if got.Text != "" || len(got.Attachments) != 1 || got.Attachments[0].ID != f.ID || got.Attachments[0].Name != "plan.txt" ||
		got.Attachments[0].URL != "/files/f_posttest1/plan.txt" {
		t.Errorf("bob got %q with %+v, want no text and plan.txt at /files/f_posttest1/plan.txt", got.Text, got.Attachments)
	}

	// The same file again (attached already), and a file no one uploaded: not found.
	for _, id := range []string{f.ID, "f_nosuchfile"} {
		r, err := ann.Post(ctx, client.Outgoing{Room: "general", Text: "again", Attachments: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Wait(ctx); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
			t.Errorf("a message with %s: %v, want not_found", id, err)
		}
	}
	// Refused before it is sent: too many files, an empty id, nothing at all.
	for _, m := range []client.Outgoing{
		{Room: "general", Attachments: make([]string, hubbub.MaxAttachments+1)},
		{Room: "general", Text: "x", Attachments: []string{""}},
		{Room: "general"},
	} {
		if _, err := ann.Post(ctx, m); err == nil {
			t.Errorf("Post(%d files) was queued", len(m.Attachments))
		}
	}
}

// A guest's session uploads a file and sends it with a message: the other member receives the
// message with the file, whose URL downloads the same bytes for them (a guest's name and key
// in headers). A file the server will not take is refused with its status and code.
func TestSessionUploadAndPostFiles(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	ann, _ := joinSession(t, ctx, "ann", s.WS)
	bob, bobRec := joinSession(t, ctx, "bob", s.WS)

	data := []byte("minutes of the meeting\n")
	att, err := ann.Upload(ctx, "minutes.txt", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if att.Name != "minutes.txt" || att.Size != int64(len(data)) || !strings.HasPrefix(att.Type, "text/plain") || att.URL == "" {
		t.Fatalf("upload answered %+v", att)
	}
	r, err := ann.Post(ctx, client.Outgoing{Room: "general", Text: "the minutes", Attachments: []string{att.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var got *wire.Message
	testwait.Until(t, "bob's message with the file", func() bool {
		for _, m := range bobRec.messages("general") {
			if m.Text == "the minutes" {
				got = m
				return true
			}
		}
		return false
	})
	if len(got.Attachments) != 1 || got.Attachments[0].ID != att.ID || got.Attachments[0].Name != "minutes.txt" {
		t.Fatalf("bob got the attachments %+v, want the file %s", got.Attachments, att.ID)
	}

	// bob downloads it as himself: a guest's name and key in headers.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, client.FileURL(s.WS, got.Attachments[0].URL), nil)
	req.Header.Set("X-Hubbub-Name", "bob")
	req.Header.Set("X-Hubbub-Key", "key-bob")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("bob's download: %s, %q; want 200 and %q", resp.Status, body, data)
	}
	// Session.Download does the same as the session's user; a file that is not there is the
	// server's 404, said as a DownloadError.
	var fetched bytes.Buffer
	if n, err := bob.Download(ctx, got.Attachments[0].URL, &fetched); err != nil || n != int64(len(data)) || !bytes.Equal(fetched.Bytes(), data) {
		t.Errorf("bob's Download: %d bytes, %v: %q; want %q", n, err, fetched.Bytes(), data)
	}
	var de *client.DownloadError
	if _, err := bob.Download(ctx, "/files/f_none/none.txt", io.Discard); !errors.As(err, &de) || de.Status != http.StatusNotFound {
		t.Errorf("a Download of no file: %v, want a DownloadError of status 404", err)
	}

	// Files alone, no text.
	att2, err := ann.Upload(ctx, "second.txt", strings.NewReader("two"), -1)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = ann.Post(ctx, client.Outgoing{Room: "general", Attachments: []string{att2.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); err != nil {
		t.Errorf("a message of a file alone: %v", err)
	}

	// A picture claiming more pixels than the server decodes is refused before any is.
	_, err = ann.Upload(ctx, "bomb.png", bytes.NewReader(bombPNG(t)), -1)
	var ue *client.UploadError
	if !errors.As(err, &ue) || ue.Status/100 != 4 || ue.Code != "too_large" || ue.Message == "" || strings.Contains(ue.Message, `"code"`) {
		t.Errorf("the bomb: %v (%#v), want an UploadError with a 4xx status and a message", err, ue)
	}
}

// bombPNG is a PNG whose header claims 100,000 × 100,000 pixels (40 GB decoded).
func bombPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	p := b.Bytes()
	// The IHDR chunk follows the 8-byte signature: length, "IHDR", width, height, …, CRC.
	binary.BigEndian.PutUint32(p[16:20], 100_000)
	binary.BigEndian.PutUint32(p[20:24], 100_000)
	binary.BigEndian.PutUint32(p[29:33], crc32.ChecksumIEEE(p[12:29]))
	return p
}

// A file of known size over the server's --upload-max is refused with the server's 413
// before it is sent: the session said "broken pipe" (or "connection reset"), having streamed
// the body into a connection the server had answered and closed. (UploadError's Code was
// always empty, and its Message the raw JSON: it read {"error": {…}}, which the server never
// sends.)
func TestSessionUploadTooLargeIsTheServersRefusal(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Files: files.Config{UploadMax: 1 << 20}}})
	ctx := testContext(t)
	ann, _ := joinSession(t, ctx, "ann", s.WS)
	big := bytes.Repeat([]byte("x"), 32<<20)
	_, err := ann.Upload(ctx, "big.bin", bytes.NewReader(big), int64(len(big)))
	var ue *client.UploadError
	if !errors.As(err, &ue) || ue.Status != http.StatusRequestEntityTooLarge || ue.Code != "too_large" {
		t.Errorf("a 32 MiB upload to a server taking 1 MiB: %v, want the server's 413 too_large", err)
	}
}

// A server started with uploads off (--upload-max 0) says so in its welcome, and the session
// tells it before any upload (UploadsOff) — it did not read the field, so a client learned it
// only from the refused upload. The upload is still the server's to refuse, with 403 disabled.
// The same server started again with uploads on: false after the reconnect.
func TestSessionUploadsOff(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Files: files.Config{UploadsOff: true}}})
	ctx := testContext(t)
	ann, rec := joinSession(t, ctx, "ann", s.WS)
	if !ann.UploadsOff() {
		t.Fatal("UploadsOff is false on a server with uploads off")
	}
	_, err := ann.Upload(ctx, "notes.txt", strings.NewReader("notes"), 5)
	var ue *client.UploadError
	if !errors.As(err, &ue) || ue.Status != http.StatusForbidden || ue.Code != hubbub.ECodeDisabled {
		t.Errorf("an upload to a server with uploads off: %v, want its 403 disabled", err)
	}

	s.Stop()
	opts := s.Opts
	opts.Server.Files.UploadsOff = false
	servertest.Start(t, opts)
	testwait.Until(t, "ann to reconnect", func() bool { return len(events[*client.Connected](rec)) == 2 }) // the first: Connect's
	if ann.UploadsOff() {
		t.Error("UploadsOff is still true after a reconnect to the server taking uploads")
	}
}
