package files_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"hubbub/internal/files"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// request sends f, which carries an id, and returns its answer: the ack or the error naming
// that id.
func request(c *servertest.JSONClient, f servertest.Frame) servertest.Frame {
	id := f["id"].(string)
	c.Send(f)
	return c.AwaitFunc(f.Type()+" "+id+" answered", func(g servertest.Frame) bool {
		return (g.Type() == "ack" || g.Type() == "error") && g.Str("id") == id
	})
}

// mustRequest sends f and fails the test unless it is acked; it returns the ack.
func mustRequest(t *testing.T, c *servertest.JSONClient, f servertest.Frame) servertest.Frame {
	t.Helper()
	a := request(c, f)
	if a.Type() != "ack" {
		t.Fatalf("%s: %v", f.Type(), a)
	}
	return a
}

// attach sends a message carrying file id to room and returns its seq.
func attach(t *testing.T, c *servertest.JSONClient, room, msgID, fileID string) uint64 {
	t.Helper()
	return mustRequest(t, c, servertest.Frame{"type": "send", "room": room, "id": msgID, "text": "see the file",
		"attachments": []string{fileID}}).Num("seq")
}

// privateRoom has ann create a private room with bob as a member.
func privateRoom(t *testing.T, ann, bob *servertest.JSONClient, room string) {
	t.Helper()
	ann.Send(servertest.Frame{"type": "create", "room": room, "private": true})
	if f := ann.AwaitFunc("room "+room, func(f servertest.Frame) bool {
		return f.Type() == "room" && f.Str("room") == room || f.Type() == "error"
	}); f.Type() != "room" {
		t.Fatalf("create %s: %v", room, f)
	}
	mustRequest(t, ann, servertest.Frame{"type": "invite", "room": room, "name": "bob", "id": "invite-" + room})
	if f := bob.Join(room, nil); f.Type() != "joined" {
		t.Fatalf("bob joins %s: %v", room, f)
	}
}

// TestDownloadPermissions: a file is for whoever may read its message's room, now — a member
// of a private room, not an outsider, and no longer a member once removed; an upload no
// message carries is its uploader's only.
func TestDownloadPermissions(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, bob, cy := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob"), servertest.DialJSON(t, s, "cy")
	_ = cy
	privateRoom(t, ann, bob, "plans")
	if f := ann.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("ann joins plans: %v", f)
	}
	photo, _ := jpegWithMetadata(t, 640, 480)
	file := mustUpload(t, s, guest("ann"), "plan.jpg", photo)
	url, thumb := file.str("url"), file.str("thumb_url")

	wantStatus(t, s, guest("bob"), url, http.StatusNotFound, "another's upload no message carries")
	wantStatus(t, s, guest("ann"), url, http.StatusOK, "the uploader's own upload")

	attach(t, ann, "plans", "m-1", file.str("id"))
	msg := bob.Messages("plans", 1)[0]
	atts, _ := msg["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("bob's message carries %v", msg["attachments"])
	}
	if a, _ := atts[0].(map[string]any); a["url"] != url || a["thumb_url"] != thumb {
		t.Errorf("the message's attachment %v, want url %s and thumb_url %s", a, url, thumb)
	}
	wantStatus(t, s, guest("bob"), url, http.StatusOK, "a member")
	wantStatus(t, s, guest("bob"), thumb, http.StatusOK, "a member's thumbnail")
	body := wantStatus(t, s, guest("cy"), url, http.StatusForbidden, "an outsider of the private room")
	if !strings.Contains(string(body), `"forbidden"`) || strings.Contains(string(body), "plans") {
		t.Errorf("an outsider's refusal: %s; want forbidden, without the room's name (a link is not a way to learn it)", body)
	}
	wantStatus(t, s, guest("cy"), thumb, http.StatusForbidden, "an outsider's thumbnail")

	// Another's file cannot be attached (ids are not a way to take a file).
	if a := request(bob, servertest.Frame{"type": "send", "room": "plans", "id": "steal", "text": "mine", "attachments": []string{file.str("id")}}); a.Type() != "error" {
		t.Errorf("bob attached ann's file: %v", a)
	}

	mustRequest(t, ann, servertest.Frame{"type": "remove", "room": "plans", "name": "bob", "id": "r-1"})
	wantStatus(t, s, guest("bob"), url, http.StatusForbidden, "a member removed from the room")

	// A public room's file is for anyone who may read it.
	ann.Join("lobby", nil)
	pub := mustUpload(t, s, guest("ann"), "public.txt", []byte("for everyone"))
	attach(t, ann, "lobby", "m-2", pub.str("id"))
	wantStatus(t, s, guest("cy"), pub.str("url"), http.StatusOK, "a public room's file")
}

