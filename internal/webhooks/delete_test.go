package webhooks

import (
	"context"
	"testing"

	"hubbub"
	"hubbub/internal/testwait"
)

// A delete event says whose message went — its sender's user id and name (the name it was
// sent under) — beside who deleted it, and not what it said: a moderation log that follows
// delete alone learns that mod deleted bob's message, not its text. Before, the event was
// {"seq":1,"from":"mod"}, and the log could not say whose message it was.
func TestDeleteEventNamesTheAuthorWithoutTheText(t *testing.T) {
	s, ob := openStore(t)
	r := newReceiver(t, nil)
	createHook(t, ob, r, Spec{Rooms: []string{"*"}, Events: []hubbub.HookEvent{hubbub.HookDelete}})
	ctx := context.Background()
	m, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "general", From: "bob", User: "u_bob", Text: "something regrettable"})
	if err != nil {
		t.Fatal(err)
	}
	d, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "general", From: "mod", User: "u_mod", Kind: hubbub.KindDelete, Target: m.Seq, Moderator: true})
	if err != nil {
		t.Fatal(err)
	}
	runDispatcher(t, Config{}, ob, true)
	testwait.UntilCount(t, "the delete event", r.count, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.bodies[d.ID]
	data, _ := b.Data.(map[string]any)
	if b.Kind != hubbub.HookDelete || data["seq"] != float64(m.Seq) || data["from"] != "mod" ||
		data["author"] != "u_bob" || data["author_name"] != "bob" {
		t.Errorf("the delete event: %+v, want message %d of u_bob (bob), deleted by mod", b, m.Seq)
	}
	if _, ok := data["text"]; ok {
		t.Errorf("the delete event carries a text: %v", data)
	}
}
