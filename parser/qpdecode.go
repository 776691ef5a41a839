package parser

import (
	"bytes"
	"io"
)

// decodeQP appends to dst the quoted-printable text src decoded (RFC 2045,
// section 6.7). Each line is taken whole: the white space that ends it is
// transport padding and dropped; an "=" left at its end is a soft line
// break, which joins it to the next line; otherwise its line end (LF or
// CRLF) is kept. An "=" and two hex digits (either case) stand for a byte.
// Where the RFC leaves a decoder free, this one keeps what it cannot decode
// rather than stop: an "=" not followed by two hex digits stays an "=", and
// bytes a writer should have encoded (control bytes) stay as they are. A
// bounce is read for its words, so what a careless writer left is better
// read than lost.
func decodeQP(dst, src []byte) []byte {
	for len(src) > 0 {
		line, eol := src, []byte(nil)
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
			eol = lfEnd
			if len(line) > 0 && line[len(line)-1] == '\r' {
				eol = crlfEnd
			}
		} else {
			src = nil
		}
		line = bytes.TrimRight(line, " \t\r")
		if n := len(line); n > 0 && line[n-1] == '=' {
			line, eol = line[:n-1], nil
		}
		for {
			i := bytes.IndexByte(line, '=')
			if i < 0 {
				dst = append(dst, line...)
				break
			}
			dst = append(dst, line[:i]...)
			if hi, lo := unhex(line, i+1), unhex(line, i+2); hi >= 0 && lo >= 0 {
				dst = append(dst, byte(hi<<4|lo))
				line = line[i+3:]
			} else {
				dst = append(dst, '=')
				line = line[i+1:]
			}
		}
		dst = append(dst, eol...)
	}
	return dst
}

var (
	lfEnd   = []byte("\n")
	crlfEnd = []byte("\r\n")
)

// unhex returns the value of the hex digit b[i], or -1 when there is none.
func unhex(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// qpBody reads a quoted-printable body: at the first Read, the raw body is
// read whole (a part of a message already in memory) and decoded at once.
// An error met reading the raw body (a part cut short by the end of the
// message) comes after the decoded bytes, as from a streaming decoder.
type qpBody struct {
	raw     io.Reader
	decoded *bytes.Reader
	err     error
}

// newQPReader returns a reader of raw decoded from quoted-printable.
func newQPReader(raw io.Reader) io.Reader { return &qpBody{raw: raw} }

func (q *qpBody) Read(p []byte) (int, error) {
	if q.decoded == nil {
		// Decoding never makes a text longer: the raw text up to three
		// times the part size limit gives all the limit can take.
		src, err := io.ReadAll(io.LimitReader(q.raw, 3*maxPartSize))
		q.decoded = bytes.NewReader(decodeQP(make([]byte, 0, len(src)), src))
		q.err = err
	}
	n, err := q.decoded.Read(p)
	if err == io.EOF && q.err != nil {
		err = q.err
	}
	return n, err
}
