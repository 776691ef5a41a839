package report

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// The text and json formats can only write at Close (the text report groups
// by reason, the json document starts with the summary), so they hold what
// they were given until then. To keep memory flat on inputs of any size,
// what they hold goes to an unlinked temporary file once it passes a few
// megabytes; when no temporary file can be made it stays in memory.

// spoolMemory is how many bytes a writer keeps in memory before it spills
// to a temporary file. A variable so that the tests can lower it.
var spoolMemory = 2 << 20

// byteSpool is a stream of bytes written once and read back once.
type byteSpool struct {
	buf    bytes.Buffer
	file   *os.File
	bw     *bufio.Writer
	name   string // file to remove at close, when it could not be unlinked at once
	noFile bool   // a temporary file could not be made: stay in memory
}

func (s *byteSpool) Write(p []byte) (int, error) {
	if s.file == nil && !s.noFile && s.buf.Len()+len(p) > spoolMemory {
		s.spill()
	}
	if s.file != nil {
		return s.bw.Write(p)
	}
	return s.buf.Write(p)
}

// spill moves what is in memory to a temporary file; on failure the spool
// stays in memory.
func (s *byteSpool) spill() {
	f, err := os.CreateTemp("", "bouncer-report-*")
	if err != nil {
		s.noFile = true
		return
	}
	if os.Remove(f.Name()) != nil {
		s.name = f.Name() // not on this system: remove it at close
	}
	s.file, s.bw = f, bufio.NewWriterSize(f, 64<<10)
	if _, err := s.bw.Write(s.buf.Bytes()); err != nil {
		s.close()
		s.noFile = true
		return // keep the memory copy
	}
	s.buf = bytes.Buffer{}
}

// reader returns what was written, from the start.
func (s *byteSpool) reader() (io.Reader, error) {
	if s.file == nil {
		return bytes.NewReader(s.buf.Bytes()), nil
	}
	if err := s.bw.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return bufio.NewReaderSize(s.file, 64<<10), nil
}

func (s *byteSpool) close() {
	if s.file != nil {
		s.file.Close()
		s.file, s.bw = nil, nil
	}
	if s.name != "" {
		os.Remove(s.name)
		s.name = ""
	}
}

// recordSpool keeps the slim records of the text report in order: in
// memory while its owner has room (see add), then written compactly into a
// byteSpool. Only the fields the table shows are kept: recipient, status,
// reply code, diagnostic, source and the explanation.
type recordSpool struct {
	mem     []*Record
	bytes   byteSpool
	spilled bool
	buf     []byte
}

// add keeps r in memory when inMemory and nothing was spilled yet, else
// writes it into the byte spool (a file, when one can be made).
func (s *recordSpool) add(r *Record, inMemory bool) error {
	if !s.spilled {
		if inMemory {
			s.mem = append(s.mem, r)
			return nil
		}
		s.spilled = true
		s.bytes.spill()
	}
	b := s.buf[:0]
	var e Explain
	if r.Explain != nil {
		e = *r.Explain
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	for _, f := range [...]string{r.Recipient, r.Status, r.ReplyCode, r.Diagnostic, r.Source, e.Rule, e.Origin, e.Field, e.Matched} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	s.buf = b
	_, err := s.bytes.Write(b)
	return err
}

// each calls fn on every record, in the order they were added.
func (s *recordSpool) each(fn func(*Record)) error {
	for _, r := range s.mem {
		fn(r)
	}
	if !s.spilled {
		return nil
	}
	rd, err := s.bytes.reader()
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(rd, 64<<10)
	for {
		hasExplain, err := br.ReadByte()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		var f [9]string
		for i := range f {
			n, err := binary.ReadUvarint(br)
			if err != nil {
				return fmt.Errorf("report: spool: %w", err)
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(br, b); err != nil {
				return fmt.Errorf("report: spool: %w", err)
			}
			f[i] = string(b)
		}
		r := &Record{Recipient: f[0], Status: f[1], ReplyCode: f[2], Diagnostic: f[3], Source: f[4]}
		if hasExplain == 1 {
			r.Explain = &Explain{Rule: f[5], Origin: f[6], Field: f[7], Matched: f[8]}
		}
		fn(r)
	}
}

// recordSize is about the memory a slim record takes.
func recordSize(r *Record) int {
	n := 300 + len(r.Recipient) + len(r.Status) + len(r.ReplyCode) + len(r.Diagnostic) + len(r.Source)
	if r.Explain != nil {
		n += 80 + len(r.Explain.Matched)
	}
	return n
}

func (s *recordSpool) close() {
	s.mem = nil
	s.bytes.close()
}
