package mailbox

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusDir is the shared bounce corpus, outside the module; tests that need
// it skip when it is absent.
const corpusDir = "../../shared/corpus"

func needCorpus(tb testing.TB, sub string) string {
	tb.Helper()
	dir := filepath.Join(corpusDir, sub)
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("corpus not found: %v", err)
	}
	return dir
}

// TestCorpusMbox reads the corpus mbox and compares its 37 messages with the
// same messages kept one per file. The two copies differ in ways that are not
// the reader's doing, so both sides are normalised first:
//   - the mbox has CRLF line ends, the files LF: CRLF becomes LF;
//   - the files end with two more newlines than the mbox messages (after the
//     framing blank line is removed): trailing newlines are trimmed;
//   - in four files the Subject header is RFC 2047 encoded where the mbox has
//     it raw (8-bit UTF-8): such a line is decoded and compared when the
//     charset is UTF-8, else (ISO-2022-JP, which the standard library cannot
//     decode) only checked to be an encoded word facing non-ASCII text.
func TestCorpusMbox(t *testing.T) {
	box := filepath.Join(needCorpus(t, "mbox"), "mbox-0")
	files, err := filepath.Glob(filepath.Join(needCorpus(t, "from-mbox"), "make-test-*.eml"))
	require.NoError(t, err)
	require.Len(t, files, 37)

	got := readAll(t, []string{box}, Options{})
	require.Len(t, got, 37)
	recoded := 0
	for i, g := range got {
		require.Empty(t, g.Err)
		require.Equal(t, fmt.Sprintf("%s#%d", box, i+1), g.ID)
		require.True(t, strings.HasSuffix(g.Data, "\r\n"), "message %d keeps its CRLF line ends", i+1)
		require.False(t, strings.HasPrefix(g.Data, "From "), "separator removed")
		want, err := os.ReadFile(files[i])
		require.NoError(t, err)
		a := corpusLines(g.Data)
		b := corpusLines(string(want))
		require.Len(t, a, len(b), files[i])
		for j := range a {
			if a[j] == b[j] {
				continue
			}
			require.True(t, strings.HasPrefix(a[j], "Subject: "), "%s line %d: %q != %q", files[i], j+1, a[j], b[j])
			recoded++
			enc := strings.TrimPrefix(b[j], "Subject: ")
			dec, err := new(mime.WordDecoder).DecodeHeader(enc)
			if err == nil && dec != enc {
				assert.Equal(t, a[j], "Subject: "+dec, files[i])
				continue
			}
			assert.True(t, strings.HasPrefix(enc, "=?") && strings.HasSuffix(enc, "?="), files[i])
			assert.True(t, utf8.ValidString(a[j]) && strings.ContainsFunc(a[j], func(r rune) bool { return r > 127 }), files[i])
		}
	}
	assert.Equal(t, 4, recoded, "Subject lines encoded differently")
}

func corpusLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

// TestCorpusMboxOne reads the corpus's one-message mbox (LF line ends): its
// one message is named PATH#1 like any mbox message.
func TestCorpusMboxOne(t *testing.T) {
	box := filepath.Join(needCorpus(t, "mbox"), "mbox-1")
	raw, err := os.ReadFile(box)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(raw), "--\n\n"))
	got := readAll(t, []string{box}, Options{})
	_, rest, _ := strings.Cut(string(raw), "\n")
	// The separator line and the framing blank line go.
	assert.Equal(t, []item{{ID: box + "#1", Data: strings.TrimSuffix(rest, "\n")}}, got)
}

