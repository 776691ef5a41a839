package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkContentParam checks contentParam against contentType (which reads
// the value with mime.ParseMediaType) for the parameters parts are read for.
func checkContentParam(t *testing.T, ct string) {
	t.Helper()
	wantMT, params := contentType(ct)
	for _, name := range []string{"boundary", "charset", "name"} {
		mt, v, has := contentParam(ct, name)
		wantV, wantHas := params[name]
		if mt != wantMT || v != wantV || has != wantHas {
			t.Fatalf("contentParam(%q, %q) = %q, %q, %v; contentType: %q, %q, %v", ct, name, mt, v, has, wantMT, wantV, wantHas)
		}
	}
}

var contentTypeSamples = []string{
	"", "text/plain", "TEXT/Plain", "text", "text/", "/plain", "text/plain/x", "text /plain", " text/plain ",
	"text/plain;", "text/plain; ", "text/plain;;", "text/plain; ;", "text/plain; charset=us-ascii",
	"text/plain; charset=\"utf-8\"", "text/plain;charset=UTF-8", "text/plain; charset = utf-8 ; format=flowed",
	"text/plain; charset=utf-8;", "text/plain; charset=utf-8; ", "text/plain; charset=utf-8 x",
	"text/plain; charset=", "text/plain; charset=\"\"", "text/plain; =utf-8", "text/plain; charset",
	"text/plain; Charset=a; charset=a", "text/plain; charset=a; CHARSET=b", "text/plain; charset*=utf-8''x",
	"text/plain; charset*0=a; charset*1=b", "text/plain; name=\"a;b=c d\"", "text/plain; name=\"a\\\"b\"",
	"text/plain; name=\"a", "text/plain; name=a\"b\"", "text/plain; name=\"a\"b", "text/plain; name=\"a\" ;b=c",
	"multipart/mixed; boundary=\"----=_Part_1\"", "multipart/mixed; boundary=----=_Part_1",
	"multipart/report; report-type=delivery-status; boundary=\"=_abc\"", "multipart/alternative;\tboundary=x",
	"multipart/mixed; boundary=\"=?utf-8?q?x?=\"", "multipart/mixed; boundary==?utf-8?q?x?=",
	"text/plain; charset=\"=?utf-8?b?dXRmLTg=?=\"", "text/plain;\r\n charset=x", "text/plain; charset=x\n",
	"text/plain; name=\"\u00e9\"", "t\u00e9xt/plain", "text/plain; a=1; b=2; c=3; d=4; e=5; f=6; g=7; h=8; i=9",
	"text/plain; a=1; b=2; c=3; d=4; e=5; f=6; g=7; charset=8", "text/plain; charset=(x)", "text/plain; charset=a@b",
	"text/plain; charset=[x]", "text/plain; charset=a/b", "text/plain; charset=a?b", "text/plain; charset=a:b",
	"text/plain; charset=a,b", "text/plain; charset=a<b>", "text/plain;; charset=x", "application/x.y+z; q=\"1\"",
	"text/plain; charset=\"a\tb\"", "text/plain; charset=a\x7fb", "text/plain\x00; charset=x", ";charset=x",
}

// The Content-Type fields of the sample messages and of the corpus, and
// the values above, are read as contentType reads them.
func TestContentParamMatchesContentType(t *testing.T) {
	cts := append([]string(nil), contentTypeSamples...)
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "*", "*"))
	more, _ := filepath.Glob("testdata/*.eml")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fs, _ := readFields(normalizeNewlines(data))
		for _, fd := range fs {
			if nameEq(fd.Name, "Content-Type") {
				cts = append(cts, fd.Value)
			}
		}
		for _, l := range strings.Split(string(data), "\n") {
			if len(l) > 13 && strings.EqualFold(l[:13], "content-type:") {
				cts = append(cts, strings.TrimSpace(l[13:]))
			}
		}
	}
	for _, ct := range cts {
		checkContentParam(t, ct)
	}
}

// Plain values are read without mime.ParseMediaType.
func TestPlainContentParamTaken(t *testing.T) {
	for _, ct := range []string{"text/plain; charset=us-ascii", "multipart/report; report-type=delivery-status;\tboundary=\"=_a b\""} {
		if _, _, _, ok := plainContentParam(ct, "boundary"); !ok {
			t.Errorf("plainContentParam(%q) not taken", ct)
		}
	}
}

func FuzzContentParam(f *testing.F) {
	for _, s := range contentTypeSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		checkContentParam(t, ct)
	})
}
