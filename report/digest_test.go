package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDigestHTMLEscapes(t *testing.T) {
	d := &Digest{From: time.Unix(0, 0), To: time.Unix(86400, 0), Totals: DigestTotals{Messages: 1, Unreadable: 1},
		Unreadable: []Unreadable{{Source: "x.eml", Error: `<script>alert("x")</script>`}}}
	var b bytes.Buffer
	if err := WriteDigest(&b, d, "html"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "<script>") || !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("not escaped:\n%s", out)
	}
	if strings.Contains(out, "<style") || strings.Contains(out, `id="blocks"`) {
		t.Errorf("style block or empty section:\n%s", out)
	}
	b.Reset()
	WriteDigest(&b, d, "markdown")
	if strings.Contains(b.String(), "<script>") {
		t.Errorf("markdown not escaped:\n%s", b.String())
	}
	b.Reset()
	WriteDigest(&b, d, "text")
	if !strings.Contains(b.String(), "Messages that could not be read") || strings.Contains(b.String(), "Blocked") {
		t.Errorf("text:\n%s", b.String())
	}
	if err := WriteDigest(&b, d, "pdf"); err == nil || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("unknown format: %v", err)
	}
}
