package files_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"hubbub/internal/files"
	"hubbub/internal/servertest"
	"hubbub/internal/session"
)

// who is a request's credentials: a guest's name and key, a token, or cookies.
type who struct {
	name, key, token string
	cookies          []*http.Cookie
}

// guest is the guest a servertest.DialJSON client named name said hello as.
func guest(name string) who { return who{name: name, key: "key-" + name} }

func (w who) apply(r *http.Request) {
	if w.name != "" {
		r.Header.Set(session.NameHeader, url.PathEscape(w.name))
	}
	if w.key != "" {
		r.Header.Set(session.KeyHeader, w.key)
	}
	if w.token != "" {
		r.Header.Set("Authorization", "Bearer "+w.token)
	}
	for _, c := range w.cookies {
		r.AddCookie(c)
	}
}

// reply is a decoded JSON answer.
type reply map[string]any

func (r reply) str(k string) string { s, _ := r[k].(string); return s }
func (r reply) num(k string) int64  { n, _ := r[k].(float64); return int64(n) }

// do sends a request and returns the response (body read into body) and the decoded JSON.
func do(t *testing.T, r *http.Request) (*http.Response, []byte, reply) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", r.Method, r.URL, err)
	}
	var rep reply
	_ = json.Unmarshal(body, &rep)
	return resp, body, rep
}

// upload posts data as the raw body, named name, as w.
func upload(t *testing.T, s *servertest.Server, w who, name string, data []byte) (int, reply) {
	t.Helper()
	r, _ := http.NewRequest("POST", s.URL+"/upload?name="+url.QueryEscape(name), bytes.NewReader(data))
	r.Header.Set("Content-Type", "image/png") // a lie the server must not believe
	w.apply(r)
	resp, _, rep := do(t, r)
	return resp.StatusCode, rep
}

// mustUpload uploads and fails the test unless it is stored (201).
func mustUpload(t *testing.T, s *servertest.Server, w who, name string, data []byte) reply {
	t.Helper()
	status, rep := upload(t, s, w, name, data)
	if status != http.StatusCreated {
		t.Fatalf("upload of %s: %d %v", name, status, rep)
	}
	return rep
}

// get fetches path (a file's url or thumb_url) as w, with extra headers.
func get(t *testing.T, s *servertest.Server, w who, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	r, _ := http.NewRequest("GET", s.URL+path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w.apply(r)
	resp, body, _ := do(t, r)
	return resp, body
}

// wantStatus fetches path as w and fails unless the status is want.
func wantStatus(t *testing.T, s *servertest.Server, w who, path string, want int, what string) []byte {
	t.Helper()
	resp, body := get(t, s, w, path, nil)
	if resp.StatusCode != want {
		t.Fatalf("%s: GET %s: %d %s, want %d", what, path, resp.StatusCode, body, want)
	}
	return body
}

// blobExists reports whether the server's files folder holds key.
func blobExists(t *testing.T, s *servertest.Server, key string) bool {
	_, err := os.Stat(filepath.Join(files.DefaultDir(s.Opts.DataPath), key))
	return err == nil
}

// multipartBody is a form with a text field and one file part.
func multipartBody(t *testing.T, filename string, data []byte) (*bytes.Buffer, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("note", "a field before the file")
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return &b, mw.FormDataContentType()
}

// mustUser is the id of the user named name.
func mustUser(t *testing.T, s *servertest.Server, name string) string {
	t.Helper()
	u, found, err := s.Store.UserByName(t.Context(), name)
	if err != nil || !found {
		t.Fatalf("user %s: %v %v", name, found, err)
	}
	return u.ID
}
