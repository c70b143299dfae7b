package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// waitTimeout bounds every wait for the page to reach a state. It is generous because CI runs
// the tests with -race on two busy cores; a passing wait returns as soon as the state is there.
const waitTimeout = 20 * time.Second

// chromiumPath returns the browser to drive, or skips the test (fails it under HUBBUB_E2E=1).
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}
	if p := os.Getenv("HUBBUB_CHROMIUM"); p != "" {
		candidates = []string{p}
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no Chromium found (tried %s; install it with `apt-get install chromium`, or set HUBBUB_CHROMIUM)",
		strings.Join(candidates, ", "))
	if os.Getenv("HUBBUB_E2E") == "1" {
		t.Fatal(msg + "; HUBBUB_E2E=1 requires the browser tests to run")
	}
	t.Skip(msg + "; set HUBBUB_E2E=1 to make this a failure")
	return ""
}

// browser is the test's handle on the package's one headless Chromium process (shared).
type browser struct {
	t   *testing.T
	ctx context.Context // the browser's first tab; users get their own contexts
}

// shared is the Chromium process every test of the package drives: starting one per test
// (51 of them) cost a few seconds each on two busy cores. Users never share state through
// it: each gets a browser context of its own (newUser), with its own cookies and storage, as
// a separate profile would have, closed when its test ends. TestMain stops it.
var shared struct {
	mu   sync.Mutex
	ctx  context.Context
	stop func()
}

// startBrowser returns the shared Chromium, starting it on the first call (or again, should it
// have died). Tests call it first, so that without a browser they skip before starting
// anything else.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.ctx == nil || shared.ctx.Err() != nil {
		if shared.stop != nil {
			shared.stop()
		}
		ctx, stop, err := launchBrowser(path)
		if err != nil {
			t.Fatalf("start chromium: %v", err)
		}
		shared.ctx, shared.stop = ctx, stop
	}
	return &browser{t: t, ctx: shared.ctx}
}

// stopBrowser stops the shared Chromium, if it was started.
func stopBrowser() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.stop != nil {
		shared.stop()
		shared.ctx, shared.stop = nil, nil
	}
}

// launchBrowser starts Chromium at path with a fresh profile, and returns its first tab and
// what stops it (gracefully, then for sure) and removes the profile.
func launchBrowser(path string) (context.Context, func(), error) {
	profile, err := os.MkdirTemp("", "hubbub-e2e-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root in CI containers
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
		// The network is closed: without these Chromium keeps trying to reach Google.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("mute-audio", true),
		// Several users share the browser, one window each; none may be throttled as hidden.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	stop := func() {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		_ = chromedp.Cancel(cctx)
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	}
	if err := chromedp.Do(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return ctx, stop, nil
}

// user is one person in their own browser context: separate cookies and localStorage, as a
// separate browser profile would have, in a window of their own.
type user struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu         sync.Mutex
	console    []string // everything the page logged, for failure messages
	errors     []string // what of it was logged as an error (the browser's "Failed to load resource" too)
	exceptions []string // uncaught exceptions, which fail the test
}

// newUser opens a window for name with a 1280×800 viewport.
func (b *browser) newUser(name string) *user {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	u := &user{t: b.t, name: name, ctx: ctx}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			u.mu.Lock()
			u.console = append(u.console, m.String())
			if m.Type == chromedp.ConsoleError {
				u.errors = append(u.errors, m.String())
			}
			if m.IsException() {
				u.exceptions = append(u.exceptions, m.String())
			}
			u.mu.Unlock()
		}
	}()
	b.t.Cleanup(func() {
		u.mu.Lock()
		exceptions := u.exceptions
		u.mu.Unlock()
		if len(exceptions) > 0 {
			// The page must not throw, whatever the test was about.
			b.t.Errorf("%s: uncaught exceptions on the page:\n  %s", name, strings.Join(exceptions, "\n  "))
		}
		if b.t.Failed() {
			u.saveFailureScreenshot()
		}
		cancel()
		<-done
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		b.t.Fatalf("%s: open a window: %v", name, err)
	}
	return u
}

// consoleErrors returns what the page logged as errors so far.
func (u *user) consoleErrors() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.errors...)
}

