package files_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hubbub"
	"hubbub/internal/auth"
	"hubbub/internal/files"
	"hubbub/internal/metrics"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// TestMain fails the package if a goroutine outlives the tests: the collector must end with
// its server.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestUploadAndDownload: a guest uploads a file as the raw body and as a form, and reads it
// back byte for byte with the headers that keep it harmless.
func TestUploadAndDownload(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	data := []byte("meeting notes: bring the cake\n")
	rep := mustUpload(t, s, guest("ann"), "../notes.txt", data)
	id := rep.str("id")
	if !strings.HasPrefix(id, "f_") || rep.str("name") != "notes.txt" || rep.str("type") != "text/plain; charset=utf-8" ||
		rep.num("size") != int64(len(data)) || rep.str("url") != "/files/"+id+"/notes.txt" || rep.str("thumb_url") != "" {
		t.Fatalf("upload reply: %v", rep)
	}
	resp, body := get(t, s, guest("ann"), rep.str("url"), nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("download: %d %q", resp.StatusCode, body)
	}
	for k, want := range map[string]string{
		"Content-Type":                 "text/plain; charset=utf-8",
		"Content-Disposition":          `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`,
		"X-Content-Type-Options":       "nosniff",
		"Content-Security-Policy":      "sandbox; default-src 'none'",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Cache-Control":                "private, no-cache",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}

	form, ct := multipartBody(t, "résumé 2026.pdf", []byte("%PDF-1.7\nnot much of a pdf"))
	r, _ := http.NewRequest("POST", s.URL+"/upload", form)
	r.Header.Set("Content-Type", ct)
	guest("ann").apply(r)
	res, _, rep := do(t, r)
	if res.StatusCode != http.StatusCreated || rep.str("name") != "résumé 2026.pdf" || rep.str("type") != "application/pdf" {
		t.Fatalf("form upload: %d %v", res.StatusCode, rep)
	}
	resp, _ = get(t, s, guest("ann"), rep.str("url"), nil)
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="r_sum_ 2026.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf` {
		t.Errorf("Content-Disposition of a UTF-8 name: %q", cd)
	}
}

