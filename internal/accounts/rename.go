package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"hubbub"
	"hubbub/internal/httpbody"
	"hubbub/internal/pairrate"
)

// An account renames itself on the account page (POST /account/name) or from a script (POST
// /api/me/name). The rename is the store's, as an operator's (`hubbub user rename`, Rename):
// the user keeps its id, so its sessions, roles, sanctions and history stay; the node's store
// cache sees the change and every node gives the user's open connections the new name and
// tells them (session.Service.RecheckUsers → hub.Hub.RenameUser → a renamed frame). Nothing
// here talks to connections: one path carries every rename.

// The defaults of the rename limit: five renames at once (a person trying names finds one),
// then one every 200 seconds, per account; a client address gets renameAddressFactor times
// that, over all its accounts.
const (
	DefaultRenameRate  = 0.005
	DefaultRenameBurst = 5
)

// renameAddressFactor is how many accounts' worth of renames one client address may make: an
// office or a school behind one NAT address holds many people, each of whom may rename once
// on their first day, while one person holding many accounts to churn names through rooms
// is still bounded.
const renameAddressFactor = 10

// renameLimiter limits accounts' renames of themselves, per account and per address.
type renameLimiter struct {
	accounts, addresses *pairrate.Limiter
}

// newRenameLimiter returns the limiter of accounts' renames of themselves (the defaults for
// zeros).
func newRenameLimiter(r float64, burst, maxTracked int) *renameLimiter {
	if r <= 0 {
		r = DefaultRenameRate
	}
	if burst <= 0 {
		burst = DefaultRenameBurst
	}
	if maxTracked <= 0 {
		maxTracked = DefaultLoginTracked
	}
	return &renameLimiter{accounts: pairrate.New(r, burst, maxTracked),
		addresses: pairrate.New(r*renameAddressFactor, burst*renameAddressFactor, maxTracked)}
}

// allow takes a rename from user's bucket and addr's, or returns how long to wait. The
// account's is asked first: a refusal there, the common one, takes nothing from the address.
func (l *renameLimiter) allow(user, addr string, now time.Time) time.Duration {
	if wait := l.accounts.Allow(user, "", now); wait > 0 {
		return wait
	}
	return l.addresses.Allow("", addr, now)
}

// errRenameSignedOut refuses a rename to a request that no account's session signs in: a
// guest renames itself by saying hello with another name, a token's user by its application's
// next token.
var errRenameSignedOut = hubbub.Errorf(hubbub.ECodeUnauthorized, "sign in to an account to change its name (a guest changes its name in the chat)")

// renameSelf renames the signed-in account me to name, counting the change against the
// account and against addr. The same name again changes nothing and is not counted; another
// spelling of one's own name (Ann for ann) is a rename.
func (s *Service) renameSelf(ctx context.Context, me *hubbub.User, name, addr string) (hubbub.User, error) {
	if me == nil || me.Kind != hubbub.UserAccount {
		return hubbub.User{}, errRenameSignedOut
	}
	if err := hubbub.ValidateName(name); err != nil {
		return hubbub.User{}, err
	}
	if name == me.Name {
		return *me, nil
	}
	if wait := s.renames.allow(me.ID, addr, time.Now()); wait > 0 {
		return hubbub.User{}, &RateLimitedError{Wait: wait, What: "name changes"}
	}
	u, err := s.users.UpdateUser(ctx, me.ID, hubbub.UserChange{Name: &name})
	if hubbub.ErrorCode(err) == hubbub.ECodeNameTaken {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeNameTaken,
			"the name %q is another user's (names are the same whatever their case or look-alike letters): choose another", name)
	}
	if err != nil {
		return hubbub.User{}, err
	}
	s.log.Info("renamed", "user", u.ID, "was", me.Name, "name", u.Name, "remote", addr)
	return u, nil
}

// postName is the account page's "Change name" form: name, csrf. It answers with the page,
// saying the new name, or why not.
func (s *Service) postName(w http.ResponseWriter, r *http.Request) {
	me := s.currentUser(r)
	d := accountPage(me)
	d.Form = "name"
	if !s.readForm(w, r, d) {
		return
	}
	d.Name = r.PostFormValue("name")
	u, err := s.renameSelf(r.Context(), me, d.Name, s.cfg.ClientAddr(r))
	if err != nil {
		s.fail(w, r, d, err)
		return
	}
	d.User, d.Name = &u, ""
	d.Notice = "Your name is now " + u.Name + ". Sign in with it from now on; your open chats go by it at once."
	s.render(w, r, http.StatusOK, d)
}

// NameChange is the body of POST /api/me/name.
type NameChange struct {
	// Name is the new name.
	Name string `json:"name"`
}

// postMeName is POST /api/me/name for scripts: {"name"} with the X-CSRF-Token header and the
// session cookie → 200 {"user":…} as GET /api/me says it, or {"code","message"}.
func (s *Service) postMeName(w http.ResponseWriter, r *http.Request) {
	if !csrfMatches(r, r.Header.Get(CSRFHeader)) {
		writeJSONError(w, http.StatusForbidden, hubbub.ECodeForbidden,
			"send the hubbub_csrf cookie's value in the X-CSRF-Token header (GET /api/me hands it out), from this server's pages or a program")
		return
	}
	var body NameChange
	dec := json.NewDecoder(httpbody.Limit(w, r, maxFormBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(&body)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errors.New("something follows the object")
		}
	}
	if err != nil {
		if httpbody.TimedOut(w, err) {
			return
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than "+strconv.FormatInt(tooBig.Limit, 10)+" bytes")
			return
		}
		writeJSONError(w, http.StatusBadRequest, hubbub.ECodeBadJSON, `the body must be one JSON object, {"name":"the new name"}: `+err.Error())
		return
	}
	u, err := s.renameSelf(r.Context(), s.currentUser(r), body.Name, s.cfg.ClientAddr(r))
	if err != nil {
		status, msg := s.errorStatus(w, r, err)
		code := hubbub.ErrorCode(err)
		switch {
		case status == http.StatusTooManyRequests:
			code = hubbub.ECodeRateLimited
		case status >= 500:
			code = hubbub.ECodeUnavailable
		}
		writeJSONError(w, status, code, msg)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(struct {
		User MeUser `json:"user"`
	}{meUser(u)})
}

// writeJSONError answers {"code","message"} with status, as the server's API does.
func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}
