package client_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"hubbub/client"
)

// A bot that answers every message with its text. It is a guest, whose key keeps its name
// its own across reconnects and restarts. Session reconnects on its own, rejoins its rooms
// and delivers what was said meanwhile, and resends every answer not yet acknowledged with
// its id, so the server stores it once.
func Example_echoBot() {
	serverURL, stop := exampleServer() // a throwaway server; a bot is given its server's URL
	defer stop()
	ctx := context.Background()

	bot, err := client.Connect(ctx, client.SessionOptions{
		URLs: []string{serverURL},
		Name: "echo", Key: "the echo bot's secret key",
		SkipHistory: true, // answer what is said from now on, not the room's past
	})
	if err != nil {
		log.Fatal(err)
	}
	defer bot.Close()
	if _, err := bot.Join(ctx, "lobby"); err != nil {
		log.Fatal(err)
	}
	go func() {
		// Every message arrives once, in order, until Close ends the session.
		for f := range bot.Events() {
			if m, ok := f.(*client.Message); ok && m.From != bot.Name() {
				// Wait no longer for room in the send queue: see "The event loop".
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				if _, err := bot.Reply(ctx, m.Room, m.Seq, m.Text); err != nil {
					log.Print(err)
				}
				cancel()
			}
		}
	}()

	// Someone talks to the bot.
	ann := newChatter(serverURL, "ann", "lobby")
	defer ann.close()
	ann.ask("lobby", "hello")
	ann.ask("lobby", "is anyone there?")
	// Output:
	// echo: hello
	// echo: is anyone there?
}

// A bot that answers commands: "!roll 2d6" rolls dice, "!help" lists the commands, and it
// ignores everything else. Each answer's id is derived from the command's seq: if the bot
// restarts and sees a command again, the server stores its answer once (the id is unique per
// room and user).
func Example_commandBot() {
	serverURL, stop := exampleServer() // a throwaway server; a bot is given its server's URL
	defer stop()
	ctx := context.Background()

	dice := rand.New(rand.NewPCG(1, 2)) // seeded, so that the example's output never changes
	commands := map[string]func(args string) string{
		"help": func(string) string { return "commands: !help, !roll NdM (N dice of M sides)" },
		"roll": func(args string) string {
			n, m, ok := strings.Cut(strings.TrimSpace(args), "d")
			count, err1 := strconv.Atoi(n)
			sides, err2 := strconv.Atoi(m)
			if !ok || err1 != nil || err2 != nil || count < 1 || count > 20 || sides < 2 || sides > 1000 {
				return "usage: !roll NdM, at most 20 dice of 2 to 1000 sides"
			}
			rolls, sum := make([]string, count), 0
			for i := range rolls {
				r := 1 + dice.IntN(sides)
				rolls[i], sum = strconv.Itoa(r), sum+r
			}
			return fmt.Sprintf("%s = %d", strings.Join(rolls, " + "), sum)
		},
	}

	bot, err := client.Connect(ctx, client.SessionOptions{
		URLs: []string{serverURL},
		Name: "dice", Key: "the dice bot's secret key",
		SkipHistory: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer bot.Close()
	if _, err := bot.Join(ctx, "games"); err != nil {
		log.Fatal(err)
	}
	go func() {
		for f := range bot.Events() {
			m, ok := f.(*client.Message)
			if !ok || m.From == bot.Name() || !strings.HasPrefix(m.Text, "!") {
				continue
			}
			name, args, _ := strings.Cut(m.Text[1:], " ")
			answer := "unknown command !" + name + ": try !help"
			if command, ok := commands[name]; ok {
				answer = command(args)
			}
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err := bot.Post(ctx, client.Outgoing{Room: m.Room, ReplyTo: m.Seq, Text: answer,
				ID: fmt.Sprintf("answer-%d", m.Seq)})
			cancel()
			if err != nil {
				log.Print(err)
			}
		}
	}()

	bob := newChatter(serverURL, "bob", "games")
	defer bob.close()
	bob.tell("games", "anyone for a game?") // not a command: no answer
	bob.ask("games", "!help")
	bob.ask("games", "!roll 2d6")
	bob.ask("games", "!roll lots")
	bob.ask("games", "!dance")
	// Output:
	// dice: commands: !help, !roll NdM (N dice of M sides)
	// dice: 5 + 4 = 9
	// dice: usage: !roll NdM, at most 20 dice of 2 to 1000 sides
	// dice: unknown command !dance: try !help
}

// A Session survives a server restart: it reconnects on its own, rejoins its rooms with the
// last entry it delivered, and delivers what was said meanwhile, once; what it was asked to
// send while away goes out once it is back. Its Connected and Disconnected events say so.
func ExampleSession_reconnect() {
	serverURL, restart, stop := restartableServer() // a throwaway server that can restart
	defer stop()
	ctx := context.Background()

	watcher, err := client.Connect(ctx, client.SessionOptions{
		URLs: []string{serverURL},
		Name: "watcher", Key: "the watcher's secret key",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer watcher.Close()
	if _, err := watcher.Join(ctx, "lobby"); err != nil {
		log.Fatal(err)
	}
	// show prints the watcher's events until it has printed a message.
	show := func() {
		for f := range watcher.Events() {
			switch f := f.(type) {
			case *client.Connected:
				fmt.Println("connected as", f.Welcome.Name)
			case *client.Disconnected:
				fmt.Println("disconnected")
			case *client.Message:
				fmt.Printf("%s: %s\n", f.From, f.Text)
				return
			}
		}
	}

	ann := newChatter(serverURL, "ann", "lobby") // ann's Session reconnects too
	defer ann.close()
	ann.tell("lobby", "before the restart")
	show()
	restart()
	ann.tell("lobby", "after the restart") // queued until ann is back, then stored once
	show()
	// Output:
	// connected as watcher
	// ann: before the restart
	// disconnected
	// connected as watcher
	// ann: after the restart
}
