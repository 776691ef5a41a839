package parser

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// goMessageParts reads the parts of a multipart body with go-message's
// reader, as the walk did before splitMultipart: each part's Content-Type,
// Content-Transfer-Encoding and body, then how the reading ended.
func goMessageParts(b []byte, boundary string) string {
	var out strings.Builder
	mr := textproto.NewMultipartReader(bytes.NewReader(b), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			fmt.Fprintf(&out, "end: %v\n", err)
			return out.String()
		}
		body, err := io.ReadAll(p)
		fmt.Fprintf(&out, "part: %q %q %q %v\n", p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), body, err)
	}
}

// splitParts is goMessageParts for the parts splitMultipart finds, when it
// takes the body. When the last part is cut short, the reading of the next
// one fails: the error is go-message's, which the walk does not read.
func splitParts(b []byte, boundary string) (string, bool) {
	parts, ok := splitMultipart(b, boundary)
	if !ok {
		return "", false
	}
	var out strings.Builder
	for _, p := range parts {
		body, err := io.ReadAll(p.reader())
		fmt.Fprintf(&out, "part: %q %q %q %v\n", p.ct, p.cte, body, err)
	}
	if parts[len(parts)-1].cut {
		fmt.Fprintf(&out, "end: (an error)\n")
	} else {
		fmt.Fprintf(&out, "end: %v\n", io.EOF)
	}
	return out.String(), true
}

// checkSplit fails the test when splitMultipart takes b and gives other
// parts than go-message, and reports whether it took it.
func checkSplit(t *testing.T, b []byte, boundary string) bool {
	t.Helper()
	got, ok := splitParts(b, boundary)
	if !ok {
		return false
	}
	want := goMessageParts(b, boundary)
	if strings.HasSuffix(got, "end: (an error)\n") {
		if i := strings.LastIndex(want, "end: "); i >= 0 && want[i:] != "end: EOF\n" {
			want = want[:i] + "end: (an error)\n"
		}
	}
	if got != want {
		t.Fatalf("boundary %q, body %q:\n got %s\nwant %s", boundary, b, got, want)
	}
	return true
}

// multipartSamples are bodies of boundary "b1" that take every way
// through splitMultipart, kept or refused.
var multipartSamples = []string{
	"--b1\nContent-Type: text/plain\n\nhello\n--b1--\n",
	"preamble\nmore\n--b1\nContent-Type: text/plain\n\nhello\n--b1--\nepilogue\n",
	"--b1\nContent-Type: text/plain\n\nhello\n--b1--",
	"--b1\nContent-Type: text/plain\n\nhello\n--b1-- \t\n",
	"--b1 \t\nContent-Type: text/plain\n\nhello\n--b1\t\nContent-Type: message/rfc822\n\nX: y\n\nbody\n--b1--\n",
	"--b1\nContent-Type: text/plain\n\n--b1\nContent-Type: text/html\n\n<p>\n--b1--\n",
	"--b1\nContent-Type: text/plain\n\n--b1--\n",
	"--b1\nContent-Type: text/plain\n\n--b1x\n--b1-\n--b1 \n--b1\n",
	"--b1\nContent-Type: text/plain\n\nhello\n--b1x more\n--b1--\n",
	"--b1\nContent-Type: text/plain\n\nhello\n--b1",
	"--b1\nContent-Type: text/plain\n\nhello\n--b",
	"--b1\nContent-Type: text/plain\n\nhello\n",
	"--b1\nContent-Type: text/plain\n\nhello\n--b1\n",
	"--b1\nContent-Type: text/plain\n\nhello\n--b1 x\n",
	"--b1\nContent-Type: text/plain\n\nhello\n\n--b1--\n",
	"--b1\nContent-Type: text/plain\n\nhello\n--b1--x\n",
	"--b1\nContent-Type: text/plain\n\nhello\n--b1-\n",
	"--b1\nContent-Type: text/plain;\n charset=utf-8\nContent-Transfer-Encoding: base64\nContent-Type: text/html\n\naGVsbG8=\n--b1--\n",
	"--b1\n\nno header\n--b1--\n",
	"--b1\n Content-Type: text/plain\n\nx\n--b1--\n",
	"--b1\nContent-Type: text/plain\nnot a field\n\nx\n--b1--\n",
	"--b1\nContent-Type: text/plain\n \nx\n--b1--\n",
	"--b1\nContent-Type: text/plain\n\t\n\nx\n--b1--\n",
	"--b1\nContent-Type: text/plain\n--b1--\n",
	"--b1\nContent-Type: text/plain\r\n\r\nx\r\n--b1--\r\n",
	"--b1\r\nContent-Type: text/plain\n\nx\n--b1--\n",
	"--b1--\n--b1\nContent-Type: text/plain\n\nx\n--b1--\n",
	"--b1--",
	"",
	"no boundary at all\n",
	strings.Repeat("p", 5000) + "\n--b1\nContent-Type: text/plain\n\nx\n--b1--\n",
	"--b1\nContent-Type: text/plain\n\nx\n--b1--" + strings.Repeat(" ", 4100),
	"--b1\nContent-Type: text/plain\n\nx\n--b1--" + strings.Repeat(" ", 4089),
	"--b1\nContent-Type: text/plain\n\nx\n--b1--" + strings.Repeat(" ", 4088),
	"--b1\nContent-Type: text/plain\n\nx\n--b1" + strings.Repeat(" ", 4092) + "\nContent-Type: text/plain\n\ny\n--b1--\n",
	"--b1\nContent-Type: text/plain\n\nx\n--b1" + strings.Repeat(" ", 4091) + "\nContent-Type: text/plain\n\ny\n--b1--\n",
	"--b1\nContent-Type: " + strings.Repeat("x", 5000) + "\n\nlong field\n--b1--\n",
}

