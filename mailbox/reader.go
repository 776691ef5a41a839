package mailbox

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// DefaultMaxMessageSize is the size limit used when Options.MaxMessageSize is 0.
const DefaultMaxMessageSize = 64 << 20

// bufSize is the size of the read buffer: lines longer than this are read in
// pieces, so the buffer, not the line, bounds what one read holds.
const bufSize = 64 << 10

// ErrTooLarge is matched (errors.Is) by the error of a message larger than
// Options.MaxMessageSize.
var ErrTooLarge = errors.New("message larger than the size limit")

// ErrNotRegular is the error for an input that is neither a regular file nor a
// directory (a socket, a device, a named pipe).
var ErrNotRegular = errors.New("not a regular file or directory")

// Options tunes a Reader. The zero value is ready to use.
type Options struct {
	// Stdin is read for the input "-"; nil means os.Stdin. The Reader never
	// closes it.
	Stdin io.Reader
	// MaxMessageSize is the largest message, in bytes, that the Reader
	// returns; a larger one is skipped with an *Error matching ErrTooLarge.
	// 0 means DefaultMaxMessageSize (64 MiB).
	MaxMessageSize int64
}

// Error names the input, or the message within it, that could not be read and
// says why. Its text reads "mailbox: <ID>: <what>", for example
// "mailbox: /x/y.mbox#12: message larger than 64 MiB".
type Error struct {
	// ID is the input path as given, or the id the message would have had.
	ID string
	// Err is the cause.
	Err error
}

// Error returns "mailbox: <ID>: <cause>".
func (e *Error) Error() string { return "mailbox: " + e.ID + ": " + e.Err.Error() }

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// newError wraps err for id. An *fs.PathError is reduced to its cause: the
// path it names is the id already.
func newError(id string, err error) *Error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{ID: id, Err: err}
}

// sizeError is the cause of a message over the limit.
type sizeError struct{ limit int64 }

func (e sizeError) Error() string { return "message larger than " + formatSize(e.limit) }

func (e sizeError) Is(target error) bool { return target == ErrTooLarge }

