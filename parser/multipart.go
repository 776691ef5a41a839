package parser

import (
	"bytes"
	"io"
	"strings"
)

// A multipart held whole in memory (a slice of the message, which has no CR
// once normalized) is split here into its parts, as go-message's multipart
// reader would give them, without its cost: a 4 KiB buffer for each
// multipart, every field of each part's header copied into a map, and each
// body read through that buffer. Only the plain shape that nearly every
// message has is taken (see splitMultipart): for anything else, the walk
// uses go-message, which then gives the same parts and the same errors as
// ever.

// maxLineRead is the size of the buffer go-message's multipart reader reads
// its lines with (bufio's default): a boundary line, or a line between the
// parts, longer than that is an error to it.
const maxLineRead = 4096

// maxPlainBoundary bounds the boundaries splitMultipart takes: go-message
// finds a part's end in its 4 KiB buffer as it fills it, which is the search
// of the whole body that splitMultipart makes only while a boundary is far
// shorter than the buffer. (RFC 2046 allows 70 characters.)
const maxPlainBoundary = 1000

// plainPart is a part splitMultipart found: the fields of its header that
// go-message reads, as it gives them (see plainPartHeader), and its body
// as it stands.
type plainPart struct {
	ct, cte string
	body    []byte
	// cut is set for a last part that the end of the message cuts short,
	// before any boundary: go-message's reader gives its body, then
	// io.ErrUnexpectedEOF rather than io.EOF (see reader).
	cut bool
}

// reader returns a reader of the part's body that ends as go-message's
// part reader ends it.
func (p plainPart) reader() io.Reader {
	if p.cut {
		return &cutReader{bytes.NewReader(p.body)}
	}
	return bytes.NewReader(p.body)
}

// cutReader reads a body cut short by the end of the message: its bytes,
// then io.ErrUnexpectedEOF. It has no other method, so that every reader
// above it reads it to that error (io.Copy would not, from a WriterTo).
type cutReader struct{ r *bytes.Reader }

