package mailbox

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// item is one result of Next: a message or an error.
type item struct {
	ID   string
	Data string
	Err  string // the error text, "" for a message
}

// readAll drains a Reader, keeping errors in line with the messages.
func readAll(t testing.TB, inputs []string, opts Options) []item {
	t.Helper()
	r := NewReader(inputs, opts)
	defer func() { require.NoError(t, r.Close()) }()
	var out []item
	for i := 0; ; i++ {
		require.Less(t, i, 100000, "reader does not end")
		m, err := r.Next()
		if err == io.EOF {
			require.Nil(t, m)
			return out
		}
		if err != nil {
			require.Nil(t, m)
			var e *Error
			require.ErrorAs(t, err, &e)
			out = append(out, item{ID: e.ID, Err: err.Error()})
			continue
		}
		require.NotNil(t, m.Data, m.ID)
		out = append(out, item{ID: m.ID, Data: string(m.Data)})
	}
}

// write creates path (and its parents) holding data.
func write(t testing.TB, path, data string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	return path
}

func TestSingleFile(t *testing.T) {
	dir := t.TempDir()
	a := write(t, filepath.Join(dir, "a.eml"), "Subject: a\r\n\r\nbody\r\n\r\n")
	empty := write(t, filepath.Join(dir, "empty.eml"), "")
	// Starts with "From:" (a header), not the "From " separator.
	h := write(t, filepath.Join(dir, "h.eml"), "From: x@example.org\n\nFrom me\n")
	got := readAll(t, []string{a, empty, h}, Options{})
	assert.Equal(t, []item{
		{ID: a, Data: "Subject: a\r\n\r\nbody\r\n\r\n"},
		{ID: empty, Data: ""},
		{ID: h, Data: "From: x@example.org\n\nFrom me\n"},
	}, got)
}

func TestDirectoryTree(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "z", "1.eml"), "Z1\n")
	write(t, filepath.Join(dir, "b", "2.eml"), "B2\n")
	write(t, filepath.Join(dir, "a.eml"), "A\n")
	write(t, filepath.Join(dir, "c.mbox"), "From a Thu Sep 18 17:54:04 2008\nC1\n\nFrom b Thu Sep 18 17:54:05 2008\nC2\n")
	write(t, filepath.Join(dir, ".hidden.eml"), "hidden\n")
	write(t, filepath.Join(dir, ".git", "HEAD"), "hidden\n")
	write(t, filepath.Join(dir, "b", "Ab", "x"), "BAbx\n")
	got := readAll(t, []string{dir}, Options{})
	assert.Equal(t, []item{
		{ID: filepath.Join(dir, "a.eml"), Data: "A\n"},
		{ID: filepath.Join(dir, "b", "2.eml"), Data: "B2\n"},
		{ID: filepath.Join(dir, "b", "Ab", "x"), Data: "BAbx\n"},
		{ID: filepath.Join(dir, "c.mbox#1"), Data: "C1\n"},
		{ID: filepath.Join(dir, "c.mbox#2"), Data: "C2\n"},
		{ID: filepath.Join(dir, "z", "1.eml"), Data: "Z1\n"},
	}, got)
}

// makeMaildir writes a Maildir with messages in new/, cur/ and tmp/.
func makeMaildir(t *testing.T, dir, tag string) {
	write(t, filepath.Join(dir, "new", "2.host"), tag+"new2\n")
	write(t, filepath.Join(dir, "new", "1.host"), tag+"new1\n")
	write(t, filepath.Join(dir, "cur", "0.host:2,S"), tag+"cur0\n")
	write(t, filepath.Join(dir, "cur", ".nfs0001"), "hidden\n")
	write(t, filepath.Join(dir, "tmp", "3.host"), "being delivered\n")
	write(t, filepath.Join(dir, "dovecot-uidlist"), "index, not mail\n")
}

