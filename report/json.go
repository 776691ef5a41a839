package report

import (
	"bufio"
	"bytes"
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

// jsonWriter writes one document at Close, {"summary": {...}, "records":
// [...]}, indented by two spaces as json.Encoder.SetIndent("", "  ") would.
// Each record is encoded as it comes, into a spool (memory, then a
// temporary file), and the reasons are counted: what it holds does not grow
// in memory with the input.
type jsonWriter struct {
	w        io.Writer
	spool    byteSpool
	buf      bytes.Buffer // one record, encoded
	enc      *json.Encoder
	n        int
	byReason map[string]int
	closed   bool
}

func newJSONWriter(w io.Writer) *jsonWriter {
	j := &jsonWriter{w: w, byReason: map[string]int{}}
	j.enc = indentedEncoder(&j.buf, "    ") // a record sits two levels deep
	return j
}

// indentedEncoder encodes values as they sit in the document at the depth
// that prefix gives, without escaping HTML (diagnostics are full of
// <addresses>).
func indentedEncoder(w io.Writer, prefix string) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	return enc
}

func (w *jsonWriter) Add(r *Record) error {
	if w.closed {
		return ErrClosed
	}
	w.buf.Reset()
	if err := w.enc.Encode(r); err != nil {
		return err
	}
	sep := ",\n    "
	if w.n == 0 {
		sep = "\n    "
	}
	w.spool.Write([]byte(sep))
	// Encode ends the value with a new line; the document puts a separator
	// or the closing bracket there.
	if _, err := w.spool.Write(bytes.TrimSuffix(w.buf.Bytes(), []byte("\n"))); err != nil {
		return err
	}
	w.n++
	w.byReason[r.Reason]++
	return nil
}

// Close writes the summary, then the records from the spool.
func (w *jsonWriter) Close(s *Summary) error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	defer w.spool.close()
	bw := bufio.NewWriterSize(w.w, 64<<10)
	var sum bytes.Buffer
	if err := indentedEncoder(&sum, "  ").Encode(summaryCounts(s, w.n, w.byReason)); err != nil {
		return err
	}
	bw.WriteString("{\n  \"summary\": ")
	bw.Write(bytes.TrimSuffix(sum.Bytes(), []byte("\n")))
	bw.WriteString(",\n  \"records\": [")
	if w.n > 0 {
		rd, err := w.spool.reader()
		if err != nil {
			return err
		}
		if _, err := io.Copy(bw, rd); err != nil {
			return err
		}
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}
