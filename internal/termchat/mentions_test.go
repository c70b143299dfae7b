package termchat

import (
	"slices"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
)

// A line of mine whose @name mentions nobody says so, as the page does: before, `hubbub chat`
// said nothing, and "@zed" looked like a mention that had reached someone.
func TestChatSaysAnUnknownMentionNotifiedNobody(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	bob := servertest.DialJSON(t, s, "bob")
	if f := bob.Join("general", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	run, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	run.WaitOutput(t, "* you joined general")
	say("@bob and @zed: look")
	run.WaitErr(t, "* no one named @zed is in general: nobody was notified\n")
	bob.AwaitFunc("ann's message", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("from") == "ann" })
	say("thanks @bob")
	run.WaitOutput(t, "ann: thanks @bob")
	say("last one @yan")
	run.WaitErr(t, "* no one named @yan is in general")
	if got := run.Err.String(); strings.Count(got, "no one named") != 2 {
		t.Errorf("want two notices, one for @zed and one for @yan:\n%s", got)
	}
}

func TestUnresolvedMentions(t *testing.T) {
	for _, c := range []struct {
		text string
		ms   []hubbub.Mention
		want []string
	}{
		{"hi @zed", nil, []string{"zed"}},
		{"hi @Ann Lee and @ann", []hubbub.Mention{{Name: "Ann Lee"}, {Name: "ann"}}, nil},
		{"mail me@example.com, `@code` @room", nil, nil},
		{"@a, @b. @c @a", nil, []string{"a", "b", "c"}},
		{"```\n@x\n``` @y.", nil, []string{"y"}},
	} {
		if got := unresolvedMentions(c.text, c.ms); !slices.Equal(got, c.want) {
			t.Errorf("unresolvedMentions(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	if got := unresolvedLine([]string{"a", "b", "c"}, "general"); got != "* no one named @a, @b or @c is in general: nobody was notified\n" {
		t.Errorf("line %q", got)
	}
}
