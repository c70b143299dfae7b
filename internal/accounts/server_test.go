package accounts_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/auth"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// These tests run a real server (internal/servertest: HTTP on loopback, a real SQLite file)
// and talk to it as a browser does: net/http clients with a cookie jar, posting the forms the
// pages serve, with the page's Origin.

// start starts a server whose accounts hash cheaply; limits tune the login rate limit
// (zero: a limit no test reaches). The client address comes from X-Forwarded-For, so a test
// can act from several addresses.
func start(t *testing.T, limits accounts.Config) *servertest.Server {
	t.Helper()
	cfg := limits
	cfg.Hash = accounts.TestHashParams
	if cfg.LoginRate == 0 {
		cfg.LoginRate, cfg.LoginBurst = 1000, 1000
	}
	return servertest.Start(t, servertest.Options{Server: server.Config{Accounts: cfg, TrustProxy: true}})
}

// starter starts a test server (start, startPostgres).
type starter func(t *testing.T, limits accounts.Config) *servertest.Server

// onEveryStore runs a test on a server keeping its users in SQLite, and in PostgreSQL when the
// tests have one (pgtest: HUBBUB_TEST_POSTGRES).
func onEveryStore(t *testing.T, test func(*testing.T, starter)) {
	t.Run("sqlite", func(t *testing.T) { test(t, start) })
	t.Run("postgres", func(t *testing.T) { test(t, startPostgres) })
}

// startPostgres is start with the store in an empty, migrated PostgreSQL schema of t's own
// (servertest.PostgresSchemas).
func startPostgres(t *testing.T, limits accounts.Config) *servertest.Server {
	t.Helper()
	cfg := limits
	cfg.Hash = accounts.TestHashParams
	if cfg.LoginRate == 0 {
		cfg.LoginRate, cfg.LoginBurst = 1000, 1000
	}
	return servertest.Start(t, servertest.Options{Postgres: servertest.PostgresSchemas.Schema(t),
		Server: server.Config{Accounts: cfg, TrustProxy: true}})
}

func users(t *testing.T, s *servertest.Server) hubbub.UserStore {
	t.Helper()
	return s.Store
}

func addUser(t *testing.T, s *servertest.Server, name, role, pw string) hubbub.User {
	t.Helper()
	h, _ := accounts.NewHasher(accounts.TestHashParams, 1)
	u, err := accounts.AddUser(context.Background(), users(t, s), h, name, role, pw)
	if err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
	return u
}

// browser is one browser: its own cookies, and an address it connects from.
type browser struct {
	t      *testing.T
	s      *servertest.Server
	c      *http.Client
	addr   string
	origin string // the Origin its posts carry (default: the server's)
}

func newBrowser(t *testing.T, s *servertest.Server, addr string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, s: s, addr: addr, origin: s.URL, c: &http.Client{Jar: jar, Timeout: servertest.Wait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if b.origin != "" {
			req.Header.Set("Origin", b.origin)
		}
	}
	req.Header.Set("X-Forwarded-For", b.addr)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(data)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf opens the sign-in page, as a person does before posting, and returns the form's token.
func (b *browser) csrf() string {
	b.t.Helper()
	r := b.do("GET", "/signin", nil)
	m := csrfField.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		b.t.Fatalf("GET /signin: %d, no csrf field in %q", r.status, r.body)
	}
	return m[1]
}

// post posts form to path with the page's CSRF token.
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	form.Set("csrf", b.csrf())
	return b.do("POST", path, form)
}

func (b *browser) signIn(name, pw string) response {
	b.t.Helper()
	return b.post("/signin", url.Values{"name": {name}, "password": {pw}})
}

// me returns GET /api/me's status and user.
func (b *browser) me() (int, accounts.MeUser) {
	b.t.Helper()
	r := b.do("GET", "/api/me", nil)
	var me accounts.Me
	if r.status == http.StatusOK {
		if err := json.Unmarshal([]byte(r.body), &me); err != nil {
			b.t.Fatalf("/api/me: %v in %q", err, r.body)
		}
	}
	return r.status, me.User
}

func (b *browser) sessionCookie() *http.Cookie {
	u, _ := url.Parse(b.s.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == accounts.SessionCookie {
			return c
		}
	}
	return nil
}