// do runs actions on the user's page, failing the test on error.
func (u *user) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	u.doWithin(waitTimeout, what, actions...)
}

// doWithin is do with its own bound, for steps such as loading a page, which take longer than
// the rest when several browsers share two busy cores.
func (u *user) doWithin(bound time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, bound)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		u.t.Fatalf("%s: %s: %v\n%s", u.name, what, err, u.describe())
	}
}

// createPrivateRoom has the user make the private room name from the room browser, as a person
// does: the browser opened from the sidebar, the name typed, Private ticked, Create pressed.
// The caller waits for what it needs of the room (its title, its owner's entry).
func (u *user) createPrivateRoom(name string) {
	u.t.Helper()
	u.do("open the room browser", chromedp.Click(chromedp.CSS("#browse-rooms")))
	u.do("create the private room "+name,
		chromeSendKeys("#create-name", name),
		chromedp.Click(chromedp.CSS("#create-private")),
		chromedp.Click(chromedp.CSS("#create-submit")))
}

// invite invites name to the private room in view with its invite button, and waits for the
// room's line that says so.
func (u *user) invite(name string) {
	u.t.Helper()
	u.waitFor("the invite button", `!document.getElementById("invite-button").hidden`)
	u.do("invite "+name, chromedp.Click(chromedp.CSS("#invite-button")))
	u.do("type "+name, chromeSendKeys("#invite-name", name), pressEnter(chromedp.CSS("#invite-name")))
	u.waitFor("the invitation of "+name+" shown in the room", `Array.from(document.querySelectorAll("#message-list .room-notice"), e => e.textContent).some(t => t.startsWith(`+
		strconv.Quote(u.name+" invited "+name)+`))`)
}

// acceptInvitation accepts the invitation to room in the sidebar, once it is there.
func (u *user) acceptInvitation(room string) {
	u.t.Helper()
	accept := `#invite-list [data-room="` + room + `"] .invite-accept`
	u.waitFor("the invitation to "+room, `!!document.querySelector(`+strconv.Quote(accept)+`)`)
	u.do("accept it", chromedp.Click(chromedp.CSS(accept)))
}

// recordNotices has every page the user loads from now on keep each notice it shows, in order,
// in window.noticesSeen: a notice hides itself after 8 s, which a test waiting on a busy
// machine (a reload's load event, the race detector) may pass before it looks.
func recordNotices() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.noticesSeen = [];
			document.addEventListener("DOMContentLoaded", () => {
				const notice = document.getElementById("notice");
				if (!notice) return;
				const record = () => {
					const text = document.getElementById("notice-text").textContent;
					if (!notice.hidden && text && window.noticesSeen[window.noticesSeen.length - 1] !== text) window.noticesSeen.push(text);
				};
				new MutationObserver(record).observe(notice, { subtree: true, childList: true, characterData: true, attributes: true });
				// A notice the page showed before this listener ran (its welcome can be handled
				// first on a busy machine): CI missed "ann2 … “ann”" so.
				record();
			});`})
		return chromedp.Void{}, err
	}
}

// eval evaluates a JavaScript expression on the user's page.
func eval[T any](u *user, expr string) T {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		u.t.Fatalf("%s: evaluate %s: %v", u.name, expr, err)
	}
	return v
}

// waitFor polls a JavaScript expression until it is truthy.
func (u *user) waitFor(what, expr string) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, waitTimeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		u.t.Fatalf("%s: waiting for %s: %v\n%s", u.name, what, err, u.describe())
	}
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Expressions over the page's DOM, shared by the tests. They read what a person sees: the
// message rows, the connection status, the room list.
const (
	exprLive          = `document.getElementById("conn-status").dataset.state === "live"`
	exprState         = `document.getElementById("conn-status").dataset.state`
	exprConfirmedText = `Array.from(document.querySelectorAll("#message-list .msg[data-seq] .text"), e => e.textContent)`
	exprSeqs          = `Array.from(document.querySelectorAll("#message-list .msg[data-seq]"), e => Number(e.dataset.seq))`
	exprPendingCount  = `document.querySelectorAll("#message-list .msg.pending").length`
	exprMembers       = `Array.from(document.querySelectorAll("#member-list .member-name"), e => e.textContent)`
)

// open loads the page (the name dialog shows on a first visit) and answers the name prompt
// with the keyboard, then waits for the connection to be live.
func (u *user) open(url string) {
	u.t.Helper()
	u.doWithin(3*waitTimeout, "open "+url, chromedp.Navigate(url))
	u.waitFor("the name dialog", `document.getElementById("name-dialog").open`)
	u.do("type a name",
		typeInto("#name-input", u.name),
		pressEnter(chromedp.CSS("#name-input")))
	u.waitFor("a live connection", exprLive)
}

// room brings a room into view the way a person does: its link in the sidebar, or the join
// form for a room not yet in the list.
func (u *user) room(name string) {
	u.t.Helper()
	if eval[bool](u, `!!document.querySelector(`+js(`#room-list [data-room="`+name+`"] a`)+`)`) {
		u.do("click #"+name, chromedp.Click(chromedp.CSS(`#room-list [data-room="`+name+`"] a`)))
	} else {
		u.do("join #"+name,
			typeInto("#join-input", name),
			pressEnter(chromedp.CSS("#join-input")))
	}
	u.waitFor("#"+name+" in view", `document.getElementById("room-title").textContent === `+js("#"+name))
}

