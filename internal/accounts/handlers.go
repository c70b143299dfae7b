package accounts

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"hubbub"
	"hubbub/internal/httpbody"
)

//go:embed pages
var pageFiles embed.FS

var pageTemplate = template.Must(template.ParseFS(pageFiles, "pages/page.html"))

// contentSecurityPolicy is the chat page's (internal/server): no inline script, nothing from
// other hosts, forms post only here, no framing (which would let another site trick a click).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// maxFormBytes bounds a posted form: a name, a password of at most MaxPasswordLen bytes
// (percent-encoding may triple it), a key and a token.
const maxFormBytes = 16 << 10

// Mount registers the service's pages on mux:
//
//	GET  /signin              the sign-in page
//	POST /signin              name, password → session cookie, redirect to /
//	POST /signout             ends this session (?everywhere=1: every session of the user)
//	GET  /signout             a link typed or followed: to /signin, whose buttons sign out
//	GET  /invite              the invite page (the code comes in the link's fragment)
//	POST /invite              code, name, password, confirm → a new account, signed in
//	GET  /account             set or change a password
//	POST /account/password    signed in: current, password, confirm; a guest: name, key,
//	                          password, confirm (the guest becomes an account)
//	POST /account/name        signed in: name → the account's new name (rename.go)
//	POST /account/invite      an admin: role, expires → the page shows a new invite link
//	GET  /account/password, /account/name, /account/invite   to /account (a page
//	                          answered a post there)
//	GET  /api/me              the signed-in user as JSON, and the CSRF token; 401 if none
//	                          (200 {"user":null} with ?optional=1, as the page asks, and
//	                          "auth": who the server lets in; "signin": true too when
//	                          that is accounts only)
//	POST /api/me/name         signed in, for scripts: {"name"} → {"user"} (rename.go)
func (s *Service) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /signin", s.getSignIn)
	mux.HandleFunc("POST /signin", s.postSignIn)
	mux.HandleFunc("POST /signout", s.postSignOut)
	mux.HandleFunc("GET /signout", func(w http.ResponseWriter, r *http.Request) {
		// Signing out changes state, so it is a POST (with the CSRF token); a GET shows the
		// page that has the buttons rather than a bare 404.
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /invite", s.getInvite)
	mux.HandleFunc("POST /invite", s.postRedeem)
	mux.HandleFunc("GET /account", s.getAccount)
	mux.HandleFunc("POST /account/password", s.postPassword)
	mux.HandleFunc("POST /account/name", s.postName)
	mux.HandleFunc("POST /account/invite", s.postInvite)
	// The forms post to paths of their own, and a refused post is answered there, with the
	// form again and the error: the page puts /account in the address bar (pageData.Path), and
	// a visit of the path itself, a link kept or a reload of an older page, is shown the form.
	toAccount := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	}
	mux.HandleFunc("GET /account/password", toAccount)
	mux.HandleFunc("GET /account/name", toAccount)
	mux.HandleFunc("GET /account/invite", toAccount)
	mux.HandleFunc("GET /api/me", s.getMe)
	mux.HandleFunc("POST /api/me/name", s.postMeName)
	assets, _ := fs.Sub(pageFiles, "pages")
	mux.Handle("GET /account/assets/", http.StripPrefix("/account/assets/", assetServer(assets)))
}

// pageData is what page.html shows.
type pageData struct {
	Page string // signin, invite, account, signedout
	// Path is the address of the page shown, which its script puts in the address bar when
	// a post to another path answered it (/account/password refused): there a reload or a
	// visit found nothing to GET. Set by render from Page.
	Path   string
	Title  string
	CSRF   string
	Error  string
	Notice string
	User   *hubbub.User
	Name   string
	Code   string
	MinLen int
	// InviteLink is a new invite's link as a path (/invite#CODE); the page's script puts the
	// origin in front, which the browser knows better than the server behind a proxy.
	InviteLink string
	// Guests says the server lets people in without an account (Config.Auth AuthGuest): the
	// sign-in page then offers the chat as a guest besides the invite link, instead of leaving
	// someone without an account on a page whose only way on was an administrator.
	Guests bool
	// Form is the account page's form a refused post came from ("name", or "" for the
	// password's), which takes the focus to be typed again.
	Form string
}

