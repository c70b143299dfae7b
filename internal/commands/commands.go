// Package commands runs slash commands (issue 18): a user's "/name args" is posted, signed with
// the command's secret, to the URL an admin registered for it, through internal/egress (so no
// command reaches an address inside the server's network unless the admin allowed it), and the
// answer is posted to the room as the command's bot user or shown to the caller alone. A
// command that does not answer within the timeout leaves the caller a "working…" notice and
// may answer later, once, through the response URL it was given (respond.go).
//
// The registry itself is the store's (hubbub.CommandStore); registry.go adds what the admin
// API and CLI share: a command's bot user, its secret, the URL's check.
package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"hubbub"
	"hubbub/internal/egress"
	"hubbub/internal/hub"
	"hubbub/internal/session"
	"hubbub/internal/signing"
)

// Defaults of Config.
const (
	// DefaultTimeout is how long a command has to answer before the caller is told it is
	// working (--command-timeout).
	DefaultTimeout = 3 * time.Second
	// DefaultResponseTTL is how long a response URL works (--command-response-ttl).
	DefaultResponseTTL = 15 * time.Minute
	// DefaultMaxRunning is how many uses of commands one node runs at once
	// (--command-concurrency).
	DefaultMaxRunning = 64
	// DefaultMaxText is the longest answer text when Config.MaxText is 0 (the server's default
	// --max-text).
	DefaultMaxText = 4096
)

// EventCommand is the X-Hubbub-Event header of a command's request.
const EventCommand = "command"

// Config configures a Runner. Client is required; the zero value of every other field is its
// default.
type Config struct {
	// Client makes the requests: internal/egress's rules (addresses refused unless allowed, no
	// redirect, a bounded answer).
	Client *egress.Client
	// Timeout is how long a command has to answer (default DefaultTimeout).
	Timeout time.Duration
	// ResponseTTL is how long a response URL works (default DefaultResponseTTL).
	ResponseTTL time.Duration
	// PublicURL is this server's base URL as a command's own server reaches it
	// ("https://chat.example.com"): response URLs are PublicURL + "/commands/respond/…".
	PublicURL string
	// MaxRunning bounds the uses running at once on this node (default DefaultMaxRunning);
	// past it a use is refused with rate_limited.
	MaxRunning int
	// MaxText is the longest answer text, in bytes after cleaning (default DefaultMaxText;
	// the server passes its --max-text).
	MaxText int
	// Now is the clock (default time.Now), for the tests of response URLs.
	Now func() time.Time
	// Logger receives the runner's logs (default: discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ResponseTTL <= 0 {
		c.ResponseTTL = DefaultResponseTTL
	}
	if c.MaxRunning <= 0 {
		c.MaxRunning = DefaultMaxRunning
	}
	if c.MaxText <= 0 {
		c.MaxText = DefaultMaxText
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// Runner runs the uses of commands on this node. It implements session.CommandRunner. Create it
// with New; Close stops the uses in flight.
type Runner struct {
	cfg   Config
	hub   *hub.Hub
	store hubbub.Store
	log   *slog.Logger

	base    context.Context // cancelled by Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	running chan struct{} // one token per use in flight
}

var _ session.CommandRunner = (*Runner)(nil)

// New returns a runner that posts answers through h (and reads commands and bot users from
// h's store).
func New(cfg Config, h *hub.Hub) *Runner {
	cfg = cfg.withDefaults()
	base, cancel := context.WithCancel(context.Background())
	return &Runner{cfg: cfg, hub: h, store: h.Store(), log: cfg.Logger.With("component", "commands"),
		base: base, cancel: cancel, running: make(chan struct{}, cfg.MaxRunning)}
}

// Close cancels the uses in flight and waits for them to end.
func (r *Runner) Close() {
	r.cancel()
	r.wg.Wait()
}

// Commands lists the registered commands (session.CommandRunner).
func (r *Runner) Commands(ctx context.Context) ([]hubbub.Command, error) {
	cmds, err := r.store.Commands(ctx)
	if err != nil {
		r.log.Error("reading the commands failed", "err", err)
		return nil, hubbub.Errorf(hubbub.ECodeUnavailable, "the list of commands cannot be read now; try again")
	}
	return cmds, nil
}

// request is the body of a command's request (docs/integrations.md).
type request struct {
	Command     string      `json:"command"`
	Args        string      `json:"args"`
	Room        string      `json:"room"`
	User        requestUser `json:"user"`
	ResponseURL string      `json:"response_url"`
	// ID is this use's id, for the receiver's deduplication (X-Hubbub-Event-Id too).
	ID string `json:"id"`
}

// requestUser is the caller, as the request names them.
type requestUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Start begins one use of a command (session.CommandRunner): an unknown command, or a node
// running as many uses as it may, is refused at once; otherwise the request is posted in the
// background and tell hears what the caller alone must see.
func (r *Runner) Start(ctx context.Context, call session.CommandCall, tell func(hubbub.CommandNotice)) error {
	cmd, found, err := r.store.Command(ctx, call.Name)
	if err != nil {
		r.log.Error("reading a command failed", "command", call.Name, "err", err)
		return hubbub.Errorf(hubbub.ECodeUnavailable, "/%s cannot be used now; try again", call.Name)
	}
	if !found {
		return hubbub.Errorf(hubbub.ECodeNotFound, "there is no command /%s", call.Name)
	}
	select {
	case r.running <- struct{}{}:
	default:
		return hubbub.Errorf(hubbub.ECodeRateLimited, "too many commands are running; try again in a moment")
	}
	if r.base.Err() != nil {
		<-r.running
		return hubbub.Errorf(hubbub.ECodeUnavailable, "the server is shutting down")
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() { <-r.running }()
		r.run(cmd, call, tell)
	}()
	return nil
}

// run posts one use and delivers its answer.
func (r *Runner) run(cmd hubbub.Command, call session.CommandCall, tell func(hubbub.CommandNotice)) {
	id := newCallID()
	tok := responseToken{Command: cmd.Name, Room: call.Room, User: call.User, Call: id, Frame: call.ID,
		Expires: r.cfg.Now().Add(r.cfg.ResponseTTL).Unix()}
	body, _ := json.Marshal(request{Command: cmd.Name, Args: call.Args, Room: call.Room,
		User: requestUser{ID: call.User, Name: call.UserName}, ResponseURL: r.cfg.PublicURL + RespondPath + tok.sign(cmd.Secret), ID: id})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(signing.HeaderEvent, EventCommand)
	h.Set(signing.HeaderEventID, id)
	signing.SetHeaders(h, cmd.Secret, r.cfg.Now(), body)
	ctx, cancel := context.WithTimeout(r.base, r.cfg.Timeout)
	defer cancel()
	notice := hubbub.CommandNotice{Room: call.Room, Command: cmd.Name, ID: call.ID}
	resp, err := r.cfg.Client.Post(ctx, cmd.URL, h, body)
	switch {
	case r.base.Err() != nil:
		return // shutting down: nobody is left to tell
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil):
		notice.Kind, notice.Text = hubbub.NoticeWorking, fmt.Sprintf("/%s is working…", cmd.Name)
		tell(notice)
		return
	case err != nil:
		// A refused address names --command-allow-private, which lifts it: the admin reads this.
		r.log.Info("a command's URL failed", "command", cmd.Name, "err", r.cfg.Client.WithSetting(err, allowPrivateFlag))
		notice.Kind, notice.Text = hubbub.NoticeFailed, fmt.Sprintf("/%s could not be reached: %s", cmd.Name, reason(err))
		tell(notice)
		return
	case resp.Status < 200 || resp.Status > 299:
		r.log.Info("a command's URL refused", "command", cmd.Name, "status", resp.Status)
		notice.Kind, notice.Text = hubbub.NoticeFailed, fmt.Sprintf("/%s failed (HTTP %d)", cmd.Name, resp.Status)
		tell(notice)
		return
	}
	ans, err := parseAnswer(resp.Body, resp.Truncated, r.cfg.MaxText)
	if err != nil {
		r.log.Info("a command's answer is unusable", "command", cmd.Name, "err", err)
		notice.Kind, notice.Text = hubbub.NoticeFailed, fmt.Sprintf("/%s answered with %s", cmd.Name, hubbub.ErrorMessage(err))
		tell(notice)
		return
	}
	if ans == nil {
		return // an empty answer: the command says nothing now (it may answer later)
	}
	if _, err := r.deliver(r.base, cmd, ans, "cmd-"+id, &notice, tell); err != nil {
		notice.Kind, notice.Text = hubbub.NoticeFailed, fmt.Sprintf("/%s answered, but its answer was not posted: %s", cmd.Name, hubbub.ErrorMessage(err))
		tell(notice)
	}
}