// GET /api/me?optional=1 tells a visitor who is not signed in who the server lets in, so that
// the page knows at once what to ask of them: a guest's name, to sign in, or to come through
// the site that makes tokens. A token-only server answered {"user":null}, as a guest server
// does, and the page asked a name it then refused.
func TestMeOptionalSaysWhoIsLetIn(t *testing.T) {
	secret := []byte("an accounts test secret long enough for HS256")
	tokens, err := auth.NewHMAC(secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  server.Config
		want string
	}{
		{server.Config{}, `{"user":null,"auth":"guest"}`},
		{server.Config{Auth: "accounts"}, `{"user":null,"signin":true,"auth":"accounts"}`},
		{server.Config{Tokens: tokens}, `{"user":null,"auth":"token"}`},
		{server.Config{Auth: "guest", Tokens: tokens}, `{"user":null,"auth":"guest"}`},
		{server.Config{Auth: "accounts", Tokens: tokens}, `{"user":null,"signin":true,"auth":"accounts"}`},
	} {
		c.cfg.Accounts.Hash = accounts.TestHashParams
		s := servertest.Start(t, servertest.Options{Server: c.cfg})
		r := newBrowser(t, s, "10.0.0.1").do("GET", "/api/me?optional=1", nil)
		if r.status != http.StatusOK || strings.TrimSpace(r.body) != c.want {
			t.Errorf("--auth %q, tokens %v: /api/me?optional=1 = %d %s, want 200 %s", c.cfg.Auth, c.cfg.Tokens != nil, r.status, r.body, c.want)
		}
	}
}

func TestSignInAndOut(t *testing.T) { onEveryStore(t, testSignInAndOut) }