// accountPage is the account page of me: a signed-in account changes its name and password
// there (an admin makes invite links too), a guest (me nil) sets a password.
func accountPage(me *hubbub.User) pageData {
	if me == nil {
		return pageData{Page: "account", Title: "Your password"}
	}
	return pageData{Page: "account", Title: "Your account", User: me}
}

func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	d.Error = sentence(d.Error)
	if d.CSRF == "" {
		d.CSRF = csrfToken(w, r, s.cfg.Secure(r))
	}
	d.MinLen = MinPasswordLen
	d.Path = pagePaths[d.Page]
	d.Guests = s.cfg.Auth == AuthGuest
	h := w.Header()
	setPageHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, d); err != nil {
		s.log.Error("render page", "page", d.Page, "err", err)
	}
}

// pagePaths is where each page is had with a GET (none for signedout, the answer to a post).
var pagePaths = map[string]string{"signin": "/signin", "invite": "/invite", "account": "/account"}

// sentence makes an error worded as Go's errors are ("wrong name or password", as the
// command line shows it too) read as the page's other sentences do: "Wrong name or password."
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "!") && !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	return msg
}

// setPageHeaders sets what every page and asset carries. Referrer-Policy is same-origin, not
// the chat page's no-referrer, so that the browser sends the real Origin on the forms' posts
// (no-referrer makes it "null").
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func assetServer(assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "accounts.css", "accounts.js":
			setPageHeaders(w.Header())
			w.Header().Set("Cache-Control", "no-cache")
			files.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// currentUser is the user of r's session, or nil; a store failure is logged and reads as
// nobody, which only shows the sign-in form.
func (s *Service) currentUser(r *http.Request) *hubbub.User {
	u, found, err := s.UserFromRequest(r.Context(), r)
	if err != nil {
		s.log.Warn("session lookup failed", "err", err)
	}
	if !found {
		return nil
	}
	return &u
}

func (s *Service) getSignIn(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, pageData{Page: "signin", Title: "Sign in", User: s.currentUser(r)})
}

// readForm parses a posted form within maxFormBytes and checks CSRF; it answers a refused
// request itself and returns false.
func (s *Service) readForm(w http.ResponseWriter, r *http.Request, d pageData) bool {
	r.Body = httpbody.Limit(w, r, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		if httpbody.TimedOut(w, err) {
			return false
		}
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		d.Error = "the form could not be read: " + err.Error()
		s.render(w, r, status, d)
		return false
	}
	if !csrfOK(r) {
		d.Error = "this form is out of date or came from another site: reload the page and try again"
		s.render(w, r, http.StatusForbidden, d)
		return false
	}
	return true
}

func (s *Service) postSignIn(w http.ResponseWriter, r *http.Request) {
	d := pageData{Page: "signin", Title: "Sign in"}
	if !s.readForm(w, r, d) {
		return
	}
	name := r.PostFormValue("name")
	d.Name = name
	u, err := s.SignIn(r.Context(), name, r.PostFormValue("password"), s.cfg.ClientAddr(r))
	if err != nil {
		s.logRefusedSignIn(name, s.cfg.ClientAddr(r), err)
		s.fail(w, r, d, err)
		return
	}
	if err := startSession(r.Context(), s.users, w, u.ID, s.cfg.SessionTTL, s.cfg.Secure(r)); err != nil {
		s.fail(w, r, d, err)
		return
	}
	s.log.Info("signed in", "user", u.ID, "remote", s.cfg.ClientAddr(r))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logRefusedSignIn logs a sign-in refused for its credentials, a disabled account or the
// login limit, as a warning an operator watching for password guessing can find (the log's
// repeat limit, --log-repeat-burst, bounds a flood of them). Failures of the store are logged
// by fail.
func (s *Service) logRefusedSignIn(name, remote string, err error) {
	var limited *RateLimitedError
	why := ""
	switch {
	case errors.As(err, &limited):
		why = "too many attempts"
	case errors.Is(err, ErrBadCredentials):
		why = "wrong name or password"
	case errors.Is(err, ErrDisabled):
		why = "account disabled"
	default:
		return
	}
	if len(name) > hubbub.MaxNameLen {
		name = strings.ToValidUTF8(name[:hubbub.MaxNameLen], "") + "…" // a cut rune dropped
	}
	s.log.Warn("sign-in refused", "name", name, "remote", remote, "why", why)
}

// fail answers a refused or failed form post with the page d, its error and the status the
// error calls for.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, d pageData, err error) {
	status, msg := s.errorStatus(w, r, err)
	d.Error = msg
	s.render(w, r, status, d)
}

