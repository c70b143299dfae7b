package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"hubbub/internal/servertest"
	"hubbub/internal/session"
)

// --upload-max 0 turns uploads off: it once meant the default, 25 MiB, so an operator who
// wrote 0 for "no uploads" got uploads of 25 MiB without a word. Every upload is now refused
// with 403 disabled, saying so, and nothing is stored: no file in the folder, no upload
// counted.
func TestServeUploadsOff(t *testing.T) {
	data := filepath.Join(t.TempDir(), "h.db")
	addr := serveForTest(t, "--data", data, "--upload-max", "0")

	ws := servertest.Dial(t, "ws://"+addr+"/ws", "hubbub.v1", nil)
	defer ws.Close()
	ann := servertest.NewJSONClient(t, ws)
	ann.Send(servertest.Frame{"type": "hello", "name": "ann", "key": "key-ann"})
	// Said before anyone picks a file: the page disables its attach button on it.
	if w := ann.Await("welcome"); w["uploads_off"] != true {
		t.Errorf("welcome with --upload-max 0: %v, want uploads_off true", w)
	}

	for _, ct := range []string{"", "multipart/form-data; boundary=x"} {
		body := "a small file"
		if ct != "" {
			body = "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n\r\na small file\r\n--x--\r\n"
		}
		r, _ := http.NewRequest("POST", "http://"+addr+"/upload?name=notes.txt", strings.NewReader(body))
		r.Header.Set(session.NameHeader, "ann")
		r.Header.Set(session.KeyHeader, "key-ann")
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Code, Message string }
		_ = json.Unmarshal(answer, &e)
		if resp.StatusCode != http.StatusForbidden || e.Code != "disabled" || !strings.Contains(e.Message, "--upload-max 0") {
			t.Errorf("upload %q with --upload-max 0: %d %s, want 403 disabled naming --upload-max 0", ct, resp.StatusCode, answer)
		}
	}
	if m, _ := filepath.Glob(data + ".files/*"); len(m) > 0 {
		t.Errorf("uploads are off, yet the folder holds %v", m)
	}
	_, metrics := getStatus(t, "http://"+addr+"/metrics")
	if !strings.Contains(metrics, `hubbub_uploads_refused_total{reason="disabled"} 2`) || !strings.Contains(metrics, "\nhubbub_uploads_total 0\n") {
		t.Errorf("metrics: want 2 uploads refused as disabled and none stored:\n%s", grepLines(metrics, "hubbub_upload"))
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
