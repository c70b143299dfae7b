package api_test

import (
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
)

// A backend publishes a message with a user's files: members get it with the files, the
// answer and history carry them, and only that user's unattached files may go.
func TestAPIAttachments(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	bob := servertest.DialJSON(t, s, "bob")
	for _, f := range []hubbub.File{
		{Attachment: hubbub.Attachment{ID: "f_a", Name: "plan.pdf", Type: "application/pdf", Size: 10}, User: ann.User, Bytes: 10},
		{Attachment: hubbub.Attachment{ID: "f_b", Name: "b.png", Type: "image/png", Size: 5, Width: 2, Height: 1, Thumb: true}, User: bob.User, Bytes: 9},
	} {
		if _, err := s.Store.CreateFile(t.Context(), f, 0); err != nil {
			t.Fatal(err)
		}
	}
	const path = "/api/rooms/general/messages"
	checkCases(t, s, []apiCase{
		{"POST", path, map[string]any{"from": "ann", "text": "x", "attachments": []string{"f_b"}}, 404, "not_found"},
		{"POST", path, map[string]any{"from": "ann", "text": "x", "attachments": []string{"f_nope"}}, 404, "not_found"},
		{"POST", path, map[string]any{"from": "ann", "text": "x", "attachments": []string{"f_a", "f_a"}}, 400, "bad_field"},
		{"POST", path, map[string]any{"from": "ann", "text": "x", "attachments": make([]string, hubbub.MaxAttachments+1)}, 409, "limit"},
		{"POST", path, map[string]any{"from": "ann", "text": " "}, 400, "empty"},
	})
	status, body := s.API("POST", path, apiKey, map[string]any{"from": "ann", "attachments": []string{"f_a"}, "id": "p1"})
	msg, _ := body["message"].(map[string]any)
	if status != 201 || len(items(msg, "attachments")) != 1 {
		t.Fatalf("publish of a file: %d %v", status, body)
	}
	if a := items(msg, "attachments")[0]; a.Str("id") != "f_a" || a.Str("name") != "plan.pdf" || a.Str("url") != "/files/f_a/plan.pdf" ||
		a.Num("size") != 10 || a["thumb_url"] != nil {
		t.Errorf("the answer's attachment: %v", a)
	}
	live := ann.AwaitFunc("message", func(f servertest.Frame) bool { return f.Type() == "message" })
	if len(items(live, "attachments")) != 1 {
		t.Errorf("a member got %v", live)
	}
	status, page := s.API("GET", path, apiKey, nil)
	msgs := items(page, "messages")
	if status != 200 || len(msgs) != 1 || items(msgs[0], "attachments")[0].Str("id") != "f_a" {
		t.Errorf("history: %d %v", status, page)
	}
	if status, one := s.API("GET", path+"/1", apiKey, nil); status != 200 || len(items(one, "attachments")) != 1 {
		t.Errorf("one message: %d %v", status, one)
	}
}
