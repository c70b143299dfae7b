package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/dialhint"
)

func init() { subcommands["add"] = runAdd }

// headerFlag collects "Name: value" headers; the original client sent name: Tome, Jim.
type headerFlag http.Header

func (h headerFlag) String() string { return "" }

func (h headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("header %q is not Name: value", v)
	}
	http.Header(h).Add(name, strings.TrimSpace(value))
	return nil
}

// runAdd is the add service's client: it asks for a+b every interval, printing the response
// headers once and each sum.
func runAdd(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("hubbub add", flag.ContinueOnError)
	fs.SetOutput(io.err)
	a := fs.Int64("a", 3, "first operand")
	b := fs.Int64("b", 9, "second operand")
	every := fs.Duration("every", time.Second, "time between requests")
	count := fs.Int("count", 0, "requests to make (0 = until interrupted)")
	timeout := fs.Duration("timeout", 10*time.Second, "time allowed to connect and for each answer")
	caFile := fs.String("ca-file", "", "PEM file of certificates to trust for wss:// besides the system's, e.g. a self-signed server certificate")
	headers := headerFlag{}
	fs.Var(headers, "header", `request header "Name: value" (repeatable; default "name: Tome" and "name: Jim" as in the original)`)
	fs.Usage = func() {
		fmt.Fprintln(io.err, "usage: hubbub add [flags] ws://host:3434/add (or http://host:3434, which means the same)")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	src, err := applyEnv(fs)
	if err != nil {
		return err
	}
	if err := refuseNegative(fs, src, "a", "b"); err != nil {
		return err
	}
	if *timeout <= 0 {
		return usageError("add: --timeout must be positive")
	}
	if fs.NArg() != 1 {
		return usageError("add needs exactly one URL, e.g. hubbub add ws://localhost:3434/add")
	}
	// As chat takes its URL, but a bare address means the add service.
	target, err := client.ParseURL(fs.Arg(0), "/add")
	if err != nil {
		return usageError("add: " + err.Error())
	}
	tlsCfg, err := trustFile(*caFile)
	if err != nil {
		return usageError("add: " + err.Error())
	}
	if len(headers) == 0 {
		headers["name"] = []string{"Tome", "Jim"}
	}

	dialCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	// The chat's protocol is offered only to tell the chat endpoint by its choice of it: the
	// add service chooses none, and the chat endpoint, chosen none, speaks the text protocol,
	// which took {"A":3,"B":9} for a name and answered nothing until --timeout.
	dialer := websocket.Dialer{HandshakeTimeout: *timeout, TLSClientConfig: tlsCfg, Subprotocols: []string{hubbub.ProtocolJSON}}
	conn, resp, err := dialer.DialContext(dialCtx, target.String(), http.Header(headers))
	if err != nil {
		if resp != nil {
			return fmt.Errorf("add: connect to %s: %s%s", target, resp.Status, dialhint.PlainToTLS(errors.New(refusalBody(resp))))
		}
		return fmt.Errorf("add: connect to %s: %w%s", target, err, dialhint.For(err))
	}
	defer conn.Close()
	if said := dialhint.WrongEndpoint(target, conn.Subprotocol(), "add"); said != "" {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		return errors.New("add: " + said)
	}
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(io.out, "%s:%v\n", k, resp.Header[k])
	}

	// Close the socket when interrupted, so a blocked read returns at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	for i := 0; *count == 0 || i < *count; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(*every):
			}
		}
		_ = conn.SetWriteDeadline(time.Now().Add(*timeout))
		if err := conn.WriteJSON(map[string]int64{"A": *a, "B": *b}); err != nil {
			return interrupted(ctx, fmt.Errorf("send: %w", err))
		}
		_ = conn.SetReadDeadline(time.Now().Add(*timeout))
		var answer struct {
			Sum   *int64
			Error string `json:"error"`
		}
		_, data, err := conn.ReadMessage()
		if err != nil {
			return interrupted(ctx, fmt.Errorf("receive: %w", err))
		}
		if err := json.Unmarshal(data, &answer); err != nil {
			return fmt.Errorf("server sent %q: %w", data, err)
		}
		switch {
		case answer.Error != "":
			// The same operands would be refused again: stop, and exit 1 as for any failure.
			fmt.Fprintf(io.out, "error: %s\n", answer.Error)
			return fmt.Errorf("add: the server refused %d + %d: %s", *a, *b, answer.Error)
		case answer.Sum != nil:
			fmt.Fprintf(io.out, "response sum=%d\n", *answer.Sum)
		default:
			return fmt.Errorf("server sent %q, which has no Sum", data)
		}
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	return nil
}

// interrupted turns the error of a socket closed by Ctrl-C into a clean exit.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Errorf("server closed the connection: %d %s", ce.Code, ce.Text)
	}
	return err
}