func TestSplitMultipartAsGoMessage(t *testing.T) {
	taken := 0
	for _, s := range multipartSamples {
		if checkSplit(t, []byte(s), "b1") {
			taken++
		}
	}
	if taken < 8 {
		t.Errorf("only %d samples taken: the plain shape is refused", taken)
	}
	// bodies made of pieces of the samples' lines
	rng := rand.New(rand.NewSource(1))
	pieces := []string{"--b1", "--b1--", "\n", " ", "\t", "-", "x", "Content-Type: text/plain", "\n\n", ":", "\r", "--b", "b1"}
	for i := 0; i < 20000; i++ {
		var b []byte
		for n := rng.Intn(24); n > 0; n-- {
			b = append(b, pieces[rng.Intn(len(pieces))]...)
		}
		checkSplit(t, b, "b1")
	}
}

// TestSplitMultipartCorpus checks splitMultipart against go-message on the
// multiparts of the corpus messages, and that it takes most of them.
func TestSplitMultipartCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "*", "*.eml"))
	if len(files) == 0 {
		t.Skip("shared corpus not found")
	}
	seen, taken := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = skipEnvelopeLine(normalizeNewlines(data))
		ent, _, _, ok := readPlain(data)
		if !ok {
			continue
		}
		var walk func(p *part, depth int)
		walk = func(p *part, depth int) {
			boundary, ok := p.boundary()
			if !ok || depth > 8 {
				return
			}
			seen++
			if !checkSplit(t, p.data, boundary) {
				return
			}
			taken++
			parts, _ := splitMultipart(p.data, boundary)
			for _, sp := range parts {
				walk(&part{ct: sp.ct, data: sp.body}, depth+1)
			}
		}
		walk(ent, 0)
	}
	if taken < seen*9/10 {
		t.Errorf("%d multiparts of %d taken", taken, seen)
	}
}

// FuzzSplitMultipart checks splitMultipart against go-message on any body.
func FuzzSplitMultipart(f *testing.F) {
	for _, s := range multipartSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSplit(t, []byte(s), "b1")
	})
}

// TestPlainPartHeaderAsPlainHeader checks that plainPartHeader takes the
// headers plainHeader takes, and gives the same header and body start.
func TestPlainPartHeaderAsPlainHeader(t *testing.T) {
	for _, s := range append(multipartSamples,
		"Content-Type: text/plain\n\nbody",
		"X: y\nContent-Transfer-Encoding: 7bit\n  \nmore\n\nbody",
		"X: y\n\tz\n\n",
		"Content-Type:text/plain;\n \t charset=utf-8 \n\tformat=flowed\nContent-Transfer-Encoding:  8bit  \n\n",
		"Content-Type:\n\tmultipart/mixed;\n boundary=x\n\n",
		"X: y\n",
		"X y\n\n",
		": y\n\n",
	) {
		for i := 0; i <= len(s); i++ {
			data := []byte(s[i:])
			ct1, cte1, _, body1, ok1 := plainHeader(data)
			ct2, cte2, body2, ok2 := plainPartHeader(data)
			if ok1 != ok2 || body1 != body2 || ct1 != ct2 || cte1 != cte2 {
				t.Fatalf("%q: plainHeader %v %d, plainPartHeader %v %d", data, ok1, body1, ok2, body2)
			}
			if ok1 {
				// go-message's reading of the header, in a multipart
				gh, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
				if err != nil || ct1 != gh.Get("Content-Type") || cte1 != gh.Get("Content-Transfer-Encoding") {
					t.Fatalf("%q: %q %q, go-message %q %q (%v)", data, ct1, cte1, gh.Get("Content-Type"), gh.Get("Content-Transfer-Encoding"), err)
				}
			}
		}
	}
}