// formatSize writes n in the largest binary unit that divides it.
func formatSize(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// Reader yields the messages of a list of inputs, in order, one at a time.
//
// Each input is detected by what it is, not by its name:
//
//   - "-" is standard input (Options.Stdin): an mbox if it begins with a
//     "From " line (ids "-#1", "-#2", ...), else one message (id "-").
//   - A directory holding cur/ or new/ is a Maildir (a Maildir++ folder such
//     as ~/Maildir/.Bounces is one too): the files of new/, then those of
//     cur/, each sorted by name; tmp/ and hidden files are ignored, and so
//     are the Maildir's subfolders (name a folder to read it). Each file is
//     read as a regular file below, its id is its path.
//   - Any other directory is walked depth-first in lexical order, as
//     filepath.WalkDir does. Names starting with "." are skipped, except
//     directories that are Maildirs. A Maildir met in the walk gives its
//     new/ and cur/ messages, then the walk goes on into its other
//     subdirectories, so that its Maildir++ folders are read too. Symbolic
//     links to files are followed, links to directories are not.
//   - A regular file (or a link to one) is an mbox when its first line
//     starts with "From ", else one message whose id is the path. An empty
//     file is one empty message.
//   - A file or standard input compressed with gzip (it begins with the
//     bytes 1f 8b: a rotated postmaster.mbox.gz, a Maildir compressed by the
//     server) is decompressed as it is read, then taken as above.
//
// The messages of an mbox have the ids "PATH#1", "PATH#2", ..., except when
// it holds only one: its id is then PATH (or "-"), as for a message file,
// because single messages saved with their "From " line are common (a
// twelfth of the shared corpus's files) and a report should name them
// alike.
//
// An mbox is read as a stream, one message at a time: memory is bounded by
// the largest message, never by the file. A line starting with "From " begins
// a new message when it has the shape of a separator: a sender, then a time
// and a four-digit year ("From MAILER-DAEMON Thu Sep 18 17:54:04 2008"),
// with or without a blank line before it, as some writers leave none; or,
// after a blank line, a sender alone ("From MAILER-DAEMON"). A stray "From "
// line in a body, which a careless writer left unescaped ("From here on,
// ..."), has neither shape and stays in its message. The blank line before a separator, and the
// one at the end of the file, belong to the mbox framing and are removed from
// the message, with its line end (LF or CRLF, as found). A line matching
// ">+From " loses one ">" (mboxrd quoting; in mboxo files this also
// unquotes lines the sender wrote with a ">").
//
// A Reader is not safe for concurrent use.
type Reader struct {
	inputs []string
	next   int // index of the next input to open
	stdin  io.Reader
	max    int64

	stack []source // open sources; the last is read first

	br     *bufio.Reader // shared by the file sources (one is open at a time)
	buf    []byte        // message being assembled, reused
	closed bool
}

// source yields messages, or sources to read before itself (the files of a
// directory); it returns io.EOF when it has nothing more.
type source interface {
	next(r *Reader) (*Message, source, error)
	close() error
}

// NewReader returns a Reader of the given inputs (paths, or "-" for standard
// input), read in the order given. Nothing is opened before the first Next.
func NewReader(inputs []string, opts Options) *Reader {
	r := &Reader{
		inputs: append([]string(nil), inputs...),
		stdin:  opts.Stdin,
		max:    opts.MaxMessageSize,
	}
	if r.stdin == nil {
		r.stdin = os.Stdin
	}
	if r.max <= 0 {
		r.max = DefaultMaxMessageSize
	}
	return r
}

// Next returns the next message. At the end, and after Close, it returns
// (nil, io.EOF). When an input or one message cannot be read it returns
// (nil, *Error) and the caller may call Next again: reading goes on with the
// rest, from the next message of the same mbox when the failure concerned
// only that message (it was too large), else from the next file or input.
func (r *Reader) Next() (*Message, error) {
	for !r.closed {
		if len(r.stack) == 0 {
			if r.next >= len(r.inputs) {
				return nil, io.EOF
			}
			in := r.inputs[r.next]
			r.next++
			src, err := r.openInput(in)
			if err != nil {
				return nil, err
			}
			r.stack = append(r.stack, src)
			continue
		}
		top := r.stack[len(r.stack)-1]
		msg, child, err := top.next(r)
		switch {
		case msg != nil:
			return msg, nil
		case child != nil:
			r.stack = append(r.stack, child)
		case err == io.EOF:
			r.stack = r.stack[:len(r.stack)-1]
			if cerr := top.close(); cerr != nil {
				return nil, cerr
			}
		case err != nil:
			return nil, err
		}
	}
	return nil, io.EOF
}

// Close closes the open files. Next then returns io.EOF.
func (r *Reader) Close() error {
	var first error
	for i := len(r.stack) - 1; i >= 0; i-- {
		if err := r.stack[i].close(); err != nil && first == nil {
			first = err
		}
	}
	r.stack = nil
	r.closed = true
	return first
}

// openInput opens one of the inputs given to NewReader.
func (r *Reader) openInput(in string) (source, error) {
	if in == "-" {
		return r.openStream("-", r.stdin, nil, -1)
	}
	fi, err := os.Stat(in)
	if err != nil {
		return nil, newError(in, err)
	}
	if fi.IsDir() {
		if isMaildir(in) {
			return newMaildir(in), nil
		}
		return newWalk(in), nil
	}
	return r.openFile(in, fi)
}

// openFile opens a file found directly or in a directory; fi is its Stat
// (links followed).
func (r *Reader) openFile(path string, fi fs.FileInfo) (source, error) {
	if !fi.Mode().IsRegular() {
		return nil, &Error{ID: path, Err: ErrNotRegular}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, newError(path, err)
	}
	return r.openStream(path, f, f, fi.Size())
}

// openStream reads rd as an mbox or as one message; c, if not nil, is closed
// when done. size is the size of a file, -1 when unknown.
func (r *Reader) openStream(id string, rd io.Reader, c io.Closer, size int64) (source, error) {
	if r.br == nil {
		r.br = bufio.NewReaderSize(rd, bufSize)
	} else {
		r.br.Reset(rd)
	}
	head, err := r.br.Peek(5)
	if err != nil && err != io.EOF {
		closeQuiet(c)
		return nil, newError(id, err)
	}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return r.openGzip(id, c)
	}
	if string(head) == "From " && !crOnlyFirstLine(r.br) {
		return &mbox{id: id, c: c}, nil
	}
	if size > r.max {
		closeQuiet(c)
		return nil, &Error{ID: id, Err: sizeError{r.max}}
	}
	data, err := readSized(io.LimitReader(r.br, r.max+1), size)
	closeErr := closeQuiet(c)
	switch {
	case err != nil:
		return nil, newError(id, err)
	case int64(len(data)) > r.max:
		return nil, &Error{ID: id, Err: sizeError{r.max}}
	case closeErr != nil:
		return nil, newError(id, closeErr)
	}
	return &single{msg: &Message{ID: id, Path: id, Data: data}}, nil
}

