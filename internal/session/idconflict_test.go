package session_test

import (
	"slices"
	"strings"
	"testing"

	"hubbub/internal/servertest"
)

// An idempotency id names one request of its user in a room (docs/protocol.md, The room log):
// the same request again is answered as the first (duplicate), but the id on another request —
// another kind, another message, another emoji, another member — is refused with conflict and
// nothing is done. Answered as a duplicate, that request's client took it for done: an edit
// carrying a send's id was acked with the message's seq and the text never changed, a delete
// carrying it was acked (and "moderated") and the message stayed.

// wantConflict fails t unless f is the conflict error answering the request typ with id, and
// says which request spent the id (its seq).
func wantConflict(t *testing.T, what string, f servertest.Frame, typ, id, spentOn string) {
	t.Helper()
	if f.Type() != "error" || f.Str("code") != "conflict" || f.Str("request") != typ || f.Str("id") != id {
		t.Fatalf("%s: got %v, want error conflict answering %s %s", what, f, typ, id)
	}
	if msg := f.Str("message"); !strings.Contains(msg, id) || !strings.Contains(msg, spentOn) || !strings.Contains(msg, "new id") {
		t.Errorf("%s: message %q does not name the id, what it was spent on (%q) and what to do", what, msg, spentOn)
	}
}

// wantDuplicate fails t unless f is the ack of a resend: the first outcome, seq and target.
func wantDuplicate(t *testing.T, what string, f servertest.Frame, seq, target uint64) {
	t.Helper()
	if f.Type() != "ack" || f.Num("seq") != seq || f.Num("target") != target || f["duplicate"] != true {
		t.Fatalf("%s: got %v, want duplicate ack seq %d target %d", what, f, seq, target)
	}
}

func TestReusedIDOnAnotherRequestIsConflict(t *testing.T) {
	onEveryStore(t, func(t *testing.T, opts servertest.Options) {
		opts.Server.SendRate, opts.Server.SendBurst = 1e6, 1e6
		s := servertest.Start(t, opts)
		ann := servertest.DialJSON(t, s, "ann")
		ann.Join("r", nil)

		wantAck(t, "send x", ann.Say("r", "x", "hello"), 1, 0)
		wantAck(t, "edit y of 1", edit(ann, "r", 1, "y", "hello, edited"), 2, 1)
		wantAck(t, "send m2", ann.Say("r", "m2", "second"), 3, 0)
		wantAck(t, "react r1 👍 on 1", react(ann, "r", 1, "r1", "👍"), 4, 1)

		// A send's id on an edit, a delete, a reaction and a topic.
		wantConflict(t, "edit of 1 with the send's id", edit(ann, "r", 1, "x", "changed?"), "edit", "x", "message 1")
		wantConflict(t, "delete of 3 with a send's id", del(ann, "r", 3, "x"), "delete", "x", "message 1")
		wantConflict(t, "delete of 1 with its own send's id", del(ann, "r", 1, "x"), "delete", "x", "message 1")
		wantConflict(t, "react with the send's id", react(ann, "r", 1, "x", "🎉"), "react", "x", "message 1")
		wantConflict(t, "topic with the send's id",
			request(ann, servertest.Frame{"type": "topic", "room": "r", "topic": "new", "id": "x"}), "topic", "x", "message 1")
		// An edit's id on an edit of another message, and on a send.
		wantConflict(t, "edit of 3 with the edit of 1's id", edit(ann, "r", 3, "y", "second, edited"), "edit", "y", "seq 2")
		wantConflict(t, "send with an edit's id", ann.Say("r", "y", "a new message"), "send", "y", "seq 2")
		// A reaction's id on another emoji, and on another message.
		wantConflict(t, "react 🎉 with the 👍's id", react(ann, "r", 1, "r1", "🎉"), "react", "r1", "seq 4")
		wantConflict(t, "react on 3 with the reaction on 1's id", react(ann, "r", 3, "r1", "👍"), "react", "r1", "seq 4")

		// The same requests again are still the first outcomes, not conflicts.
		wantDuplicate(t, "send x again", ann.Say("r", "x", "hello"), 1, 0)
		wantDuplicate(t, "edit y of 1 again", edit(ann, "r", 1, "y", "hello, edited"), 2, 1)
		wantDuplicate(t, "react r1 👍 on 1 again", react(ann, "r", 1, "r1", "👍"), 4, 1)
		wantAck(t, "delete d of 3", del(ann, "r", 3, "d"), 5, 3)
		wantDuplicate(t, "delete d of 3 again", del(ann, "r", 3, "d"), 5, 3)
		// A delete of a deleted message under another id answers the delete that made it.
		wantDuplicate(t, "delete d2 of 3", del(ann, "r", 3, "d2"), 5, 3)

		// Nothing the conflicts asked for was done, and none took a seq: the next entry is 6,
		// message 1 reads as its one edit left it, with one reaction, and the topic is unset.
		wantAck(t, "send z", ann.Say("r", "z", "third"), 6, 0)
		_, msgs := historyOf(ann, "r", nil)
		if len(msgs) != 3 {
			t.Fatalf("history holds %d messages, want 3: %v", len(msgs), msgs)
		}
		if m := msgs[0]; m.Str("text") != "hello, edited" || m["deleted"] == true || len(m["reactions"].([]any)) != 1 {
			t.Errorf("message 1 is %v, want its edit's text and one reaction", m)
		}
		if m := msgs[1]; m.Num("seq") != 3 || m["deleted"] != true {
			t.Errorf("message 3 is %v, want deleted by d", m)
		}
	})
}