// TestLeavingMemberLosesAccess: a member who leaves (parts) a private room reads its files no
// more.
func TestLeavingMemberLosesAccess(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, bob := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob")
	privateRoom(t, ann, bob, "plans")
	ann.Join("plans", nil)
	file := mustUpload(t, s, guest("ann"), "a.txt", []byte("secret plan"))
	attach(t, ann, "plans", "m-1", file.str("id"))
	wantStatus(t, s, guest("bob"), file.str("url"), http.StatusOK, "a member")
	mustRequest(t, bob, servertest.Frame{"type": "part", "room": "plans", "id": "p-1"})
	wantStatus(t, s, guest("bob"), file.str("url"), http.StatusForbidden, "a member who left")
}

// TestBannedMemberLosesAccess: a member banned from a private room stays its member (only a
// remove ends that) but reads its files no more, those sent before the ban or after, until the
// ban is lifted; they were served to her, who might not even join the room.
func TestBannedMemberLosesAccess(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, bob := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob")
	privateRoom(t, ann, bob, "plans")
	ann.Join("plans", nil)
	before := mustUpload(t, s, guest("ann"), "a.txt", []byte("secret plan"))
	attach(t, ann, "plans", "m-1", before.str("id"))
	wantStatus(t, s, guest("bob"), before.str("url"), http.StatusOK, "a member")

	ann.Send(servertest.Frame{"type": "ban", "room": "plans", "name": "bob", "duration": "1h"})
	if f := ann.AwaitFunc("the ban", func(f servertest.Frame) bool { return f.Type() == "moderated" || f.Type() == "error" }); f.Type() != "moderated" {
		t.Fatalf("ann bans bob: %v", f)
	}
	after := mustUpload(t, s, guest("ann"), "b.txt", []byte("the plan since"))
	attach(t, ann, "plans", "m-2", after.str("id"))
	for _, f := range []reply{before, after} {
		body := wantStatus(t, s, guest("bob"), f.str("url"), http.StatusForbidden, "a member banned from the room")
		if !strings.Contains(string(body), `"banned"`) {
			t.Errorf("a banned member's refusal: %s", body)
		}
	}

	ann.Send(servertest.Frame{"type": "unban", "room": "plans", "name": "bob"})
	if f := ann.AwaitFunc("the unban", func(f servertest.Frame) bool { return f.Type() == "moderated" || f.Type() == "error" }); f.Type() != "moderated" {
		t.Fatalf("ann lifts bob's ban: %v", f)
	}
	wantStatus(t, s, guest("bob"), after.str("url"), http.StatusOK, "a member whose ban was lifted")
}