// openGzip reads an input compressed with gzip (a rotated mailbox such as
// postmaster.mbox.gz, a saved message): it is decompressed as it is read,
// then taken as an mbox or one message like any other input. Its size is
// not known, so the size limit of a single message is met while reading.
func (r *Reader) openGzip(id string, c io.Closer) (source, error) {
	zr, err := gzip.NewReader(r.br)
	if err != nil {
		closeQuiet(c)
		if err == io.ErrUnexpectedEOF {
			err = errGzipCut
		}
		return nil, newError(id, err) // "gzip: invalid header" and the like
	}
	// The shared buffer now feeds the decompressor; the decompressed text
	// gets a buffer of its own, which later inputs go on sharing.
	r.br = nil
	return r.openStream(id, gzipReader{zr}, c, -1)
}

// gzipReader says that a cut-off stream is a cut-off compressed file (the
// decompressor's own errors already begin with "gzip: ").
type gzipReader struct{ zr *gzip.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	switch {
	case err == nil || err == io.EOF:
	case err == io.ErrUnexpectedEOF:
		err = errGzipCut
	case !errors.Is(err, gzip.ErrChecksum) && !errors.Is(err, gzip.ErrHeader):
		err = fmt.Errorf("gzip: %w", err) // flate's "corrupt input"
	}
	return n, err
}

var errGzipCut = errors.New("gzip: the compressed data is cut short")

// readSized is io.ReadAll with a size hint (-1 for none): a file is read into
// one allocation of its size, plus one byte to meet the end.
func readSized(rd io.Reader, size int64) ([]byte, error) {
	data := make([]byte, 0, max(size+1, 512))
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := rd.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
	}
}

func closeQuiet(c io.Closer) error {
	if c == nil {
		return nil
	}
	return c.Close()
}

// single is a source of one message already read.
type single struct{ msg *Message }

func (s *single) next(*Reader) (*Message, source, error) {
	m := s.msg
	if m == nil {
		return nil, nil, io.EOF
	}
	s.msg = nil
	return m, nil, nil
}

func (s *single) close() error { return nil }

