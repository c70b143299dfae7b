package termchat

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"hubbub"
)

// A guest's name can change while the chat is away: another device said hello with a new
// one, or an operator ran `hubbub user rename`. A next run without --name would say $USER (the
// default) with the same key, and so rename the user back. The chat keeps the name each server
// last gave it (its welcome, or a renamed frame), beside the key, and a run without --name says
// that name to that server.

// chatNames is where a chat keeps the names its servers gave it: one line per server, the
// server (the first URL given) and the name, tab-separated.
type chatNames struct {
	path   string // "" when there is no place for it: nothing is kept
	server string
}

// newChatNames keeps the names beside the key file (keyFile as --key-file gives it: "" for the
// default), for the server named by the first of urls.
func newChatNames(keyFile string, urls []string) chatNames {
	if keyFile == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return chatNames{}
		}
		keyFile = filepath.Join(dir, "hubbub", "key")
	}
	return chatNames{path: keyFile + ".names", server: urls[0]}
}

// read returns the kept lines of the other servers, and the name kept for this one ("" if
// none, or it is no valid name any more).
func (n chatNames) read() (others []string, name string) {
	b, err := os.ReadFile(n.path)
	if err != nil {
		return nil, ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		server, kept, ok := strings.Cut(sc.Text(), "\t")
		switch {
		case !ok:
		case server != n.server:
			others = append(others, sc.Text())
		case hubbub.ValidateName(kept) == nil:
			name = kept
		}
	}
	return others, name
}

// name returns the name the server last gave this chat, "" if none is kept.
func (n chatNames) name() string {
	if n.path == "" {
		return ""
	}
	_, name := n.read()
	return name
}

// keep records name as the one the server gave. It is best effort: a chat that cannot write
// the file still chats, and says $USER next time, as before.
func (n chatNames) keep(name string) {
	if n.path == "" || hubbub.ValidateName(name) != nil || strings.ContainsAny(name, "\t\n") {
		return
	}
	others, kept := n.read()
	if kept == name {
		return
	}
	out := strings.Join(append(others, n.server+"\t"+name), "\n") + "\n"
	if err := os.MkdirAll(filepath.Dir(n.path), 0o700); err != nil {
		return
	}
	tmp := n.path + ".new"
	if err := os.WriteFile(tmp, []byte(out), 0o600); err != nil {
		return
	}
	_ = os.Rename(tmp, n.path) // whole or not at all: another run may read it meanwhile
}
