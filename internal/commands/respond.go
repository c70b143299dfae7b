package commands

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"hubbub"
	"hubbub/internal/httpbody"
)

// RespondPath is where response URLs point, before their token: POST RespondPath + token.
const RespondPath = "/commands/respond/"

// maxRespondBody bounds the body of a late answer.
const maxRespondBody = 64 << 10

// respondTimeout bounds the work of one late answer.
const respondTimeout = 10 * time.Second

// RespondHandler serves POST /commands/respond/{token}: a command's late answer, once. The
// token authenticates it (the command's server got it in the request, signed with the
// command's secret); the body is an answer {"text", "ephemeral"}. Mount it at RespondPath.
func (r *Runner) RespondHandler() http.Handler {
	return http.HandlerFunc(r.respond)
}

// respondError is a late answer's refusal: a status, and {"code", "message"} as the API's.
func respondError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"code": code, "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (r *Runner) respond(w http.ResponseWriter, req *http.Request) {
	// A refusal before the body is read answers at once (httpbody.Unread), not once the body
	// came: a post to no response URL, or an expired one, is not waited for.
	refuse := func(status int, code, message string) {
		httpbody.Unread(w, req)
		respondError(w, status, code, message)
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, "method_not_allowed", "a response URL takes POST")
		return
	}
	ctx, cancel := context.WithTimeout(req.Context(), respondTimeout)
	defer cancel()
	raw := req.PathValue("token")
	if raw == "" {
		raw = req.URL.Path[min(len(req.URL.Path), len(RespondPath)):]
	}
	tok, payload, mac, ok := parseToken(raw)
	if !ok {
		refuse(http.StatusNotFound, hubbub.ECodeNotFound, "no such response URL")
		return
	}
	cmd, found, err := r.store.Command(ctx, tok.Command)
	if err != nil {
		r.log.Error("reading a command failed", "command", tok.Command, "err", err)
		refuse(http.StatusServiceUnavailable, hubbub.ECodeUnavailable, "try again")
		return
	}
	// An unknown command and a bad MAC are answered alike: the URL is not one of ours.
	if !found || !verify(cmd.Secret, payload, mac) {
		refuse(http.StatusNotFound, hubbub.ECodeNotFound, "no such response URL")
		return
	}
	now := r.cfg.Now()
	expires := time.Unix(tok.Expires, 0)
	if !now.Before(expires) {
		refuse(http.StatusGone, "expired", "this response URL has expired")
		return
	}
	body, err := io.ReadAll(httpbody.Limit(w, req, maxRespondBody))
	if httpbody.TimedOut(w, err) {
		return
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		respondError(w, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than 64 KiB")
		return
	}
	if err != nil {
		respondError(w, http.StatusBadRequest, hubbub.ECodeBadJSON, "the body could not be read")
		return
	}
	ans, err := parseAnswer(body, false, r.cfg.MaxText)
	if err == nil && ans == nil {
		err = hubbub.Errorf(hubbub.ECodeEmpty, "an empty body")
	}
	if err != nil {
		respondError(w, http.StatusBadRequest, hubbub.ErrorCode(err), `the body must be {"text": …, "ephemeral"?: true}; it is `+hubbub.ErrorMessage(err))
		return
	}
	notice := hubbub.CommandNotice{Room: tok.Room, Command: cmd.Name, ID: tok.Frame}
	// The use is recorded before the answer is delivered: of two posts at once, on any nodes,
	// one only gets through. An answer that then fails to be delivered (the store or broker
	// down) is lost with the URL; the command's server is told so (503).
	first, err := r.store.UseCommandResponse(ctx, tok.Call, expires)
	if err != nil {
		r.log.Error("recording a response failed", "command", cmd.Name, "err", err)
		respondError(w, http.StatusServiceUnavailable, hubbub.ECodeUnavailable, "try again")
		return
	}
	if !first {
		respondError(w, http.StatusConflict, "used", "this response URL was used already")
		return
	}
	tell := func(n hubbub.CommandNotice) {
		err = r.hub.Notify(ctx, hubbub.UserNotified{User: tok.User, Room: tok.Room, Notice: &n})
	}
	dup, derr := r.deliver(ctx, cmd, ans, "cmdlate-"+tok.Call, &notice, tell)
	if dup {
		respondError(w, http.StatusConflict, "used", "this response URL was used already")
		return
	}
	if derr != nil || err != nil {
		if derr == nil {
			derr = err
		}
		r.log.Info("a late answer was not delivered", "command", cmd.Name, "err", derr)
		status := http.StatusServiceUnavailable
		switch hubbub.ErrorCode(derr) {
		case hubbub.ECodeMuted, hubbub.ECodeBanned, hubbub.ECodeForbidden:
			status = http.StatusForbidden
		case hubbub.ECodeNotFound:
			status = http.StatusNotFound
		}
		respondError(w, status, hubbub.ErrorCode(derr), hubbub.ErrorMessage(derr))
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
