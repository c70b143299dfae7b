package termchat

import (
	"context"
	"errors"
	"strings"
)

// chatNameHelp is /name's part of CommandList.
const chatNameHelp = `  /name NEW        signed in (--signin): change your account's name to NEW, as the account
                   page does; you sign in with NEW from then on (a guest's name is the one it
                   starts with: hubbub chat --name NEW). A server's own /name command comes first`

// errNameNotSignedIn is /name's answer in a chat that no account signed in to.
var errNameNotSignedIn = errors.New("this chat is not signed in to an account (hubbub chat --signin), whose name it changes; " +
	"a guest chooses its name when it starts: hubbub chat --name NEW")

// nameCommand runs /name NEW: the account the chat signed in to takes the name NEW (the
// server's rules: a name no other user holds, in any case). The server then tells every
// connection of the user, this one too, which prints the change (printer: Renamed).
func (c *chat) nameCommand(ctx context.Context, word, line string) (handled bool, err error) {
	if word != "/name" {
		return false, nil
	}
	name := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), word))
	switch {
	case name == "":
		return true, errors.New("usage: /name NEW")
	case !c.signedIn:
		return true, errNameNotSignedIn
	}
	c.renaming.Store(&name)
	if err := c.ses.Rename(ctx, name); err != nil {
		c.renaming.Store(nil)
		return true, err
	}
	return true, nil
}

// renamedHere reports whether name is the one this chat's /name asked for, which the printer
// then says as done here, not "on another device or by an operator".
func (c *chat) renamedHere(name string) bool {
	asked := c.renaming.Load()
	if asked == nil || *asked != name {
		return false
	}
	c.renaming.CompareAndSwap(asked, nil)
	return true
}
