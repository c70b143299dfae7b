package commands

import (
	"context"

	"hubbub"
	"hubbub/internal/signing"
)

// What the admin API and `hubbub command` share: registering a command makes its bot user and
// its secret; both go through the store, so every node sees the same.

// AddRequest is what an admin gives to register a command.
type AddRequest struct {
	// Name is the command's name, without the slash.
	Name string `json:"name"`
	// URL receives its uses.
	URL string `json:"url"`
	// Description says what it does, for the clients' list (optional).
	Description string `json:"description,omitempty"`
	// Bot names the bot user its answers are posted as (default: the command's name). A bot
	// user of that name is used again (commands may share one); a person's name is refused.
	Bot string `json:"bot,omitempty"`
	// CreatedBy is the admin's user id ("" for the operator at the command line).
	CreatedBy string `json:"-"`
}

// Registered is a command as the admin API shows it: the store's, with its bot user's name.
type Registered struct {
	hubbub.Command
	BotName string `json:"bot_name"`
}

// Add registers a command: checkURL (an egress client's CheckURL; nil checks nothing) judges its
// URL, its bot user is found or created (Kind hubbub.UserBot), and a fresh secret is made. The
// returned command holds the secret, to be shown to the admin once.
func Add(ctx context.Context, store hubbub.Store, checkURL func(string) error, req AddRequest) (Registered, error) {
	if err := hubbub.ValidateCommandName(req.Name); err != nil {
		return Registered{}, err
	}
	if checkURL != nil {
		if err := checkURL(req.URL); err != nil {
			return Registered{}, hubbub.Errorf(hubbub.ECodeBadField, "the URL: %v", err)
		}
	}
	if _, found, err := store.Command(ctx, req.Name); err != nil {
		return Registered{}, err
	} else if found { // before a bot user is made for nothing
		return Registered{}, hubbub.Errorf(hubbub.ECodeExists, "/%s exists already", req.Name)
	}
	botName := req.Bot
	if botName == "" {
		botName = req.Name
	}
	bot, err := botUser(ctx, store, botName)
	if hubbub.ErrorCode(err) == hubbub.ECodeNameTaken && req.Bot == "" {
		// The admin named no bot: say that the command's name was taken as one, and how to
		// name another, rather than ask for "another bot name" they never gave.
		return Registered{}, hubbub.Errorf(hubbub.ECodeNameTaken,
			"/%s answers as a bot user named after it by default, and %q is a person's name: name its bot (\"bot\" in the API, --bot in hubbub command add)", req.Name, botName)
	}
	if err != nil {
		return Registered{}, err
	}
	c, err := store.CreateCommand(ctx, hubbub.Command{Name: req.Name, URL: req.URL, Description: req.Description,
		Bot: bot.ID, Secret: signing.NewSecret(), CreatedBy: req.CreatedBy})
	if err != nil {
		return Registered{}, err
	}
	return Registered{Command: c, BotName: bot.Name}, nil
}

// botUser returns the bot user named name, creating it if no user holds the name.
func botUser(ctx context.Context, store hubbub.Store, name string) (hubbub.User, error) {
	u, found, err := store.UserByName(ctx, name)
	if err != nil {
		return hubbub.User{}, err
	}
	if found {
		if u.Kind != hubbub.UserBot {
			return hubbub.User{}, hubbub.Errorf(hubbub.ECodeNameTaken, "%q is a person's name: choose another bot name", name)
		}
		return u, nil
	}
	if err := hubbub.ValidateName(name); err != nil {
		return hubbub.User{}, err
	}
	u, err = store.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserBot, Role: hubbub.RoleMember}, "")
	if hubbub.ErrorCode(err) == hubbub.ECodeNameTaken { // another admin made it at this moment
		return botUser(ctx, store, name)
	}
	return u, err
}

// Rotate gives a command a fresh secret and returns it with the secret: requests and response
// URLs signed with the old one no longer verify.
func Rotate(ctx context.Context, store hubbub.Store, name string) (Registered, error) {
	secret := signing.NewSecret()
	c, err := store.UpdateCommand(ctx, name, hubbub.CommandChange{Secret: &secret})
	if err != nil {
		return Registered{}, err
	}
	return named(ctx, store, c)
}

// List returns the registered commands with their bots' names, without their secrets.
func List(ctx context.Context, store hubbub.Store) ([]Registered, error) {
	cmds, err := store.Commands(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cmds))
	for i, c := range cmds {
		ids[i] = c.Bot
	}
	users, err := store.UsersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	out := make([]Registered, len(cmds))
	for i, c := range cmds {
		c.Secret = ""
		out[i] = Registered{Command: c, BotName: names[c.Bot]}
	}
	return out, nil
}

// named adds the bot's name to c.
func named(ctx context.Context, store hubbub.Store, c hubbub.Command) (Registered, error) {
	u, _, err := store.UserByID(ctx, c.Bot)
	if err != nil {
		return Registered{}, err
	}
	return Registered{Command: c, BotName: u.Name}, nil
}
