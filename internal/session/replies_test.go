package session_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// replied sends text in reply to message parent of room with id and returns the message every
// member gets (from c's own stream), or fails t with the error.
func replied(t *testing.T, c *servertest.JSONClient, room string, parent uint64, id, text string) servertest.Frame {
	t.Helper()
	c.Send(servertest.Frame{"type": "send", "room": room, "id": id, "text": text, "reply_to": parent})
	f := c.AwaitFunc("message "+id, func(f servertest.Frame) bool {
		return f.Type() == "message" && f.Str("client_id") == id || f.Type() == "error" && f.Str("id") == id
	})
	if f.Type() != "message" {
		t.Fatalf("reply %s: %v", id, f)
	}
	return f
}

// mentionsOf lists a frame's mentions as "name:user" ("+reply" for a reply's).
func mentionsOf(f servertest.Frame) string {
	var out []string
	ms, _ := f["mentions"].([]any)
	for _, x := range ms {
		m := x.(map[string]any)
		s := fmt.Sprintf("%v:%v", m["name"], m["user"])
		if m["reply"] == true {
			s += "+reply"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// A reply to my message mentions me, as Slack and Zulip tell you of a reply: bob answers
// ann's message without naming her, and the message carries ann — by user id, marked as a
// reply's — so ann's room list counts it among her mentions, as her page and `hubbub chat`
// highlight it. Before, a reply was only one more unread message. An edit of the reply keeps
// her; a reply that names her too mentions her once; her reply to herself mentions no one.
func TestReplyMentionsTheAuthorOfTheMessage(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	ann.Join("town", nil)
	bob.Join("town", nil)
	hers := ann.Say("town", "a-1", "who has the keys?").Num("seq")

	m := replied(t, bob, "town", hers, "b-1", "I do")
	if got, want := mentionsOf(m), "ann:"+ann.User+"+reply"; got != want {
		t.Fatalf("bob's reply mentions %q, want %q", got, want)
	}
	ann.Send(servertest.Frame{"type": "rooms"})
	if town := roomsOf(t, ann.Await("rooms"))["town"]; town["unread"] != 1.0 || town["mentions"] != 1.0 {
		t.Errorf("ann's town: %v, want 1 unread, 1 mention", town)
	}

	// Edited to name someone else, it still answers ann.
	if f := edit(bob, "town", m.Num("seq"), "b-2", "@bob has them"); f.Type() != "ack" {
		t.Fatalf("bob edits his reply: %v", f)
	}
	e := bob.Await("edited")
	if got, want := mentionsOf(e), "bob:"+bob.User+" ann:"+ann.User+"+reply"; got != want {
		t.Errorf("the edit mentions %q, want %q", got, want)
	}
	ann.Send(servertest.Frame{"type": "rooms"})
	if town := roomsOf(t, ann.Await("rooms"))["town"]; town["mentions"] != 1.0 {
		t.Errorf("ann's town after the edit: %v, want 1 mention", town)
	}

	if got, want := mentionsOf(replied(t, bob, "town", hers, "b-3", "@ann, in the drawer")), "ann:"+ann.User+"+reply"; got != want {
		t.Errorf("a reply naming ann mentions %q, want %q", got, want)
	}
	if got := mentionsOf(replied(t, ann, "town", hers, "a-2", "found them")); got != "" {
		t.Errorf("ann's reply to herself mentions %q", got)
	}
}

// A reply reaches only an author who is still in the room: not one who parted it, nor one a
// ban keeps out (who may not read what the reply says).
func TestReplyLeavesOutAnAuthorWhoLeftOrIsBanned(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	cy, _ := dial(t, s, "cy")
	create(t, ann, "town", false)
	for _, c := range []*servertest.JSONClient{ann, bob, cy} {
		c.Join("town", nil)
	}
	bobs := bob.Say("town", "b-1", "bye all").Num("seq")
	cys := cy.Say("town", "c-1", "spam spam").Num("seq")
	bob.Send(servertest.Frame{"type": "part", "room": "town", "id": "p-1"})
	awaitRoom(bob, "unroom", "town")
	if f := ask(ann, servertest.Frame{"type": "ban", "room": "town", "name": "cy", "duration": "1h"}, "moderated"); f.Type() != "moderated" {
		t.Fatalf("ann bans cy: %v", f)
	}

	if got := mentionsOf(replied(t, ann, "town", bobs, "a-1", "bye bob")); got != "" {
		t.Errorf("a reply to bob, who parted, mentions %q", got)
	}
	if got := mentionsOf(replied(t, ann, "town", cys, "a-2", "no spam here")); got != "" {
		t.Errorf("a reply to cy, banned, mentions %q", got)
	}
}

// The per-message cap holds: a reply whose text mentions MaxMentions people mentions the
// author of the message it answers in place of the text's last.
func TestReplyMentionKeepsTheCap(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	ann.Join("town", nil)
	bob.Join("town", nil)
	var names []string
	for i := range hubbub.MaxMentions {
		name := fmt.Sprintf("p%d", i)
		p, _ := dial(t, s, name)
		p.Join("town", nil)
		names = append(names, "@"+name)
	}
	hers := ann.Say("town", "a-1", "roll call").Num("seq")
	m := replied(t, bob, "town", hers, "b-1", strings.Join(names, " "))
	ms := strings.Fields(mentionsOf(m))
	if len(ms) != hubbub.MaxMentions || ms[len(ms)-1] != "ann:"+ann.User+"+reply" || !strings.HasPrefix(ms[len(ms)-2], fmt.Sprintf("p%d:", hubbub.MaxMentions-2)) {
		t.Errorf("%d mentions, ending %v; want %d ending with ann's", len(ms), ms[max(0, len(ms)-2):], hubbub.MaxMentions)
	}
}

// A keyless connection's user, whom the store does not keep, is mentioned by a reply while
// in the room (the hub knows them by name), and not once gone.
func TestReplyMentionsAKeylessAuthorInTheRoom(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	bob, _ := dial(t, s, "bob")
	bob.Join("town", nil)
	kit := servertest.DialJSON(t, s, "")
	kit.Send(servertest.Frame{"type": "hello", "name": "kit"})
	u, _ := kit.Await("welcome")["user"].(map[string]any)
	kitID, _ := u["id"].(string)
	if !strings.HasPrefix(kitID, hubbub.AnonymousPrefix) {
		t.Fatalf("kit's user %q is not a keyless one", kitID)
	}
	kit.Join("town", nil)
	hers := kit.Say("town", "k-1", "anyone?").Num("seq")

	if got, want := mentionsOf(replied(t, bob, "town", hers, "b-1", "me")), "kit:"+kitID+"+reply"; got != want {
		t.Errorf("a reply to kit mentions %q, want %q", got, want)
	}
	kit.Conn.Close()
	testwait.Until(t, "kit gone from town", func() bool { return !slices.Contains(s.Hub.Members("town"), "kit") })
	if got := mentionsOf(replied(t, bob, "town", hers, "b-2", "gone?")); got != "" {
		t.Errorf("a reply to kit, gone, mentions %q", got)
	}
}