func (c *cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// splitMultipart returns the parts of the multipart body b with the given
// boundary, as textproto.MultipartReader gives them one by
// one until io.EOF, when they have the plain shape: a preamble of short
// lines, then each part's header of the plain shape (plainPartHeader) or
// none (a blank line), its
// body up to a line that starts with the boundary, and then only the
// boundary line of the next part, or the last boundary, which ends the
// walk; no CR. The message may also end in the body of the last part
// (cut), where go-message's reading of the parts ends with an error. ok is
// false for any other multipart, and for one without parts (of which the
// walk reads what go-message leaves of the body): go-message must read it.
func splitMultipart(b []byte, boundary string) (parts []plainPart, ok bool) {
	if boundary == "" || len(boundary) > maxPlainBoundary || bytes.IndexByte(b, '\r') >= 0 {
		// (a CR would make go-message read CRLF lines)
		return nil, false
	}
	nlDash := []byte("\n--" + boundary) // a line that starts with the boundary, after a body
	dash := nlDash[1:]
	// The lines before the first boundary line are skipped, whatever they
	// are. go-message expects CRLF line ends until the first boundary
	// line, which switches it to LF: the last boundary cannot come before
	// it (it would need a CRLF).
	pos := 0
	for {
		line, ok := lineAt(b, pos)
		if !ok {
			return nil, false // no part: the end, or an error to go-message
		}
		pos += len(line)
		if isDelimiterLine(line, dash) {
			break
		}
	}
	for {
		var ct, cte string
		if pos < len(b) && b[pos] == '\n' {
			pos++ // no header: the empty header go-message reads then
		} else {
			var n int
			if ct, cte, n, ok = plainPartHeader(b[pos:]); !ok {
				return nil, false
			}
			pos += n
		}
		end, cut, ok := bodyEnd(b[pos:], dash, nlDash)
		if !ok {
			return nil, false
		}
		parts = append(parts, plainPart{ct: ct, cte: cte, body: b[pos : pos+end : pos+end], cut: cut})
		if cut {
			// What is left, if anything, is no boundary line: the reading
			// of the next part fails, which ends the walk of the parts.
			return parts, true
		}
		pos += end
		// The lines up to the next part: the line end before the boundary
		// (none after an empty body that starts with the boundary), then the
		// boundary line of the next part or the last boundary.
		expect := false
		for {
			line, ok := lineAt(b, pos)
			if !ok {
				if len(line) > 0 && isFinalLine(line, dash) {
					return parts, true // the last boundary, without a line end
				}
				return nil, false
			}
			pos += len(line)
			switch {
			case isDelimiterLine(line, dash):
			case isFinalLine(line, dash):
				return parts, true
			case !expect && len(line) == 1:
				expect = true
				continue
			default:
				return nil, false
			}
			break
		}
	}
}

// lineAt returns the line of b that starts at pos, with its line end; ok
// is false when it has none (the last line, or nothing) or is longer than
// go-message reads a line (maxLineRead).
func lineAt(b []byte, pos int) (line []byte, ok bool) {
	rest := b[pos:]
	i := bytes.IndexByte(rest[:min(len(rest), maxLineRead)], '\n')
	if i < 0 {
		if len(rest) >= maxLineRead {
			return nil, false // its buffer full before the end
		}
		return rest, false
	}
	return rest[:i+1], true
}

// isDelimiterLine reports whether line is a boundary line that starts a
// part: the boundary (dash, "--" and the boundary), white space, the line
// end.
func isDelimiterLine(line, dash []byte) bool {
	if !bytes.HasPrefix(line, dash) {
		return false
	}
	rest := bytes.TrimLeft(line[len(dash):], " \t")
	return len(rest) == 1 && rest[0] == '\n'
}

// isFinalLine reports whether line is the last boundary: the boundary and
// "--", white space, and the line end or nothing.
func isFinalLine(line, dash []byte) bool {
	if !bytes.HasPrefix(line, dash) || !bytes.HasPrefix(line[len(dash):], []byte("--")) {
		return false
	}
	rest := bytes.TrimLeft(line[len(dash)+2:], " \t")
	return len(rest) == 0 || len(rest) == 1 && rest[0] == '\n'
}

// bodyEnd returns the length of the body at the start of b, as go-message's
// part reader ends it: at a line end followed by the boundary (nlDash) and
// a space, a tab, a line end or a "-" (at the very start, the boundary
// alone and one of those). When there is none, the body is cut short by
// the end of b: it runs to there, less a last line that may be the start of
// a boundary line, which go-message's reader keeps back. ok is false when b
// ends right after a boundary, which go-message takes for the end of the
// body but then fails to read the next part.
func bodyEnd(b, dash, nlDash []byte) (end int, cut, ok bool) {
	from := 0 // where the search starts: the body holds what is before
	if bytes.HasPrefix(b, dash) {
		if len(b) == len(dash) {
			return 0, false, false
		}
		if boundaryFollows(b[len(dash)]) {
			return 0, false, true
		}
		from = len(dash)
	} else if bytes.HasPrefix(dash, b) {
		return 0, true, true // the start of a boundary, or nothing
	}
	for {
		i := bytes.Index(b[from:], nlDash)
		if i < 0 {
			end := len(b)
			if j := bytes.LastIndexByte(b[from:], '\n'); j >= 0 && bytes.HasPrefix(nlDash, b[from+j:]) {
				end = from + j
			}
			return end, true, true
		}
		i += from
		k := i + len(nlDash)
		if k == len(b) {
			return 0, false, false
		}
		if boundaryFollows(b[k]) {
			return i, false, true
		}
		from = k
	}
}

// boundaryFollows reports whether c, after a boundary, makes it one for
// go-message's part reader.
func boundaryFollows(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '-'
}

// plainPartHeader is plainHeader for the header of a part, which go-message
// reads the same way (textproto.ReadHeader): it takes the same headers, and
// returns the length of the header and the values go-message's header
// gives of its Content-Type and Content-Transfer-Encoding (Header.Get), but
// not the fields, which the walk never reads.
func plainPartHeader(data []byte) (ct, cte string, body int, ok bool) {
	if len(data) == 0 || data[0] == ' ' || data[0] == '\t' {
		return "", "", 0, false
	}
	var rawCT, rawCTE []byte
	b := data
	fields := 0
	for len(b) > 0 {
		line, rest := cutLine(b)
		if len(bytes.TrimSpace(line)) == 0 {
			b = rest
			break
		}
		// (a line that starts with white space is a continuation line,
		// read below: the first one is refused above)
		i := bytes.IndexByte(line, ':')
		if i <= 0 || !isFieldName(line[:i]) {
			break
		}
		start := len(data) - len(b)
		b = rest
		for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
			cont, rest := cutLine(b)
			if len(bytes.TrimSpace(cont)) == 0 {
				break // a blank line: the end of the block
			}
			b = rest
		}
		fields++
		raw := data[start : len(data)-len(b)]
		switch name := bytes.TrimSpace(line[:i]); {
		case rawCT == nil && bytes.EqualFold(name, []byte("Content-Type")):
			rawCT = raw
		case rawCTE == nil && bytes.EqualFold(name, []byte("Content-Transfer-Encoding")):
			rawCTE = raw
		}
	}
	body = len(data) - len(b)
	if fields == 0 || body > maxPlainHeader || !bytes.HasSuffix(data[:body], blankLine) ||
		bytes.IndexByte(data[:body], '\r') >= 0 {
		return "", "", 0, false
	}
	return fieldValue(rawCT), fieldValue(rawCTE), body, true
}

