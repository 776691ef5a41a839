package pipeline

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/emersion/go-message"
)

// corpusMessages loads the corpus's one-message files into memory.
func corpusMessages(b *testing.B) ([][]byte, int64) {
	dir := corpusDir(b)
	files, err := filepath.Glob(filepath.Join(dir, "bsd", "*.eml"))
	if err != nil || len(files) == 0 {
		b.Skip("no corpus messages")
	}
	var msgs [][]byte
	var size int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, data)
		size += int64(len(data))
	}
	return msgs, size
}

type memSource struct {
	msgs [][]byte
	i    int
}

func (m *memSource) Next() (*mailbox.Message, error) {
	if m.i >= len(m.msgs) {
		return nil, io.EOF
	}
	m.i++
	return &mailbox.Message{ID: "mem", Path: "mem", Data: m.msgs[m.i-1]}, nil
}

// BenchmarkPipeline parses and classifies every corpus message, on all cores.
func BenchmarkPipeline(b *testing.B) {
	msgs, size := corpusMessages(b)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Run(&memSource{msgs: msgs}, Options{}, func(*Result) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkGoMessageWalk is the floor the pipeline is measured against:
// go-message alone reading every corpus message and every MIME part of it
// (bodies decoded and read, message/rfc822 parts opened), on all cores.
func BenchmarkGoMessageWalk(b *testing.B) {
	msgs, size := corpusMessages(b)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Run(&memSource{msgs: msgs}, Options{Walk: walkOnly}, func(*Result) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func walkOnly(data []byte) {
	e, err := message.Read(bytes.NewReader(data))
	if e == nil {
		_ = err
		return
	}
	walkEntity(e, 0)
}

func walkEntity(e *message.Entity, depth int) {
	if depth > 32 {
		return
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if p == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
				return
			}
			walkEntity(p, depth+1)
		}
	}
	t, _, _ := e.Header.ContentType()
	if t == "message/rfc822" || t == "message/global" {
		if inner, _ := message.Read(e.Body); inner != nil {
			walkEntity(inner, depth+1)
		}
		return
	}
	_, _ = io.Copy(io.Discard, e.Body)
}