// isMaildir reports whether dir holds a cur/ or new/ directory.
func isMaildir(dir string) bool {
	for _, sub := range []string{"new", "cur"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// hidden reports whether a file name starts with a dot.
func hidden(name string) bool { return len(name) > 0 && name[0] == '.' }

// fileEntry turns a directory entry into a source: a file to read, nil for
// an entry to skip silently, or an error naming it. Links are followed to
// files only.
func (r *Reader) fileEntry(path string, d fs.DirEntry) (source, error) {
	if d.Type()&fs.ModeSymlink != 0 {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, newError(path, err)
		}
		if fi.IsDir() {
			return nil, nil // not followed: a link may make a loop
		}
		return r.openFile(path, fi)
	}
	fi, err := d.Info()
	if err != nil {
		return nil, newError(path, err)
	}
	return r.openFile(path, fi)
}

// dirFrame is one open directory of a walk.
type dirFrame struct {
	dir     string
	entries []fs.DirEntry
	i       int
	maildir bool // a Maildir's root: only its subfolders are walked
}

// walk yields the files of a directory tree, depth-first in lexical order.
// It holds one listing per level of depth, not the whole tree.
type walk struct {
	root    string
	frames  []*dirFrame
	started bool
}

func newWalk(root string) *walk { return &walk{root: root} }

func (w *walk) push(dir string, maildir bool) error {
	entries, err := os.ReadDir(dir)
	// ReadDir returns what it could read along with the error: keep going
	// with it after reporting.
	w.frames = append(w.frames, &dirFrame{dir: dir, entries: entries, maildir: maildir})
	if err != nil {
		return newError(dir, err)
	}
	return nil
}

func (w *walk) next(r *Reader) (*Message, source, error) {
	if !w.started {
		w.started = true
		if err := w.push(w.root, false); err != nil {
			return nil, nil, err
		}
	}
	for len(w.frames) > 0 {
		f := w.frames[len(w.frames)-1]
		if f.i >= len(f.entries) {
			w.frames = w.frames[:len(w.frames)-1]
			continue
		}
		d := f.entries[f.i]
		f.i++
		name := d.Name()
		path := filepath.Join(f.dir, name)
		if f.maildir && (!d.IsDir() || name == "new" || name == "cur" || name == "tmp") {
			continue // a Maildir's own folders and files (indexes, lists)
		}
		if d.IsDir() {
			md := isMaildir(path)
			if hidden(name) && !md {
				continue
			}
			if md {
				// The Maildir's messages first, then (when the
				// nested source is done) its other subfolders.
				if err := w.push(path, true); err != nil {
					return nil, nil, err
				}
				return nil, newMaildir(path), nil
			}
			if err := w.push(path, false); err != nil {
				return nil, nil, err
			}
			continue
		}
		if hidden(name) {
			continue
		}
		src, err := r.fileEntry(path, d)
		if err != nil {
			return nil, nil, err
		}
		if src != nil {
			return nil, src, nil
		}
	}
	return nil, nil, io.EOF
}

func (w *walk) close() error { w.frames = nil; return nil }

// maildir yields the files of new/ then cur/ of a Maildir.
type maildir struct {
	dir     string
	subs    []string // folders still to list
	cur     string   // folder being read
	entries []fs.DirEntry
	i       int
}

func newMaildir(dir string) *maildir {
	return &maildir{dir: dir, subs: []string{"new", "cur"}}
}

func (m *maildir) next(r *Reader) (*Message, source, error) {
	for {
		if m.i >= len(m.entries) {
			if len(m.subs) == 0 {
				return nil, nil, io.EOF
			}
			m.cur = filepath.Join(m.dir, m.subs[0])
			m.subs = m.subs[1:]
			m.entries, m.i = nil, 0
			entries, err := os.ReadDir(m.cur)
			m.entries = entries
			if errors.Is(err, fs.ErrNotExist) {
				continue // a Maildir may lack new/ or cur/
			}
			if err != nil {
				return nil, nil, newError(m.cur, err)
			}
			continue
		}
		d := m.entries[m.i]
		m.i++
		if d.IsDir() || hidden(d.Name()) {
			continue
		}
		src, err := r.fileEntry(filepath.Join(m.cur, d.Name()), d)
		if err != nil {
			return nil, nil, err
		}
		if src != nil {
			return nil, src, nil
		}
	}
}

func (m *maildir) close() error { m.entries = nil; return nil }

// idN returns the id of the n-th message of an mbox.
func idN(id string, n int) string { return id + "#" + strconv.Itoa(n) }

// crOnlyFirstLine reports whether the buffered input's first line ends with a
// lone CR: a message saved with CR line ends and its "From " line, which is
// read as one message (the parser drops the "From " line) rather than as an
// mbox, whose separators are LF-terminated.
func crOnlyFirstLine(br *bufio.Reader) bool {
	head, _ := br.Peek(1024)
	i := bytes.IndexAny(head, "\r\n")
	return i >= 0 && head[i] == '\r' && (i+1 >= len(head) || head[i+1] != '\n')
}
