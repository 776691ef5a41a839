package report

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkNDJSON writes 100,000 records per iteration, the bulk path.
func BenchmarkNDJSON(b *testing.B) {
	const n = 100_000
	recs := make([]*Record, 64)
	for i := range recs {
		r := *sample()[i%2]
		r.Recipient = fmt.Sprintf("user%d@example.com", i)
		recs[i] = &r
	}
	b.ReportAllocs()
	for b.Loop() {
		w, err := NewWriter(io.Discard, "ndjson", Options{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := w.Add(recs[i%len(recs)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
