package accounts_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/servertest"
)

// upgradeAs opens a hubbub.v1 connection with b's session cookie, says hello without a name
// (the account is the cookie's) and returns it with its welcome.
func (b *browser) upgradeAs() (*servertest.JSONClient, servertest.Frame) {
	b.t.Helper()
	h := http.Header{"Cookie": {b.sessionCookie().String()}, "Origin": {b.s.URL}}
	c := servertest.NewJSONClient(b.t, servertest.Dial(b.t, b.s.WS, hubbub.ProtocolJSON, h))
	c.Send(servertest.Frame{"type": "hello"})
	return c, c.AwaitFunc("welcome or error", func(f servertest.Frame) bool { return f.Type() == "welcome" || f.Type() == "error" })
}

// postJSON posts body to path as a script does, with the CSRF token GET /api/me handed out
// in the X-CSRF-Token header (csrf "" sends none), and returns the answer.
func (b *browser) postJSON(path, csrf, body string) (response, map[string]any) {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.s.URL+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", b.addr)
	if csrf != "" {
		req.Header.Set(accounts.CSRFHeader, csrf)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		b.t.Fatalf("POST %s: %d, not JSON: %v in %q", path, resp.StatusCode, err, data)
	}
	return response{resp.StatusCode, resp.Header, string(data)}, got
}

// meCSRF returns the CSRF token GET /api/me hands a signed-in script.
func (b *browser) meCSRF() string {
	b.t.Helper()
	r := b.do("GET", "/api/me", nil)
	var me accounts.Me
	if err := json.Unmarshal([]byte(r.body), &me); err != nil || me.CSRF == "" {
		b.t.Fatalf("GET /api/me: %d %q", r.status, r.body)
	}
	return me.CSRF
}

// An account changes its own name on the account page. Every open connection of the user —
// one per device here, each opened by its own session — is told (renamed) and goes by the new
// name; the other members see a rename, not a departure; both sessions go on working (they
// are the user id's, not the name's), for the page and for a new upgrade; and the account
// signs in under the new name, no longer under the old. Before, only an operator (`hubbub
// user rename`) could rename an account: the page had no such form and /account/name was 404.
func TestAccountRenamesItself(t *testing.T) { onEveryStore(t, testAccountRenamesItself) }

func testAccountRenamesItself(t *testing.T, start starter) {
	s := start(t, accounts.Config{})
	ann := addUser(t, s, "ann", "", "correct horse")
	laptop, phone := newBrowser(t, s, "10.0.0.1"), newBrowser(t, s, "10.0.0.2")
	for _, b := range []*browser{laptop, phone} {
		if r := b.signIn("ann", "correct horse"); r.status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", r.status)
		}
	}
	onLaptop, w1 := laptop.upgradeAs()
	onPhone, w2 := phone.upgradeAs()
	for _, w := range []servertest.Frame{w1, w2} {
		if w.Type() != "welcome" || w.Str("name") != "ann" {
			t.Fatalf("ann's welcome: %v", w)
		}
	}
	bob := servertest.DialJSON(t, s, "bob")
	for _, c := range []*servertest.JSONClient{onLaptop, onPhone, bob} {
		if f := c.Join("general", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
	}

	if r := laptop.do("GET", "/account", nil); !strings.Contains(r.body, `action="/account/name"`) {
		t.Fatalf("the account page has no form to change the name: %d %s", r.status, r.body)
	}
	r := laptop.post("/account/name", url.Values{"name": {"Annie"}})
	if r.status != http.StatusOK || !strings.Contains(r.body, `<strong id="me">Annie</strong>`) ||
		!strings.Contains(r.body, "Your name is now Annie.") || !strings.Contains(r.body, `<body data-path="/account">`) {
		t.Fatalf("POST /account/name: %d %s", r.status, r.body)
	}
	renamedTo(t, onLaptop, "ann's laptop", "ann", "Annie")
	renamedTo(t, onPhone, "ann's phone", "ann", "Annie")
	f := bob.AwaitFunc("bob's presence leave of ann", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("event") == "leave" && f.Str("name") == "ann"
	})
	if f.Str("renamed") != "Annie" {
		t.Fatalf("bob saw ann leave: %v, want her renamed Annie", f)
	}
	if f := onPhone.Say("general", "p-1", "still here"); f.Type() != "ack" {
		t.Fatalf("the phone's connection after the rename: %v", f)
	}
	if m := bob.Messages("general", 1)[0]; m.Str("from") != "Annie" {
		t.Fatalf("the phone's message: %v, want from Annie", m)
	}

	for name, b := range map[string]*browser{"laptop": laptop, "phone": phone} {
		if st, me := b.me(); st != http.StatusOK || me.ID != ann.ID || me.Name != "Annie" {
			t.Errorf("%s's session after the rename: %d %+v", name, st, me)
		}
	}
	if _, w := phone.upgradeAs(); w.Type() != "welcome" || w.Str("name") != "Annie" {
		t.Errorf("a new connection with the phone's session: %v, want welcome as Annie", w)
	}
	fresh := newBrowser(t, s, "10.0.0.3")
	if r := fresh.signIn("ann", "correct horse"); r.status != http.StatusUnauthorized {
		t.Errorf("sign in under the old name: %d, want 401", r.status)
	}
	if r := fresh.signIn("annie", "correct horse"); r.status != http.StatusSeeOther {
		t.Errorf("sign in under the new name: %d", r.status)
	}
}

