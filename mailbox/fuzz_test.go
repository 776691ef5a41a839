package mailbox

import (
	"bytes"
	"io"
	"testing"
)

// FuzzMboxRoundTrip writes messages as an mboxrd writer does and reads them
// back: whatever their lines ("From " in a body, blank lines, ">From "), each
// must come back as it was (with a line end added when it had none), and no
// message may be split or merged.
//
//	go test ./mailbox/ -run '^$' -fuzz FuzzMboxRoundTrip
func FuzzMboxRoundTrip(f *testing.F) {
	f.Add([]byte("Subject: a\n\nbody\n\x00Subject: b\n\nFrom here on\n\n>From quoted\n"))
	f.Add([]byte("Subject: a\n\n\nFrom the mail system\n\n\x00\x00Subject: c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		data = bytes.ReplaceAll(data, []byte("\r"), []byte(" "))
		msgs := bytes.Split(data, []byte{0})
		var box bytes.Buffer
		for _, m := range msgs {
			if _, err := writeMboxMessage(&box, m); err != nil {
				t.Fatal(err)
			}
		}
		r := NewReader([]string{"-"}, Options{Stdin: &box})
		var got [][]byte
		for {
			m, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("message %d: %v", len(got)+1, err)
			}
			got = append(got, m.Data)
		}
		if len(got) != len(msgs) {
			t.Fatalf("wrote %d messages, read %d", len(msgs), len(got))
		}
		for i, m := range msgs {
			want := m
			if len(want) > 0 && want[len(want)-1] != '\n' {
				want = append(append([]byte{}, want...), '\n')
			}
			if !bytes.Equal(got[i], want) {
				t.Fatalf("message %d: wrote %q, read %q", i+1, want, got[i])
			}
		}
	})
}
