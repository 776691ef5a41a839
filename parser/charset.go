package parser

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
)

func init() {
	message.CharsetReader = charsetReader
}

// charsetReader decodes a part's charset to UTF-8 like go-message's charset
// package, with one repair: text labelled with a 7-bit charset (ISO-2022-*,
// US-ASCII) that holds 8-bit bytes forming valid UTF-8 was re-encoded on the
// way without its label being changed, so it is taken as the UTF-8 it is.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	l := strings.ToLower(strings.TrimSpace(label))
	if strings.HasPrefix(l, "iso-2022-") || l == "us-ascii" || l == "ascii" {
		raw, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		if hasHighBit(raw) && utf8.Valid(raw) {
			return bytes.NewReader(raw), nil
		}
		input = bytes.NewReader(raw)
	}
	return charset.Reader(label, input)
}

func hasHighBit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
