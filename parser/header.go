package parser

import (
	"bytes"
	"strings"
)

// readFields parses a block of "Name: value" lines (with folded
// continuation lines) leniently: it stops at the first blank line, and a line
// that is neither a field nor a continuation ends the block too. It returns the
// fields and the rest of the input after the block.
func readFields(b []byte) ([]Field, []byte) {
	var out []Field
	for len(b) > 0 {
		line, rest := cutLine(b)
		if len(bytes.TrimSpace(line)) == 0 {
			return out, rest
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(out) > 0 {
				out[len(out)-1].Value += " " + strings.TrimSpace(string(line))
			}
			b = rest
			continue
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 || !isFieldName(line[:i]) {
			return out, b
		}
		out = append(out, Field{
			Name:  string(bytes.TrimSpace(line[:i])),
			Value: strings.TrimSpace(string(line[i+1:])),
		})
		b = rest
	}
	return out, b
}

func isFieldName(b []byte) bool {
	b = bytes.TrimRight(b, " \t")
	if len(b) == 0 || len(b) > 80 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// cutLine returns the first line of b without its line end, and the rest.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	return b[:i], b[i+1:]
}

// fieldsGet returns the value of the first field named name (case-insensitive).
func fieldsGet(fs []Field, name string) string {
	for _, f := range fs {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// normalizeNewlines turns CRLF and lone CR into LF, so that a message gives the
// same answer whatever its line ends. It copies only when it must.
func normalizeNewlines(b []byte) []byte {
	i := bytes.IndexByte(b, '\r')
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:i]...)
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			out = append(out, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			continue
		}
		out = append(out, c)
	}
	return out
}
