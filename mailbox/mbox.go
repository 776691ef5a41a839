package mailbox

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
)

// fromLineShape matches a "From " line that has the shape of an mbox
// separator: a sender, then a date with a time and a four-digit year in either
// order ("From MAILER-DAEMON Thu Sep 18 17:54:04 2008").
var fromLineShape = regexp.MustCompile(`^From \S+ .*(\d{1,2}:\d\d.*\b\d{4}\b|\b\d{4}\b.*\d{1,2}:\d\d)`)

// mbox yields the messages of an mbox stream read through Reader.br.
type mbox struct {
	id   string    // input id; messages are id#1, id#2, ...
	c    io.Closer // closed at the end; nil for standard input
	n    int       // messages begun so far
	done bool
}

func (m *mbox) close() error {
	m.done = true
	c := m.c
	m.c = nil
	return closeQuiet(c)
}

// next reads one message: the lines up to the next separator or the end.
// The separator line that ends it is consumed, so the following call starts
// with the next message's first line.
func (m *mbox) next(r *Reader) (*Message, source, error) {
	if m.done {
		return nil, nil, io.EOF
	}
	br := r.br
	if m.n == 0 {
		// The first line is the separator Reader.openStream saw.
		if err := skipLine(br); err != nil {
			m.done = true
			if err != io.EOF {
				return nil, nil, newError(idN(m.id, 1), err)
			}
		}
	}
	m.n++
	id := idN(m.id, m.n)

	buf := r.buf[:0]
	tooBig := false
	lineStart := true // the next fragment begins a line
	prevBlank := false
	blankLen := 0 // length of the blank line just read ("\n" or "\r\n")
	for !m.done {
		frag, err := br.ReadSlice('\n')
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			m.done = true
		default:
			m.done = true
			r.buf = buf[:0]
			return nil, nil, newError(id, err)
		}
		if len(frag) > 0 {
			if lineStart {
				if bytes.HasPrefix(frag, []byte("From ")) && (fromLineShape.Match(frag) || prevBlank && senderOnly(frag)) {
					switch err {
					case io.EOF:
						// "From ..." without a line end closes the file:
						// an empty message follows.
						m.done = false
					case bufio.ErrBufferFull:
						if e := skipLine(br); e != nil && e != io.EOF {
							m.done = true
						}
					}
					break
				}
				if frag[0] == '>' && isQuotedFrom(frag) {
					frag = frag[1:]
				}
				prevBlank = err == nil && (len(frag) == 1 || len(frag) == 2 && frag[0] == '\r')
				blankLen = len(frag)
			} else {
				prevBlank = false
			}
			if !tooBig {
				// Allow for the blank framing line, removed below.
				if int64(len(buf)+len(frag)) > r.max+2 {
					tooBig = true
					buf = buf[:0]
				} else {
					buf = append(buf, frag...)
				}
			}
		}
		lineStart = err == nil
	}
	if prevBlank && !tooBig {
		buf = buf[:len(buf)-blankLen]
	}
	r.buf = buf[:0]
	if tooBig || int64(len(buf)) > r.max {
		return nil, nil, &Error{ID: id, Err: sizeError{r.max}}
	}
	data := make([]byte, len(buf))
	copy(data, buf)
	return &Message{ID: id, Path: m.id, Data: data}, nil, nil
}

// senderOnly reports whether a "From " line names a sender and nothing else
// ("From MAILER-DAEMON"), the short separator some writers use. A line longer
// than the read buffer is judged by its start.
func senderOnly(line []byte) bool {
	rest := bytes.TrimRight(line[len("From "):], "\r\n")
	return len(rest) > 0 && !bytes.ContainsAny(rest, " \t")
}

// isQuotedFrom reports whether line matches ">+From ".
func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}

// skipLine reads up to and including the next line end.
func skipLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if err != bufio.ErrBufferFull {
			return err
		}
	}
}