// fieldValue is the value go-message's header gives of the field whose
// lines are raw (Header.AddRaw): the text after the colon, each line
// trimmed of spaces and tabs, the lines that hold some text joined by one
// space. "" for no field.
func fieldValue(raw []byte) string {
	if raw == nil {
		return ""
	}
	v := raw[bytes.IndexByte(raw, ':')+1:]
	if i := bytes.IndexByte(v, '\n'); i < 0 || i == len(v)-1 {
		// one line: no copy but the string
		return string(bytes.Trim(bytes.TrimSuffix(v, []byte("\n")), " \t"))
	}
	var b strings.Builder
	b.Grow(len(v))
	for _, line := range bytes.Split(v, []byte("\n")) {
		if line = bytes.Trim(line, " \t"); len(line) > 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.Write(line)
		}
	}
	return b.String()
}

// refoldLostValues mends the part headers of the multipart b (boundary
// given) where a field's value was folded onto the next line and the white
// space that marks that line as a continuation was lost:
//
//	X-Message-Info:
//	5vMbyqxGkdfb86Tqlvb+ooiaK4miofpE0==
//
// (seen in Office 365 reports). The bare line, which has no colon, makes
// the header unreadable and the part, with every part after it, would be
// lost; indented, it is the value of the empty field above it. Only such
// lines, right after a field with an empty value, are mended. changed is
// false, and b returned as it is, when there is none.
func refoldLostValues(b []byte, boundary string) (fixed []byte, changed bool) {
	dash := []byte("--" + boundary)
	var out []byte
	inHeader, emptyField := false, false
	last := 0 // b[:last] is in out, or would be
	for pos := 0; pos < len(b); {
		end := pos + bytes.IndexByte(b[pos:], '\n') + 1
		if end <= pos {
			end = len(b)
		}
		line := bytes.TrimRight(b[pos:end], "\r\n")
		switch {
		case bytes.HasPrefix(line, dash):
			inHeader, emptyField = true, false
		case !inHeader:
		case len(bytes.TrimSpace(line)) == 0:
			inHeader = false
		case line[0] == ' ' || line[0] == '\t':
			emptyField = false
		case bytes.IndexByte(line, ':') < 0:
			if emptyField {
				// (and the lines after it, while they have no colon)
				out = append(append(out, b[last:pos]...), ' ')
				last = pos
			}
		default:
			i := bytes.IndexByte(line, ':')
			emptyField = len(bytes.TrimSpace(line[i+1:])) == 0
		}
		pos = end
	}
	if out == nil {
		return b, false
	}
	return append(out, b[last:]...), true
}
