package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubbub/internal/accounts"
	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// `hubbub chat --signin` changes the account's name with /name NEW, as the account page does:
// a name another user holds, in any case, is refused in the server's words; a free one is
// taken, said once, and what the chat sends goes out under it. When the session then ends,
// the chat signs in again under the new name (the old one no longer signs anyone in: it said
// "wrong name or password" and the chat ended). A guest's chat is told that /name is an
// account's, and how a guest changes its name.
func TestChatRenamesItsAccount(t *testing.T) {
	chattest.LeakCheck(t)
	s, ann := accountsServerWithAnn(t)
	h, _ := accounts.NewHasher(accounts.TestHashParams, 1)
	if _, err := accounts.AddUser(context.Background(), s.Store, h, "bob", "", "staple battery horse"); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--signin", "--password-file", pwFile, s.WS})...)
	run.WaitOutput(t, "* you joined general")

	say("/name BOB")
	run.WaitErr(t, `* /name: the name "BOB" is another user's (names are the same whatever their case or look-alike letters): choose another (name_taken)`)
	say("/name Annie")
	run.WaitErr(t, "* you are Annie now, not ann\n")
	say("hello as Annie")
	run.WaitOutput(t, "[general] #1 Annie: hello as Annie\n")

	if _, err := s.Store.DeleteSessions(context.Background(), ann.ID); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the chat signing in again", func() bool {
		return strings.Contains(run.Err.String(), "signing in again as Annie") && strings.Count(run.Err.String(), "* connected to") == 2
	})
	say("after signing in again")
	run.WaitOutput(t, "Annie: after signing in again\n")

	guest := servertest.Start(t, servertest.Options{})
	_, stderr, _ := chatToEnd(t, "/name gustav\n", chattest.Args(chattest.User(t, "gus"), []string{guest.WS})...)
	if !strings.Contains(stderr, "* /name: this chat is not signed in to an account (hubbub chat --signin), whose name it changes; a guest chooses its name when it starts: hubbub chat --name NEW") {
		t.Errorf("a guest's /name:\n%s", stderr)
	}
}

// bob, who shares no room with ann, is renamed robert on another device: ann's chat says so
// and her DM with him goes by the new name, at once. Before, the server told only the rooms
// bob's connections were in, and ann's DM stayed "@bob" (and "/who @robert" found no DM)
// until her next list of rooms, at a reconnect.
func TestChatDMPartnerInNoCommonRoomSeesTheirRename(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	bob := servertest.DialJSON(t, s, "bob")
	if f := bob.Join("b", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	run, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--room", "a", s.WS})...)
	run.WaitOutput(t, "* you joined a")
	bob.Send(servertest.Frame{"type": "dm", "names": []string{"ann"}})
	bob.Await("room")
	run.WaitOutput(t, "* direct message @bob is in your rooms\n")

	phone := servertest.DialJSON(t, s, "")
	phone.Send(servertest.Frame{"type": "hello", "name": "robert", "key": "key-bob"})
	phone.Await("welcome")
	run.WaitOutput(t, "* bob is now robert (@robert)\n")
	say("/who @robert")
	run.WaitOutput(t, "* members of @robert: ")
}
