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
		if l == "iso-2022-jp" && hasHighBit(raw) {
			// 8-bit Japanese under a 7-bit label: EUC-JP when every
			// 8-bit byte is in its range, else Shift_JIS
			return charset.Reader(eucOrSJIS(raw), bytes.NewReader(raw))
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

func eucOrSJIS(b []byte) string {
	for _, c := range b {
		if c >= 0x80 && c < 0xa1 && c != 0x8e && c != 0x8f {
			return "shift_jis"
		}
	}
	return "euc-jp"
}

// decodeJIS decodes text that holds ISO-2022-JP escape sequences (ESC $ B,
// ESC $ @, ESC ( J) but came with no charset label or a wrong one, and so
// was passed through as it was. Text without them is returned unchanged.
func decodeJIS(b []byte) []byte {
	i := bytes.IndexByte(b, 0x1b)
	if i < 0 || !(bytes.Contains(b[i:], []byte("\x1b$B")) || bytes.Contains(b[i:], []byte("\x1b$@"))) {
		return b
	}
	if hasHighBit(b) {
		return b // not ISO-2022-JP, which is 7-bit
	}
	r, err := charset.Reader("iso-2022-jp", bytes.NewReader(b))
	if err != nil {
		return b
	}
	out, err := io.ReadAll(r)
	if err != nil || len(out) == 0 {
		return b
	}
	return out
}
