package parser

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

// TestTopFieldsIsReadFields checks that the header fields taken from
// go-message are those readFields reads, with the same rest, on the corpus,
// the test messages and damaged headers.
func TestTopFieldsIsReadFields(t *testing.T) {
	var files []string
	for _, pat := range []string{"../../shared/corpus/*/*", "testdata/*.eml"} {
		fs, _ := filepath.Glob(pat)
		files = append(files, fs...)
	}
	var inputs [][]byte
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			inputs = append(inputs, data)
		}
	}
	base := "Received: from a\n\tby b\nFrom: x@y.z\nSubject: hi\nTo: u@v.w\n\nbody\n"
	odd := []string{": empty name\n", strings.Repeat("N", 81) + ": long\n", "Sub ject: x\n", "  \n", " \t\n",
		"\t\u00a0\n", "X-Nbsp: \u00a0v\u00a0\n", "\u00a0Lead: x\n", "\v\n", "X-Tab:\tv\t\n", "X-Cont: a\n  \n b\n",
		"Message-ID: <m@x>\n", "x-lower: v\n", "X-Empty:\n", "X-Empty2: \n\t\n", "no colon\n", "X-Fold: a\n\t b \n  c\n",
		"Name : spaced\n", "X-Ctl: a\x00b\n", "Ütf: x\n", "X-Bin: \xff\xfe\n"}
	rng := rand.New(rand.NewSource(2))
	for n := 0; n < 2000; n++ {
		lines := strings.SplitAfter(base, "\n")
		at := rng.Intn(6)
		var b strings.Builder
		for i, l := range lines {
			if i == at {
				b.WriteString(odd[rng.Intn(len(odd))])
			}
			b.WriteString(l)
		}
		s := b.String()
		if rng.Intn(10) == 0 {
			s = s[:rng.Intn(len(s))]
		}
		inputs = append(inputs, []byte(s))
	}
	inputs = append(inputs, []byte("From: a@b.c"), []byte("From: a@b.c\n"), []byte("\nFrom: a@b.c\n"))
	used := 0
	for _, data := range inputs {
		data = skipEnvelopeLine(normalizeNewlines(data))
		ent, err := message.Read(bytes.NewReader(data))
		if !readable(ent, err) {
			continue
		}
		top, rest, ok := topFields(data, &ent.Header)
		if !ok {
			continue
		}
		used++
		wtop, wrest := readFields(data)
		if !reflect.DeepEqual(top, wtop) || !bytes.Equal(rest, wrest) {
			t.Fatalf("header of %q:\ngot  %q\n     %q\nwant %q\n     %q", data, top, rest, wtop, wrest)
		}
	}
	if used < len(inputs)/3 {
		t.Errorf("go-message's header used for only %d of %d inputs", used, len(inputs))
	}
	t.Logf("go-message's header used for %d of %d inputs", used, len(inputs))
}
