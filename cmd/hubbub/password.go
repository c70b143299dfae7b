package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"hubbub/internal/accounts"
)

// firstLine is the first line of r without its line ending, read no further than the longest
// password and its ending: where `hubbub user` and `hubbub chat` take a password from a pipe
// or a file. err is nil when a line, even one without its newline, was there.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(r, accounts.MaxPasswordLen+2).ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	return strings.TrimRight(line, "\r\n"), err
}

// askPassword shows prompt on w and reads a password from the terminal tty without echo.
func askPassword(tty *os.File, w io.Writer, prompt string) (string, error) {
	fmt.Fprint(w, prompt)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(w)
	return string(b), err
}
