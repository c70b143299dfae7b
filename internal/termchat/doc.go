// Package termchat is hubbub's terminal chat client, `hubbub chat` (cmd/hubbub parses its
// flags into Options and calls Run): it prints what happens in the user's rooms as lines,
// "[room] #SEQ name: text" ("! " before one that mentions me) and "* " notices, and sends
// each line typed or piped in as a message or a command (CommandList). It is built on hubbub/client, whose session reconnects,
// rejoins and resends; this package decides what a person reads and types.
//
// Two goroutines share a chat: the input loop (Run, in run.go and chat.go) reads lines and
// runs commands, and the printer (printer.go) prints every event the session delivers. State
// both touch holds its own lock; state only one touches says whose it is.
//
//   - run.go: Options, Run, the end of input, the key file
//   - chat.go: the chat's state, a line typed, the commands' dispatch, acks awaited
//   - printer.go: the event loop that prints frames; lines.go and people_lines.go format them,
//     messages.go keeps what each message's line shows as the room's log changes it
//   - connection.go: what a failed connect, a lost connection and a reconnect say
//   - rooms.go: where the connection stands with each room; departures.go, reads.go,
//     echoes.go, numbers.go: what the printer and the commands tell each other
//   - the commands by what they touch: log.go (/reply, /edit, /delete, /react; emoji.go),
//     people.go (/dm, /create, /invite, /part…; titles.go names DMs by their people),
//     moderation.go, search.go, files.go (/upload, /download), notify.go, commands.go (the
//     server's slash commands); refusals.go says a refused command
//   - name.go: the name each server last gave a guest, kept beside the key
package termchat
