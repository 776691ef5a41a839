package parser

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes, seeded with the project's samples:
// it must never panic, and what it returns must hold together.
//
//	go test ./parser/ -run '^$' -fuzz FuzzParse -fuzztime 2m
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.eml", "../testdata/*.eml"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("From: a@b\n\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=x\n\n--x\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b\nAction: failed\nStatus: 5.1.1\n--x--\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse(data)
		if err != nil {
			return
		}
		if b == nil {
			t.Fatal("no bounce and no error")
		}
		if b.Kind == KindNotBounce && len(b.Recipients) > 0 {
			t.Fatalf("not a bounce, yet %d recipients", len(b.Recipients))
		}
		for _, r := range b.Recipients {
			if r.Status != "" && r.Status[0] != '2' && r.Status[0] != '4' && r.Status[0] != '5' {
				t.Fatalf("status %q", r.Status)
			}
			if r.ReplyCode != "" && len(r.ReplyCode) != 3 {
				t.Fatalf("reply code %q", r.ReplyCode)
			}
		}
	})
}
