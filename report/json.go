package report

import (
	"bufio"
	"encoding/json"
	"io"
)

// ndjsonWriter writes one Record per line as it is added.
type ndjsonWriter struct {
	bw     *bufio.Writer
	enc    *json.Encoder
	closed bool
}

func newNDJSONWriter(w io.Writer) *ndjsonWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // diagnostics are full of <addresses>
	return &ndjsonWriter{bw: bw, enc: enc}
}

// Add encodes r on its own line. The encoder marshals the whole record
// before writing it, so a record is never split by an encoding error.
func (w *ndjsonWriter) Add(r *Record) error {
	if w.closed {
		return ErrClosed
	}
	return w.enc.Encode(r)
}

// Close flushes the buffered lines; NDJSON has no summary.
func (w *ndjsonWriter) Close(*Summary) error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	return w.bw.Flush()
}

// jsonWriter buffers the records and writes one document at Close.
type jsonWriter struct {
	w       io.Writer
	records []*Record
	closed  bool
}

func newJSONWriter(w io.Writer) *jsonWriter {
	return &jsonWriter{w: w, records: []*Record{}}
}

func (w *jsonWriter) Add(r *Record) error {
	if w.closed {
		return ErrClosed
	}
	w.records = append(w.records, r)
	return nil
}

// jsonDocument is the shape of the json format.
type jsonDocument struct {
	Summary *Summary  `json:"summary"`
	Records []*Record `json:"records"`
}

// Close writes {"summary": {...}, "records": [...]}, indented by two spaces.
func (w *jsonWriter) Close(s *Summary) error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	bw := bufio.NewWriterSize(w.w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonDocument{summaryOf(s, w.records), w.records}); err != nil {
		return err
	}
	w.records = nil
	return bw.Flush()
}