// renamedTo waits for c's renamed frame saying was is now name.
func renamedTo(t *testing.T, c *servertest.JSONClient, who, was, name string) {
	t.Helper()
	if f := c.Await("renamed"); f.Str("name") != name || f.Str("was") != was {
		t.Fatalf("%s's renamed frame: %v, want name %q was %q", who, f, name, was)
	}
}

// The name rules are the server's: a name another user holds, in any case, is refused with a
// sentence saying so (409), a name no one may hold too (400), and neither changes anything.
// Only a signed-in account may rename itself there: a guest (whose name is its key's, and
// changes by saying hello with another) gets 401 and keeps its name. A script does the same
// with POST /api/me/name and JSON, under the same CSRF rules.
func TestAccountRenameRefusals(t *testing.T) {
	s := start(t, accounts.Config{})
	ann := addUser(t, s, "ann", "", "correct horse")
	gus := servertest.DialJSON(t, s, "gus") // a guest, with a key

	b := newBrowser(t, s, "10.0.0.1")
	b.signIn("ann", "correct horse")
	for _, c := range []struct {
		name, want string
		status     int
	}{
		{"GUS", `The name "GUS" is another user's (names are the same whatever their case or look-alike letters): choose another.`, http.StatusConflict},
		{"", "Name is empty.", http.StatusBadRequest},
		{" ann2", "Name starts or ends with a space.", http.StatusBadRequest},
		{strings.Repeat("a", 33), "Name is longer than 32 bytes.", http.StatusBadRequest},
	} {
		r := b.post("/account/name", url.Values{"name": {c.name}})
		if got := pageError(r.body); r.status != c.status || got != c.want {
			t.Errorf("rename to %q: %d %q, want %d %q", c.name, r.status, got, c.status, c.want)
		}
	}
	if st, me := b.me(); st != http.StatusOK || me.Name != "ann" {
		t.Fatalf("after refused renames: %d %+v, want ann", st, me)
	}

	// A script: the token in the header, JSON in and out.
	tok := b.meCSRF()
	if r, got := b.postJSON("/api/me/name", tok, `{"name":"gus"}`); r.status != http.StatusConflict || got["code"] != hubbub.ECodeNameTaken {
		t.Errorf("JSON rename to a guest's name: %d %s", r.status, r.body)
	}
	if r, got := b.postJSON("/api/me/name", tok, `{"nam":"x"}`); r.status != http.StatusBadRequest || got["code"] != hubbub.ECodeBadJSON {
		t.Errorf("JSON rename with an unknown field: %d %s", r.status, r.body)
	}
	if r, got := b.postJSON("/api/me/name", "", `{"name":"ann3"}`); r.status != http.StatusForbidden || got["code"] != hubbub.ECodeForbidden {
		t.Errorf("JSON rename without the CSRF header: %d %s", r.status, r.body)
	}
	b.origin = "https://evil.example"
	if r := b.post("/account/name", url.Values{"name": {"ann3"}}); r.status != http.StatusForbidden {
		t.Errorf("a rename posted from another site: %d", r.status)
	}
	b.origin = s.URL
	r, got := b.postJSON("/api/me/name", tok, `{"name":"ann2"}`)
	if u, _ := got["user"].(map[string]any); r.status != http.StatusOK || u["name"] != "ann2" || u["id"] != ann.ID {
		t.Fatalf("JSON rename: %d %s", r.status, r.body)
	}

	// A guest has no account to rename, on either endpoint.
	guest := newBrowser(t, s, "10.0.0.2")
	if r := guest.post("/account/name", url.Values{"name": {"gustav"}}); r.status != http.StatusUnauthorized ||
		!strings.HasPrefix(pageError(r.body), "Sign in to an account") {
		t.Errorf("a guest's rename on the account page: %d %q", r.status, pageError(r.body))
	}
	guest.csrf() // the cookie a script of the page would send back
	u, _ := url.Parse(s.URL)
	var gtok string
	for _, c := range guest.c.Jar.Cookies(u) {
		if c.Name == accounts.CSRFCookie {
			gtok = c.Value
		}
	}
	if r, got := guest.postJSON("/api/me/name", gtok, `{"name":"gustav"}`); r.status != http.StatusUnauthorized || got["code"] != hubbub.ECodeUnauthorized {
		t.Errorf("a guest's JSON rename: %d %s", r.status, r.body)
	}
	if u, found, err := users(t, s).UserByName(t.Context(), "gus"); err != nil || !found || u.ID != gus.User {
		t.Errorf("the guest gus after its refused renames: %+v %v %v", u, found, err)
	}
}

