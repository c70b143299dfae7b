package server

import (
	"hubbub/internal/hub"
	"hubbub/internal/protocol"
)

// payloadCodecs are the wire protocols' codecs, by slot: hubbub.v1's JSON and the text lines.
var payloadCodecs = []hub.Codec{protocol.JSONCodec{}, protocol.TextCodec{}}