// say types a message in the composer and presses Enter.
func (u *user) say(text string) {
	u.t.Helper()
	u.do("say "+text,
		typeInto("#composer-input", text),
		pressEnter(chromedp.CSS("#composer-input")))
}

// see waits until the room in view shows a confirmed message with exactly this text from
// this sender, visible on screen.
func (u *user) see(from, text string) {
	u.t.Helper()
	u.waitFor(fmt.Sprintf("%s's message %q", from, text), `Array.from(document.querySelectorAll("#message-list .msg[data-seq]")).some(e =>
		e.dataset.from === `+js(from)+` && e.querySelector(".text").textContent === `+js(text)+` && e.getClientRects().length > 0)`)
}

// seeOnce asserts that each text is shown exactly once, and that no seq is shown twice.
func (u *user) seeOnce(texts ...string) {
	u.t.Helper()
	shown := eval[[]string](u, exprConfirmedText)
	for _, text := range texts {
		n := 0
		for _, s := range shown {
			if s == text {
				n++
			}
		}
		if n != 1 {
			u.t.Errorf("%s: %q is shown %d times, want once; shown: %q", u.name, text, n, shown)
		}
	}
	seqs := eval[[]int](u, exprSeqs)
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			u.t.Errorf("%s: seqs out of order or repeated: %v", u.name, seqs)
			break
		}
	}
}

// pressEnter presses Enter in the element as a keyboard does: one keyDown carrying the text
// "\r" (the page sees keydown, then keypress unless keydown was cancelled, which is what submits
// a form from an input or clicks a focused button) and one keyUp. SendKeys would add a separate
// char event, which would put a new line in the composer after its keydown handler has already
// sent the message.
func pressEnter(sel chromedp.CSS) chromedp.Action[chromedp.Void] { return pressKey(sel, "Enter") }

// keyCodes are the keys pressKey knows, with their Windows virtual key codes and text.
var keyCodes = map[string]struct {
	code int64
	text string
}{"Enter": {13, "\r"}, "Escape": {27, ""}, "Tab": {9, ""}, "ArrowUp": {38, ""}, "ArrowRight": {39, ""}, "ArrowDown": {40, ""}}

// pressKey focuses the element, then presses and releases key there.
func pressKey(sel chromedp.CSS, key string) chromedp.Action[chromedp.Void] {
	focus := chromedp.Focus(sel)
	k, ok := keyCodes[key]
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if !ok {
			return chromedp.Void{}, fmt.Errorf("pressKey: unknown key %q", key)
		}
		if _, err := focus(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		down := input.DispatchKeyEventTypeRawKeyDown
		if k.text != "" {
			down = input.DispatchKeyEventTypeKeyDown
		}
		for _, p := range []input.DispatchKeyEventParams{
			{Type: down, Text: k.text, UnmodifiedText: k.text},
			{Type: input.DispatchKeyEventTypeKeyUp},
		} {
			p.Key, p.Code, p.WindowsVirtualKeyCode, p.NativeVirtualKeyCode = key, key, k.code, k.code
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return chromedp.Void{}, err
			}
		}
		return chromedp.Void{}, nil
	}
}

