package servertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
)

// Roles returns a server.Config.RoleFor that makes the given names moderators (and "admin",
// if listed, an admin), so tests can moderate before tokens carry roles.
func Roles(moderators ...string) func(name, key string) string {
	return func(name, _ string) string {
		switch {
		case name == "admin" && slices.Contains(moderators, name):
			return "admin"
		case slices.Contains(moderators, name):
			return "moderator"
		}
		return ""
	}
}

// API calls the server API: method on path (under the server's URL) with the bearer key (none
// if empty) and body (JSON-encoded unless it is a string or nil). It returns the status and the
// decoded JSON answer (nil if the answer is not a JSON object).
func (s *Server) API(method, path, key string, body any) (int, Frame) {
	s.tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.tb.Fatalf("api: encode body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.tb.Fatalf("api: %v", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.tb.Fatalf("api: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var f Frame
	if json.Unmarshal(data, &f) != nil {
		f = nil
	}
	return resp.StatusCode, f
}
