package hubbub

import (
	"context"
	"slices"
	"time"
)

// Slash commands (issue 18): an admin registers /name with a URL. A user's "/name args" is not
// stored as a message: the server posts it to the URL, signed with the command's secret, and
// posts the answer to the room as the command's bot user (a User of Kind UserBot), or shows it
// to the caller alone. The registry lives in the store (CommandStore), so that every node of a
// cluster knows the same commands.

// Limits of slash commands.
const (
	// MaxCommands is how many commands a server keeps.
	MaxCommands = 100
	// MaxCommandNameLen is the longest command name, in bytes (without the slash).
	MaxCommandNameLen = 32
	// MaxCommandDescriptionLen is the longest description, in bytes.
	MaxCommandDescriptionLen = 200
	// MaxCommandArgsLen is the longest arguments a user may give a command, in bytes.
	MaxCommandArgsLen = 2000
)

// ReservedCommandNames are the commands the clients handle themselves (the page and
// `hubbub chat`): a registered command of one of these names could never be typed, so none
// may be registered.
var ReservedCommandNames = []string{
	"commands", "create", "delete", "directory", "dm", "edit", "exit", "help", "invite", "join", "leave",
	"me", "notify", "part", "quit", "react", "remove", "reply", "rooms", "search", "topic",
	"upload", "who",
}

// Command is a slash command an admin registered.
type Command struct {
	// Name is what users type after the slash: 1 to MaxCommandNameLen lower-case ASCII
	// letters, digits, '-' and '_', starting with a letter (ValidateCommandName).
	Name string `json:"name"`
	// URL receives each use by POST (http or https; the caller checks the address it resolves
	// to, not the store).
	URL string `json:"url"`
	// Description says what it does, for the clients' list of commands (may be empty).
	Description string `json:"description,omitempty"`
	// Bot is the user id of the bot user (Kind UserBot) its answers are posted as.
	Bot string `json:"bot"`
	// Secret signs every request and every response URL (HMAC-SHA256). Stores keep it; the
	// API shows it only when the command is created or its secret rotated.
	Secret string `json:"secret,omitempty"`
	// CreatedBy is the admin's user id; Created when (UTC, millisecond precision).
	CreatedBy string    `json:"created_by,omitempty"`
	Created   time.Time `json:"created"`
}

// CommandChange is a partial update of a command: nil fields stay as they are.
type CommandChange struct {
	URL         *string
	Description *string
	// Secret replaces the secret (rotation): requests and response URLs signed with the old
	// one no longer verify.
	Secret *string
}

// ValidateCommandName checks a command's name (without its slash).
func ValidateCommandName(name string) error {
	if name == "" || len(name) > MaxCommandNameLen {
		return Errorf(ECodeBadName, "a command's name must be 1 to %d bytes", MaxCommandNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		default:
			return Errorf(ECodeBadName, "a command's name is lower-case letters, digits, '-' and '_', starting with a letter: %q is not", name)
		}
	}
	if slices.Contains(ReservedCommandNames, name) {
		return Errorf(ECodeBadName, "/%s is a command of the clients themselves", name)
	}
	return nil
}

// CommandStore keeps the registered slash commands, and which response URLs were used. Every
// Store is one.
//
// Contract, which internal/storetest checks on every implementation:
//   - CreateCommand stores c (Name, URL, Description, Bot, Secret, CreatedBy read) with Created
//     set by the store, and returns it. A name ValidateCommandName refuses is ECodeBadName; an
//     empty URL, Bot or Secret is ECodeMissing; a URL longer than MaxWebhookURLLen or a
//     Description longer than MaxCommandDescriptionLen is ECodeBadField; a name that is taken
//     is ECodeExists (also when two nodes create it at once); a store holding MaxCommands
//     commands refuses another with ECodeLimit.
//   - Command finds a command by name (found false, nil error, for none); Commands lists them
//     all in ascending name order.
//   - UpdateCommand applies a CommandChange atomically, with CreateCommand's checks of the
//     fields it changes (a refused change changes nothing); ECodeNotFound for an unknown name.
//   - DeleteCommand removes a command (ECodeNotFound if there is none); its bot user stays.
//   - UseCommandResponse records that the response URL id was used and reports whether this is
//     the first use: of several uses of one id, also at once on several nodes, exactly one gets
//     true. expires is when the URL stops working anyway; the store may forget an id after it.
//     An empty id is ECodeMissing.
type CommandStore interface {
	CreateCommand(ctx context.Context, c Command) (Command, error)
	Command(ctx context.Context, name string) (c Command, found bool, err error)
	Commands(ctx context.Context) ([]Command, error)
	UpdateCommand(ctx context.Context, name string, c CommandChange) (Command, error)
	DeleteCommand(ctx context.Context, name string) error
	UseCommandResponse(ctx context.Context, id string, expires time.Time) (first bool, err error)
}

// Check reports what CreateCommand refuses in c (see CommandStore), so that every store
// refuses alike: nil if c may be stored.
func (c *Command) Check() error {
	if err := ValidateCommandName(c.Name); err != nil {
		return err
	}
	switch {
	case c.URL == "":
		return Errorf(ECodeMissing, "a command needs a URL")
	case c.Bot == "":
		return Errorf(ECodeMissing, "a command needs a bot user")
	case c.Secret == "":
		return Errorf(ECodeMissing, "a command needs a secret")
	case len(c.URL) > MaxWebhookURLLen:
		return Errorf(ECodeBadField, "a command's URL is at most %d bytes", MaxWebhookURLLen)
	case len(c.Description) > MaxCommandDescriptionLen:
		return Errorf(ECodeBadField, "a command's description is at most %d bytes", MaxCommandDescriptionLen)
	}
	return nil
}

// Apply returns c with change applied, checked as CreateCommand checks a new command.
func (c Command) Apply(change CommandChange) (Command, error) {
	if change.URL != nil {
		c.URL = *change.URL
	}
	if change.Description != nil {
		c.Description = *change.Description
	}
	if change.Secret != nil {
		c.Secret = *change.Secret
	}
	return c, c.Check()
}

// The kinds of CommandNotice.
const (
	// NoticeAnswer is a command's answer for the caller's eyes only (it said "ephemeral").
	NoticeAnswer = "answer"
	// NoticeWorking says the command has not answered in time; its answer may come later.
	NoticeWorking = "working"
	// NoticeFailed says the command could not be used or gave no usable answer (Text says why).
	NoticeFailed = "failed"
)

// CommandNotice is what a slash command shows the user who used it, and nobody else: an
// ephemeral answer, "working…", or why it failed. It is not stored. A late one (an answer
// through the response URL) reaches the user's connections on every node through their user
// channel (UserNotified.Notice).
type CommandNotice struct {
	// Room is where the command was used; Command its name; ID the id of the command frame.
	Room    string `json:"room"`
	Command string `json:"command"`
	ID      string `json:"id,omitempty"`
	// Kind is NoticeAnswer, NoticeWorking or NoticeFailed.
	Kind string `json:"kind"`
	// Text is the answer or the explanation; From the name of the command's bot user.
	Text string `json:"text"`
	From string `json:"from,omitempty"`
}
