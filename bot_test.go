package hubbub

import (
	"context"
	"strings"
	"testing"
)

// botsByID answers Bot from a map; the rest of BotStore is not called by CheckDMBots.
type botsByID struct {
	BotStore
	bots map[string]Bot
}

func (b botsByID) Bot(_ context.Context, id string) (Bot, bool, error) {
	bot, ok := b.bots[id]
	return bot, ok, nil
}

// TestCheckDMBotsNamesTheSameBotEveryTime: with two bots that take no DMs, the refusal names
// the first by name whatever order the people come in (the callers gather them from a map),
// and a bot whose patterns cover "dm." is DMed as anyone is.
func TestCheckDMBotsNamesTheSameBotEveryTime(t *testing.T) {
	zed := User{ID: "u1", Name: "zed-bot", Kind: UserBot}
	amy := User{ID: "u2", Name: "amy-bot", Kind: UserBot}
	ann := User{ID: "u3", Name: "ann", Kind: UserAccount}
	store := botsByID{bots: map[string]Bot{"u1": {User: zed, Rooms: []string{"general"}}, "u2": {User: amy, Rooms: []string{"ops*"}}}}
	for _, people := range [][]User{{ann, zed, amy}, {amy, ann, zed}, {zed, amy, ann}} {
		err := CheckDMBots(context.Background(), store, "dm.x", people)
		if ErrorCode(err) != ECodeForbidden || !strings.Contains(err.Error(), `"amy-bot"`) {
			t.Errorf("people %v: %v, want forbidden naming amy-bot", people, err)
		}
	}
	store.bots["u2"] = Bot{User: amy, Rooms: []string{"dm.*"}}
	store.bots["u1"] = Bot{User: zed, Rooms: []string{"dm.*"}}
	if err := CheckDMBots(context.Background(), store, "dm.x", []User{zed, amy, ann}); err != nil {
		t.Errorf("bots that take DMs: %v", err)
	}
}