// TestUploadNeedsAUser: no credentials, a keyless name, a wrong key, and a guest that never
// said hello are all 401 with a JSON error, for uploads and downloads.
func TestUploadNeedsAUser(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	file := mustUpload(t, s, guest("ann"), "a.txt", []byte("a"))
	for what, w := range map[string]who{
		"no credentials":      {},
		"a keyless name":      {name: "ann"},
		"a keyless free name": {name: "zed"},
		"a wrong key":         {name: "ann", key: "not-anns"},
		"a new guest":         {name: "newbie", key: "key-newbie"},
		"a junk cookie":       {cookies: []*http.Cookie{{Name: "hubbub_session", Value: "junk"}}},
		"a junk token":        {token: "junk"},
	} {
		status, rep := upload(t, s, w, "x.txt", []byte("x"))
		if status != http.StatusUnauthorized || rep.str("code") != "unauthorized" || rep.str("message") == "" {
			t.Errorf("upload with %s: %d %v, want 401 unauthorized", what, status, rep)
		}
		resp, body := get(t, s, w, file.str("url"), nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"unauthorized"`) {
			t.Errorf("download with %s: %d %s, want 401", what, resp.StatusCode, body)
		}
	}
	// A wrong key with a stored user's name says the key does not match that user, not that
	// the guest must say hello first (ann has).
	status, rep := upload(t, s, who{name: "ann", key: "not-anns"}, "x.txt", []byte("x"))
	if msg := rep.str("message"); status != http.StatusUnauthorized || !strings.Contains(msg, "does not match") || !strings.Contains(msg, `"ann"`) || strings.Contains(msg, "say hello") {
		t.Errorf("a wrong key of ann's name: %d %v, want 401 saying the key does not match ann", status, rep)
	}
	status, rep = upload(t, s, who{name: "newbie", key: "key-newbie"}, "x.txt", []byte("x"))
	if msg := rep.str("message"); status != http.StatusUnauthorized || !strings.Contains(msg, "say hello") {
		t.Errorf("a new guest's key: %d %v, want 401 saying to say hello first", status, rep)
	}
	// The refusals stored no guest.
	if _, found, _ := s.Store.UserByName(t.Context(), "newbie"); found {
		t.Error("an upload created a guest")
	}
}

// TestUploadWithToken: a host application's user uploads with Authorization: Bearer.
func TestUploadWithToken(t *testing.T) {
	secret := []byte("a test secret of at least 32 bytes, for HS256")
	v, err := auth.NewHMAC(secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, servertest.Options{Server: server.Config{Tokens: v}})
	tok, err := auth.Mint(secret, auth.Claims{UserID: "app-7", Name: "tess"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustUpload(t, s, who{token: tok}, "t.txt", []byte("from the app"))
	wantStatus(t, s, who{token: tok}, rep.str("url"), http.StatusOK, "the uploader's download")
	// A token server refuses guests.
	if status, _ := upload(t, s, guest("ann"), "g.txt", []byte("g")); status != http.StatusUnauthorized {
		t.Errorf("a guest's upload on a token server: %d", status)
	}
}

// TestUploadSizeLimit: one byte over --upload-max is 413 with a clear error, whether the
// client announced the length or streamed the body without one.
func TestUploadSizeLimit(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Metrics: metrics.New(), Files: files.Config{UploadMax: 1000}}})
	servertest.DialJSON(t, s, "ann")
	mustUpload(t, s, guest("ann"), "ok.bin", bytes.Repeat([]byte{7}, 1000))
	status, rep := upload(t, s, guest("ann"), "big.bin", bytes.Repeat([]byte{7}, 1001))
	if status != http.StatusRequestEntityTooLarge || rep.str("code") != "too_large" || !strings.Contains(rep.str("message"), "limit") {
		t.Errorf("an upload over the limit: %d %v", status, rep)
	}
	// Streamed (chunked): the length is known only by reading.
	r, _ := http.NewRequest("POST", s.URL+"/upload?name=big.bin", io.MultiReader(bytes.NewReader(make([]byte, 600)), bytes.NewReader(make([]byte, 600))))
	r.ContentLength = -1
	guest("ann").apply(r)
	resp, _, rep := do(t, r)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || rep.str("code") != "too_large" {
		t.Errorf("a streamed upload over the limit: %d %v", resp.StatusCode, rep)
	}
	// A form's file is held to the same limit.
	form, ct := multipartBody(t, "big.bin", make([]byte, 1001))
	r, _ = http.NewRequest("POST", s.URL+"/upload", form)
	r.Header.Set("Content-Type", ct)
	guest("ann").apply(r)
	if resp, _, rep := do(t, r); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a form over the limit: %d %v", resp.StatusCode, rep)
	}
	m := servertest.Scrape(t, s)
	if m["hubbub_uploads_total"] != 1 || m["hubbub_upload_bytes_total"] != 1000 || m[`hubbub_uploads_refused_total{reason="too_large"}`] != 3 {
		t.Errorf("metrics: uploads %v, bytes %v, refused as too large %v", m["hubbub_uploads_total"],
			m["hubbub_upload_bytes_total"], m[`hubbub_uploads_refused_total{reason="too_large"}`])
	}
}

// TestUploadQuota: a user's files may not hold more than --upload-quota; another user's
// quota is their own.
func TestUploadQuota(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Files: files.Config{UploadQuota: 5000}}})
	servertest.DialJSON(t, s, "ann")
	servertest.DialJSON(t, s, "bob")
	mustUpload(t, s, guest("ann"), "1.bin", make([]byte, 3000))
	status, rep := upload(t, s, guest("ann"), "2.bin", make([]byte, 3000))
	if status != http.StatusRequestEntityTooLarge || rep.str("code") != "limit" || !strings.Contains(rep.str("message"), "quota") {
		t.Errorf("an upload over the quota: %d %v", status, rep)
	}
	// ann's only file is in no message: the refusal says why it counts (it said only "delete
	// messages with files", and she had none).
	if msg := rep.str("message"); !strings.Contains(msg, "files uploaded but not sent count for 24 hours after their upload") {
		t.Errorf("the quota's refusal does not say that unsent uploads count: %q", msg)
	}
	mustUpload(t, s, guest("ann"), "3.bin", make([]byte, 2000))
	mustUpload(t, s, guest("bob"), "b.bin", make([]byte, 3000))
	// A file larger than the whole quota says so: deleting files would not make room.
	status, rep = upload(t, s, guest("bob"), "huge.bin", make([]byte, 6000))
	if msg := rep.str("message"); status != http.StatusRequestEntityTooLarge || !strings.Contains(msg, "larger than your whole quota") || strings.Contains(msg, "delete messages") {
		t.Errorf("a file larger than the quota: %d %q", status, msg)
	}
}

// TestTypeFromContent: the type is sniffed from the bytes, never the client's Content-Type
// (upload sends image/png for everything) nor the name: an HTML page named x.png is text/html
// and served as an attachment, in a sandbox.
func TestTypeFromContent(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	page := []byte("<!DOCTYPE html><html><body><script>fetch('/api/me')</script></body></html>")
	rep := mustUpload(t, s, guest("ann"), "x.png", page)
	if rep.str("type") != "text/html; charset=utf-8" || rep.num("width") != 0 || rep["thumb"] == true {
		t.Fatalf("an HTML page named x.png: %v", rep)
	}
	resp, body := get(t, s, guest("ann"), rep.str("url"), nil)
	if !bytes.Equal(body, page) {
		t.Fatalf("download: %q", body)
	}
	h := resp.Header
	if h.Get("Content-Type") != "text/html; charset=utf-8" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "sandbox; default-src 'none'" {
		t.Errorf("an HTML file is served with %v", h)
	}
	// Bytes that start like a PNG but are not one are a plain download.
	fake := append([]byte("\x89PNG\r\n\x1a\n"), "not really"...)
	if rep := mustUpload(t, s, guest("ann"), "fake.png", fake); rep.str("type") != "application/octet-stream" {
		t.Errorf("a fake PNG: %v", rep)
	}
}

// TestDecompressionBomb: a PNG of a few kilobytes that declares 20000×20000 pixels is refused
// from its header (422) and never decoded — the server allocates far less than the 400 MB the
// pixels would take.
func TestDecompressionBomb(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	bomb := pngBomb(t, 20000)
	if len(bomb) > 1<<20 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	status, rep := upload(t, s, guest("ann"), "bomb.png", bomb)
	runtime.ReadMemStats(&after)
	if status != http.StatusUnprocessableEntity || rep.str("code") != "too_large" || !strings.Contains(rep.str("message"), "20000×20000") {
		t.Errorf("the bomb: %d %v, want 422 too_large", status, rep)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
		t.Errorf("refusing the bomb allocated %d MB", alloc>>20)
	}
}

// TestImageStrippedAndThumbnailed: a photo with GPS EXIF is stored and served without it (the
// file on disk too), as the same picture, with a thumbnail of at most 320 pixels.
func TestImageStrippedAndThumbnailed(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	photo, _ := jpegWithMetadata(t, 800, 600)
	rep := mustUpload(t, s, guest("ann"), "IMG_0001.JPG", photo)
	id := rep.str("id")
	if rep.str("type") != "image/jpeg" || rep.num("width") != 800 || rep.num("height") != 600 || rep["thumb"] != true ||
		rep.str("thumb_url") != "/files/"+id+"/thumb" || rep.num("size") >= int64(len(photo)) {
		t.Fatalf("upload of a photo: %v", rep)
	}
	resp, body := get(t, s, guest("ann"), rep.str("url"), nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline;") || int64(len(body)) != rep.num("size") {
		t.Fatalf("download of a photo: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(body))
	}
	noSecrets(t, "the served photo", body)
	if img, _, err := image.Decode(bytes.NewReader(body)); err != nil || img.Bounds().Dx() != 800 {
		t.Errorf("the served photo does not decode to 800 wide: %v", err)
	}
	if !blobExists(t, s, id) {
		t.Fatal("no blob on disk")
	}
	resp, thumb := get(t, s, guest("ann"), rep.str("thumb_url"), nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %v", resp.StatusCode, resp.Header)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(thumb))
	if err != nil || cfg.Width != 320 || cfg.Height != 240 {
		t.Errorf("thumbnail: %v %d×%d, want 320×240", err, cfg.Width, cfg.Height)
	}

	// A transparent PNG keeps its alpha in a PNG thumbnail; its text chunks go.
	clear := image.NewNRGBA(image.Rect(0, 0, 400, 1000))
	for i := range clear.Pix {
		if i%4 == 3 {
			clear.Pix[i] = uint8(i / 4 % 200)
		}
	}
	rep = mustUpload(t, s, guest("ann"), "clear.png", pngWithMetadata(t, clear))
	_, body = get(t, s, guest("ann"), rep.str("url"), nil)
	noSecrets(t, "the served PNG", body)
	resp, thumb = get(t, s, guest("ann"), rep.str("thumb_url"), nil)
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("a transparent image's thumbnail is %s", ct)
	}
	if img, err := png.Decode(bytes.NewReader(thumb)); err != nil || img.Bounds().Dx() != 128 || img.Bounds().Dy() != 320 {
		t.Errorf("PNG thumbnail: %v", err)
	} else if _, _, _, a := img.At(60, 10).RGBA(); a == 0xffff {
		t.Error("the PNG thumbnail lost its transparency")
	}

	// A WebP no larger than a thumbnail gets none; its EXIF and XMP go.
	rep = mustUpload(t, s, guest("ann"), "small.webp", webpWithMetadata(t))
	if rep.str("type") != "image/webp" || rep.num("width") != 150 || rep["thumb"] == true || rep.str("thumb_url") != "" {
		t.Errorf("a small WebP: %v", rep)
	}
	_, body = get(t, s, guest("ann"), rep.str("url"), nil)
	noSecrets(t, "the served WebP", body)
	wantStatus(t, s, guest("ann"), "/files/"+rep.str("id")+"/thumb", http.StatusNotFound, "the thumbnail of a file without one")

	// A GIF is shown inline too.
	var gifBuf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 10, 10), []color.Color{color.Black, color.White})
	if err := gif.Encode(&gifBuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	if rep := mustUpload(t, s, guest("ann"), "dot.gif", gifBuf.Bytes()); rep.str("type") != "image/gif" || rep.num("width") != 10 {
		t.Errorf("a GIF: %v", rep)
	}
}

// TestRangeRequest: a range of a file is served as 206 with just those bytes.
func TestRangeRequest(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	data := make([]byte, 10000)
	rand.Read(data)
	rep := mustUpload(t, s, guest("ann"), "noise.bin", data)
	if rep.str("type") != "application/octet-stream" {
		t.Fatalf("noise: %v", rep)
	}
	resp, body := get(t, s, guest("ann"), rep.str("url"), http.Header{"Range": {"bytes=100-199"}})
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100:200]) ||
		resp.Header.Get("Content-Range") != "bytes 100-199/10000" {
		t.Errorf("range: %d %v, %d bytes", resp.StatusCode, resp.Header, len(body))
	}
	resp, _ = get(t, s, guest("ann"), rep.str("url"), http.Header{"If-None-Match": {resp.Header.Get("ETag")}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("a revalidation: %d, want 304", resp.StatusCode)
	}
}

// TestMethodsAndPaths: the wrong method or a malformed id gets a JSON error.
func TestMethodsAndPaths(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/upload", http.StatusMethodNotAllowed},
		{"PUT", "/files/f_x/a.txt", http.StatusMethodNotAllowed},
		{"GET", "/files/session", http.StatusMethodNotAllowed},
		{"GET", "/files/f_nope/a.txt", http.StatusNotFound},
		{"GET", "/files/" + strings.Repeat("a", 65) + "/a.txt", http.StatusNotFound},
		{"GET", "/files/..%2F..%2Fetc/passwd", http.StatusNotFound},
	} {
		r, _ := http.NewRequest(c.method, s.URL+c.path, nil)
		guest("ann").apply(r)
		resp, body, rep := do(t, r)
		if resp.StatusCode != c.want || rep.str("code") == "" {
			t.Errorf("%s %s: %d %s, want %d with a JSON error", c.method, c.path, resp.StatusCode, body, c.want)
		}
	}
}

// TestUploadWithSessionCookie: a signed-in user's session cookie is enough; a disabled user's
// cookie and key are not.
func TestUploadWithSessionCookie(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := t.Context()
	u, err := s.Store.CreateUser(ctx, hubbub.User{Name: "acc"}, "")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := base64.RawURLEncoding.EncodeToString(b)
	if err := s.Store.CreateSession(ctx, hubbub.LoginSession{ID: hubbub.SecretHash(secret), User: u.ID,
		Created: time.Now(), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	signedIn := who{cookies: []*http.Cookie{{Name: "hubbub_session", Value: secret}}}
	rep := mustUpload(t, s, signedIn, "a.txt", []byte("signed in"))
	wantStatus(t, s, signedIn, rep.str("url"), http.StatusOK, "a signed-in download")
	// The files cookie made from the session ends with it (an hour here), not a day later:
	// a signed-out or expired user's <img> requests would otherwise still be let in.
	r, _ := http.NewRequest("POST", s.URL+"/files/session", nil)
	signedIn.apply(r)
	if resp, body, rep := do(t, r); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /files/session with a session cookie: %d %s", resp.StatusCode, body)
	} else if exp, err := time.Parse(time.RFC3339Nano, rep.str("expires")); err != nil || exp.After(time.Now().Add(time.Hour)) {
		t.Errorf("the files cookie of a session ending within the hour expires %q (%v)", rep.str("expires"), err)
	}

	servertest.DialJSON(t, s, "gus")
	gus := mustUser(t, s, "gus")
	disabled := true
	for _, id := range []string{u.ID, gus} {
		if _, err := s.Store.UpdateUser(ctx, id, hubbub.UserChange{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
	}
	if status, rep := upload(t, s, signedIn, "b.txt", []byte("x")); status != http.StatusUnauthorized {
		t.Errorf("a disabled user's cookie: %d %v", status, rep)
	}
	if status, rep := upload(t, s, guest("gus"), "b.txt", []byte("x")); status != http.StatusForbidden || rep.str("code") != "forbidden" {
		t.Errorf("a disabled guest's key: %d %v", status, rep)
	}
}

// TestPhotoOrientation: a phone photo stored sideways (EXIF Orientation 6, "turn a quarter
// clockwise") keeps that one tag and loses the rest (GPS), is reported with the size it is
// shown at, and its thumbnail is upright.
func TestPhotoOrientation(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann")
	img := image.NewRGBA(image.Rect(0, 0, 400, 200)) // stored wide: red left, blue right
	for y := range 200 {
		for x := range 400 {
			c := color.RGBA{220, 0, 0, 255}
			if x >= 200 {
				c = color.RGBA{0, 0, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	// EXIF, little-endian: IFD0 with Orientation 6 and GPSInfo pointing to a GPS IFD with the secret.
	le := binary.LittleEndian
	tiff := []byte("II*\x00")
	tiff = le.AppendUint32(tiff, 8)
	tiff = le.AppendUint16(tiff, 2)
	tiff = append(tiff, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0)                          // Orientation = 6
	tiff = append(tiff, 0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0)                         // GPSInfo at 38
	tiff = le.AppendUint32(tiff, 0)                                                        // 8+2+24+4 = 38
	tiff = append(tiff, 1, 0, 0x1B, 0, 2, 0, byte(len(gpsSecret)+1), 0, 0, 0, 56, 0, 0, 0) // one ASCII tag at 56
	tiff = le.AppendUint32(tiff, 0)
	tiff = append(tiff, gpsSecret+"\x00"...)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	plain := buf.Bytes()
	photo := append(append(append([]byte{}, plain[:2]...), segment(0xE1, app1)...), plain[2:]...)

	rep := mustUpload(t, s, guest("ann"), "portrait.jpg", photo)
	if rep.num("width") != 200 || rep.num("height") != 400 {
		t.Errorf("a quarter-turned photo is reported %d×%d, want 200×400", rep.num("width"), rep.num("height"))
	}
	_, body := get(t, s, guest("ann"), rep.str("url"), nil)
	if bytes.Contains(body, []byte(gpsSecret)) {
		t.Error("the GPS data is still there")
	}
	if !bytes.Contains(body, []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06")) {
		t.Error("the orientation was not kept")
	}
	_, thumb := get(t, s, guest("ann"), rep.str("thumb_url"), nil)
	th, err := jpeg.Decode(bytes.NewReader(thumb))
	if err != nil {
		t.Fatal(err)
	}
	if b := th.Bounds(); b.Dx() != 160 || b.Dy() != 320 {
		t.Fatalf("thumbnail %v, want 160×320", b)
	}
	// Turned clockwise, the stored left (red) is the top.
	top, bottom := color.RGBAModel.Convert(th.At(80, 40)).(color.RGBA), color.RGBAModel.Convert(th.At(80, 280)).(color.RGBA)
	if top.R < 150 || top.B > 80 || bottom.B < 150 || bottom.R > 80 {
		t.Errorf("thumbnail not upright: top %v, bottom %v", top, bottom)
	}
}

// TestUploadsAtOnce: one user may stream at most UploadsPerUser uploads at once — each holds
// a temporary file of up to --upload-max, and the quota is counted only once one is stored, so
// without the limit a slow client's parallel uploads could fill the server's disk. Another
// user is not held back, and a finished upload frees its place.
func TestUploadsAtOnce(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Files: files.Config{UploadsPerUser: 2}}})
	servertest.DialJSON(t, s, "ann")
	servertest.DialJSON(t, s, "bob")
	// startSlow starts an upload of ann whose body stays open until the test closes it.
	startSlow := func(i int) streamingUpload {
		return startStreamingUpload(t, s, guest("ann"), "slow.bin", []byte("slow upload "+strconv.Itoa(i)))
	}
	slows := []streamingUpload{startSlow(0), startSlow(1)}
	testwait.Until(t, "a third upload of ann refused while two stream", func() bool {
		for i := range slows {
			select {
			case status := <-slows[i].done:
				// Refused at once (not after a drained body) because a probe below held a
				// place when its headers came: start it again.
				if status != http.StatusTooManyRequests {
					t.Fatalf("slow upload %d ended before its body did: %d", i, status)
				}
				slows[i] = startSlow(i)
			default:
			}
		}
		// A 429 here means both slow uploads were counted, so neither can be refused now.
		status, rep := upload(t, s, guest("ann"), "third.txt", []byte("third"))
		return status == http.StatusTooManyRequests && rep.str("code") == "rate_limited"
	})
	mustUpload(t, s, guest("bob"), "bob.txt", []byte("another user's upload"))
	slows[0].w.Close()
	if status := <-slows[0].done; status != http.StatusCreated {
		t.Fatalf("the first slow upload, finished: %d", status)
	}
	testwait.Until(t, "ann uploads again once one of hers finished", func() bool {
		status, _ := upload(t, s, guest("ann"), "again.txt", []byte("again"))
		return status == http.StatusCreated
	})
	slows[1].w.CloseWithError(io.ErrUnexpectedEOF)
	<-slows[1].done
}

// A refused upload is answered while its body is still coming: a client streaming a large
// file (or one that stalls) hears the 401 at once instead of after the server drained its body.
func TestRefusedUploadAnsweredBeforeItsBody(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	// A name without a key is refused; the body is less than the server would drain, and then
	// nothing more comes.
	up := startStreamingUpload(t, s, who{name: "zed"}, "big.bin", make([]byte, 64<<10))
	select {
	case status := <-up.done:
		if status != http.StatusUnauthorized {
			t.Fatalf("an upload without a key: %d, want 401", status)
		}
	case <-time.After(testwait.Timeout):
		t.Fatalf("no answer in %v to a refused upload whose body has not ended", testwait.Timeout)
	}
}

// streamingUpload is an upload whose body stays open: w sends more of it (Close ends it), and
// done gets the answer's status (0 if the request failed).
type streamingUpload struct {
	w    *io.PipeWriter
	done chan int
}

// startStreamingUpload posts name as w with a chunked body that starts with first and stays
// open until the test closes it (or ends: a failed test does not hang).
func startStreamingUpload(t *testing.T, s *servertest.Server, w who, name string, first []byte) streamingUpload {
	t.Helper()
	pr, pw := io.Pipe()
	r, _ := http.NewRequest("POST", s.URL+"/upload?name="+url.QueryEscape(name), pr)
	r.ContentLength = -1
	w.apply(r)
	done := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			done <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	// A refused upload closes the pipe's reading end, so this write may fail: done says why.
	_, _ = pw.Write(first)
	t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
	return streamingUpload{pw, done}
}

// TestWithdrawUpload: an uploader deletes an upload no message carries (DELETE on its URL, the
// composer's ✕): its bytes go at once and the quota frees up, where it counted for a day.
// Nobody else may delete it, and a file a message carries is deleted with its message only.
func TestWithdrawUpload(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Files: files.Config{UploadQuota: 5000}}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	servertest.DialJSON(t, s, "bob")
	unsent := mustUpload(t, s, guest("ann"), "unsent.bin", make([]byte, 3000))
	sent := mustUpload(t, s, guest("ann"), "sent.bin", make([]byte, 1000))
	attach(t, ann, "general", "m-1", sent.str("id"))
	del := func(w who, path string) (int, reply) {
		t.Helper()
		r, _ := http.NewRequest("DELETE", s.URL+path, nil)
		w.apply(r)
		resp, _, rep := do(t, r)
		return resp.StatusCode, rep
	}
	if status, _ := upload(t, s, guest("ann"), "more.bin", make([]byte, 2000)); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("an upload past the quota before the withdrawal: %d", status)
	}
	if status, rep := del(guest("bob"), unsent.str("url")); status != http.StatusNotFound || rep.str("code") != "not_found" {
		t.Errorf("bob's DELETE of ann's upload: %d %v, want 404", status, rep)
	}
	if status, rep := del(who{}, unsent.str("url")); status != http.StatusUnauthorized {
		t.Errorf("a DELETE without credentials: %d %v, want 401", status, rep)
	}
	if status, rep := del(guest("ann"), sent.str("url")); status != http.StatusForbidden || !strings.Contains(rep.str("message"), "delete the message") {
		t.Errorf("ann's DELETE of a file her message carries: %d %v, want 403 saying to delete the message", status, rep)
	}
	if status, rep := del(guest("ann"), unsent.str("url")); status != http.StatusNoContent {
		t.Fatalf("ann's DELETE of her unsent upload: %d %v, want 204", status, rep)
	}
	wantStatus(t, s, guest("ann"), unsent.str("url"), http.StatusNotFound, "the withdrawn upload")
	wantStatus(t, s, guest("ann"), sent.str("url"), http.StatusOK, "the sent file, after the withdrawal")
	if _, err := os.Stat(filepath.Join(files.DefaultDir(s.Opts.DataPath), unsent.str("id"))); !os.IsNotExist(err) {
		t.Errorf("the withdrawn upload's bytes are still on disk: %v", err)
	}
	if status, rep := del(guest("ann"), unsent.str("url")); status != http.StatusNotFound {
		t.Errorf("a second DELETE: %d %v, want 404", status, rep)
	}
	mustUpload(t, s, guest("ann"), "more.bin", make([]byte, 2000)) // the quota freed up at once
	// A message may not carry what was withdrawn.
	ann.Send(servertest.Frame{"type": "send", "room": "general", "id": "m-2", "text": "late", "attachments": []string{unsent.str("id")}})
	if f := ann.AwaitFunc("m-2's answer", func(f servertest.Frame) bool { return f.Str("id") == "m-2" }); f.Str("code") != "not_found" {
		t.Errorf("a message carrying the withdrawn upload: %v, want not_found", f)
	}
}
