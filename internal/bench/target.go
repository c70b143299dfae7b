package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"hubbub/internal/wire"
)

// driver is one target protocol: how a client logs in and joins its room, how a message is
// framed, and what to do with frames that are not payloads.
type driver interface {
	// subprotocols are offered in the WebSocket handshake.
	subprotocols() []string
	// handshake logs c in and joins c.room, reading synchronously until the target confirms
	// (where the protocol has a confirmation) or deadline passes.
	handshake(c *client, deadline time.Time) error
	// appendSend appends the frame that sends text to c's room.
	appendSend(dst []byte, c *client, text []byte) []byte
	// control handles what a frame holds besides payloads (found of them): errors, pings.
	control(c *client, frame []byte, found int)
}

func newDriver(cfg *Config) driver {
	switch cfg.Target {
	case TargetText:
		return textDriver{}
	case TargetCentrifugo:
		return &centrifugoDriver{secret: []byte(cfg.TokenSecret)}
	default:
		return hubbubDriver{}
	}
}

// hubbubDriver speaks hubbub.v1 (docs/protocol.md).
type hubbubDriver struct{}

func (hubbubDriver) subprotocols() []string { return []string{"hubbub.v1"} }

// handshake sends hello and join back to back, in one round trip: the server handles a
// connection's frames in order (docs/protocol.md), so the join needs no welcome first.
func (hubbubDriver) handshake(c *client, deadline time.Time) error {
	if err := c.write(wire.Encode(wire.HelloRequest{Type: wire.TypeHello, Name: c.name})); err != nil {
		return err
	}
	// history 1: the fewest a join replays; replays of earlier runs are not counted anyway.
	join := wire.JoinRequest{Type: wire.TypeJoin, Room: c.room, History: 1}
	if c.since > 0 { // a storm's client rejoining: everything after what it has seen
		since := c.since
		join.Since, join.History = &since, 0
	}
	if err := c.write(wire.Encode(join)); err != nil {
		return err
	}
	if err := c.awaitFrame(deadline, wire.TypeWelcome, jsonReply(wire.TypeWelcome)); err != nil {
		return err
	}
	return c.awaitFrame(deadline, wire.TypeJoined, jsonReply(wire.TypeJoined))
}

// jsonReply matches a hubbub.v1 frame of type want, and turns an error frame into an error.
func jsonReply(want string) func([]byte) (bool, error) {
	typ := []byte(`"type":"` + want + `"`)
	return func(f []byte) (bool, error) {
		if bytes.Contains(f, typ) {
			return true, nil
		}
		if bytes.Contains(f, errorType) {
			return false, fmt.Errorf("server: %s", f)
		}
		return false, nil
	}
}

// errorType marks a hubbub.v1 error frame.
var errorType = []byte(`"type":"` + wire.TypeError + `"`)

// appendSend spells a wire.SendRequest by hand: the generator's names, rooms, ids and payloads
// need no JSON escaping, and a send is the hot path, so it is not marshalled
// (TestHubbubSendIsAWireSendRequest holds the two together).
func (hubbubDriver) appendSend(dst []byte, c *client, text []byte) []byte {
	dst = append(dst, `{"type":"`+wire.TypeSend+`","room":"`...)
	dst = append(dst, c.room...)
	dst = append(dst, `","id":"`...)
	dst = append(dst, c.r.codec.run...)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, int64(c.idx), 10)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, c.seq, 10)
	dst = append(dst, `","text":"`...)
	dst = append(dst, text...)
	return append(dst, `"}`...)
}

func (hubbubDriver) control(c *client, frame []byte, found int) {
	if found == 0 {
		c.onAck(frame)
	}
	if c.storm != nil {
		if st := c.r.stormRun.Load(); st != nil {
			st.onFrame(c, frame)
		}
	}
	if found == 0 && bytes.Contains(frame, errorType) {
		c.r.stats.errs.Add(1)
		c.r.stats.sample("server error frame: %s", frame)
	}
}

// textDriver speaks the original chat's text protocol: the first frame is the name, every
// later frame a line; the server may join several lines in one frame with '\n'.
type textDriver struct{}

func (textDriver) subprotocols() []string { return nil }

func (textDriver) handshake(c *client, _ time.Time) error {
	// The protocol confirms nothing; the run's probe shows when the name has been taken.
	return c.write([]byte(c.name))
}

func (textDriver) appendSend(dst []byte, _ *client, text []byte) []byte {
	return append(dst, text...)
}

func (textDriver) control(c *client, frame []byte, _ int) {
	for line := range bytes.SplitSeq(frame, []byte{'\n'}) {
		if bytes.HasPrefix(line, []byte("error: ")) {
			c.r.stats.errs.Add(1)
			c.r.stats.sample("server: %s", line)
		}
	}
}

// centrifugoDriver speaks Centrifugo's JSON client protocol (v2 framing, Centrifugo v4+):
// commands {"id":N,"connect":{…}}, {"id":N,"subscribe":{…}}, {"id":N,"publish":{…}}; replies
// carry the same id (with "error" on failure); publications arrive as
// {"push":{"channel":…,"pub":{"data":…}}}; several replies may share a frame, one per line; an
// empty object {} is the server's ping, answered with {} when connect's result asked for pongs.
type centrifugoDriver struct {
	secret []byte
}

func (*centrifugoDriver) subprotocols() []string { return nil }

