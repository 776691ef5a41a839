package report

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// Formats lists the format names NewWriter accepts, the default first.
var Formats = []string{"text", "json", "ndjson", "csv"}

// Options tune a writer.
type Options struct {
	Lang  string // "en" (default) or "fr": language of the text report's headings and labels
	Color bool   // ANSI colour in the text report (the caller decides: terminal and no NO_COLOR)
	Width int    // terminal width for the text report, 0 means 100
}

// Writer receives the records of a run in order, then the summary.
//
// Close accepts a nil summary: the json and text formats then count only
// the recipients and their reasons from the records. When the summary's
// ByReason is nil it is counted from the records. A Writer is not safe for
// concurrent use; after Close, Add and Close return ErrClosed.
type Writer interface {
	Add(r *Record) error
	Close(s *Summary) error // writes what is buffered, then the summary where the format has one
}

// ErrClosed is returned by Add and Close on a writer already closed.
var ErrClosed = errors.New("report: writer is closed")

// NewWriter returns a writer for format "text", "json", "ndjson" or "csv"; an
// unknown format is an error "report: unknown format %q".
//
// ndjson and csv stream: each record is written as it is added (through a
// buffer flushed at Close). json and text hold the records until Close and
// write everything then; what they hold goes to an unlinked temporary file
// past a few megabytes, so that memory stays flat whatever the input's
// size. Options only affect the text format.
//
// The text format prints a summary block, then one group per reason,
// largest first (ties by name), each with its count, "hard", "soft" or
// "mixed", whose move it is, the most common recommended action and an
// aligned table of its recipients. The groups of "delivered", "vacation"
// and "feedback", which are not failures, come after all the failure
// groups and say so instead of hard/soft. Lang "fr" (or any tag starting
// with "fr") gives French labels; anything else English.
func NewWriter(w io.Writer, format string, opts Options) (Writer, error) {
	switch format {
	case "text":
		return newTextWriter(w, opts), nil
	case "json":
		return newJSONWriter(w), nil
	case "ndjson":
		return newNDJSONWriter(w), nil
	case "csv":
		return newCSVWriter(w)
	}
	return nil, fmt.Errorf("report: unknown format %q", format)
}

// summaryCounts returns the summary to write: s, or one counting only the
// n recipients when s is nil, with ByReason from byReason (the reasons the
// writer counted as the records came) when the caller left it nil.
func summaryCounts(s *Summary, n int, byReason map[string]int) *Summary {
	out := Summary{Recipients: n}
	if s != nil {
		out = *s
	}
	if out.ByReason == nil {
		out.ByReason = byReason
	}
	return &out
}

// nameCount is a name and how often it occurs.
type nameCount struct {
	name  string
	count int
}

// byCount returns the entries of m sorted by count descending, then name.
func byCount(m map[string]int) []nameCount {
	out := make([]nameCount, 0, len(m))
	for k, v := range m {
		out = append(out, nameCount{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		return out[i].name < out[j].name
	})
	return out
}
