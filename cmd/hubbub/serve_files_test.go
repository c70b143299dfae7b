package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"hubbub/internal/natstest"
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

// A node that shares rooms over NATS but keeps files in a folder of its own starts, and says at
// once that the other nodes will answer 404 for its uploads and which flags fix it; a lone
// node, or one with uploads off, says nothing of it.
func TestServeWarnsOfFilesNotShared(t *testing.T) {
	ns := natstest.Start(t)
	const warning = "files are kept in a local folder while rooms are shared over NATS"
	for _, tc := range []struct {
		name string
		args []string
		warn bool
	}{
		{"nats and a folder", []string{"--nats", ns.ClientURL(), "--node", "n1"}, true},
		{"one node", nil, false},
		{"nats, uploads off", []string{"--nats", ns.ClientURL(), "--node", "n2", "--upload-max", "0"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "h.db")
			_, stop, logs := startServeLogged(t, append([]string{"--data", data}, tc.args...)...)
			out := logs() // the warning is logged before the server listens
			if err := stop(); err != nil {
				t.Errorf("serve: %v", err)
			}
			if got := strings.Contains(out, warning); got != tc.warn {
				t.Fatalf("warned %v, want %v; logs:\n%s", got, tc.warn, out)
			}
			if tc.warn && (!strings.Contains(out, "--files-s3-endpoint") || !strings.Contains(out, data+".files")) {
				t.Errorf("the warning names neither the fix nor the folder:\n%s", grepLines(out, warning))
			}
		})
	}
}