// waitVisibleAfterNavigation waits for sel on the page that the step's last action (a link
// followed, a form submitted) loads. chromedp's WaitVisible finds the selector's nodes and then
// reads their boxes; when the old document goes between the two, Chromium answers "Could not
// find node with given id" and the wait failed (CI, TestSignInThroughThePage). The wait then
// starts again, on whichever document is there now; any other error ends it.
func waitVisibleAfterNavigation(sel chromedp.CSS) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			_, err := chromedp.WaitVisible(sel)(ctx, t)
			if err == nil || !strings.Contains(err.Error(), "Could not find node with given id") {
				return chromedp.Void{}, err
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, err
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// screenshot captures the user's viewport as PNG.
func (u *user) screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(u.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}

// describe summarises the page for a failure message.
func (u *user) describe() string {
	ctx, cancel := context.WithTimeout(u.ctx, 3*time.Second)
	defer cancel()
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		state: document.getElementById("conn-status").dataset.state,
		room: document.getElementById("room-title").textContent,
		rooms: Array.from(document.querySelectorAll("#room-list .room"), e => e.textContent),
		members: `+exprMembers+`,
		messages: Array.from(document.querySelectorAll("#message-list .msg"), e =>
			(e.dataset.seq || "pending:" + e.dataset.state) + " " + e.dataset.from + ": " + e.querySelector(".text").textContent),
		typing: document.getElementById("typing").textContent,
		notice: document.getElementById("notice").hidden ? "" : document.getElementById("notice").textContent,
	})`))
	if err != nil {
		state = "(page state unavailable: " + err.Error() + ")"
	}
	u.mu.Lock()
	console := strings.Join(u.console, "\n  ")
	u.mu.Unlock()
	return fmt.Sprintf("page of %s: %s\nconsole:\n  %s", u.name, state, console)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// saveFailureScreenshot keeps a picture of the page for whoever reads the failure.
func (u *user) saveFailureScreenshot() {
	dir := os.Getenv("HUBBUB_E2E_ARTIFACTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "hubbub-e2e-"); err != nil {
			u.t.Logf("%s: no directory for the failure screenshot: %v", u.name, err)
			return
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		u.t.Logf("%s: no directory for the failure screenshot: %v", u.name, err)
		return
	}
	png, err := u.screenshot()
	if err != nil {
		u.t.Logf("%s: failure screenshot: %v", u.name, err)
		return
	}
	path := filepath.Join(dir, unsafeName.ReplaceAllString(u.t.Name()+"-"+u.name, "_")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		u.t.Logf("%s: failure screenshot: %v", u.name, err)
		return
	}
	u.t.Logf("%s: screenshot of the failure: %s\n%s", u.name, path, u.describe())
}

// chromeSendKeys types into the element matching a CSS selector.
func chromeSendKeys(sel, text string) chromedp.Action[chromedp.Void] { return typeInto(sel, text) }

// typeInto focuses the element matching a CSS selector and inserts text at its caret as one
// input, as a paste or an input method does (the page sees an input event). Not
// chromedp.SendKeys: in chromedp v0.23.0 it reads the node's attributes before taking the
// node's lock (query.go), which the race detector reports whenever the page changes an
// attribute of that element meanwhile — the composer's placeholder follows the room in view,
// and a room list arriving while a test types changes it.
func typeInto(sel, text string) chromedp.Action[chromedp.Void] {
	focus := chromedp.Focus(chromedp.CSS(sel))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		// Right after a navigation the node found may belong to the document being replaced
		// ("Could not find node with given id", seen in CI on the sign-in page): focus again,
		// which types nothing, until the new document's node answers or ctx ends.
		for {
			_, err := focus(ctx, t)
			if err == nil {
				break
			}
			if !strings.Contains(err.Error(), "Could not find node with given id") {
				return chromedp.Void{}, err
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, err
			case <-time.After(50 * time.Millisecond):
			}
		}
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return chromedp.Void{}, err
	}
}

// chromeReload reloads the page.
func chromeReload() chromedp.Action[chromedp.Void] { return chromedp.Reload() }

// chromeEval runs a JavaScript expression for its effect.
func chromeEval(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](expr)
}
