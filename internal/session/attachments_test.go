package session_test

import (
	"fmt"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// upload stores a file of user's in the server's store, as POST /upload would once its bytes
// are kept, and returns it.
func upload(t *testing.T, s *servertest.Server, id, user, name string, thumb bool) hubbub.File {
	t.Helper()
	f := hubbub.File{Attachment: hubbub.Attachment{ID: id, Name: name, Type: "image/png", Size: 1234, Width: 64, Height: 48,
		Thumb: thumb}, User: user, Bytes: 2000}
	got, err := s.Store.CreateFile(t.Context(), f, 0)
	if err != nil {
		t.Fatalf("CreateFile(%s): %v", id, err)
	}
	return got
}

// attachmentsOf returns the attachments of a message frame.
func attachmentsOf(m servertest.Frame) []servertest.Frame {
	list, _ := m["attachments"].([]any)
	out := make([]servertest.Frame, len(list))
	for i, a := range list {
		out[i], _ = a.(map[string]any)
	}
	return out
}

// wantAttachments fails t unless message m carries files with the ids want, in order, each
// with its metadata and its URLs under base.
func wantAttachments(t *testing.T, what string, m servertest.Frame, base string, want ...hubbub.File) {
	t.Helper()
	got := attachmentsOf(m)
	if len(got) != len(want) {
		t.Fatalf("%s: message %v carries %d files, want %d", what, m, len(got), len(want))
	}
	for i, f := range want {
		a := got[i]
		thumbURL := ""
		if f.Thumb {
			thumbURL = base + "/files/" + f.ID + "/thumb"
		}
		if a.Str("id") != f.ID || a.Str("name") != f.Name || a.Str("type") != f.Type || a.Num("size") != uint64(f.Size) ||
			a.Num("width") != uint64(f.Width) || a.Num("height") != uint64(f.Height) || a["thumb"] == nil != !f.Thumb ||
			!strings.HasPrefix(a.Str("url"), base+"/files/"+f.ID+"/") || a.Str("thumb_url") != thumbURL {
			t.Errorf("%s: attachment %d is %v, want %+v under %q", what, i, a, f, base)
		}
	}
}

// A message with files reaches every member with each file's metadata and URLs, in the
// order sent, live, in a join's replay and in history; files alone make a message; only the
// sender's own files that no message carries yet may be attached, and the refusals say why;
// a resend answers with the first outcome; a delete takes the files away from what every
// member sees, and from the store.
func TestAttachmentsReachEveryMember(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxAttachments: 3}})
	ann := servertest.DialJSON(t, s, "ann")
	bob := servertest.DialJSON(t, s, "bob")
	ann.Join("r", nil)
	bob.Join("r", nil)
	servertest.WaitMembers(t, s, "r", 2)
	pic := upload(t, s, "f_pic", ann.User, "cat pic.png", true)
	doc := upload(t, s, "f_doc", ann.User, "notes.txt", false)
	bobs := upload(t, s, "f_bobs", bob.User, "his.png", false)

	send := func(c *servertest.JSONClient, id string, f servertest.Frame) servertest.Frame {
		f["type"], f["room"], f["id"] = "send", "r", id
		return request(c, f)
	}
	ack := send(ann, "c-1", servertest.Frame{"attachments": []string{"f_doc", "f_pic"}})
	if ack.Type() != "ack" || ack["duplicate"] != false {
		t.Fatalf("a message of two files and no text: %v", ack)
	}
	seq := ack.Num("seq")
	for _, c := range []*servertest.JSONClient{ann, bob} {
		m := c.AwaitFunc("message with files", func(f servertest.Frame) bool { return f.Type() == "message" && f.Num("seq") == seq })
		if m.Str("text") != "" || m.Str("from") != "ann" {
			t.Errorf("message of files: %v", m)
		}
		wantAttachments(t, "live", m, "", doc, pic)
	}

	// Refusals: none stores anything.
	for i, tc := range []struct {
		what  string
		frame servertest.Frame
		code  string
	}{
		{"another user's file", servertest.Frame{"text": "mine now", "attachments": []string{"f_bobs"}}, hubbub.ECodeNotFound},
		{"an unknown file", servertest.Frame{"text": "x", "attachments": []string{"f_nope"}}, hubbub.ECodeNotFound},
		{"a file attached already", servertest.Frame{"text": "again", "attachments": []string{"f_pic"}}, hubbub.ECodeNotFound},
		{"a file twice", servertest.Frame{"text": "x", "attachments": []string{"f_x", "f_x"}}, hubbub.ECodeBadField},
		{"an empty id", servertest.Frame{"text": "x", "attachments": []string{""}}, hubbub.ECodeBadField},
		{"an id too long", servertest.Frame{"text": "x", "attachments": []string{strings.Repeat("f", hubbub.MaxFileIDLen+1)}}, hubbub.ECodeBadField},
		{"more than --max-attachments", servertest.Frame{"text": "x", "attachments": []string{"f_1", "f_2", "f_3", "f_4"}}, hubbub.ECodeLimit},
		{"ids that are not strings", servertest.Frame{"text": "x", "attachments": []int{1}}, hubbub.ECodeBadField},
		{"no text and no files", servertest.Frame{"attachments": []string{}}, hubbub.ECodeMissing},
		{"an empty text and no files", servertest.Frame{"text": " "}, hubbub.ECodeEmpty},
	} {
		wantError(t, tc.what, send(ann, fmt.Sprintf("bad-%d", i), tc.frame), tc.code)
	}
	if f, found, _ := s.Store.File(t.Context(), "f_bobs"); !found || f.Seq != 0 {
		t.Errorf("bob's file after ann's refused tries: %+v, %v; want it unattached", f, found)
	}

	// A resend answers with the first outcome, whatever it carries now.
	again := send(ann, "c-1", servertest.Frame{"attachments": []string{"f_doc", "f_pic"}})
	if again.Type() != "ack" || again["duplicate"] != true || again.Num("seq") != seq {
		t.Errorf("resend of c-1: %v, want a duplicate ack of seq %d", again, seq)
	}

	// bob's own file is his to attach, with text.
	ack = send(bob, "b-1", servertest.Frame{"text": "mine", "attachments": []string{"f_bobs"}})
	if ack.Type() != "ack" {
		t.Fatalf("bob attaching his own file: %v", ack)
	}

	// A later member gets them in the join's replay and in history.
	cy := servertest.DialJSON(t, s, "cy")
	cy.Join("r", nil)
	replay := cy.Messages("r", 2)
	wantAttachments(t, "replay", replay[0], "", doc, pic)
	wantAttachments(t, "replay", replay[1], "", bobs)
	_, page := historyOf(cy, "r", nil)
	if len(page) != 2 {
		t.Fatalf("history: %v", page)
	}
	wantAttachments(t, "history", page[0], "", doc, pic)

	// A delete: every member is told, the files are in no read, and the store no longer finds
	// them.
	wantAck(t, "delete", del(ann, "r", seq, "d-1"), seq+2, seq)
	for _, c := range []*servertest.JSONClient{bob, cy} {
		c.AwaitFunc("deleted", func(f servertest.Frame) bool { return f.Type() == "deleted" && f.Num("seq") == seq })
	}
	_, page = historyOf(cy, "r", nil)
	if len(page) != 2 || page[0]["deleted"] != true || len(attachmentsOf(page[0])) != 0 {
		t.Errorf("history after the delete: %v", page)
	}
	dan := servertest.DialJSON(t, s, "dan")
	dan.Join("r", nil)
	if replay := dan.Messages("r", 2); len(attachmentsOf(replay[0])) != 0 {
		t.Errorf("replay after the delete: %v", replay[0])
	}
	for _, id := range []string{"f_doc", "f_pic"} {
		if f, found, err := s.Store.File(t.Context(), id); err != nil || found {
			t.Errorf("File(%s) after its message was deleted: %+v, %v, %v", id, f, found, err)
		}
	}
}

