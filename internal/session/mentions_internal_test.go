package session

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"hubbub"
)

// mentionable keeps exactly the members ResolveMentions can find, so resolving against them
// gives what resolving against every member gives.
func TestMentionableKeepsWhatResolveMentionsFinds(t *testing.T) {
	members := []string{"ann", "ann lee", "bob", "Zoë 😀", "cy", "a"}
	for _, text := range []string{
		"hi @ann lee and @bob", "@Zoë 😀!", "@room @a", "no mentions", "@", "x@ann", "@@bob", "@ann@bob",
		"@" + strings.Repeat("x", 40) + " @cy",
	} {
		want, wantRoom := hubbub.ResolveMentions(text, members)
		got, gotRoom := hubbub.ResolveMentions(text, mentionable(text, members))
		if !reflect.DeepEqual(got, want) || gotRoom != wantRoom {
			t.Errorf("%q: %v %v, want %v %v", text, got, gotRoom, want, wantRoom)
		}
	}
}

// A text of thousands of '@' in a room of 10,000 members: ResolveMentions alone tries every
// member at every '@' (about 240 ms a message on the development machine).
func BenchmarkMentionsHostile(b *testing.B) {
	members := make([]string, 10000)
	for i := range members {
		members[i] = fmt.Sprintf("member%05d", i)
	}
	text := strings.Repeat("@m ", 4096/3)
	for b.Loop() {
		hubbub.ResolveMentions(text, mentionable(text, members))
	}
}
