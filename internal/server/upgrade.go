package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/websocket"

	"hubbub/internal/addservice"
	"hubbub/internal/session"
	"hubbub/internal/transport"
)

// transportConfig is the transport's share of the configuration (defaults applied). A refused
// upgrade answers with a real status and body, and is logged.
func (s *Server) transportConfig() transport.Config {
	cfg := &s.cfg
	return transport.Config{
		HandshakeTimeout:  cfg.HandshakeTimeout,
		ReadBufferSize:    cfg.ReadBufferSize,
		WriteBufferSize:   cfg.WriteBufferSize,
		NoWriteBufferPool: cfg.NoWriteBufferPool,
		Compression:       cfg.Compression,
		Subprotocols:      cfg.Subprotocols,
		CheckOrigin:       s.origins.allows,
		Refused: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			s.log.Info("upgrade refused", "remote", r.RemoteAddr, "path", r.URL.Path,
				"origin", r.Header.Get("Origin"), "status", status, "reason", reason)
			w.Header().Set("Sec-Websocket-Version", "13")
			http.Error(w, refusedText(r, reason), status)
		},
		Poll:            cfg.Transport == TransportPoll,
		Flushers:        cfg.Flushers,
		WriteInterval:   cfg.WriteInterval,
		PollIdleReaders: cfg.PollIdleReaders,
		PingPeriod:      cfg.PingPeriod,
		PongWait:        cfg.PongWait,
		WriteWait:       cfg.WriteWait,
		ReadLimit:       cfg.ReadLimit,
		SendQueue:       cfg.SendQueue,
		Label:           session.Label,
		Metrics:         cfg.Metrics,
		Logger:          s.log,
	}
}

// refusedText is the body of a refused upgrade of r: the reason, or for a request that is no
// WebSocket handshake at all — /ws or /add opened in a browser or with curl — what the path is
// and what to use instead, where gorilla's reason ("'upgrade' token not found in 'Connection'
// header") told a person nothing.
func refusedText(r *http.Request, reason error) string {
	if websocket.IsWebSocketUpgrade(r) {
		return reason.Error()
	}
	ws, page := "ws://", "http://"
	if r.TLS != nil {
		ws, page = "wss://", "https://"
	}
	example := ""
	switch r.URL.Path {
	case "/ws":
		example = ", e.g. hubbub chat " + ws + r.Host + "/ws"
	case "/add":
		example = ", e.g. hubbub add " + ws + r.Host + "/add"
	}
	return fmt.Sprintf("%s is a WebSocket endpoint: connect to it with a WebSocket client%s; the chat page is %s%s/",
		r.URL.Path, example, page, r.Host)
}

// originPolicy decides which browser pages may open WebSockets. Same-origin is always allowed;
// requests without an Origin header come from non-browser clients and are allowed too, since
// cross-site WebSocket hijacking needs a browser.
type originPolicy struct {
	any   bool
	hosts map[string]bool // "host:port" or "host", lower case, any scheme
	full  map[string]bool // "scheme://host[:port]", lower case
}

func newOriginPolicy(allowed []string) (originPolicy, error) {
	p := originPolicy{hosts: map[string]bool{}, full: map[string]bool{}}
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "":
		case a == "*":
			p.any = true
		case strings.Contains(a, "://"):
			u, err := url.Parse(a)
			if err != nil || u.Host == "" {
				return p, fmt.Errorf("server: allowed origin %q is not an origin like https://example.com", a)
			}
			p.full[u.Scheme+"://"+u.Host] = true
		default:
			p.hosts[a] = true
		}
	}
	return p, nil
}

func (p originPolicy) allows(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || p.any {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Host)
	if host == strings.ToLower(r.Host) {
		return true
	}
	return p.hosts[host] || p.full[strings.ToLower(u.Scheme)+"://"+host]
}

// serveWS upgrades /ws and hands the socket to its transport and the session for the
// negotiated protocol, which serve it until it ends.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	var settle *slot
	release, ok := s.admit(w, r, &settle)
	if !ok {
		return // admit has answered and logged
	}
	c, err := s.sockets.Upgrade(w, r, s.nextID.Add(1))
	if err != nil {
		settle.release()
		release()
		return // the transport's Refused function has answered and logged
	}
	s.openWS(c, r, settle, release)
}

// openWS opens the session of c, upgraded from r with its admission slot settle and its
// address's release, and starts serving it (from serveWS and the WebSocket listener).
func (s *Server) openWS(c transport.Conn, r *http.Request, settle *slot, release func()) {
	creds := session.UpgradeCredentials(r)
	creds.Addr = clientIP(r, s.cfg.TrustProxy)
	sess := s.sessions.Open(c, c.Subprotocol(), creds)
	// The session is attached before the connection is tracked, so that shutdown never sees
	// it half built. Until it settles it holds an admission slot (admission.go).
	c.Attach(&settling{Session: sess, slot: settle, left: framesToSettle(c.Subprotocol())}, func() {
		s.untrack(c)
		settle.release()
		release() // the client's per-address slot, held until the socket ends
	})
	if ok, full := s.track(c); !ok {
		sess.End()
		settle.release()
		release()
		if full { // upgrades admitted together passed MaxConns: this one may try again
			s.refuseFull(r)
			c.Refuse(websocket.CloseTryAgainLater, errServerFull.Error())
			return
		}
		c.Refuse(websocket.CloseGoingAway, "server is shutting down")
		return
	}
	// Shutdown does not depend on the handler: it waits for tracked connections
	// (track/untrack).
	c.Start()
}

// serveAdd upgrades /add and serves the add service on it until the client leaves.
func (s *Server) serveAdd(w http.ResponseWriter, r *http.Request) {
	release, ok := s.admit(w, r, nil)
	if !ok {
		return // admit has answered and logged
	}
	defer release()
	ws, err := s.sockets.UpgradePlain(w, r)
	if err != nil {
		return
	}
	a := addservice.NewConn(&s.adder, ws)
	if ok, full := s.track(a); !ok {
		if full {
			s.refuseFull(r)
		}
		a.GoingAway()
		ws.Close()
		return
	}
	defer s.untrack(a)
	a.Serve(s.nextID.Add(1), r.RemoteAddr, len(r.Header))
}

// TokenCookie is the cookie a host application may set to hand its users' browsers a token
// (internal/session reads it).
const TokenCookie = session.TokenCookie