func TestMaildir(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "Maildir")
	makeMaildir(t, md, "inbox ")
	makeMaildir(t, filepath.Join(md, ".Bounces"), "bounces ")
	write(t, filepath.Join(md, ".Trash", "not-a-maildir"), "skipped: hidden\n")
	write(t, filepath.Join(md, "archive", "old.eml"), "archived\n")

	inbox := []item{
		{ID: filepath.Join(md, "new", "1.host"), Data: "inbox new1\n"},
		{ID: filepath.Join(md, "new", "2.host"), Data: "inbox new2\n"},
		{ID: filepath.Join(md, "cur", "0.host:2,S"), Data: "inbox cur0\n"},
	}
	bounces := []item{
		{ID: filepath.Join(md, ".Bounces", "new", "1.host"), Data: "bounces new1\n"},
		{ID: filepath.Join(md, ".Bounces", "new", "2.host"), Data: "bounces new2\n"},
		{ID: filepath.Join(md, ".Bounces", "cur", "0.host:2,S"), Data: "bounces cur0\n"},
	}

	t.Run("given", func(t *testing.T) {
		// A Maildir named directly: its own messages only.
		assert.Equal(t, inbox, readAll(t, []string{md}, Options{}))
	})
	t.Run("folder", func(t *testing.T) {
		assert.Equal(t, bounces, readAll(t, []string{filepath.Join(md, ".Bounces")}, Options{}))
	})
	t.Run("walked", func(t *testing.T) {
		// Found in a walk: its messages, then its subfolders, the hidden
		// one because it is a Maildir.
		want := append(append(append([]item{}, inbox...), bounces...),
			item{ID: filepath.Join(md, "archive", "old.eml"), Data: "archived\n"})
		assert.Equal(t, want, readAll(t, []string{dir}, Options{}))
	})
	t.Run("only cur", func(t *testing.T) {
		d := filepath.Join(dir, "onlycur")
		write(t, filepath.Join(d, "cur", "a"), "A\n")
		assert.Equal(t, []item{{ID: filepath.Join(d, "cur", "a"), Data: "A\n"}},
			readAll(t, []string{d}, Options{}))
	})
}

// mboxText is an mbox with LF line ends; crlf turns it into CRLF.
const mboxText = "From MAILER-DAEMON Thu Sep 18 17:54:04 2008\n" +
	"Subject: one\n" +
	"\n" +
	">From the start, quoted once (mboxrd)\n" +
	">>From quoted twice\n" +
	"> From is not quoting\n" +
	"From here on, no date and no blank line: a body line\n" +
	"end of one\n" +
	"\n" +
	"From MAILER-DAEMON  Wed Sep 17 22:25:40 2008\n" +
	"Subject: two\n" +
	"\n" +
	"two ends with a blank line of its own\n" +
	"\n" +
	"From the mail system: a body line after a blank line, without a date\n" +
	"\n" +
	"\n" +
	"From sender@example.org Tue Apr 28 08:17:48 2009\n" +
	"Subject: three, after no blank line\n" +
	"\n" +
	"three\n" +
	"From sender@example.org Tue Apr 28 08:38:58 2009\n" +
	"Subject: four, last\n" +
	"\n" +
	"four\n" +
	"\n"

var mboxWant = []string{
	"Subject: one\n\nFrom the start, quoted once (mboxrd)\n>From quoted twice\n> From is not quoting\n" +
		"From here on, no date and no blank line: a body line\nend of one\n",
	"Subject: two\n\ntwo ends with a blank line of its own\n\nFrom the mail system: a body line after a blank line, without a date\n\n",
	"Subject: three, after no blank line\n\nthree\n",
	"Subject: four, last\n\nfour\n",
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func TestMbox(t *testing.T) {
	for _, tc := range []struct {
		name string
		conv func(string) string
	}{
		{"LF", func(s string) string { return s }},
		{"CRLF", crlf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, filepath.Join(t.TempDir(), "box"), tc.conv(mboxText))
			var want []item
			for i, w := range mboxWant {
				want = append(want, item{ID: path + "#" + string(rune('1'+i)), Data: tc.conv(w)})
			}
			assert.Equal(t, want, readAll(t, []string{path}, Options{}))
		})
	}
}