// Renames are limited per account (and per address) like sign-ins, by --rename-rate and
// --rename-burst: each is told to every room the user is in, on every node. Past the burst
// the answer is 429 with Retry-After and a sentence; the same name again is no rename and is
// not counted.
func TestAccountRenameRateLimit(t *testing.T) {
	s := start(t, accounts.Config{RenameRate: 0.001, RenameBurst: 2})
	addUser(t, s, "ann", "", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	b.signIn("ann", "correct horse")
	for _, name := range []string{"ann", "ann1", "ann1", "ann2"} {
		if r := b.post("/account/name", url.Values{"name": {name}}); r.status != http.StatusOK {
			t.Fatalf("rename to %s: %d %q", name, r.status, pageError(r.body))
		}
	}
	r := b.post("/account/name", url.Values{"name": {"ann3"}})
	wait, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != http.StatusTooManyRequests || wait < 1 || !strings.HasPrefix(pageError(r.body), "Too many name changes, try again in ") {
		t.Fatalf("a third rename: %d Retry-After %q %q", r.status, r.header.Get("Retry-After"), pageError(r.body))
	}
	if r, got := b.postJSON("/api/me/name", b.meCSRF(), `{"name":"ann3"}`); r.status != http.StatusTooManyRequests || got["code"] != hubbub.ECodeRateLimited {
		t.Errorf("a third rename by JSON: %d %s", r.status, r.body)
	}
	if st, me := b.me(); st != http.StatusOK || me.Name != "ann2" {
		t.Errorf("after the limit: %d %+v, want ann2", st, me)
	}
}

// One client address may make ten accounts' worth of renames, over all its accounts: an
// office behind one address renames its people's accounts without refusals (ann's limit is
// not bob's), while one person holding many accounts cannot churn names without bound.
func TestAccountRenameLimitPerAddress(t *testing.T) {
	s := start(t, accounts.Config{RenameRate: 0.001, RenameBurst: 1})
	rename := func(i int, addr string) response {
		t.Helper()
		name := "user" + strconv.Itoa(i)
		addUser(t, s, name, "", "correct horse")
		b := newBrowser(t, s, addr)
		if r := b.signIn(name, "correct horse"); r.status != http.StatusSeeOther {
			t.Fatalf("sign in %s: %d", name, r.status)
		}
		return b.post("/account/name", url.Values{"name": {name + "-renamed"}})
	}
	for i := range 10 {
		if r := rename(i, "10.0.0.1"); r.status != http.StatusOK {
			t.Fatalf("account %d's first rename from the office's address: %d %q", i, r.status, pageError(r.body))
		}
	}
	if r := rename(10, "10.0.0.1"); r.status != http.StatusTooManyRequests {
		t.Errorf("an eleventh account's rename from that address: %d, want 429", r.status)
	}
	if r := rename(11, "10.0.0.2"); r.status != http.StatusOK {
		t.Errorf("a rename from another address: %d %q", r.status, pageError(r.body))
	}
}
