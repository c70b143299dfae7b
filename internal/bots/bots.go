// Package bots is what an admin does with bots and incoming webhooks (issue 18), shared by
// the REST API (/api/bots, /api/hooks) and the CLI (hubbub bot, hubbub hook): making a bot
// with a fresh token, rotating it, making a hook with a fresh secret and the bot it posts as.
// The rules of what may be stored are the Store's (hubbub.BotStore); this package only
// generates the secrets, which it returns once and never stores.
package bots

import (
	"context"
	"strings"

	"hubbub"
)

// Create makes a bot named name that may enter rooms (patterns), with a fresh API token,
// returned once.
func Create(ctx context.Context, s hubbub.BotStore, name string, rooms []string) (hubbub.Bot, string, error) {
	token := hubbub.NewBotToken()
	b, err := s.CreateBot(ctx, name, rooms, hubbub.SecretHash(token))
	if err != nil {
		return hubbub.Bot{}, "", err
	}
	return b, token, nil
}

// Rotate gives bot id a fresh token, returned once; the old one stops working at once.
func Rotate(ctx context.Context, s hubbub.BotStore, id string) (hubbub.Bot, string, error) {
	token := hubbub.NewBotToken()
	hash := hubbub.SecretHash(token)
	b, err := s.UpdateBot(ctx, id, hubbub.BotChange{TokenHash: &hash})
	if err != nil {
		return hubbub.Bot{}, "", err
	}
	return b, token, nil
}

// Find returns the live bot named name (compared as names are, by hubbub.NameKey) or with
// user id name; ECodeNotFound if there is none.
func Find(ctx context.Context, s hubbub.Store, name string) (hubbub.Bot, error) {
	if strings.HasPrefix(name, "u_") {
		if b, found, err := s.Bot(ctx, name); err != nil || found {
			return b, err
		}
	}
	u, found, err := s.UserByName(ctx, name)
	if err != nil {
		return hubbub.Bot{}, err
	}
	if found {
		if b, found, err := s.Bot(ctx, u.ID); err != nil || found {
			return b, err
		}
	}
	return hubbub.Bot{}, hubbub.Errorf(hubbub.ECodeNotFound, "no bot %q", name)
}

// DefaultHookBot is the name of the bot a hook into room posts as when none is named:
// "hook-" and the room, cut to hubbub.MaxNameLen.
func DefaultHookBot(room string) string {
	name := "hook-" + room
	if len(name) > hubbub.MaxNameLen {
		name = name[:hubbub.MaxNameLen]
	}
	return name
}

// CreateHook makes an incoming webhook into room with a fresh secret, returned once. It posts
// as the bot named botName: an existing bot, or a new one (room as its only room, no token)
// if no user holds the name; "" means DefaultHookBot(room). An existing bot's patterns must
// cover room (ECodeForbidden, naming its rooms, else): the hook's posts are checked as the
// bot's own. A room named like a DM's must be a DM someone started (hubbub.CheckDMStarted),
// with the bot among its people (notInDM).
func CreateHook(ctx context.Context, s hubbub.Store, room, botName string) (hubbub.IncomingHook, string, error) {
	if err := hubbub.ValidateRoom(room); err != nil {
		return hubbub.IncomingHook{}, "", err
	}
	if err := hubbub.CheckDMStarted(ctx, s, room); err != nil {
		return hubbub.IncomingHook{}, "", err
	}
	if botName == "" {
		botName = DefaultHookBot(room)
	}
	b, err := Find(ctx, s, botName)
	switch {
	case hubbub.ErrorCode(err) == hubbub.ECodeNotFound && hubbub.IsDMRoom(room):
		// A new bot is no one's DM partner, and never becomes one: refused before it is made.
		return hubbub.IncomingHook{}, "", notInDM(botName, room)
	case hubbub.ErrorCode(err) == hubbub.ECodeNotFound:
		b, err = s.CreateBot(ctx, botName, []string{room}, "")
	case err == nil && !b.MayUse(room):
		// Its posts would all be refused (the hook posts as the bot, within its rooms).
		return hubbub.IncomingHook{}, "", hubbub.Errorf(hubbub.ECodeForbidden,
			"bot %q may not use room %q (%s): give it the room first (hubbub bot rooms, PATCH /api/bots/{bot}) or name another bot",
			b.User.Name, room, b.RoomsText())
	}
	if err != nil {
		return hubbub.IncomingHook{}, "", err
	}
	if hubbub.IsDMRoom(room) {
		m, found, err := s.Membership(ctx, room, b.User.ID)
		if err != nil {
			return hubbub.IncomingHook{}, "", err
		}
		if !found || m.Invited {
			return hubbub.IncomingHook{}, "", notInDM(b.User.Name, room)
		}
	}
	secret := hubbub.NewHookSecret()
	h, err := s.CreateIncomingHook(ctx, hubbub.IncomingHook{Room: room, Bot: b.User.ID, SecretHash: hubbub.SecretHash(secret)})
	if err != nil {
		return hubbub.IncomingHook{}, "", err
	}
	return h, secret, nil
}

// notInDM refuses a hook into DM room for bot, which is not one of its people. A DM's people
// are fixed when it starts, so each post of such a hook would be refused — as a DM its poster
// is not in, "not found", to keep who talks with whom private — and the hook could never
// post. The admin making the hook may know the DM exists; a bot with dm.* among its rooms
// takes part in a DM started with it (POST /api/dms), and a hook as that bot posts there.
func notInDM(bot, room string) error {
	return hubbub.Errorf(hubbub.ECodeForbidden,
		"bot %q is not one of the people of direct message %q, and a DM's people are fixed when it starts: its hook could never post there; start a DM with the bot among its people (POST /api/dms; the bot's rooms must cover dm.*) and make the hook as that bot",
		bot, room)
}

// HookPath is the path of hook id's URL with secret: /hooks/{id}/{secret}.
func HookPath(id, secret string) string { return "/hooks/" + id + "/" + secret }
