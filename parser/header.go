package parser

import (
	"bytes"
	"slices"
	"strings"
	"unsafe"

	"github.com/emersion/go-message"
)

// readFields parses a block of "Name: value" lines (with folded
// continuation lines) leniently: it stops at the first blank line, and a line
// that is neither a field nor a continuation ends the block too. It returns the
// fields and the rest of the input after the block. The names and values are
// slices of one string made for the block: b is only read, and may change
// afterwards.
func readFields(b []byte) ([]Field, []byte) {
	return readFieldsRaw(b, nil)
}

// mimeFields holds the raw lines (folded ones included) of the first
// Content-Type and Content-Transfer-Encoding fields of a header.
type mimeFields struct{ ct, cte []byte }

// readFieldsRaw is readFields, which also keeps in mf, when it is not nil,
// the raw lines of the fields go-message reads from a header (see
// plainHeader).
func readFieldsRaw(b []byte, mf *mimeFields) ([]Field, []byte) {
	orig := b
	type span struct{ name, end, valEnd int } // offsets in text
	// room for the fields of most blocks, without an allocation
	var spanBuf [64]span
	spans := spanBuf[:0]
	var text []byte // each field's name then its value, joined
	for len(b) > 0 {
		line, rest := cutLine(b)
		if len(bytes.TrimSpace(line)) == 0 {
			b = rest
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// a continuation line before any field: skipped
			b = rest
			continue
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 || !isFieldName(line[:i]) {
			break
		}
		if text == nil {
			// room for the block, up to its blank line: the text is never
			// longer. Without a blank line, or far away, the block may end
			// much sooner, at a line that is not a field: room for a
			// small one then, which append grows.
			n := min(len(b), 4096)
			if e := bytes.Index(b[:min(len(b), 64<<10)], blankLine); e >= 0 {
				n = e + 1
			}
			text = make([]byte, 0, n)
		}
		sp := span{name: len(text)}
		start := len(orig) - len(b)
		text = append(text, bytes.TrimSpace(line[:i])...)
		sp.end = len(text)
		text = append(text, bytes.TrimSpace(line[i+1:])...)
		b = rest
		// continuation lines join the value, each trimmed, after one space
		for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
			cont, rest := cutLine(b)
			t := bytes.TrimSpace(cont)
			if len(t) == 0 {
				break // a blank line: the end of the block
			}
			text = append(text, ' ')
			text = append(text, t...)
			b = rest
		}
		sp.valEnd = len(text)
		spans = append(spans, sp)
		if mf != nil {
			raw := orig[start : len(orig)-len(b)]
			switch name := text[sp.name:sp.end]; {
			case mf.ct == nil && bytes.EqualFold(name, []byte("Content-Type")):
				mf.ct = raw
			case mf.cte == nil && bytes.EqualFold(name, []byte("Content-Transfer-Encoding")):
				mf.cte = raw
			}
		}
	}
	if len(spans) == 0 {
		return nil, b
	}
	str := unsafe.String(&text[0], len(text)) // text is not written again
	out := make([]Field, len(spans))
	for k, sp := range spans {
		out[k] = Field{Name: str[sp.name:sp.end], Value: str[sp.end:sp.valEnd]}
	}
	return out, b
}

// topFields returns the fields of the header go-message read from data (h),
// and the rest of data after it, as readFields(data) would: names as
// written, values trimmed, folded lines joined by one space. Its strings are
// go-message's own when they are the same, so the header is not copied
// twice. It checks that the fields are the lines of data in order up to the
// blank line that ends the header, each one a field readFields takes; ok is
// false when they are not (a field name readFields refuses, a blank
// continuation line, a line go-message skipped), and readFields must be used.
func topFields(data []byte, h *message.Header) (top []Field, rest []byte, ok bool) {
	n := h.Len()
	if n == 0 {
		return nil, nil, false
	}
	top = make([]Field, 0, n)
	pos := 0 // where the next field's first line begins in data
	var val []byte
	fs := h.Fields()
	for fs.Next() {
		raw, err := fs.Raw()
		if err != nil {
			return nil, nil, false
		}
		var name, first []byte
		val = val[:0]
		for k := 0; len(raw) > 0; k++ {
			line, more := cutCRLF(raw)
			raw = more
			// the line must be the one at pos in data
			end := pos + len(line)
			if end > len(data) || !bytes.Equal(data[pos:end], line) {
				return nil, nil, false
			}
			switch {
			case end == len(data):
				pos = end
			case data[end] == '\n':
				pos = end + 1
			default:
				return nil, nil, false
			}
			if k == 0 {
				i := bytes.IndexByte(line, ':')
				if i <= 0 || line[0] == ' ' || line[0] == '\t' || !isFieldName(line[:i]) {
					return nil, nil, false
				}
				name = bytes.TrimSpace(line[:i])
				first = bytes.TrimSpace(line[i+1:])
				continue
			}
			t := bytes.TrimSpace(line)
			if len(t) == 0 || line[0] != ' ' && line[0] != '\t' {
				return nil, nil, false
			}
			if len(val) == 0 {
				val = append(val, first...)
			}
			val = append(val, ' ')
			val = append(val, t...)
		}
		if name == nil {
			return nil, nil, false
		}
		v := first
		if len(val) > 0 {
			v = val
		}
		f := Field{Name: fs.Key(), Value: fs.Value()}
		if string(name) != f.Name {
			f.Name = string(name)
		}
		if string(v) != f.Value {
			f.Value = string(v)
		}
		top = append(top, f)
	}
	// the header ends with a blank line, or with the data
	switch {
	case pos == len(data):
		return top, data[pos:], true
	case data[pos] == '\n':
		return top, data[pos+1:], true
	}
	return nil, nil, false
}

