package parser

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// samePlainHeader checks that when plainHeader reads data, go-message reads
// it too, to the same Content-Type and Content-Transfer-Encoding and the same
// body, and that readFields ends the header where they do.
func samePlainHeader(t *testing.T, data []byte) {
	t.Helper()
	ct, cte, pfs, body, ok := plainHeader(data)
	if !ok {
		return
	}
	ent, err := message.Read(bytes.NewReader(data))
	if !readable(ent, err) {
		t.Fatalf("plainHeader reads a header go-message refuses (%v): %q", err, data[:min(len(data), 200)])
	}
	// go-message's header reading, as message.Read does it
	br := bufio.NewReader(bytes.NewReader(data))
	gh, err := textproto.ReadHeader(br)
	if err != nil {
		t.Fatal(err)
	}
	for k, got := range map[string]string{"Content-Type": ct, "Content-Transfer-Encoding": cte} {
		if want := gh.Get(k); got != want {
			t.Fatalf("%s: %q, go-message %q", k, got, want)
		}
	}
	raw, _ := io.ReadAll(br)
	if !bytes.Equal(raw, data[body:]) {
		t.Fatalf("body at %d differs from go-message's", body)
	}
	fs, rest := readFields(data)
	if len(fs) == 0 || !bytes.Equal(rest, data[body:]) || !sameFields(fs, pfs) {
		t.Fatalf("readFields reads the header otherwise")
	}
	if top, _, ok := topFields(data, &ent.Header); ok && !sameFields(top, fs) {
		t.Fatalf("readFields and topFields differ")
	}
}

func sameFields(a, b []Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPlainHeader(t *testing.T) {
	cases := []string{
		"From: a@b\n\nbody\n",
		"From: a@b\nContent-Type: text/plain;\n charset=utf-8\n\nbody",
		"Content-Type:\n text/plain\n\nx",
		"content-type: TEXT/plain\nCONTENT-TYPE: text/html\n\n<p>x</p>",
		"Content-Type : multipart/mixed; boundary=b \t\nSubject: x\n\n--b\n\nx\n--b--\n",
		"Content-Transfer-Encoding: \tquoted-printable \nSubject: x\n\na=3Db\n",
		"From: a@b\n \nSubject: x\n\nbody",
		"From: a@b\n\v\nSubject: x\n\nbody",
		" From: a@b\n\nbody",
		"\nFrom: a@b\n\nbody",
		"From: a@b\nno colon\n\nbody",
		"From: a@b\n",
		"From: a@b\n\n",
		"From: a@b\r\n\r\nbody",
		": x\nFrom: a@b\n\nbody",
		"Fr\x80om: a@b\n\nbody",
		"Subject: a\x00b\n\tc\n\nbody",
	}
	for _, c := range cases {
		samePlainHeader(t, normalizeNewlines([]byte(c)))
	}
	if _, _, _, _, ok := plainHeader([]byte("From: a@b\n \nSubject: x\n\nbody")); ok {
		t.Error("a blank continuation line read as plain")
	}
	var paths []string
	for _, pattern := range []string{"testdata/*.eml", "../testdata/*.eml", "../../shared/corpus/*/*"} {
		p, _ := filepath.Glob(pattern)
		paths = append(paths, p...)
	}
	plain := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		data = skipEnvelopeLine(normalizeNewlines(data))
		if _, _, _, _, ok := plainHeader(data); ok {
			plain++
		}
		samePlainHeader(t, data)
	}
	t.Logf("%d of %d sample messages read by plainHeader", plain, len(paths))
}

func FuzzPlainHeader(f *testing.F) {
	f.Add([]byte("From: a@b\nContent-Type: text/plain;\n charset=utf-8\n\nbody"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: base64\n\n--b\n\nx\n--b--\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		samePlainHeader(t, normalizeNewlines(data))
	})
}
