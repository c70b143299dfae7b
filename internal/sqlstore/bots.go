package sqlstore

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"

	"hubbub"
)

// The parts of hubbub.BotStore that do not depend on the database: the checks before a bot or
// an incoming webhook is written, ids, and the JSON of a bot's room patterns.

// The operations of a hubbub.BotStore, as errors name them.
const (
	OpCreateBot          Op = "create bot"
	OpBotByToken         Op = "bot by token"
	OpBot                Op = "bot"
	OpBots               Op = "bots"
	OpUpdateBot          Op = "update bot"
	OpDeleteBot          Op = "delete bot"
	OpCreateIncomingHook Op = "create incoming hook"
	OpIncomingHook       Op = "incoming hook"
	OpIncomingHooks      Op = "incoming hooks"
	OpDeleteIncomingHook Op = "delete incoming hook"
)

// CheckNewBot returns the name key of a new bot named name with rooms, or why it cannot be
// created.
func CheckNewBot(name string, rooms []string) (string, error) {
	key, err := hubbub.NameKey(name)
	if err != nil {
		return "", err
	}
	return key, hubbub.ValidateRoomPatterns(rooms, hubbub.MaxBotRooms)
}

// EncodeRooms is the JSON array a bot's room patterns are stored as ("[]" for none).
func EncodeRooms(rooms []string) string {
	if rooms == nil {
		rooms = []string{}
	}
	b, _ := json.Marshal(rooms) // strings cannot fail
	return string(b)
}

// DecodeRooms reads what EncodeRooms wrote; never nil.
func DecodeRooms(s string) ([]string, error) {
	rooms := []string{}
	if s == "" {
		return rooms, nil
	}
	if err := json.Unmarshal([]byte(s), &rooms); err != nil {
		return nil, err
	}
	return rooms, nil
}

// CheckNewHook returns why h cannot be stored as a new incoming webhook, or nil.
func CheckNewHook(h hubbub.IncomingHook) error {
	if err := hubbub.ValidateRoom(h.Room); err != nil {
		return err
	}
	if h.SecretHash == "" {
		return hubbub.Errorf(hubbub.ECodeMissing, "an incoming webhook needs a secret")
	}
	if h.Bot == "" {
		return hubbub.Errorf(hubbub.ECodeMissing, "an incoming webhook needs a bot")
	}
	return nil
}

// NewHookID returns a fresh incoming webhook id: "ih_" and 16 random bytes in hex.
func NewHookID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "ih_" + hex.EncodeToString(b[:])
}

// NoBot is the refusal of a change to a bot that does not exist (or was deleted).
func NoBot(id string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "no bot %q", id)
}

// NoHook is the refusal of a change to an incoming webhook that does not exist.
func NoHook(id string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "no incoming webhook %q", id)
}

// TooManyBots and TooManyHooks are the refusals past the limits.
func TooManyBots() *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeLimit, "the server keeps at most %d bots", hubbub.MaxBots)
}

// TooManyHooks is the refusal of a hook past hubbub.MaxIncomingHooks.
func TooManyHooks() *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeLimit, "the server keeps at most %d incoming webhooks", hubbub.MaxIncomingHooks)
}