// TestCorpusDirectory walks a one-message-per-file folder. A file is given
// back byte for byte, except one saved with its mbox "From " line (36 of
// them): that line and a final blank line go (compared without trailing line
// ends, some use CRLF), and the one that holds two messages gives two.
func TestCorpusDirectory(t *testing.T) {
	dir := needCorpus(t, "bsd")
	got := readAll(t, []string{dir}, Options{})
	var paths []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			paths = append(paths, p)
		}
		return err
	}))
	withFrom, twice := 0, 0
	for _, p := range paths {
		require.NotEmpty(t, got, "no message for %s", p)
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		g := got[0]
		got = got[1:]
		if !bytes.HasPrefix(raw, []byte("From ")) {
			require.Equal(t, item{ID: p, Data: string(raw)}, g)
			continue
		}
		withFrom++
		_, rest, _ := strings.Cut(string(raw), "\n")
		if g.ID == p+"#1" && (len(got) == 0 || got[0].ID != p+"#2") {
			require.Equal(t, strings.TrimRight(rest, "\r\n"), strings.TrimRight(g.Data, "\r\n"), p)
			continue
		}
		// Two messages in one file.
		require.Equal(t, p+"#1", g.ID)
		require.Equal(t, p+"#2", got[0].ID)
		first, second, ok := strings.Cut(rest, "\n\nFrom ")
		require.True(t, ok)
		_, second, _ = strings.Cut(second, "\n")
		assert.Equal(t, first+"\n", g.Data)
		assert.Equal(t, strings.TrimRight(second, "\r\n"), strings.TrimRight(got[0].Data, "\r\n"))
		got = got[1:]
		twice++
	}
	assert.Empty(t, got)
	if filepath.Base(dir) == "bsd" {
		assert.Equal(t, 36, withFrom)
		assert.Equal(t, 1, twice)
	}
}

// BenchmarkReadMbox reads an mbox of about 30,000 messages built from the
// corpus (or generated messages when it is absent). Besides MB/s it reports
// the heap in use after reading, and the largest heap sampled while reading,
// which stay near the size of a message whatever the size of the mbox.
func BenchmarkReadMbox(b *testing.B) {
	var msgs [][]byte
	if dir := filepath.Join(corpusDir, "bsd"); dirExists(dir) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(b, err)
			msgs = append(msgs, data)
		}
	}
	if len(msgs) == 0 {
		for i := range 100 {
			msgs = append(msgs, []byte(fmt.Sprintf("Subject: %d\n\n%s", i, strings.Repeat("a body line\n", 50+i*10))))
		}
	}
	path := filepath.Join(b.TempDir(), "bench.mbox")
	f, err := os.Create(path)
	require.NoError(b, err)
	var size int64
	const count = 30000
	for i := range count {
		n, err := writeMboxMessage(f, msgs[i%len(msgs)])
		require.NoError(b, err)
		size += n
	}
	require.NoError(b, f.Close())

	b.SetBytes(size)
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	for b.Loop() {
		r := NewReader([]string{path}, Options{})
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if n++; n%5000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
		require.NoError(b, r.Close())
		if n != count {
			b.Fatalf("read %d messages, want %d", n, count)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(size)/(1<<20), "input-MB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MB")
}

func dirExists(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// writeMboxMessage writes msg as mboxrd does: a separator, the lines with
// ">*From " quoted, a line end if missing, and a blank line.
func writeMboxMessage(w io.Writer, msg []byte) (int64, error) {
	var buf bytes.Buffer
	buf.WriteString("From MAILER-DAEMON Thu Sep 18 17:54:04 2008\n")
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line = msg[:i+1]
		}
		msg = msg[len(line):]
		if isQuotedFrom(line) || bytes.HasPrefix(line, []byte("From ")) {
			buf.WriteByte('>')
		}
		buf.Write(line)
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		buf.WriteByte('\n')
	}
	buf.WriteByte('\n')
	n, err := w.Write(buf.Bytes())
	return int64(n), err
}

// TestCorpusRoundTrip writes the corpus's single messages into one mboxrd
// file and reads them back: each must come back byte for byte (plus the line
// end the writer adds to a message that lacks one).
func TestCorpusRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(needCorpus(t, "bsd"), "*.eml"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "all.mbox")
	f, err := os.Create(path)
	require.NoError(t, err)
	var want []string
	for _, p := range files {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		_, err = writeMboxMessage(f, data)
		require.NoError(t, err)
		if !bytes.HasSuffix(data, []byte("\n")) {
			data = append(data, '\n')
		}
		want = append(want, string(data))
	}
	require.NoError(t, f.Close())
	got := readAll(t, []string{path}, Options{})
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, item{ID: fmt.Sprintf("%s#%d", path, i+1), Data: want[i]}, got[i], files[i])
	}
}