// TestDeletedMessageFile: a deleted message's file is gone at once (404), and its bytes once
// the collector has run.
func TestDeletedMessageFile(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("lobby", nil)
	photo, _ := jpegWithMetadata(t, 500, 500)
	file := mustUpload(t, s, guest("ann"), "p.jpg", photo)
	id := file.str("id")
	seq := attach(t, ann, "lobby", "m-1", id)
	wantStatus(t, s, guest("ann"), file.str("url"), http.StatusOK, "before the delete")
	mustRequest(t, ann, servertest.Frame{"type": "delete", "room": "lobby", "seq": seq, "id": "d-1"})
	wantStatus(t, s, guest("ann"), file.str("url"), http.StatusNotFound, "after the delete")
	wantStatus(t, s, guest("ann"), file.str("thumb_url"), http.StatusNotFound, "the thumbnail after the delete")
	if !blobExists(t, s, id) || !blobExists(t, s, id+".thumb") {
		t.Fatal("the blobs went before the collector ran")
	}
	n, err := s.Srv.Files().CollectOnce(t.Context(), time.Now())
	if err != nil || n != 1 {
		t.Fatalf("CollectOnce: %d, %v; want 1", n, err)
	}
	if blobExists(t, s, id) || blobExists(t, s, id+".thumb") {
		t.Error("the collector left the blobs of a deleted message's file")
	}
	if _, found, err := s.Store.File(t.Context(), id); err != nil || found {
		t.Errorf("the collector left the file's row: %v %v", found, err)
	}
}

// TestOrphanCollected: an upload no message carries stays for the grace period, then goes,
// bytes, thumbnail and row, and frees its uploader's quota.
func TestOrphanCollected(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	photo, _ := jpegWithMetadata(t, 500, 500)
	file := mustUpload(t, s, guest("ann"), "p.jpg", photo)
	id := file.str("id")
	c := s.Srv.Files()
	if n, err := c.CollectOnce(t.Context(), time.Now()); err != nil || n != 0 {
		t.Fatalf("a collection within the grace: %d, %v", n, err)
	}
	wantStatus(t, s, guest("ann"), file.str("url"), http.StatusOK, "within the grace")
	if n, err := c.CollectOnce(t.Context(), time.Now().Add(25*time.Hour)); err != nil || n != 1 {
		t.Fatalf("a collection after the grace: %d, %v; want 1", n, err)
	}
	if blobExists(t, s, id) || blobExists(t, s, id+".thumb") {
		t.Error("the orphan's blobs are still there")
	}
	wantStatus(t, s, guest("ann"), file.str("url"), http.StatusNotFound, "after the collection")
	ann := mustUser(t, s, "ann")
	if used, err := s.Store.FileUsage(t.Context(), ann); err != nil || used != 0 {
		t.Errorf("ann's usage after the collection: %d, %v", used, err)
	}
}

// TestFilesSession: POST /files/session turns a guest's headers into an HttpOnly cookie for
// /files/ only, which downloads accept (what an <img> sends).
func TestFilesSession(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	file := mustUpload(t, s, guest("ann"), "a.txt", []byte("by cookie"))
	r, _ := http.NewRequest("POST", s.URL+"/files/session", nil)
	guest("ann").apply(r)
	resp, body, rep := do(t, r)
	if resp.StatusCode != http.StatusOK || rep.str("expires") == "" {
		t.Fatalf("POST /files/session: %d %s", resp.StatusCode, body)
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "hubbub_files" {
			ck = c
		}
	}
	if ck == nil || ck.Path != "/files/" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge <= 0 || ck.MaxAge > 24*3600 {
		t.Fatalf("the files cookie: %+v", ck)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.URL)
	jar.SetCookies(u, resp.Cookies())
	client := &http.Client{Jar: jar}
	got, err := client.Get(s.URL + file.str("url"))
	if err != nil {
		t.Fatal(err)
	}
	got.Body.Close()
	if got.StatusCode != http.StatusOK {
		t.Errorf("a download with the files cookie: %d", got.StatusCode)
	}
	// The jar sends the cookie to /files/ only.
	if cs := jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/api/me"}); len(cs) != 0 {
		t.Errorf("the files cookie goes to /api/me: %v", cs)
	}
	// Without credentials there is no cookie.
	r, _ = http.NewRequest("POST", s.URL+"/files/session", nil)
	if resp, _, _ := do(t, r); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /files/session without credentials: %d", resp.StatusCode)
	}
	// A page of another origin may not make one.
	r, _ = http.NewRequest("POST", s.URL+"/files/session", nil)
	r.Header.Set("Origin", "https://evil.example")
	guest("ann").apply(r)
	if resp, _, _ := do(t, r); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /files/session from another origin: %d", resp.StatusCode)
	}
}