// errorStatus returns the status a refused or failed request's err calls for and the message
// to show, setting Retry-After for a rate limit. A failure of the server is logged, and its
// message says to try again rather than what failed.
func (s *Service) errorStatus(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	status := http.StatusInternalServerError
	var limited *RateLimitedError
	msg := hubbub.ErrorMessage(err)
	switch code := hubbub.ErrorCode(err); {
	case errors.As(err, &limited):
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(waitSeconds(limited.Wait)))
		msg = limited.Error()
	case code == hubbub.ECodeUnauthorized:
		status = http.StatusUnauthorized
	case code == hubbub.ECodeForbidden:
		status = http.StatusForbidden
	case code == hubbub.ECodeNotFound:
		status = http.StatusNotFound
	case code == hubbub.ECodeNameTaken || code == hubbub.ECodeExists:
		status = http.StatusConflict
	case code == hubbub.ECodeBadField || code == hubbub.ECodeBadName || code == hubbub.ECodeMissing ||
		code == hubbub.ECodeBadDuration:
		status = http.StatusBadRequest
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
	}
	if status >= 500 {
		s.log.Error("accounts request failed", "path", r.URL.Path, "err", err)
		msg = "the server could not do that just now; try again in a moment"
	}
	return status, msg
}

func (s *Service) postSignOut(w http.ResponseWriter, r *http.Request) {
	d := pageData{Page: "signedout", Title: "Signed out"}
	if !s.readForm(w, r, d) {
		return
	}
	everywhere := r.URL.Query().Get("everywhere") == "1" || r.PostFormValue("everywhere") == "1"
	if everywhere {
		if u := s.currentUser(r); u != nil {
			n, err := s.users.DeleteSessions(r.Context(), u.ID)
			if err != nil {
				s.fail(w, r, d, err)
				return
			}
			s.log.Info("signed out everywhere", "user", u.ID, "sessions", n)
			d.Notice = "You are signed out on every device."
		}
	}
	if err := endSession(r.Context(), s.users, w, r, s.cfg.Secure(r)); err != nil {
		s.fail(w, r, d, err)
		return
	}
	if d.Notice == "" {
		d.Notice = "You are signed out."
	}
	s.render(w, r, http.StatusOK, d)
}

func (s *Service) getInvite(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, pageData{Page: "invite", Title: "Join hubbub"})
}

