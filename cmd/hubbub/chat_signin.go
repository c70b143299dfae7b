package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"

	"golang.org/x/term"

	"hubbub"
	"hubbub/client"
)

// chatSignIn signs in to the account name at the first of urls whose server answers, as the
// sign-in page does, and returns the session cookie that the session sends with every
// handshake (its reconnects too, for the server's --session-ttl). The password is the first
// line of passwordFile, or else asked on the terminal without echo: standard input carries the
// messages, so it is never read for the password.
func chatSignIn(ctx context.Context, urls []string, name, passwordFile string, tlsCfg *tls.Config, io stdio) (string, error) {
	pw, err := chatPassword(name, passwordFile, io)
	if err != nil {
		return "", err
	}
	hc := &http.Client{}
	if tlsCfg != nil {
		hc.Transport = &http.Transport{TLSClientConfig: tlsCfg, Proxy: http.ProxyFromEnvironment}
	}
	for i, u := range urls {
		cookie, err := client.SignIn(ctx, u, name, pw, hc)
		// A server that answered decided (a wrong password is wrong on every node of one
		// store); one that could not be reached leaves the next URL to try.
		if err == nil || answered(err) || i == len(urls)-1 {
			return cookie, err
		}
	}
	return "", errors.New("no server URL") // not reached: urls is not empty
}

// chatSignInAgain is the session's SignInAgain for --signin: when the session ends (signed
// out everywhere, or expired), it signs in again with the password in passwordFile, read
// again then, so that a client left running survives --session-ttl and takes a new password
// written to the file. It signs in as the account's name now (now; "" for the one it first
// signed in with, name): renamed since (/name, the account page, hubbub user rename), the
// account no longer answers to the old one. Without a file it is nil and the chat ends: the
// terminal is reading the messages, and asking for the password on it would take a line
// meant for the room.
func chatSignInAgain(urls []string, name, passwordFile string, tlsCfg *tls.Config, io stdio) func(ctx context.Context, now string) (string, error) {
	if passwordFile == "" {
		return nil
	}
	return func(ctx context.Context, now string) (string, error) {
		if now == "" {
			now = name
		}
		fmt.Fprintf(io.err, "* your session has ended; signing in again as %s with --password-file\n", now)
		return chatSignIn(ctx, urls, now, passwordFile, tlsCfg, io)
	}
}

// chatPassword reads name's password from the first line of file, or from the terminal.
func chatPassword(name, file string, io stdio) (string, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		line, err := firstLine(f)
		if line == "" {
			return "", usageError(fmt.Sprintf("chat: --password-file %s: no password on its first line (%v)", file, err))
		}
		return line, nil
	}
	// Piped messages leave the terminal free to ask on, if there is one.
	tty, ok := io.in.(*os.File)
	if !ok || !term.IsTerminal(int(tty.Fd())) {
		var err error
		if tty, err = os.Open("/dev/tty"); err != nil {
			return "", usageError("chat: --signin asks for the password on a terminal and there is none: pass --password-file FILE")
		}
		defer tty.Close()
	}
	pw, err := askPassword(tty, io.err, "Password for "+name+": ")
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return pw, nil
}

// answered reports whether err is a server's answer (a *hubbub.Error: a wrong password, too
// many attempts) rather than a failure to reach it.
func answered(err error) bool {
	var he *hubbub.Error
	return errors.As(err, &he)
}
