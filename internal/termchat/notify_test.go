package termchat

import (
	"context"
	"path/filepath"
	"testing"

	"hubbub"
	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
)

// ann's `hubbub chat` shows and sets her notification level of the current room with /notify,
// which the store then holds, and is told when a level is not one.
func TestChatNotify(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ann := chattest.User(t, "ann")
	run, say := typedChat(t, chattest.Args(ann, []string{"--room", "ops", s.WS})...)
	run.WaitOutput(t, "* you joined ops")
	say("/notify")
	run.WaitErr(t, "* notifications of ops while you are away: mentions and DMs (mention)\n")
	say("/notify all")
	run.WaitErr(t, "* notifications of ops while you are away: every message (all)\n")
	say("/notify loud")
	run.WaitErr(t, `* /notify: "loud" is not a level: all, mention or nothing`)
	say("/notify all now")
	run.WaitErr(t, "* usage: /notify [all|mention|nothing]")
	say("/notify nothing")
	run.WaitErr(t, "* notifications of ops while you are away: none (nothing)\n")

	u, found, err := s.Store.UserByName(context.Background(), "ann")
	if err != nil || !found {
		t.Fatalf("ann is not stored: %v", err)
	}
	level, err := s.Store.NotifyLevel(context.Background(), u.ID, "ops")
	if err != nil || level != hubbub.NotifyNothing {
		t.Fatalf("the store holds %q (%v), want nothing", level, err)
	}
}