// reason is what the caller is told of a failed request: egress's errors name only the URL's
// scheme and host, and a refused address says why.
func reason(err error) string {
	var refused *egress.RefusedError
	if errors.As(err, &refused) {
		return "its address is not allowed (" + refused.Reason + ")"
	}
	return "the request failed"
}

// deliver posts ans: to the room as the command's bot user (with clientID, so that a second
// post stores nothing and reports duplicate), or, ephemeral, to the caller alone through tell.
func (r *Runner) deliver(ctx context.Context, cmd hubbub.Command, ans *answer, clientID string, notice *hubbub.CommandNotice,
	tell func(hubbub.CommandNotice)) (duplicate bool, err error) {
	bot, found, err := r.store.UserByID(ctx, cmd.Bot)
	if err != nil {
		r.log.Error("reading a command's bot user failed", "command", cmd.Name, "err", err)
		return false, hubbub.Errorf(hubbub.ECodeUnavailable, "the store did not answer")
	}
	if !found || bot.Disabled {
		return false, hubbub.Errorf(hubbub.ECodeNotFound, "its bot user is gone or disabled")
	}
	if ans.Ephemeral {
		n := *notice
		n.Kind, n.Text, n.From = hubbub.NoticeAnswer, ans.Text, bot.Name
		tell(n)
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, dup, err := r.hub.Send(ctx, &hubbub.Entry{Room: notice.Room, From: bot.Name, User: bot.ID, Text: ans.Text, ClientID: clientID, Bot: true})
	return dup, err
}

// CheckURL refuses a URL this runner would never post to (not http or https, no host, too
// long, or an address its client refuses, naming the setting that lifts that), for an admin
// giving one.
func (r *Runner) CheckURL(raw string) error {
	_, err := r.cfg.Client.CheckURL(raw)
	return r.cfg.Client.WithSetting(err, allowPrivateFlag)
}

// allowPrivateFlag is the setting that lets commands' URLs be private addresses, which a
// refusal of one names (egress.Client.WithSetting).
const allowPrivateFlag = "--command-allow-private"