func TestMboxEdges(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 3*bufSize+17)
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"separator only", "From a Thu Sep 18 17:54:04 2008\n", []string{""}},
		{"separator without line end", "From a Thu Sep 18 17:54:04 2008", []string{""}},
		{"no final line end", "From a\nSubject: x\n\nbody", []string{"Subject: x\n\nbody"}},
		{"empty messages", "From a\n\nFrom b\n\nFrom c\n", []string{"", "", ""}},
		{"long lines", "From a\n" + long + "\n>From " + long + "\n\nFrom " + long + "\nB\n",
			[]string{long + "\nFrom " + long + "\n", "B\n"}},
		{"lone CR kept", "From a\nx\ry\r\n\r\nFrom b\nz\n", []string{"x\ry\r\n", "z\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")), tc.in)
			got := readAll(t, []string{path}, Options{})
			require.Len(t, got, len(tc.want))
			for i, w := range tc.want {
				id := path + "#" + string(rune('1'+i))
				assert.Equal(t, item{ID: id, Data: w}, got[i])
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("0123456789\n", 20) // 220 bytes
	box := write(t, filepath.Join(dir, "box"),
		"From a\nSubject: small\n\n\nFrom b\n"+big+"\nFrom c\n"+big+big+"\nFrom d\nSubject: last\n")
	file := write(t, filepath.Join(dir, "big.eml"), big)
	ok := write(t, filepath.Join(dir, "ok.eml"), "fits\n")
	got := readAll(t, []string{box, file, ok}, Options{MaxMessageSize: 100})
	assert.Equal(t, []item{
		{ID: box + "#1", Data: "Subject: small\n\n"},
		{ID: box + "#2", Err: "mailbox: " + box + "#2: message larger than 100 bytes"},
		{ID: box + "#3", Err: "mailbox: " + box + "#3: message larger than 100 bytes"},
		{ID: box + "#4", Data: "Subject: last\n"},
		{ID: file, Err: "mailbox: " + file + ": message larger than 100 bytes"},
		{ID: ok, Data: "fits\n"},
	}, got)

	// The limit counts the message, not the framing blank line.
	exact := strings.Repeat("y", 99) + "\n"
	box2 := write(t, filepath.Join(dir, "box2"), "From a\n"+exact+"\nFrom b\n"+exact)
	assert.Equal(t, []item{{ID: box2 + "#1", Data: exact}, {ID: box2 + "#2", Data: exact}},
		readAll(t, []string{box2}, Options{MaxMessageSize: 100}))

	// Standard input has no size to look at first.
	assert.Equal(t, []item{{ID: "-", Err: "mailbox: -: message larger than 100 bytes"}},
		readAll(t, []string{"-"}, Options{Stdin: strings.NewReader(big), MaxMessageSize: 100}))
	assert.Equal(t, []item{{ID: "-", Data: exact}},
		readAll(t, []string{"-"}, Options{Stdin: strings.NewReader(exact), MaxMessageSize: 100}))

	r := NewReader([]string{file}, Options{MaxMessageSize: 100})
	defer r.Close()
	_, err := r.Next()
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.Equal(t, "mailbox: /x/y.mbox#12: message larger than 64 MiB",
		(&Error{ID: "/x/y.mbox#12", Err: sizeError{DefaultMaxMessageSize}}).Error())
}

func TestMissingAndOdd(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.eml")
	ok := write(t, filepath.Join(dir, "ok.eml"), "ok\n")
	require.NoError(t, os.Symlink(ok, filepath.Join(dir, "link.eml")))
	require.NoError(t, os.Symlink(missing, filepath.Join(dir, "broken.eml")))
	require.NoError(t, os.Symlink(dir, filepath.Join(dir, "loop"))) // not followed

	r := NewReader([]string{missing, ok}, Options{})
	_, err := r.Next()
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, missing, e.ID)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Equal(t, "mailbox: "+missing+": no such file or directory", err.Error())
	m, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, ok, m.ID)
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
	require.NoError(t, r.Close())

	assert.Equal(t, []item{
		{ID: filepath.Join(dir, "broken.eml"), Err: "mailbox: " + filepath.Join(dir, "broken.eml") + ": no such file or directory"},
		{ID: filepath.Join(dir, "link.eml"), Data: "ok\n"},
		{ID: ok, Data: "ok\n"},
	}, readAll(t, []string{dir}, Options{}))

	t.Run("socket", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "s")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Skip("no unix sockets here:", err)
		}
		defer l.Close()
		got := readAll(t, []string{sock, ok}, Options{})
		require.Len(t, got, 2)
		assert.Equal(t, item{ID: sock, Err: "mailbox: " + sock + ": " + ErrNotRegular.Error()}, got[0])
		assert.Equal(t, ok, got[1].ID)
	})
}

func TestStdin(t *testing.T) {
	got := readAll(t, []string{"-"}, Options{Stdin: strings.NewReader("Subject: x\r\n\r\nFrom me\r\n")})
	assert.Equal(t, []item{{ID: "-", Data: "Subject: x\r\n\r\nFrom me\r\n"}}, got)

	got = readAll(t, []string{"-"}, Options{Stdin: strings.NewReader(crlf(mboxText))})
	require.Len(t, got, len(mboxWant))
	for i, w := range mboxWant {
		assert.Equal(t, item{ID: "-#" + string(rune('1'+i)), Data: crlf(w)}, got[i])
	}

	got = readAll(t, []string{"-"}, Options{Stdin: strings.NewReader("From a\nSubject: one\n\n")})
	assert.Equal(t, []item{{ID: "-#1", Data: "Subject: one\n"}}, got)

	got = readAll(t, []string{"-"}, Options{Stdin: strings.NewReader("")})
	assert.Equal(t, []item{{ID: "-", Data: ""}}, got)
}

