// Package client is the Go client of hubbub, for bots, tools and other programs that chat: it
// speaks the hubbub.v1 JSON protocol (docs/protocol.md) and keeps a conversation going across
// lost connections. `hubbub chat` is built on it. Its frames are declared once, in the
// server's internal/wire; this package names each of them (Message, Joined, Ack, …: aliases,
// frames.go), so a program outside the module can name every type it gets.
//
// # A bot in a few lines
//
//	bot, err := client.Connect(ctx, client.SessionOptions{
//		URLs: []string{"https://chat.example.com"},
//		Name: "echo", Key: os.Getenv("ECHO_KEY"), // a guest: the key keeps the name its own
//		SkipHistory: true,                         // answer what is said from now on
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer bot.Close()
//	if _, err := bot.Join(ctx, "lobby"); err != nil {
//		log.Fatal(err)
//	}
//	for f := range bot.Events() { // every message once, in order, until Close
//		if m, ok := f.(*client.Message); ok && m.From != bot.Name() {
//			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
//			bot.Reply(ctx, m.Room, m.Seq, m.Text) // queued; resent until acknowledged
//			cancel()
//		}
//	}
//
// Example_echoBot and Example_commandBot run such bots against a real server;
// ExampleSession_reconnect shows a session coming back after the server restarted.
//
// # Connecting and signing in
//
// Connect dials the first of SessionOptions.URLs that answers (http:// and https:// mean
// ws:// and wss://; the path defaults to /ws) and says hello. Who the session acts for is, in
// the server's order:
//
//   - a signed-in account: SessionCookie, the cookie SignIn gets for the account's name and
//     password (accounts are made with `hubbub user add`); the server ends the session's
//     connections when it expires or is signed out, and SignInAgain, if set, gets a new one;
//   - a token signed by the host application: Token (servers started with --token-secret or
//     --jwks-url); the name comes from the token; or a bot's API token (hubbub bot create),
//     on any server, for a bot whose messages carry Message.Bot;
//   - a guest: Name and Key. The first key to claim a name owns it, server-wide, so a bot
//     that keeps its key keeps its name and user id across reconnects and restarts;
//   - anonymous: Name without Key, on servers in guest mode, under a name no user holds.
//
// A refused hello (a taken name, a bad token) fails Connect at once with a *Error; an
// unreachable server fails it after trying every URL once. After that the session never
// fails on its own unless MaxAttempts is set.
//
// # Receiving
//
// Events delivers every server frame as a Frame: switch on its type (*Message, *Edited,
// *Deleted, *Reacted, *Presence, *Typing, *Joined, *Ack, *Error, …) and ignore the rest, since
// newer servers add frames (*Unknown). The session adds *Connected, *Disconnected and
// *Reconnecting (a round of attempts failed, and when the next is). Each
// entry of a room's log (message, edit, delete, reactions, topic and membership changes)
// arrives exactly once and in the room's order, across reconnects. The first Join of a room
// replays its newest messages (SessionOptions.History of them; none with SkipHistory) before
// live ones; Join returns once they are delivered. A message's From is its sender's name;
// Name is the session's own.
//
// # A room's notices
//
// A room's topic changes, membership changes (invitations, joins, removals, roles) and bans
// and mutes are entries of its log, delivered live as *TopicChanged, *MemberChanged and
// *SanctionChanged, and replayed after a reconnect. A first join and a History page hold
// messages only, unless SessionOptions.Notices asks for the room's notices too: the join's
// replay then holds them among its messages, in the log's order, as the frames they are, and
// a History page carries those of its span in History.Notices (the same frames, decoded),
// for the caller to place among its Messages by LogSeq. Each is delivered once: the live
// frame of an entry a replay delivered does not come again. At most the server's
// --notice-limit come with one join or page, the newest of its span; Joined.NoticesTruncated
// and History.NoticesTruncated say older ones were left out. A server older than notices
// ignores the request and answers with messages only. Conn.JoinWith and Conn.HistoryWith ask
// for them on one connection.
//
// # Reconnecting and catching up
//
// When the connection fails the session emits *Disconnected and dials again at once; each
// round of attempts that fails emits *Reconnecting, with the pause before the next: exponential
// backoff and jitter (BackoffBase up to BackoffMax; the next URL after a failure; a server
// that sheds the upgrade with 503 and Retry-After, see DialError, is given at least the time it
// asks plus up to a second of jitter). Connected again, it says hello with the same
// credentials, emits *Connected and rejoins every room with since = the last entry it
// delivered, so that what was said meanwhile arrives, once, before anything new.
// When more was missed than the server replays (its --max-replay), the session pages the
// rest in from history. A room the server took the user out of is not rejoined.
//
// # Sending, exactly once
//
// Send, Reply, Post, Edit, React and Delete queue a request and return a *Receipt at once;
// Receipt.Wait returns the server's *Ack (its Seq is the message's place in the room) or why
// the request was refused. The session writes queued requests in order, paced by the send
// rate the server announced, and after a reconnect writes every one not yet acknowledged
// again with the same id, which the server stores once. Post takes the id from the caller:
// one derived from what the message answers makes a bot that restarts, and answers the same
// question again, store its answer once too (Ack.Duplicate).
//
// # The event loop
//
// Read Events without pause: while it is full the session stops reading from the server.
// The queued requests (Send, Reply, Post, Edit, React, Delete) and MarkRead and Typing may be
// called from the loop that reads Events. The queued ones block while MaxPending requests
// await their ack, and no ack is read while the loop is blocked with Events full, so a loop
// that sends should give them a ctx with a deadline (an overloaded bot then drops answers
// instead of stalling). Requests that wait for an answer (Join, History, Who, Rooms, …) must
// be called from another goroutine. While the session is reconnecting they return an error
// wrapping ErrNotConnected; a Join made then is done as soon as the session is back.
//
// # Errors
//
// A request the server refuses returns a *Error (errors.As), whose Code is one of the codes
// of docs/protocol.md; hubbub.ErrorCode(err) returns it (and the code of what the package
// refuses before asking, such as an empty text), or "internal" for an error without one
// (a lost connection, a ctx that ended).
//
// # One connection
//
// Conn is the layer below Session: one WebSocket connection, without reconnects. Dial it, say
// Hello, Join rooms, Send, page History, and receive every frame, in order, through
// Options.Handler. Requests that have an answer (hello, join, leave, history, thread,
// revisions, who, ping, and the conversation requests create, dm, part, rooms, directory,
// members) wait for it; send, typing, invite, remove, topic, role and read only write, and
// their acks and errors arrive through the Handler.
//
// Every goroutine the package starts ends when its Conn or Session is closed, and every queue
// is bounded.
package client
