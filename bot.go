package hubbub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Bots (issue 18): a bot is a user of kind UserBot that an admin created. It signs in with an
// API token (BotTokenPrefix and random hex; the store keeps only its SecretHash) on a
// WebSocket's hello or as a REST API bearer, and may enter only the rooms its patterns cover
// (Bot.MayUse). Its messages carry Entry.Bot, which every client shows. A bot may have no
// token at all: the server then posts as it (an incoming webhook's bot, a slash command's).
//
// An incoming webhook (IncomingHook) is a URL with a secret that posts a message into one room
// as its bot, for tools that can only POST JSON.

// BotTokenPrefix starts every bot token, so that the server tells a bot's token from a host
// application's signed token without trying to verify it, and a leaked token is recognisable.
const BotTokenPrefix = "hbt_"

// NewBotToken returns a fresh bot API token: BotTokenPrefix and 32 random bytes in hex.
func NewBotToken() string { return BotTokenPrefix + randomHex(32) }

// NewHookSecret returns a fresh incoming webhook secret: 32 random bytes in hex, so that it
// is safe in a URL's path as it is.
func NewHookSecret() string { return randomHex(32) }

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// Limits of bots and incoming webhooks.
const (
	// MaxBots is how many bots a server keeps (deleted ones do not count).
	MaxBots = 1000
	// MaxBotRooms is how many room patterns one bot may list.
	MaxBotRooms = 100
	// MaxIncomingHooks is how many incoming webhooks a server keeps.
	MaxIncomingHooks = 1000
)

// Bot is a bot user with what limits it.
type Bot struct {
	// User is the bot's user (Kind UserBot); its ID and Name are what its messages carry.
	User User `json:"user"`
	// Rooms are the rooms the bot may enter, as patterns like a webhook's (RoomPatternMatches:
	// a name, a prefix ending in "*", or "*" for every room but DMs). Empty: none.
	Rooms []string `json:"rooms"`
	// Token reports whether the bot has an API token (one that can sign in); the token itself
	// is shown only when it is made.
	Token bool `json:"token"`
}

// MayUse reports whether the bot may enter room: a pattern of its Rooms covers it.
func (b *Bot) MayUse(room string) bool {
	for _, p := range b.Rooms {
		if RoomPatternMatches(p, room) {
			return true
		}
	}
	return false
}

// RoomsText says which rooms the bot may enter, for a refusal: "its rooms: builds, deploy-*",
// or, for a bot whose list an admin emptied, that it is paused.
func (b *Bot) RoomsText() string {
	if len(b.Rooms) == 0 {
		return "its room list is empty: it is paused until an admin gives it rooms"
	}
	return "its rooms: " + strings.Join(b.Rooms, ", ")
}

// RoomRefused is the refusal of room to the bot, whose patterns do not cover it (MayUse
// false): ECodeForbidden, naming the bot, the room and the bot's rooms (RoomsText). Every
// path a bot posts by (its token on the REST API, an incoming webhook) answers with it.
func (b *Bot) RoomRefused(room string) error {
	return Errorf(ECodeForbidden, "bot %q may not use room %q (%s)", b.User.Name, room, b.RoomsText())
}

// CheckDMBots returns a forbidden error naming the first bot by name among people (in any
// order: callers gather them from a map, and the answer must not vary) whose room patterns
// do not cover room, the DM they are to share, and nil if there is none. A DM with such a bot
// would hold a member that can never join it (its join is refused as any room's outside its
// patterns), so whoever started it would wait for an answer that cannot come; a bot an admin
// lets use DMs (a pattern covering "dm.", such as "dm.*") is DMed as anyone is.
func CheckDMBots(ctx context.Context, bs BotStore, room string, people []User) error {
	for _, u := range slices.SortedFunc(slices.Values(people), func(a, b User) int { return strings.Compare(a.Name, b.Name) }) {
		if u.Kind != UserBot {
			continue
		}
		b, found, err := bs.Bot(ctx, u.ID)
		if err != nil {
			return err
		}
		if !found || !b.MayUse(room) {
			return Errorf(ECodeForbidden, "bot %q does not take direct messages (its rooms do not cover \"dm.\"; an admin may add \"dm.*\")", u.Name)
		}
	}
	return nil
}