// TestCollectorRuns: the server's collector deletes, on its own, a deleted message's file and
// an upload past its grace, and stops with the server (goleak, TestMain).
func TestCollectorRuns(t *testing.T) {
	// The grace is long enough for the kept file to be attached first even on a busy machine
	// (an upload the collector takes while a message attaches it is lost: see collector.go).
	s := servertest.Start(t, servertest.Options{Server: server.Config{Files: files.Config{
		CollectEvery: 20 * time.Millisecond, UploadGrace: 2 * time.Second}}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("lobby", nil)
	kept := mustUpload(t, s, guest("ann"), "kept.txt", []byte("sent"))
	attach(t, ann, "lobby", "m-1", kept.str("id"))
	orphan := mustUpload(t, s, guest("ann"), "orphan.txt", []byte("never sent"))
	deleted := mustUpload(t, s, guest("ann"), "deleted.txt", []byte("sent, then deleted"))
	seq := attach(t, ann, "lobby", "m-2", deleted.str("id"))
	mustRequest(t, ann, servertest.Frame{"type": "delete", "room": "lobby", "seq": seq, "id": "d-2"})
	testwait.Until(t, "the collector to delete the orphan and the deleted message's file", func() bool {
		return !blobExists(t, s, orphan.str("id")) && !blobExists(t, s, deleted.str("id"))
	})
	if !blobExists(t, s, kept.str("id")) {
		t.Error("the collector deleted a file a message carries")
	}
	wantStatus(t, s, guest("ann"), kept.str("url"), http.StatusOK, "a sent file after collections")
}

// TestFilesURL: with another origin for /files/, uploads and messages link there, and a page
// of the chat's origin may make the files cookie there (CORS with credentials).
func TestFilesURL(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{FilesURL: "https://files.example.com",
		AllowedOrigins: []string{"https://chat.example.com"}}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("lobby", nil)
	rep := mustUpload(t, s, guest("ann"), "a.txt", []byte("elsewhere"))
	want := "https://files.example.com/files/" + rep.str("id") + "/a.txt"
	if rep.str("url") != want {
		t.Fatalf("url %q, want %q", rep.str("url"), want)
	}
	attach(t, ann, "lobby", "m-1", rep.str("id"))
	msg := ann.Messages("lobby", 1)[0]
	if atts, _ := msg["attachments"].([]any); len(atts) != 1 || atts[0].(map[string]any)["url"] != want {
		t.Errorf("the message's attachments: %v", msg["attachments"])
	}
	// The preflight, then the request, of the chat page.
	r, _ := http.NewRequest("OPTIONS", s.URL+"/files/session", nil)
	r.Header.Set("Origin", "https://chat.example.com")
	r.Header.Set("Access-Control-Request-Method", "POST")
	resp, _, _ := do(t, r)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://chat.example.com" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-Hubbub-Key") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	r, _ = http.NewRequest("POST", s.URL+"/files/session", nil)
	r.Header.Set("Origin", "https://chat.example.com")
	guest("ann").apply(r)
	resp, body, _ := do(t, r)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "https://chat.example.com" {
		t.Errorf("POST /files/session from the chat's origin: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// The chat page takes back an upload it did not send, on the files origin: the preflight
	// of the DELETE is answered, then the DELETE.
	unsent := mustUpload(t, s, guest("ann"), "b.txt", []byte("second thoughts"))
	path := "/files/" + unsent.str("id") + "/b.txt"
	r, _ = http.NewRequest("OPTIONS", s.URL+path, nil)
	r.Header.Set("Origin", "https://chat.example.com")
	r.Header.Set("Access-Control-Request-Method", "DELETE")
	resp, _, _ = do(t, r)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://chat.example.com" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "DELETE") {
		t.Errorf("the DELETE's preflight: %d %v", resp.StatusCode, resp.Header)
	}
	r, _ = http.NewRequest("DELETE", s.URL+path, nil)
	r.Header.Set("Origin", "https://chat.example.com")
	guest("ann").apply(r)
	if resp, body, _ := do(t, r); resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://chat.example.com" {
		t.Errorf("DELETE from the chat's origin: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// Another origin may not.
	r, _ = http.NewRequest("DELETE", s.URL+path, nil)
	r.Header.Set("Origin", "https://evil.example")
	guest("ann").apply(r)
	if resp, _, _ := do(t, r); resp.StatusCode != http.StatusForbidden {
		t.Errorf("DELETE from another origin: %d, want 403", resp.StatusCode)
	}
}

// TestReadinessFollowsTheFilesFolder: /readyz fails while the files folder is gone.
func TestReadinessFollowsTheFilesFolder(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	if status, body := s.Get("/readyz"); status != http.StatusOK {
		t.Fatalf("readyz: %d %s", status, body)
	}
	dir := files.DefaultDir(s.Opts.DataPath)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if status, body := s.Get("/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "files") {
		t.Errorf("readyz without the files folder: %d %s", status, body)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if status, _ := s.Get("/readyz"); status != http.StatusOK {
		t.Errorf("readyz with the folder back: %d", status)
	}
}

// A /files/ path that names no file the way /files/{id}/{name} does is a JSON 404, as every
// other refusal of the files endpoints is (docs/api.md, Files): it was the mux's plain-text
// "404 page not found".
func TestFilesPathWithoutAFileIsJSON404(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := guest("ann")
	servertest.DialJSON(t, s, "ann")
	for _, path := range []string{"/files/", "/files/f_x", "/files/f_x/a/b"} {
		resp, body := get(t, s, ann, path, nil)
		var r reply
		_ = json.Unmarshal(body, &r)
		if resp.StatusCode != http.StatusNotFound || r.str("code") != "not_found" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s: %d %s %q, want a JSON 404 not_found", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}

// TestDownloadOfADMsFileByAnOutsider: a DM's file is refused to whoever is not in the DM,
// saying so without the DM's room name, an internal id (dm. and a hash of its people).
func TestDownloadOfADMsFileByAnOutsider(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _, _ := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob"), servertest.DialJSON(t, s, "cy")
	ann.Send(servertest.Frame{"type": "dm", "names": []string{"bob"}, "id": "dm-1"})
	dm := ann.AwaitFunc("the DM", func(f servertest.Frame) bool { return f.Type() == "room" || f.Type() == "error" })
	room := dm.Str("room")
	if dm.Type() != "room" || !strings.HasPrefix(room, "dm.") {
		t.Fatalf("the DM: %v", dm)
	}
	if f := ann.Join(room, nil); f.Type() != "joined" {
		t.Fatalf("ann joins the DM: %v", f)
	}
	file := mustUpload(t, s, guest("ann"), "note.txt", []byte("between us"))
	attach(t, ann, room, "m-1", file.str("id"))
	wantStatus(t, s, guest("bob"), file.str("url"), http.StatusOK, "the other person of the DM")
	body := wantStatus(t, s, guest("cy"), file.str("url"), http.StatusForbidden, "an outsider of the DM")
	if !strings.Contains(string(body), `"forbidden"`) || !strings.Contains(string(body), "direct conversation") || strings.Contains(string(body), "dm.") {
		t.Errorf("an outsider's refusal: %s, want forbidden saying it is a direct conversation, without its room name", body)
	}
}