// A rejoin with since replays the entries missed with the files they carry.
func TestAttachmentsInCatchUp(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	first := ann.Say("r", "c-0", "before")
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("r", nil)
	bob.Messages("r", 1)
	bob.Send(servertest.Frame{"type": "leave", "room": "r"})
	bob.Await("left")
	f := upload(t, s, "f_1", ann.User, "a.png", true)
	if ack := request(ann, servertest.Frame{"type": "send", "room": "r", "id": "c-1", "text": "look", "attachments": []string{"f_1"}}); ack.Type() != "ack" {
		t.Fatalf("send: %v", ack)
	}
	since := first.Num("seq")
	bob.Join("r", &since)
	wantAttachments(t, "catch-up", bob.Messages("r", 1)[0], "", f)
}

// A rejoin after a delete replays the message without its files, as the store would give it:
// the ring keeps nothing the delete removed, a message of files alone included.
func TestAttachmentsGoneFromTheReplayAfterADelete(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	bob := servertest.DialJSON(t, s, "bob")
	ann.Join("r", nil)
	bob.Join("r", nil)
	servertest.WaitMembers(t, s, "r", 2)
	first := ann.Say("r", "c-0", "before")
	upload(t, s, "f_1", ann.User, "a.png", true)
	upload(t, s, "f_2", ann.User, "b.png", false)
	var seqs []uint64
	for i, f := range []servertest.Frame{{"attachments": []string{"f_1"}}, {"text": "and this", "attachments": []string{"f_2"}}} {
		f["type"], f["room"], f["id"] = "send", "r", fmt.Sprintf("c-%d", i+1)
		ack := request(ann, f)
		if ack.Type() != "ack" {
			t.Fatalf("send: %v", ack)
		}
		seqs = append(seqs, ack.Num("seq"))
	}
	bob.Messages("r", 3)
	bob.Send(servertest.Frame{"type": "leave", "room": "r"})
	bob.Await("left")
	for i, seq := range seqs {
		if f := del(ann, "r", seq, fmt.Sprintf("d-%d", i)); f.Type() != "ack" {
			t.Fatalf("delete: %v", f)
		}
	}
	since := first.Num("seq")
	bob.Join("r", &since)
	for range seqs {
		m := bob.AwaitFunc("replayed message", func(f servertest.Frame) bool { return f.Type() == "message" })
		if m["deleted"] != true || m.Str("text") != "" || len(attachmentsOf(m)) != 0 {
			t.Errorf("the replay of a deleted message: %v", m)
		}
	}
}