// ValidateRoomPatterns reports why rooms cannot be a bot's room patterns, or nil: at most
// max of them (0: MaxBotRooms), each "*" or a valid room name, optionally ending in "*".
func ValidateRoomPatterns(rooms []string, max int) error {
	if max <= 0 {
		max = MaxBotRooms
	}
	if len(rooms) > max {
		return Errorf(ECodeLimit, "at most %d room patterns", max)
	}
	for _, p := range rooms {
		if p == "*" {
			continue
		}
		name := p
		if len(p) > 1 && p[len(p)-1] == '*' {
			name = p[:len(p)-1]
		}
		if err := ValidateRoom(name); err != nil {
			return Errorf(ECodeBadRoom, "room pattern %q: %s", p, ErrorMessage(err))
		}
	}
	return nil
}

// BotChange is a partial update of a bot: nil fields stay as they are.
type BotChange struct {
	// Rooms replaces the bot's room patterns.
	Rooms *[]string
	// TokenHash replaces the token (SecretHash of a new one: a rotation); "" takes the token
	// away, so that the bot can no longer sign in.
	TokenHash *string
}

// IncomingHook is an admin's URL that posts messages into one room as a bot.
type IncomingHook struct {
	// ID is assigned by the Store ("ih_" and random hex); the hook's URL is
	// /hooks/{ID}/{secret}.
	ID string `json:"id"`
	// Room is the room the hook posts into.
	Room string `json:"room"`
	// Bot is the user id of the bot the hook posts as; BotName its name, as read.
	Bot     string `json:"bot"`
	BotName string `json:"bot_name"`
	// SecretHash is SecretHash of the URL's secret; the secret is shown only when it is made.
	SecretHash string `json:"-"`
	// Created is when the hook was stored (UTC, millisecond precision).
	Created time.Time `json:"created"`
}

// BotStore keeps bots' tokens and rooms, and incoming webhooks. Every Store is one.
//
// Contract, which internal/storetest checks on every implementation:
//   - CreateBot stores a new user of Kind UserBot (role member) named name, with the room
//     patterns rooms (ValidateRoomPatterns, else ECodeBadRoom or ECodeLimit) and the token
//     hash tokenHash ("" for a bot without a token), in one transaction: a name whose key
//     another user holds is ECodeNameTaken and stores nothing. More than MaxBots live bots is
//     ECodeLimit. Two bots never share a non-empty token hash (ECodeExists).
//   - BotByToken finds the live bot whose token hash is tokenHash; found is false for an
//     empty hash, an unknown one, a deleted or disabled bot.
//   - Bot returns a live bot by user id (found false for any other user). Bots lists the
//     live bots in ascending order of user id.
//   - UpdateBot applies a BotChange atomically (a refused change changes nothing); an unknown
//     or deleted bot is ECodeNotFound.
//   - DeleteBot deletes a bot's token, rooms and incoming webhooks and disables its user (who
//     keeps their id and name: their messages still name them); ECodeNotFound if id is no live
//     bot.
//   - CreateIncomingHook stores h (Room, Bot, SecretHash read) with a fresh ID ("ih_" and 16
//     random bytes in hex) and Created: ECodeBadRoom for a bad room, ECodeMissing for an
//     empty SecretHash, ECodeNotFound if Bot is no live bot, ECodeLimit past
//     MaxIncomingHooks. IncomingHook and IncomingHooks return hooks with BotName filled in,
//     IncomingHooks in ascending ID order; DeleteIncomingHook of an unknown id is
//     ECodeNotFound.
type BotStore interface {
	// CreateBot stores a new bot user.
	CreateBot(ctx context.Context, name string, rooms []string, tokenHash string) (Bot, error)
	// BotByToken returns the live bot holding tokenHash.
	BotByToken(ctx context.Context, tokenHash string) (b Bot, found bool, err error)
	// Bot returns the live bot with user id id.
	Bot(ctx context.Context, id string) (b Bot, found bool, err error)
	// Bots returns every live bot.
	Bots(ctx context.Context) ([]Bot, error)
	// UpdateBot changes a bot and returns it as stored.
	UpdateBot(ctx context.Context, id string, c BotChange) (Bot, error)
	// DeleteBot deletes a bot's token, rooms and hooks, and disables its user.
	DeleteBot(ctx context.Context, id string) error

	// CreateIncomingHook stores a new incoming webhook.
	CreateIncomingHook(ctx context.Context, h IncomingHook) (IncomingHook, error)
	// IncomingHook returns the hook with id.
	IncomingHook(ctx context.Context, id string) (h IncomingHook, found bool, err error)
	// IncomingHooks returns every hook.
	IncomingHooks(ctx context.Context) ([]IncomingHook, error)
	// DeleteIncomingHook deletes a hook.
	DeleteIncomingHook(ctx context.Context, id string) error
}