// cutCRLF is bytes.Cut(b, []byte("\r\n")) without its found result: the
// CR is found with IndexByte, cheaper on the short lines of a header than
// bytes.Index.
func cutCRLF(b []byte) (before, after []byte) {
	for from := 0; ; {
		i := bytes.IndexByte(b[from:], '\r')
		if i < 0 {
			return b, nil
		}
		i += from
		if i+1 < len(b) && b[i+1] == '\n' {
			return b[:i], b[i+2:]
		}
		from = i + 1
	}
}

var blankLine = []byte("\n\n")

func isFieldName(b []byte) bool {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1] // bytes.TrimRight(b, " \t"), without its cutset
	}
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
		if nameEq(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// normalizeNewlines turns CRLF and lone CR into LF, so that a message gives the
// same answer whatever its line ends. It copies only when it must.
func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	return appendNewlines(make([]byte, 0, len(b)), b)
}

// appendNewlines appends b to dst with CRLF and lone CR turned into LF.
func appendNewlines(dst, b []byte) []byte {
	dst = slices.Grow(dst, len(b))
	// copy line by line: a CRLF message has a CR on every line
	for {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		dst = append(dst, '\n')
		b = b[i+1:]
		if len(b) > 0 && b[0] == '\n' {
			b = b[1:]
		}
	}
}

// nameEq is strings.EqualFold(n, name) for a field name n and an ASCII
// name: field names are ASCII (readFields and topFields take no other, see
// isFieldName), and ASCII strings of different lengths never fold to each
// other, so the lengths are compared first, sparing most of the calls.
func nameEq(n, name string) bool {
	return len(n) == len(name) && strings.EqualFold(n, name)
}

// nameIs reports whether the field name n is one of the lower-case names,
// ignoring case. Field names are ASCII (see isFieldName), for which this is
// strings.ToLower(n) == name, without the copy.
func nameIs(n string, names ...string) bool {
	for _, name := range names {
		if nameEq(n, name) {
			return true
		}
	}
	return false
}

// knownName returns the ASCII field name n lower-cased when it is one of the
// names the parser looks for, and "" otherwise, without a copy.
func knownName(n string) string {
	for _, k := range knownNames {
		if nameEq(n, k) {
			return k
		}
	}
	return ""
}

var knownNames = []string{"message-id", "from", "to", "subject", "date", "list-id", "received", "return-path"}

// maxPlainHeader bounds the header plainHeader reads: well inside go-message's
// own limit of 1 MB, so that a header it takes is one go-message takes too.
const maxPlainHeader = 256 << 10

// plainHeader reads the header at the start of data the way go-message's
// message.Read would, without its cost: message.Read copies every field of
// the header into a map, through a 4 KiB bufio.Reader, while only two of them
// are ever read from it (Content-Type and Content-Transfer-Encoding, by
// message.New and the walk), and the parser reads the header itself anyway.
// It returns the values of those two fields as go-message's header gives
// them (the first of each, folded lines joined by one space, see
// fieldValue), the fields as readFields reads them, and where the body
// begins.
//
// ok is false unless the header has the plain shape of nearly every message,
// on which go-message and readFields agree line for line: no CR (the data went
// through normalizeNewlines), a first line that is a field, each line a
// field readFields takes or a continuation line with some text, and an
// empty line at the end. Anything else must be read by message.Read.
func plainHeader(data []byte) (ct, cte string, fs []Field, body int, ok bool) {
	if len(data) == 0 || data[0] == ' ' || data[0] == '\t' {
		return "", "", nil, 0, false
	}
	var mf mimeFields
	fs, rest := readFieldsRaw(data, &mf)
	// readFields ends the block at an empty line, then the block ends with
	// "\n\n"; at a blank line with white space, a line that is not a field
	// (or a field name go-message takes and readFields does not) or the end
	// of the data, it does not.
	body = len(data) - len(rest)
	if len(fs) == 0 || body > maxPlainHeader || !bytes.HasSuffix(data[:body], blankLine) ||
		bytes.IndexByte(data[:body], '\r') >= 0 {
		return "", "", nil, 0, false
	}
	return fieldValue(mf.ct), fieldValue(mf.cte), fs, body, true
}