// token signs a connection JWT for user (HS256, sub = user, expiring in a day).
func (d *centrifugoDriver) token(user string) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": user,
		"exp": time.Now().Add(24 * time.Hour).Unix(),
	})
	s, err := t.SignedString(d.secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// cfReply is the part of a Centrifugo reply the handshake reads.
type cfReply struct {
	ID    uint32 `json:"id"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Connect *struct {
		Client string `json:"client"`
		Ping   int    `json:"ping"`
		Pong   bool   `json:"pong"`
	} `json:"connect"`
	Subscribe *cfSubscribed `json:"subscribe"`
}

// cfSubscribed is the part of Centrifugo's subscribe result a storm reads: the stream position
// (with history on), whether a recovery asked for succeeded, and the publications it recovered
// (in the reply itself, before any live one).
type cfSubscribed struct {
	Epoch        string `json:"epoch"`
	Offset       uint64 `json:"offset"`
	Recovered    bool   `json:"recovered"`
	Publications []struct {
		Offset uint64 `json:"offset"`
	} `json:"publications"`
}

func (d *centrifugoDriver) handshake(c *client, deadline time.Time) error {
	tok, err := d.token(c.name)
	if err != nil {
		return err
	}
	connect, _ := json.Marshal(map[string]any{"id": 1, "connect": map[string]any{"token": tok, "name": "hubbub-bench"}})
	if err := c.write(connect); err != nil {
		return err
	}
	var reply cfReply
	if err := c.awaitFrame(deadline, "connect reply", cfAwait(1, &reply)); err != nil {
		return err
	}
	if reply.Connect != nil {
		c.pong = reply.Connect.Pong
	}
	sub := `{"id":2,"subscribe":{"channel":"chat:` + c.room + `"}}`
	recovering := c.storm != nil && c.storm.epoch != ""
	if recovering { // a storm's client resubscribing: recover what it missed from its position
		b, _ := json.Marshal(map[string]any{"id": 2, "subscribe": map[string]any{"channel": "chat:" + c.room,
			"recover": true, "offset": c.since, "epoch": c.storm.epoch}})
		sub = string(b)
	}
	if err := c.write([]byte(sub)); err != nil {
		return err
	}
	c.cmdID = 2
	reply = cfReply{}
	var frame []byte
	err = c.awaitFrame(deadline, "subscribe reply", func(f []byte) (bool, error) {
		ok, err := cfAwait(2, &reply)(f)
		if ok {
			frame = f
		}
		return ok, err
	})
	if err != nil || c.storm == nil || reply.Subscribe == nil {
		return err
	}
	// The stream position to recover from next time: the reply's offset already counts the
	// publications it recovered, and a new epoch (a restarted memory engine) starts its
	// offsets again, so it replaces the old position rather than raising it.
	c.storm.epoch = reply.Subscribe.Epoch
	c.storm.roomSeq.Store(reply.Subscribe.Offset)
	c.onFrame(frame) // recovered publications, and any push batched after the reply, count
	if st := c.r.stormRun.Load(); st != nil && recovering {
		st.resubscribed(c, reply.Subscribe.Recovered)
	}
	return nil
}

// cfAwait matches the reply with id in a frame of newline-separated replies, failing on an
// error reply.
func cfAwait(id uint32, into *cfReply) func([]byte) (bool, error) {
	return func(frame []byte) (bool, error) {
		for line := range bytes.SplitSeq(frame, []byte{'\n'}) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var r cfReply
			if err := json.Unmarshal(line, &r); err != nil {
				return false, fmt.Errorf("centrifugo sent %q: %w", line, err)
			}
			if r.ID != id {
				continue
			}
			if r.Error != nil {
				return false, fmt.Errorf("centrifugo error %d: %s", r.Error.Code, r.Error.Message)
			}
			*into = r
			return true, nil
		}
		return false, nil
	}
}

func (*centrifugoDriver) appendSend(dst []byte, c *client, text []byte) []byte {
	c.cmdID++
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendUint(dst, uint64(c.cmdID), 10)
	dst = append(dst, `,"publish":{"channel":"chat:`...)
	dst = append(dst, c.room...)
	dst = append(dst, `","data":{"text":"`...)
	dst = append(dst, text...)
	return append(dst, `"}}}`...)
}

func (*centrifugoDriver) control(c *client, frame []byte, found int) {
	if c.storm != nil {
		if st := c.r.stormRun.Load(); st != nil {
			st.onCentrifugoFrame(c, frame)
		}
	}
	if found > 0 && bytes.IndexByte(frame, '\n') < 0 {
		return // one publication, nothing else
	}
	for line := range bytes.SplitSeq(frame, []byte{'\n'}) {
		switch {
		case bytes.Equal(bytes.TrimSpace(line), []byte("{}")):
			if c.pong {
				if err := c.write([]byte("{}")); err != nil && !c.closing.Load() && !c.r.stopping.Load() {
					c.r.stats.sample("pong: %v", err)
				}
			}
		case bytes.Contains(line, []byte(`"error":{`)):
			c.r.stats.errs.Add(1)
			c.r.stats.sample("centrifugo: %s", line)
		}
	}
}

// ReadCentrifugoSecret returns client.token.hmac_secret_key from a Centrifugo v6 JSON config
// file.
func ReadCentrifugoSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("centrifugo config: %w", err)
	}
	var cfg struct {
		Client struct {
			Token struct {
				HMACSecretKey string `json:"hmac_secret_key"`
			} `json:"token"`
		} `json:"client"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return "", fmt.Errorf("centrifugo config %s: %w", path, err)
	}
	if cfg.Client.Token.HMACSecretKey == "" {
		return "", errors.New("centrifugo config " + path + " has no client.token.hmac_secret_key")
	}
	return cfg.Client.Token.HMACSecretKey, nil
}