func (s *Service) postRedeem(w http.ResponseWriter, r *http.Request) {
	d := pageData{Page: "invite", Title: "Join hubbub"}
	if !s.readForm(w, r, d) {
		return
	}
	code, name, pw := r.PostFormValue("code"), r.PostFormValue("name"), r.PostFormValue("password")
	d.Code, d.Name = code, name
	// Guessing codes is hopeless (256 bits), but each try costs a hash: the address's limit.
	if wait := s.limiter.Allow("", s.cfg.ClientAddr(r), time.Now()); wait > 0 {
		s.fail(w, r, d, &RateLimitedError{Wait: wait})
		return
	}
	u, err := s.redeem(r.Context(), code, name, pw, r.PostFormValue("confirm"))
	if err != nil {
		s.fail(w, r, d, err)
		return
	}
	if err := startSession(r.Context(), s.users, w, u.ID, s.cfg.SessionTTL, s.cfg.Secure(r)); err != nil {
		s.fail(w, r, d, err)
		return
	}
	s.log.Info("invite redeemed", "user", u.ID, "role", u.Role)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// errBadInvite is the answer to an unknown, used or expired invite code.
var errBadInvite = hubbub.Errorf(hubbub.ECodeNotFound, "this invite link does not work: it was used already or has expired; ask for a new one")

func (s *Service) redeem(ctx context.Context, code, name, pw, confirm string) (hubbub.User, error) {
	if !wellFormedSecret(code) {
		return hubbub.User{}, errBadInvite
	}
	if err := hubbub.ValidateName(name); err != nil {
		return hubbub.User{}, err
	}
	if err := checkNewPassword(pw, confirm); err != nil {
		return hubbub.User{}, err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return hubbub.User{}, err
	}
	u, err := s.users.RedeemInvite(ctx, hubbub.SecretHash(code), hubbub.User{Name: name}, hash)
	if hubbub.ErrorCode(err) == hubbub.ECodeNotFound {
		return hubbub.User{}, errBadInvite
	}
	return u, err
}

// checkNewPassword applies CheckPassword and checks the second copy.
func checkNewPassword(pw, confirm string) error {
	if err := CheckPassword(pw); err != nil {
		return err
	}
	if pw != confirm {
		return hubbub.Errorf(hubbub.ECodeBadField, "the two passwords differ")
	}
	return nil
}

func (s *Service) getAccount(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, accountPage(s.currentUser(r)))
}

// errWrongCurrentPassword refuses a password change whose current password is wrong.
var errWrongCurrentPassword = hubbub.Errorf(hubbub.ECodeUnauthorized, "the current password is wrong")

// errNotGuest is the answer when the name and key given do not make a guest.
var errNotGuest = hubbub.Errorf(hubbub.ECodeForbidden, "this browser's key does not hold that name as a guest")

func (s *Service) postPassword(w http.ResponseWriter, r *http.Request) {
	me := s.currentUser(r)
	d := accountPage(me)
	if !s.readForm(w, r, d) {
		return
	}
	ctx, addr := r.Context(), s.cfg.ClientAddr(r)
	pw, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	var u hubbub.User
	var err error
	if me != nil {
		// A signed-in account changes its password: the current one first, limited like a
		// sign-in, so that a browser left open does not hand the account over. Its refusal
		// names what was typed here: the form asks no name.
		_, err = s.SignIn(ctx, me.Name, r.PostFormValue("current"), addr)
		if errors.Is(err, ErrBadCredentials) {
			err = errWrongCurrentPassword
		}
		if err == nil {
			err = checkNewPassword(pw, confirm)
		}
		if err == nil {
			u, err = setPassword(ctx, s.users, s.hasher, me.ID, pw)
		}
	} else {
		d.Name = r.PostFormValue("name")
		u, err = s.convertGuest(ctx, d.Name, r.PostFormValue("key"), pw, confirm, addr)
	}
	if err != nil {
		s.fail(w, r, d, err)
		return
	}
	if err := startSession(ctx, s.users, w, u.ID, s.cfg.SessionTTL, s.cfg.Secure(r)); err != nil {
		s.fail(w, r, d, err)
		return
	}
	s.log.Info("password set", "user", u.ID, "was_signed_in", me != nil)
	// Back to the chat, which says what was done (web/app.js): it landed there without a word,
	// and whoever changed a password could not tell whether it had been.
	done := "changed"
	if me == nil {
		done = "set"
	}
	http.Redirect(w, r, "/?password="+done, http.StatusSeeOther)
}

// convertGuest turns the guest holding name with key into an account with password pw: the
// same user (id, name, history), which from now on signs in with the password. The key is
// proven by ClaimGuest returning that very user: it returns the user holding the key, and the
// name being held by the guest we found, any other outcome (another key, no key) fails with a
// name conflict and changes nothing.
func (s *Service) convertGuest(ctx context.Context, name, key, pw, confirm, addr string) (hubbub.User, error) {
	if wait := s.limiter.Allow("", addr, time.Now()); wait > 0 {
		return hubbub.User{}, &RateLimitedError{Wait: wait}
	}
	if key == "" || len(key) > 256 {
		return hubbub.User{}, errNotGuest
	}
	if err := checkNewPassword(pw, confirm); err != nil {
		return hubbub.User{}, err
	}
	g, found, err := s.users.UserByName(ctx, name)
	if err != nil && hubbub.ErrorCode(err) != hubbub.ECodeBadName {
		return hubbub.User{}, err
	}
	if err != nil || !found || g.Kind != hubbub.UserGuest {
		return hubbub.User{}, errNotGuest
	}
	held, err := s.users.ClaimGuest(ctx, g.Name, hubbub.SecretHash(key))
	switch code := hubbub.ErrorCode(err); {
	case err == nil && held.ID == g.ID:
	case err == nil, code == hubbub.ECodeNameTaken, code == hubbub.ECodeForbidden:
		return hubbub.User{}, errNotGuest
	default:
		return hubbub.User{}, err
	}
	return setPassword(ctx, s.users, s.hasher, g.ID, pw)
}

