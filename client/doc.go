// Package client speaks the hubbub.v1 JSON protocol (docs/protocol.md) from the client side:
// the public Go client for bots and tools, also used by `hubbub chat` and the tests. Its
// frames are internal/wire's, named here by aliases (Message, Joined, …, frames.go), so a
// program outside the module can name every type it receives. (The load generator,
// internal/bench, has a lean client of its own that only counts payloads.)
//
// It has two layers:
//
//   - Conn is one WebSocket connection: Dial it, say Hello, Join rooms, Send, page History, and
//     receive every server frame, in order, through Options.Handler. Requests that have an
//     answer (hello, join, leave, history, thread, revisions, who, ping, and the conversation
//     requests create, dm, part, rooms, directory, members) wait for it; send, typing,
//     invite, remove, topic, role and read only write, and their acks and errors arrive
//     through the Handler.
//   - Session keeps a conversation going across connections: it dials the first reachable of
//     several servers, reconnects with exponential backoff and jitter, says hello again with
//     the same name and key, rejoins every room with the highest seq (or log_seq) it has
//     applied, surfaces each entry of a room's log (message, edit, delete, reactions) exactly
//     once, and resends unacknowledged requests (send, edit, react, delete) with their
//     original id so that the server stores each of them once (invite, remove, topic and
//     role too). It delivers the user's list of rooms the server sends after each welcome,
//     writes read positions coalesced per room (MarkRead), and stops rejoining a room the
//     server took the user out of (unroom).
//
// Every goroutine either package starts ends when its Conn or Session is closed, and every
// queue is bounded.
package client