func testSignInAndOut(t *testing.T, start starter) {
	s := start(t, accounts.Config{})
	ann := addUser(t, s, "ann", "admin", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	if st, _ := b.me(); st != http.StatusUnauthorized {
		t.Fatalf("/api/me before signing in: %d", st)
	}
	// The page asks with optional=1: a guest is no error there.
	if r := b.do("GET", "/api/me?optional=1", nil); r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"user":null,"auth":"guest"}` {
		t.Fatalf("/api/me?optional=1 before signing in: %d %q, want 200 {\"user\":null,\"auth\":\"guest\"}", r.status, r.body)
	}
	r := b.signIn("ann", "correct horse")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("sign in: %d %q %q", r.status, r.header.Get("Location"), r.body)
	}
	set := r.header.Get("Set-Cookie")
	for _, want := range []string{accounts.SessionCookie + "=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=2592000"} {
		if !strings.Contains(set, want) {
			t.Errorf("session cookie %q lacks %q", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("session cookie over plain http is Secure: %q", set)
	}
	st, me := b.me()
	if st != http.StatusOK || me.ID != ann.ID || me.Name != "ann" || me.Kind != hubbub.UserAccount || me.Role != "admin" {
		t.Fatalf("/api/me: %d %+v", st, me)
	}

	// What the session layer calls on an upgrade finds the same user from the cookie.
	old := b.sessionCookie()
	req, _ := http.NewRequest("GET", s.WS, nil)
	req.AddCookie(old)
	u, found, err := accounts.UserFromRequest(context.Background(), users(t, s), req)
	if err != nil || !found || u.ID != ann.ID {
		t.Fatalf("UserFromRequest: %+v %v %v", u, found, err)
	}
	// The signed-in page shows who you are.
	if r := b.do("GET", "/signin", nil); !strings.Contains(r.body, `<strong id="me">ann</strong>`) {
		t.Errorf("the sign-in page of a signed-in browser does not name ann: %q", r.body)
	}

	// A GET of /signout (a link typed) signs nobody out: it goes to the page with the buttons.
	if r := b.do("GET", "/signout", nil); r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin" {
		t.Errorf("GET /signout: %d %q, want 303 to /signin", r.status, r.header.Get("Location"))
	}
	if st, _ := b.me(); st != http.StatusOK {
		t.Errorf("/api/me after GET /signout: %d, want still signed in", st)
	}
	r = b.post("/signout", url.Values{})
	if r.status != http.StatusOK || !strings.Contains(r.body, "You are signed out.") {
		t.Fatalf("sign out: %d %q", r.status, r.body)
	}
	if st, _ := b.me(); st != http.StatusUnauthorized {
		t.Fatalf("/api/me after signing out: %d", st)
	}
	// The session is gone from the store, not just the cookie from the browser.
	if _, found, err := accounts.UserFromRequest(context.Background(), users(t, s), req); found || err != nil {
		t.Fatalf("the signed-out cookie still finds a user: %v %v", found, err)
	}
	// A junk cookie is nobody, without an error.
	junk, _ := http.NewRequest("GET", s.WS, nil)
	junk.AddCookie(&http.Cookie{Name: accounts.SessionCookie, Value: "not-a-session"})
	if _, found, err := accounts.UserFromRequest(context.Background(), users(t, s), junk); found || err != nil {
		t.Fatalf("junk cookie: %v %v", found, err)
	}
}

func TestWrongPasswordAndUnknownUserGetTheSameAnswer(t *testing.T) {
	s := start(t, accounts.Config{})
	addUser(t, s, "ann", "", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	wrong := b.signIn("ann", "wrong horse")
	unknown := b.signIn("nobody", "correct horse")
	lookalike := b.signIn("аnn", "wrong horse") // Cyrillic а: ann's name, by its key
	for name, r := range map[string]response{"wrong password": wrong, "unknown user": unknown, "look-alike": lookalike} {
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong name or password.") {
			t.Errorf("%s: %d %q", name, r.status, r.body)
		}
		if strings.Contains(r.header.Get("Set-Cookie"), accounts.SessionCookie) {
			t.Errorf("%s: a session cookie was set", name)
		}
	}
	// The pages differ only in the name typed back into the form.
	if strings.ReplaceAll(wrong.body, `value="ann"`, "") != strings.ReplaceAll(unknown.body, `value="nobody"`, "") {
		t.Error("a wrong password and an unknown user get different pages")
	}
	if st, _ := b.me(); st != http.StatusUnauthorized {
		t.Fatalf("/api/me after failed sign-ins: %d", st)
	}
}

func TestLoginRateLimit(t *testing.T) { onEveryStore(t, testLoginRateLimit) }

func testLoginRateLimit(t *testing.T, start starter) {
	// 3 attempts at once, then one per 1000 s: a test never sees the bucket refill.
	s := start(t, accounts.Config{LoginRate: 0.001, LoginBurst: 3})
	addUser(t, s, "ann", "", "correct horse")
	addUser(t, s, "bob", "", "battery staple")
	a := newBrowser(t, s, "10.0.0.1")
	for i := range 3 {
		if r := a.signIn("ann", "wrong horse"); r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, r.status)
		}
	}
	limited := func(name string, r response) {
		t.Helper()
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("%s: %d %q, want 429", name, r.status, r.body)
		}
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 1000 {
			t.Fatalf("%s: Retry-After %q", name, r.header.Get("Retry-After"))
		}
		if !strings.Contains(r.body, "Too many attempts, try again in "+strconv.Itoa(secs)+" s.") {
			t.Fatalf("%s: the page does not say how long to wait: %q", name, r.body)
		}
	}
	// Now even the right password waits, and nothing is signed in.
	limited("ann, right password", a.signIn("ann", "correct horse"))
	if st, _ := a.me(); st != http.StatusUnauthorized {
		t.Fatal("a limited attempt signed in")
	}
	// Per account: ann from another address waits too.
	limited("ann from another address", newBrowser(t, s, "10.0.0.2").signIn("ann", "correct horse"))
	// Per address: 10.0.0.1 trying bob waits too.
	limited("bob from the same address", a.signIn("bob", "battery staple"))
	// bob from elsewhere is not affected.
	if r := newBrowser(t, s, "10.0.0.3").signIn("bob", "battery staple"); r.status != http.StatusSeeOther {
		t.Fatalf("bob from a fresh address: %d %q", r.status, r.body)
	}
}

func TestSignOutEverywhere(t *testing.T) { onEveryStore(t, testSignOutEverywhere) }

func testSignOutEverywhere(t *testing.T, start starter) {
	s := start(t, accounts.Config{})
	addUser(t, s, "ann", "", "correct horse")
	addUser(t, s, "bob", "", "battery staple")
	laptop, phone, bobs := newBrowser(t, s, "10.0.0.1"), newBrowser(t, s, "10.0.0.2"), newBrowser(t, s, "10.0.0.3")
	for _, b := range []*browser{laptop, phone} {
		if r := b.signIn("ann", "correct horse"); r.status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", r.status)
		}
	}
	bobs.signIn("bob", "battery staple")
	r := laptop.post("/signout?everywhere=1", url.Values{})
	if r.status != http.StatusOK || !strings.Contains(r.body, "signed out on every device") {
		t.Fatalf("sign out everywhere: %d %q", r.status, r.body)
	}
	for name, b := range map[string]*browser{"laptop": laptop, "phone": phone} {
		if st, _ := b.me(); st != http.StatusUnauthorized {
			t.Errorf("%s still signed in: %d", name, st)
		}
	}
	if st, me := bobs.me(); st != http.StatusOK || me.Name != "bob" {
		t.Errorf("another user's session ended too: %d %+v", st, me)
	}
}

func TestFormsRefuseCrossSitePosts(t *testing.T) {
	s := start(t, accounts.Config{})
	addUser(t, s, "ann", "", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	tok := b.csrf()
	creds := func(csrf string) url.Values {
		v := url.Values{"name": {"ann"}, "password": {"correct horse"}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		return v
	}
	refused := func(name string, r response) {
		t.Helper()
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "out of date or came from another site") {
			t.Errorf("%s: %d %q, want 403", name, r.status, r.body)
		}
		if strings.Contains(r.header.Get("Set-Cookie"), accounts.SessionCookie+"=") && !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
			t.Errorf("%s: a session cookie was set", name)
		}
	}
	refused("no token", b.do("POST", "/signin", creds("")))
	refused("wrong token", b.do("POST", "/signin", creds("x"+tok[1:])))
	b.origin = "https://evil.example"
	refused("other origin", b.do("POST", "/signin", creds(tok)))
	b.origin = s.URL
	if st, _ := b.me(); st != http.StatusUnauthorized {
		t.Fatal("a refused post signed in")
	}
	// The same form from the page itself works.
	if r := b.do("POST", "/signin", creds(tok)); r.status != http.StatusSeeOther {
		t.Fatalf("same-origin post with the token: %d %q", r.status, r.body)
	}
	// Signing out is a form too: another site cannot sign a person out.
	b.origin = "https://evil.example"
	refused("sign out from another origin", b.do("POST", "/signout?everywhere=1", url.Values{"csrf": {tok}}))
	b.origin = s.URL
	if st, _ := b.me(); st != http.StatusOK {
		t.Fatal("a cross-site sign-out ended the session")
	}
	// A script sends the token in a header, as /api/me hands it out.
	r := b.do("GET", "/api/me", nil)
	var me accounts.Me
	json.Unmarshal([]byte(r.body), &me)
	if me.CSRF != tok {
		t.Fatalf("/api/me csrf %q, want the cookie's %q", me.CSRF, tok)
	}
	req, _ := http.NewRequest("POST", s.URL+"/signout", nil)
	req.Header.Set("Origin", s.URL)
	req.Header.Set(accounts.CSRFHeader, me.CSRF)
	resp, err := b.c.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign out with the header: %v %v", resp, err)
	}
	resp.Body.Close()
	if st, _ := b.me(); st != http.StatusUnauthorized {
		t.Fatal("still signed in after signing out with the header token")
	}
}

func TestInviteLinkWorksOnce(t *testing.T) { onEveryStore(t, testInviteLinkWorksOnce) }

func testInviteLinkWorksOnce(t *testing.T, start starter) {
	s := start(t, accounts.Config{})
	admin := addUser(t, s, "root", "admin", "correct horse")
	code, _, err := accounts.NewInvite(context.Background(), users(t, s), admin.ID, "moderator", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	link, _ := accounts.InviteURL(s.URL, code)
	if !strings.HasSuffix(link, "/invite#"+code) {
		t.Fatalf("link %q", link)
	}
	b := newBrowser(t, s, "10.0.0.1")
	if r := b.do("GET", "/invite", nil); r.status != http.StatusOK || !strings.Contains(r.body, `name="code"`) {
		t.Fatalf("GET /invite: %d", r.status)
	}
	form := func(name, pw, confirm string) url.Values {
		return url.Values{"code": {code}, "name": {name}, "password": {pw}, "confirm": {confirm}}
	}
	if r := b.post("/invite", form("cy", "new password", "new passwørd")); r.status != http.StatusBadRequest || !strings.Contains(r.body, "differ") {
		t.Fatalf("passwords that differ: %d %q", r.status, r.body)
	}
	if r := b.post("/invite", form("cy", "short", "short")); r.status != http.StatusBadRequest || !strings.Contains(r.body, "too short") {
		t.Fatalf("a short password: %d %q", r.status, r.body)
	}
	if r := b.post("/invite", form("ROOT", "new password", "new password")); r.status != http.StatusConflict {
		t.Fatalf("a taken name: %d %q", r.status, r.body)
	}
	r := b.post("/invite", form("cy", "new password", "new password"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("redeem: %d %q", r.status, r.body)
	}
	if st, me := b.me(); st != http.StatusOK || me.Name != "cy" || me.Role != "moderator" || me.Kind != hubbub.UserAccount {
		t.Fatalf("after the invite: %d %+v", st, me)
	}
	// Used once: the second person gets a clear no.
	other := newBrowser(t, s, "10.0.0.2")
	r = other.post("/invite", form("dee", "new password", "new password"))
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "used already or has expired") {
		t.Fatalf("second use: %d %q", r.status, r.body)
	}
	if _, found, _ := users(t, s).UserByName(context.Background(), "dee"); found {
		t.Fatal("a used invite created a user")
	}
	// The new account signs in with its password.
	if r := newBrowser(t, s, "10.0.0.3").signIn("cy", "new password"); r.status != http.StatusSeeOther {
		t.Fatalf("cy signs in: %d", r.status)
	}
}

func TestDisabledUserCannotSignIn(t *testing.T) { onEveryStore(t, testDisabledUserCannotSignIn) }

func testDisabledUserCannotSignIn(t *testing.T, start starter) {
	s := start(t, accounts.Config{})
	addUser(t, s, "ann", "", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	b.signIn("ann", "correct horse")
	if _, err := accounts.SetDisabled(context.Background(), users(t, s), "ann", true); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.me(); st != http.StatusUnauthorized {
		t.Fatalf("a disabled user's session still works: %d", st)
	}
	r := b.signIn("ann", "correct horse")
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "disabled") {
		t.Fatalf("disabled user signs in: %d %q", r.status, r.body)
	}
	// A wrong password does not learn that the account is disabled.
	if r := b.signIn("ann", "wrong horse"); r.status != http.StatusUnauthorized || strings.Contains(r.body, "disabled") {
		t.Fatalf("wrong password of a disabled user: %d %q", r.status, r.body)
	}
	accounts.SetDisabled(context.Background(), users(t, s), "ann", false)
	if r := b.signIn("ann", "correct horse"); r.status != http.StatusSeeOther {
		t.Fatalf("enabled again: %d %q", r.status, r.body)
	}
}

func TestGuestBecomesAccount(t *testing.T) { onEveryStore(t, testGuestBecomesAccount) }

func testGuestBecomesAccount(t *testing.T, start starter) {
	s := start(t, accounts.Config{})
	ctx := context.Background()
	const key = "the-guest-key-from-local-storage"
	gus, err := users(t, s).ClaimGuest(ctx, "gus", hubbub.SecretHash(key))
	if err != nil {
		t.Fatal(err)
	}
	users(t, s).ClaimGuest(ctx, "other", hubbub.SecretHash("another key"))
	b := newBrowser(t, s, "10.0.0.1")
	if r := b.do("GET", "/account", nil); r.status != http.StatusOK || !strings.Contains(r.body, "data-guest") {
		t.Fatalf("GET /account: %d", r.status)
	}
	form := func(name, key string) url.Values {
		return url.Values{"name": {name}, "key": {key}, "password": {"gus's password"}, "confirm": {"gus's password"}}
	}
	for what, f := range map[string]url.Values{
		"wrong key":           form("gus", "not the key"),
		"another guest's key": form("gus", "another key"),
		"no key":              form("gus", ""),
		"unknown name":        form("nobody", key),
	} {
		if r := b.post("/account/password", f); r.status != http.StatusForbidden {
			t.Errorf("%s: %d %q", what, r.status, r.body)
		}
	}
	if u, _, _ := users(t, s).UserByName(ctx, "other"); u.Name != "other" || u.Kind != hubbub.UserGuest {
		t.Fatalf("a refused conversion changed another guest: %+v", u)
	}
	r := b.post("/account/password", form("gus", key))
	if r.status != http.StatusSeeOther {
		t.Fatalf("convert: %d %q", r.status, r.body)
	}
	if st, me := b.me(); st != http.StatusOK || me.ID != gus.ID || me.Kind != hubbub.UserAccount {
		t.Fatalf("after converting: %d %+v (guest was %s)", st, me, gus.ID)
	}
	if r := newBrowser(t, s, "10.0.0.2").signIn("gus", "gus's password"); r.status != http.StatusSeeOther {
		t.Fatalf("gus signs in with the new password: %d", r.status)
	}
	// The key no longer makes the account a guest again.
	if r := newBrowser(t, s, "10.0.0.3").post("/account/password", form("gus", key)); r.status != http.StatusForbidden {
		t.Fatalf("converting an account: %d", r.status)
	}
}

func TestChangePassword(t *testing.T) { onEveryStore(t, testChangePassword) }

func testChangePassword(t *testing.T, start starter) {
	s := start(t, accounts.Config{})
	addUser(t, s, "ann", "", "correct horse")
	b, other := newBrowser(t, s, "10.0.0.1"), newBrowser(t, s, "10.0.0.2")
	b.signIn("ann", "correct horse")
	other.signIn("ann", "correct horse")
	change := func(current string) response {
		return b.post("/account/password", url.Values{"current": {current}, "password": {"battery staple"}, "confirm": {"battery staple"}})
	}
	if r := change("wrong horse"); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong current password: %d %q", r.status, r.body)
	}
	if r := change("correct horse"); r.status != http.StatusSeeOther {
		t.Fatalf("change: %d %q", r.status, r.body)
	}
	if st, me := b.me(); st != http.StatusOK || me.Name != "ann" {
		t.Fatalf("the browser that changed it is signed out: %d", st)
	}
	if st, _ := other.me(); st != http.StatusUnauthorized {
		t.Fatalf("another session survived the password change: %d", st)
	}
	fresh := newBrowser(t, s, "10.0.0.3")
	if r := fresh.signIn("ann", "correct horse"); r.status != http.StatusUnauthorized {
		t.Fatalf("the old password still works: %d", r.status)
	}
	if r := fresh.signIn("ann", "battery staple"); r.status != http.StatusSeeOther {
		t.Fatalf("the new password: %d", r.status)
	}
}

// pageError is the error a page shows, as its reader sees it, or "" for none.
func pageError(body string) string {
	m := regexp.MustCompile(`<p class="error" role="alert" id="error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// The account pages' errors read as sentences, as the chat page's do: they showed the Go error
// as worded for the command line ("wrong name or password", "the two passwords differ"). And a
// wrong current password, on a form that asks no name, says which password is wrong: it said
// "wrong name or password".
func TestFormErrorsReadAsSentences(t *testing.T) {
	s := start(t, accounts.Config{})
	admin := addUser(t, s, "root", "admin", "correct horse")
	addUser(t, s, "ann", "", "correct horse")

	b := newBrowser(t, s, "10.0.0.1")
	if got, want := pageError(b.signIn("ann", "wrong horse").body), "Wrong name or password."; got != want {
		t.Errorf("a wrong password on the sign-in page: %q, want %q", got, want)
	}
	b.signIn("ann", "correct horse")
	r := b.post("/account/password", url.Values{"current": {"wrong horse"}, "password": {"battery staple"}, "confirm": {"battery staple"}})
	if got, want := pageError(r.body), "The current password is wrong."; r.status != http.StatusUnauthorized || got != want {
		t.Errorf("a wrong current password: %d %q, want 401 %q", r.status, got, want)
	}
	r = b.post("/account/password", url.Values{"current": {"correct horse"}, "password": {"battery staple"}, "confirm": {"battery stapel"}})
	if got, want := pageError(r.body), "The two passwords differ."; got != want {
		t.Errorf("new passwords that differ: %q, want %q", got, want)
	}

	code, _, err := accounts.NewInvite(context.Background(), users(t, s), admin.ID, "member", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	invitee := newBrowser(t, s, "10.0.0.2")
	r = invitee.post("/invite", url.Values{"code": {code}, "name": {"cy"}, "password": {"short"}, "confirm": {"short"}})
	if got, want := pageError(r.body), "The password is too short: at least 8 characters."; got != want {
		t.Errorf("a short password on the invite page: %q, want %q", got, want)
	}
}

func TestPagesAndAssets(t *testing.T) {
	s := start(t, accounts.Config{})
	b := newBrowser(t, s, "10.0.0.1")
	r := b.do("GET", "/signin", nil)
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Security-Policy"), "script-src 'self'") ||
		r.header.Get("Referrer-Policy") != "same-origin" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET /signin: %d %v", r.status, r.header)
	}
	if r := b.do("GET", "/account/assets/accounts.js", nil); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("accounts.js: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if r := b.do("GET", "/account/assets/accounts.css", nil); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Fatalf("accounts.css: %d %q", r.status, r.header.Get("Content-Type"))
	}
	for _, p := range []string{"/account/assets/page.html", "/account/assets/", "/account/assets/accounts.go"} {
		if r := b.do("GET", p, nil); r.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.status)
		}
	}
	if r := b.do("PUT", "/signin", nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT /signin: %d", r.status)
	}
	// A huge form is refused before it is read whole.
	big := url.Values{"name": {"ann"}, "password": {strings.Repeat("x", 64<<10)}, "csrf": {b.csrf()}}
	if r := b.do("POST", "/signin", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 64 KiB form: %d", r.status)
	}
}