func TestClose(t *testing.T) {
	path := write(t, filepath.Join(t.TempDir(), "box"), mboxText)
	r := NewReader([]string{path, path}, Options{})
	m, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, path+"#1", m.ID)
	require.NoError(t, r.Close())
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)

	_, err = NewReader(nil, Options{}).Next()
	assert.Equal(t, io.EOF, err)
}

// TestMemoryBounded reads an mbox far larger than its messages and checks
// that the heap stays small: memory follows the largest message, not the file.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 48 MB file")
	}
	path := filepath.Join(t.TempDir(), "big.mbox")
	f, err := os.Create(path)
	require.NoError(t, err)
	msg := "From a Thu Sep 18 17:54:04 2008\nSubject: s\n\n" + strings.Repeat("body line of some length\n", 400) + "\n"
	for written := 0; written < 48<<20; written += len(msg) {
		_, err = f.WriteString(msg)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())

	r := NewReader([]string{path}, Options{})
	defer r.Close()
	var ms runtime.MemStats
	var peak uint64
	n := 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if n++; n%500 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	t.Logf("%d messages, peak sampled heap %.1f MB", n, float64(peak)/(1<<20))
	assert.Less(t, peak, uint64(16<<20), "heap grows with the input")
}

// gz compresses s.
func gz(t testing.TB, s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.String()
}

// TestGzip reads compressed inputs as their plain text, between plain ones
// (they share the reader's buffer), and names the damaged ones.
func TestGzip(t *testing.T) {
	dir := t.TempDir()
	box := write(t, filepath.Join(dir, "box.mbox.gz"), gz(t, crlf(mboxText)))
	one := write(t, filepath.Join(dir, "one.eml.gz"), gz(t, "Subject: x\n\nbody\n"))
	plain := write(t, filepath.Join(dir, "plain.mbox"), mboxText)
	whole := gz(t, mboxText)
	cut := write(t, filepath.Join(dir, "cut.gz"), whole[:len(whole)/2])
	bad := write(t, filepath.Join(dir, "bad.gz"), "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03not deflate")
	after := write(t, filepath.Join(dir, "after.eml"), "Subject: y\n\n")

	got := readAll(t, []string{box, one, plain, cut, bad, after}, Options{})
	var want []item
	for i, w := range mboxWant {
		want = append(want, item{ID: box + "#" + string(rune('1'+i)), Data: crlf(w)})
	}
	want = append(want, item{ID: one, Data: "Subject: x\n\nbody\n"})
	for i, w := range mboxWant {
		want = append(want, item{ID: plain + "#" + string(rune('1'+i)), Data: w})
	}
	require.Greater(t, len(got), len(want)+2)
	assert.Equal(t, want, got[:len(want)])
	rest := got[len(want):]
	// The cut file gives the messages before the cut, then its error.
	var cutErr, badErr string
	for _, it := range rest[:len(rest)-1] {
		switch {
		case strings.HasPrefix(it.ID, cut) && it.Err != "":
			cutErr = it.Err
		case it.ID == bad:
			badErr = it.Err
		}
	}
	assert.Contains(t, cutErr, "gzip: the compressed data is cut short")
	assert.Contains(t, badErr, "mailbox: "+bad+": gzip: ")
	assert.Equal(t, item{ID: after, Data: "Subject: y\n\n"}, rest[len(rest)-1])

	// Standard input too.
	got = readAll(t, []string{"-"}, Options{Stdin: strings.NewReader(gz(t, mboxText))})
	require.Len(t, got, len(mboxWant))
	assert.Equal(t, "-#1", got[0].ID)
	assert.Equal(t, mboxWant[0], got[0].Data)

	// A compressed message over the size limit is refused like a plain one.
	big := write(t, filepath.Join(dir, "big.eml.gz"), gz(t, "Subject: z\n\n"+strings.Repeat("a", 5000)))
	got = readAll(t, []string{big}, Options{MaxMessageSize: 1000})
	require.Len(t, got, 1)
	assert.Contains(t, got[0].Err, "message larger than")
}
