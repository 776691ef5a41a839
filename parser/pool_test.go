package parser

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestParseKeepsNoBuffer checks that nothing Parse returns for a CRLF
// message aliases the buffer it was read from, which the next message reuses:
// the buffers are overwritten after each parse (the walk's body buffer too),
// and the result must not change.
func TestParseKeepsNoBuffer(t *testing.T) {
	var paths []string
	for _, pattern := range []string{"testdata/*.eml", "../testdata/*.eml", "../../shared/corpus/*/*.eml"} {
		p, _ := filepath.Glob(pattern)
		paths = append(paths, p...)
	}
	if len(paths) == 0 {
		t.Skip("no samples")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		b, err := Parse(data)
		before := fmt.Sprintf("%+v %v", b, err)
		// scribble over the pooled buffers, as the next message would
		for i := 0; i < 4; i++ {
			buf := getLineBuf()
			*buf = (*buf)[:cap(*buf)]
			for k := range *buf {
				(*buf)[k] = 'x'
			}
			putLineBuf(buf)
			body := bodyBufs.Get().(*bytes.Buffer)
			body.Reset()
			mem := body.AvailableBuffer()
			for k := range mem[:cap(mem)] {
				mem[:cap(mem)][k] = 'x'
			}
			bodyBufs.Put(body)
		}
		if after := fmt.Sprintf("%+v %v", b, err); after != before {
			t.Fatalf("%s: the result changed when the buffer was reused:\n%s\n%s", p, before, after)
		}
	}
}
