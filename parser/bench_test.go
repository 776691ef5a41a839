package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse parses every corpus message of bsd/, held in memory, on one
// core.
func BenchmarkParse(b *testing.B) { benchmarkParse(b, false) }

// BenchmarkParseCRLF is BenchmarkParse with the messages' line ends made
// CRLF, as IMAP gives them.
func BenchmarkParseCRLF(b *testing.B) { benchmarkParse(b, true) }

func benchmarkParse(b *testing.B, crlf bool) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "bsd", "*.eml"))
	if len(files) == 0 {
		b.Skip("shared corpus not found")
	}
	var msgs [][]byte
	var size int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if crlf {
			data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		}
		msgs = append(msgs, data)
		size += int64(len(data))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			_, _ = Parse(m)
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkReadFields reads the top-level header of every corpus message of
// bsd/, on one core.
func BenchmarkReadFields(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "bsd", "*.eml"))
	if len(files) == 0 {
		b.Skip("shared corpus not found")
	}
	var msgs [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, skipEnvelopeLine(normalizeNewlines(data)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			_, _ = readFields(m)
		}
	}
}
