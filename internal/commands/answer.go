package commands

import (
	"bytes"
	"encoding/json"

	"hubbub"
	"hubbub/internal/session"
)

// answer is what a command's URL answers, now or later through its response URL:
// {"text": "…", "ephemeral": true} shows text to the caller alone.
type answer struct {
	Text      string `json:"text"`
	Ephemeral bool   `json:"ephemeral,omitempty"`
}

// parseAnswer reads a command's answer: nil for an empty body (the command says nothing now),
// or an error that tells the caller what was wrong with it.
func parseAnswer(body []byte, truncated bool, maxText int) (*answer, error) {
	if truncated {
		return nil, hubbub.Errorf(hubbub.ECodeTooLong, "an answer too large to read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var a answer
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&a); err != nil || dec.More() {
		return nil, hubbub.Errorf(hubbub.ECodeBadJSON, `something that is not a JSON object {"text": …}`)
	}
	text, err := session.MessageText(a.Text, maxText)
	if err != nil {
		if hubbub.ErrorCode(err) == hubbub.ECodeEmpty {
			return nil, hubbub.Errorf(hubbub.ECodeEmpty, "an empty text")
		}
		return nil, hubbub.Errorf(hubbub.ECodeTooLong, "a text longer than %d bytes", maxText)
	}
	a.Text = text
	return &a, nil
}