// errNotAdmin refuses an invite to a user who is not an admin.
var errNotAdmin = hubbub.Errorf(hubbub.ECodeForbidden, "only an admin may invite people")

// postInvite makes an invite link for a signed-in admin.
func (s *Service) postInvite(w http.ResponseWriter, r *http.Request) {
	me := s.currentUser(r)
	d := accountPage(me)
	if !s.readForm(w, r, d) {
		return
	}
	if me == nil || me.Role != hubbub.RoleAdmin {
		s.fail(w, r, d, errNotAdmin)
		return
	}
	ttl, err := time.ParseDuration(r.PostFormValue("expires"))
	if err != nil {
		s.fail(w, r, d, hubbub.Errorf(hubbub.ECodeBadDuration, "%q is not a duration like 72h", r.PostFormValue("expires")))
		return
	}
	code, inv, err := NewInvite(r.Context(), s.users, me.ID, r.PostFormValue("role"), ttl)
	if err != nil {
		s.fail(w, r, d, err)
		return
	}
	s.log.Info("invite created", "by", me.ID, "role", inv.Role, "expires", inv.Expires)
	d.InviteLink = "/invite#" + code
	d.Notice = "A " + inv.Role + " invite, working until " + inv.Expires.Format("2006-01-02 15:04 MST") + "."
	s.render(w, r, http.StatusOK, d)
}

// Me is the body of GET /api/me.
type Me struct {
	// User is the signed-in user.
	User MeUser `json:"user"`
	// CSRF is the token a script sends back in the X-CSRF-Token header of its posts.
	CSRF string `json:"csrf"`
}

// MeUser is the part of a user the page shows.
type MeUser struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Kind hubbub.UserKind `json:"kind"`
	Role string          `json:"role"`
}

func (s *Service) getMe(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	u, found, err := s.UserFromRequest(r.Context(), r)
	if err == nil && !found && s.cfg.OtherUser != nil {
		u, found, err = s.cfg.OtherUser(r.Context(), r)
	}
	if err != nil {
		s.log.Error("api/me: user lookup failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"code": hubbub.ECodeUnavailable, "message": "the server could not look you up; try again"})
		return
	}
	if !found && r.URL.Query().Get("optional") == "1" {
		// The page asks on every load, and most of its visitors are guests: a 401 there is
		// no error, but the browser logs every 4xx as one in the console.
		json.NewEncoder(w).Encode(struct {
			User *MeUser `json:"user"`
			// SignIn: the server takes no guests, so the visitor must sign in (as Auth
			// "accounts" says; kept for pages older than Auth).
			SignIn bool `json:"signin,omitempty"`
			// Auth: who the server lets in (guest, accounts or token).
			Auth string `json:"auth,omitempty"`
		}{SignIn: s.cfg.Auth == AuthAccounts, Auth: s.cfg.Auth})
		return
	}
	if !found {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"code": hubbub.ECodeUnauthorized, "message": "not signed in"})
		return
	}
	json.NewEncoder(w).Encode(Me{User: meUser(u), CSRF: csrfToken(w, r, s.cfg.Secure(r))})
}

// meUser is the part of u GET /api/me shows.
func meUser(u hubbub.User) MeUser {
	role := u.Role
	if role == "" {
		role = hubbub.RoleMember
	}
	return MeUser{ID: u.ID, Name: u.Name, Kind: u.Kind, Role: role}
}