// The sign-in page of a server that takes guests offers the chat as a guest besides the invite
// link (it only said to ask an administrator, on a server where nobody needs an account); a
// server that takes accounts only does not. After a wrong password the name stays typed and the
// focus is on the password, what is left to type again (found by s30-user).
func TestSignInPageOffersTheWayOn(t *testing.T) {
	const guestLink = `<a href="/" id="as-guest">chat as a guest</a>`
	for _, auth := range []string{"guest", "accounts"} {
		s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: auth, Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
		r := newBrowser(t, s, "10.0.0.1").do("GET", "/signin", nil)
		if got, want := strings.Contains(r.body, guestLink), auth == "guest"; got != want {
			t.Errorf("--auth %s: the sign-in page offers the chat as a guest: %v, want %v", auth, got, want)
		}
	}
	s := start(t, accounts.Config{})
	addUser(t, s, "ann", "", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	if r := b.do("GET", "/signin", nil); !regexp.MustCompile(`<input id="name"[^>]* autofocus`).MatchString(r.body) {
		t.Errorf("the empty sign-in form does not focus the name:\n%s", r.body)
	}
	r := b.signIn("ann", "wrong horse")
	if !regexp.MustCompile(`<input id="password"[^>]* autofocus`).MatchString(r.body) ||
		regexp.MustCompile(`<input id="name"[^>]* autofocus`).MatchString(r.body) {
		t.Errorf("after a wrong password the focus is not on the password alone:\n%s", r.body)
	}
}

// A signed-in user's account page, which the chat page links to, links back to the chat: it
// had no link anywhere but Sign out (found by s30-user).
func TestAccountPageLinksBackToTheChat(t *testing.T) {
	s := start(t, accounts.Config{})
	addUser(t, s, "ann", "", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	if r := b.signIn("ann", "correct horse"); r.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	r := b.do("GET", "/account", nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, `Signed in as <strong id="me">ann</strong>`) {
		t.Fatalf("GET /account signed in: %d %s", r.status, r.body)
	}
	if !strings.Contains(r.body, `<a href="/" id="to-chat">Back to the chat</a>`) {
		t.Errorf("the account page has no link back to the chat:\n%s", r.body)
	}
}

func TestAdminMakesInviteLinks(t *testing.T) {
	s := start(t, accounts.Config{})
	addUser(t, s, "root", "admin", "correct horse")
	addUser(t, s, "ann", "", "battery staple")
	admin, member := newBrowser(t, s, "10.0.0.1"), newBrowser(t, s, "10.0.0.2")
	admin.signIn("root", "correct horse")
	member.signIn("ann", "battery staple")
	if r := admin.do("GET", "/account", nil); !strings.Contains(r.body, "Invite someone") {
		t.Fatal("an admin's account page has no invite form")
	}
	if r := member.do("GET", "/account", nil); strings.Contains(r.body, "Invite someone") {
		t.Fatal("a member's account page has the invite form")
	}
	if r := member.post("/account/invite", url.Values{"role": {"admin"}, "expires": {"72h"}}); r.status != http.StatusForbidden {
		t.Fatalf("a member makes an invite: %d", r.status)
	}
	if r := admin.post("/account/invite", url.Values{"role": {"member"}, "expires": {"forever"}}); r.status != http.StatusBadRequest {
		t.Fatalf("expires=forever: %d", r.status)
	}
	if r := admin.post("/account/invite", url.Values{"role": {"owner"}, "expires": {"72h"}}); r.status != http.StatusBadRequest {
		t.Fatalf("role=owner: %d", r.status)
	}
	r := admin.post("/account/invite", url.Values{"role": {"moderator"}, "expires": {"24h"}})
	m := regexp.MustCompile(`value="/invite#([A-Za-z0-9_-]{43})"`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("make an invite: %d %q", r.status, r.body)
	}
	b := newBrowser(t, s, "10.0.0.3")
	if r := b.post("/invite", url.Values{"code": {m[1]}, "name": {"cy"}, "password": {"cy's password"}, "confirm": {"cy's password"}}); r.status != http.StatusSeeOther {
		t.Fatalf("redeem the admin's invite: %d %q", r.status, r.body)
	}
	if st, me := b.me(); st != http.StatusOK || me.Name != "cy" || me.Role != "moderator" {
		t.Fatalf("after redeeming: %d %+v", st, me)
	}
}

// Behind a TLS-terminating proxy (--trust-proxy), the proxy's X-Forwarded-Proto makes the
// cookies Secure, so a browser never sends them over plain http.
func TestCookiesSecureBehindATLSProxy(t *testing.T) {
	s := start(t, accounts.Config{})
	addUser(t, s, "ann", "", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	tok := b.csrf()
	form := url.Values{"name": {"ann"}, "password": {"correct horse"}, "csrf": {tok}}
	req, _ := http.NewRequest("POST", s.URL+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.AddCookie(&http.Cookie{Name: accounts.CSRFCookie, Value: tok})
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	set := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(set, accounts.SessionCookie+"=") || !strings.Contains(set, "; Secure") {
		t.Fatalf("sign in through a TLS proxy: %d, Set-Cookie %q", resp.StatusCode, set)
	}
}

// The cookie /signin sets is what a browser's WebSocket upgrade carries: on a server that
// takes accounts only, it brings the browser in as its user, and after signing out
// everywhere it no longer does.
func TestSessionCookieOnTheUpgrade(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts", TrustProxy: true,
		Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	ann := addUser(t, s, "ann", "moderator", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	if r := b.signIn("ann", "correct horse"); r.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.status)
	}
	cookie := b.sessionCookie()
	upgrade := func() servertest.Frame {
		t.Helper()
		h := http.Header{"Cookie": {cookie.String()}, "Origin": {s.URL}}
		c := servertest.NewJSONClient(t, servertest.Dial(t, s.WS, hubbub.ProtocolJSON, h))
		c.Send(servertest.Frame{"type": "hello"})
		return c.AwaitFunc("welcome or error", func(f servertest.Frame) bool { return f.Type() == "welcome" || f.Type() == "error" })
	}
	w := upgrade()
	u, _ := w["user"].(map[string]any)
	if w.Type() != "welcome" || u["id"] != ann.ID || u["name"] != "ann" || u["kind"] != "account" || u["role"] != "moderator" {
		t.Fatalf("upgrade with the session cookie: %v", w)
	}
	if r := b.post("/signout?everywhere=1", url.Values{}); r.status != http.StatusOK {
		t.Fatalf("sign out everywhere: %d", r.status)
	}
	if f := upgrade(); f.Type() != "error" || f.Str("code") != hubbub.ECodeUnauthorized || !strings.Contains(f.Str("message"), "/signin") {
		t.Fatalf("upgrade with a signed-out cookie: %v", f)
	}
}

// A refused password change is answered on /account/password, a path only posted to: the page
// now names /account as its address (its script puts it in the address bar), and a visit of
// the posted-to paths, a reload or a kept link, is sent to the account page. Both were a 405
// page with no way on (found by s31's new users).
func TestAccountFormPathsLeadToTheAccountPage(t *testing.T) {
	s := start(t, accounts.Config{})
	addUser(t, s, "ann", "", "correct horse")
	b := newBrowser(t, s, "10.0.0.1")
	b.signIn("ann", "correct horse")
	r := b.post("/account/password", url.Values{"current": {"wrong horse"}, "password": {"battery staple"}, "confirm": {"battery staple"}})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, `<body data-path="/account">`) {
		t.Errorf("a refused change: %d, want 401 and a page whose address is /account:\n%s", r.status, r.body)
	}
	for _, p := range []string{"/account/password", "/account/name", "/account/invite"} {
		if r := b.do("GET", p, nil); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
			t.Errorf("GET %s: %d to %q, want 303 to /account", p, r.status, r.header.Get("Location"))
		}
	}
}