// With --files-url, every URL is under that origin, for every reader alike; the text
// protocol shows each file after the text as [file: name url].
func TestAttachmentsUnderTheFilesURL(t *testing.T) {
	const base = "https://files.example"
	s := servertest.Start(t, servertest.Options{Server: server.Config{FilesURL: base}})
	txt := servertest.DialText(t, s, "tex")
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("lobby", nil)
	servertest.WaitMembers(t, s, "lobby", 2)
	f := upload(t, s, "f_1", ann.User, "a b.png", true)
	ack := request(ann, servertest.Frame{"type": "send", "room": "lobby", "id": "c-1", "text": "look", "attachments": []string{"f_1"}})
	if ack.Type() != "ack" {
		t.Fatalf("send: %v", ack)
	}
	m := ann.AwaitFunc("message", func(f servertest.Frame) bool { return f.Type() == "message" && f.Num("seq") == ack.Num("seq") })
	wantAttachments(t, "json", m, base, f)
	if u := attachmentsOf(m)[0].Str("url"); u != base+"/files/f_1/a%20b.png" {
		t.Errorf("url %q", u)
	}
	want := fmt.Sprintf("ann: look [file: a b.png %s/files/f_1/a%%20b.png]", base)
	if lines := txt.Lines(1); lines[0] != want {
		t.Errorf("text client read %q, want %q", lines[0], want)
	}
}