// The same for the conversation frames that carry an id: an invitation's id on an invitation of
// someone else, a removal or a role change is refused, and nobody is invited, removed or
// promoted by it.
func TestReusedIDOnAnotherMemberChangeIsConflict(t *testing.T) {
	onEveryStore(t, func(t *testing.T, opts servertest.Options) {
		opts.Server.SendRate, opts.Server.SendBurst = 1e6, 1e6
		s := servertest.Start(t, opts)
		ann, _ := dial(t, s, "ann")
		dial(t, s, "bob")
		dial(t, s, "carol")
		create(t, ann, "plans", true)

		invite := servertest.Frame{"type": "invite", "room": "plans", "name": "bob", "id": "i1"}
		first := request(ann, invite)
		if first.Type() != "ack" || first["duplicate"] != false {
			t.Fatalf("invite bob: %v", first)
		}
		wantDuplicate(t, "invite bob again", request(ann, invite), first.Num("seq"), 0)
		wantConflict(t, "invite carol with bob's invitation's id",
			request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "carol", "id": "i1"}), "invite", "i1", "bob")
		wantConflict(t, "remove bob with his invitation's id",
			request(ann, servertest.Frame{"type": "remove", "room": "plans", "name": "bob", "id": "i1"}), "remove", "i1", "bob")
		wantConflict(t, "make bob a moderator with his invitation's id",
			request(ann, servertest.Frame{"type": "role", "room": "plans", "name": "bob", "role": "moderator", "id": "i1"}), "role", "i1", "bob")

		ann.Send(servertest.Frame{"type": "members", "room": "plans"})
		got := map[string]string{}
		for _, m := range ann.Await("members")["members"].([]any) {
			m := m.(map[string]any)
			role, _ := m["role"].(string)
			if m["invited"] == true {
				role = "invited"
			}
			got[m["name"].(string)] = role
		}
		if len(got) != 2 || got["ann"] != "owner" || got["bob"] != "invited" {
			t.Errorf("members of plans: %v, want ann the owner and bob invited, no one else", got)
		}
	})
}

