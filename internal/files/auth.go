package files

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"hubbub"
	"hubbub/internal/session"
	"hubbub/internal/wire"
)

// FilesCookie carries a browser's files session, made by POST /files/session from the
// credentials a page holds in script (a guest's key, a token): an <img> cannot send headers,
// so its request needs a cookie. It is HttpOnly, SameSite=Lax and scoped to /files/, and the
// Store keeps only its hash, as a login session's (hubbub.LoginSession).
const FilesCookie = "hubbub_files"

// authTimeout bounds the store reads that find a request's user.
const authTimeout = 5 * time.Second

// user returns who r acts for: its session cookie or files cookie, token, or guest headers
// (session.Service.UserOfRequest). Errors are *hubbub.Error values for the client.
func (s *Service) user(r *http.Request) (session.RequestUser, error) {
	ctx, cancel := context.WithTimeout(r.Context(), authTimeout)
	defer cancel()
	creds := session.RequestCredentials(r)
	if creds.Session == "" {
		if c, err := r.Cookie(FilesCookie); err == nil {
			creds.Session, creds.FilesCookie = c.Value, true
		}
	}
	name, key, err := session.RequestGuest(r)
	if err != nil {
		return session.RequestUser{}, err
	}
	return s.cfg.Sessions.UserOfRequest(ctx, creds, name, key)
}

// allowOrigin checks a browser request's Origin against the server's origin policy, and, for
// an allowed page of another origin (a page calling a --files-url origin), answers with the
// CORS headers that let it send credentials and read the answer. It answers a refused request
// (403) and a preflight itself and then returns false.
func (s *Service) allowOrigin(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if !s.cfg.CheckOrigin(r) {
		writeError(w, http.StatusForbidden, hubbub.Errorf(hubbub.ECodeForbidden, "requests from %q are not allowed", origin))
		return false
	}
	if origin != "" && !sameOrigin(r) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, "+session.NameHeader+", "+session.KeyHeader)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return false
		}
	}
	return true
}

// sessionReply is the answer of POST /files/session; its time is the wire's, as every time
// the server answers (three fraction digits).
type sessionReply struct {
	Expires wire.Time `json:"expires"`
}

// serveSession answers POST /files/session: it turns the caller's credentials into the files
// cookie, so that the browser's <img> and download requests carry them.
func (s *Service) serveSession(w http.ResponseWriter, r *http.Request) {
	if !s.allowOrigin(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST", "POST /files/session makes a files cookie")
		return
	}
	if s.cfg.Users == nil {
		writeError(w, http.StatusNotFound, hubbub.Errorf(hubbub.ECodeNotFound, "this server has no users to make a files cookie for"))
		return
	}
	u, err := s.user(r)
	if err != nil {
		writeError(w, errorStatus(err), err)
		return
	}
	now := time.Now().UTC()
	expires := now.Add(s.cfg.SessionTTL)
	if !u.Expires.IsZero() && u.Expires.Before(expires) {
		expires = u.Expires // no longer than the token or sign-in session it came from
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := base64.RawURLEncoding.EncodeToString(b)
	ctx, cancel := context.WithTimeout(r.Context(), authTimeout)
	defer cancel()
	if err := s.cfg.Users.CreateSession(ctx, hubbub.LoginSession{ID: hubbub.SecretHash(secret), User: u.ID, Created: now, Expires: expires}); err != nil {
		s.log.Error("files session: store failed", "user", u.ID, "err", err)
		writeError(w, http.StatusServiceUnavailable, hubbub.Errorf(hubbub.ECodeUnavailable, "the files cookie cannot be made right now; try again"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: FilesCookie, Value: secret, Path: "/files/", MaxAge: int(time.Until(expires) / time.Second),
		HttpOnly: true, Secure: s.cfg.Secure(r), SameSite: http.SameSiteLaxMode})
	writeJSON(w, http.StatusOK, sessionReply{Expires: wire.Time{Time: expires}})
}

// errorReply is the JSON body of every refusal, as the REST API's (docs/api.md): the code a
// client switches on and a message for a person.
type errorReply struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Codes of refusals that are not hubbub's error codes.
const (
	codeTooLarge         = "too_large"
	codeBadImage         = "bad_image"
	codeMethodNotAllowed = "method_not_allowed"
)

// writeError answers with status and err's code and message (a generic one for an error that
// is not a *hubbub.Error).
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorReply{Code: hubbub.ErrorCode(err), Message: hubbub.ErrorMessage(err)})
}

// methodNotAllowed answers a method other than allow.
func methodNotAllowed(w http.ResponseWriter, allow, what string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, hubbub.Errorf(codeMethodNotAllowed, "%s", what))
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorStatus is the HTTP status of a *hubbub.Error's code.
func errorStatus(err error) int {
	switch hubbub.ErrorCode(err) {
	case hubbub.ECodeUnauthorized:
		return http.StatusUnauthorized
	case hubbub.ECodeForbidden, hubbub.ECodeBanned: // a banned member reads nothing of the room
		return http.StatusForbidden
	case hubbub.ECodeNotFound:
		return http.StatusNotFound
	case hubbub.ECodeUnavailable:
		return http.StatusServiceUnavailable
	case hubbub.ECodeLimit, hubbub.ECodeTooLong:
		return http.StatusRequestEntityTooLarge
	case hubbub.ECodeInternal:
		return http.StatusInternalServerError
	}
	var e *hubbub.Error
	if errors.As(err, &e) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