// An id resent on the same request saying something else — a send's with another text,
// reply_to or files, an edit's or a topic's with another text — is refused with conflict too,
// and nothing is stored: answered as the first one's duplicate, the new text was dropped
// without a word while its client took it for sent. The same request again, as a client
// resends it after a reconnect, is still the first outcome: after the message was edited
// (the store answers its last text, but it was sent with its first) or deleted.
func TestResentIDWithOtherContentIsConflict(t *testing.T) {
	onEveryStore(t, func(t *testing.T, opts servertest.Options) {
		opts.Server.SendRate, opts.Server.SendBurst = 1e6, 1e6
		s := servertest.Start(t, opts)
		ann := servertest.DialJSON(t, s, "ann")
		ann.Join("r", nil)
		upload(t, s, "f_a", ann.User, "a.png", false)
		upload(t, s, "f_b", ann.User, "b.png", false)
		send := func(id string, f servertest.Frame) servertest.Frame {
			f["type"], f["room"], f["id"] = "send", "r", id
			return request(ann, f)
		}
		topic := func(id, topic string) servertest.Frame {
			return request(ann, servertest.Frame{"type": "topic", "room": "r", "topic": topic, "id": id})
		}

		wantAck(t, "send x", ann.Say("r", "x", "hello"), 1, 0)
		wantAck(t, "send p replying to 1", reply(ann, "r", 1, "p", "an answer"), 2, 0)
		wantAck(t, "send f with a file", send("f", servertest.Frame{"text": "a picture", "attachments": []string{"f_a"}}), 3, 0)
		wantAck(t, "edit e of 1", edit(ann, "r", 1, "e", "hello, edited"), 4, 1)
		wantAck(t, "topic t", topic("t", "Q3"), 5, 0)

		wantConflict(t, "send x with another text", ann.Say("r", "x", "hello again"), "send", "x", "message 1 with another text")
		wantConflict(t, "send x as a reply", reply(ann, "r", 2, "x", "hello"), "send", "x", "message 1 not in reply")
		wantConflict(t, "send p with another text", reply(ann, "r", 1, "p", "another answer"), "send", "p", "another text")
		wantConflict(t, "send p as no reply", ann.Say("r", "p", "an answer"), "send", "p", "in reply to message 1")
		wantConflict(t, "send f with another file", send("f", servertest.Frame{"text": "a picture", "attachments": []string{"f_b"}}),
			"send", "f", "other files")
		wantConflict(t, "send f with one more file", send("f", servertest.Frame{"text": "a picture", "attachments": []string{"f_a", "f_b"}}),
			"send", "f", "other files")
		wantConflict(t, "send f without its file", send("f", servertest.Frame{"text": "a picture"}), "send", "f", "other files")
		wantConflict(t, "edit e with another text", edit(ann, "r", 1, "e", "hello, edited twice"), "edit", "e", "seq 4) with another text")
		wantConflict(t, "topic t with another topic", topic("t", "Q4"), "topic", "t", "another topic")
		// Message 1 reads "hello, edited" now, but it was sent as "hello".
		wantConflict(t, "send x with its edited text", ann.Say("r", "x", "hello, edited"), "send", "x", "another text")

		// The same requests again are the first outcomes; a text is compared as cleaned.
		wantDuplicate(t, "send x again, after its edit", ann.Say("r", "x", "hello"), 1, 0)
		wantDuplicate(t, "send x again with blanks around it", ann.Say("r", "x", "  hello\t"), 1, 0)
		wantDuplicate(t, "send p again", reply(ann, "r", 1, "p", "an answer"), 2, 0)
		wantDuplicate(t, "send f again", send("f", servertest.Frame{"text": "a picture", "attachments": []string{"f_a"}}), 3, 0)
		wantDuplicate(t, "edit e again", edit(ann, "r", 1, "e", "hello, edited"), 4, 1)
		wantDuplicate(t, "topic t again", topic("t", "Q3"), 5, 0)

		// Nothing the conflicts asked for was stored: the next entry is 6, the messages and the
		// topic read as first sent, and file b is on no message.
		wantAck(t, "send z", ann.Say("r", "z", "third"), 6, 0)
		_, msgs := historyOf(ann, "r", nil)
		var texts []string
		for _, m := range msgs {
			texts = append(texts, m.Str("text"))
		}
		if want := []string{"hello, edited", "an answer", "a picture", "third"}; !slices.Equal(texts, want) {
			t.Fatalf("history holds %q, want %q", texts, want)
		}
		if m := msgs[1]; m.Num("reply_to") != 1 {
			t.Errorf("message 2 is %v, want its reply to 1", m)
		}
		if files := attachmentsOf(msgs[2]); len(files) != 1 || files[0].Str("id") != "f_a" {
			t.Errorf("message 3 carries %v, want file a alone", files)
		}
		wantAck(t, "send g with file b, which no message carries", send("g", servertest.Frame{"attachments": []string{"f_b"}}), 7, 0)

		// A deleted message keeps its reply_to, not its text or files: a resend of it is the
		// first outcome, one under another parent a conflict; so is an edit's of it.
		wantAck(t, "delete 1", del(ann, "r", 1, "d1"), 8, 1)
		wantAck(t, "delete 2", del(ann, "r", 2, "d2"), 9, 2)
		wantAck(t, "delete 3", del(ann, "r", 3, "d3"), 10, 3)
		wantDuplicate(t, "send x again, after its delete", ann.Say("r", "x", "hello"), 1, 0)
		wantDuplicate(t, "send p again, after its delete", reply(ann, "r", 1, "p", "an answer"), 2, 0)
		wantDuplicate(t, "send f again, after its delete", send("f", servertest.Frame{"text": "a picture", "attachments": []string{"f_a"}}), 3, 0)
		wantDuplicate(t, "edit e again, after its message's delete", edit(ann, "r", 1, "e", "hello, edited"), 4, 1)
		wantConflict(t, "send p replying to 3, after its delete", reply(ann, "r", 3, "p", "an answer"), "send", "p", "in reply to message 1")
	})
}
