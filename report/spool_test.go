package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// many returns n records over a few reasons, with diagnostics of every
// length, some explained, some with non-ASCII text.
func many(n int) []*Record {
	reasons := []string{"userunknown", "mailboxfull", "blocked", "vacation"}
	var out []*Record
	for i := 0; i < n; i++ {
		r := &Record{
			Source: fmt.Sprintf("box.mbox#%d", i), Recipient: fmt.Sprintf("user%d@example%d.org", i, i%7),
			Status: "5.1.1", ReplyCode: "550", Reason: reasons[i%len(reasons)], HardBounce: i%3 == 0,
			Side: "recipient", RecommendedAction: "check-recipient-address", ActionText: "Check the address.",
			Diagnostic: strings.Repeat("550 <user@example.org>: Recipient address rejected — élan ", i%9),
		}
		if i%5 == 0 {
			r.Explain = &Explain{Rule: "text-user-unknown", Origin: "builtin:20-text-first.yaml:1", Field: "phrases", Matched: "user unknown"}
		}
		out = append(out, r)
	}
	return out
}

// withSpoolMemory runs f with the memory a writer keeps set to n bytes.
func withSpoolMemory(t *testing.T, n int, f func()) {
	t.Helper()
	old := spoolMemory
	spoolMemory = n
	defer func() { spoolMemory = old }()
	f()
}

// Spilling to a temporary file changes nothing in what is written.
func TestSpilledOutputIsTheSame(t *testing.T) {
	recs := many(3000)
	for _, format := range []string{"text", "json"} {
		for _, width := range []int{40, 80, 100, 200} {
			opts := Options{Width: width}
			want := write(t, format, opts, recs, nil)
			var got string
			withSpoolMemory(t, 4096, func() { got = write(t, format, opts, recs, nil) })
			require.Equal(t, want, got, "%s at width %d", format, width)
			withSpoolMemory(t, 0, func() { got = write(t, format, opts, recs, nil) })
			require.Equal(t, want, got, "%s at width %d, all spilled", format, width)
		}
	}
}

// The spilled json is one valid document with every record.
func TestSpilledJSONDocument(t *testing.T) {
	recs := many(500)
	var out string
	withSpoolMemory(t, 0, func() { out = write(t, "json", Options{}, recs, nil) })
	var doc struct {
		Summary Summary   `json:"summary"`
		Records []*Record `json:"records"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.Records, 500)
	assert.Equal(t, 500, doc.Summary.Recipients)
	assert.Equal(t, 125, doc.Summary.ByReason["blocked"])
	assert.Equal(t, recs[499].Diagnostic, doc.Records[499].Diagnostic)
}

// The table's columns line up, as a tabwriter would set them: every row's
// source starts at the same column.
func TestTextColumnsAlign(t *testing.T) {
	out := write(t, "text", Options{Width: 80}, many(200), nil)
	var at, rows int
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "RECIPIENT") {
			at = 0 // a new group, a new table
			continue
		}
		i := strings.Index(line, "box.mbox#")
		if i < 0 {
			continue
		}
		col := utf8.RuneCountInString(line[:i])
		if at == 0 {
			at = col
		}
		if !strings.HasPrefix(line, "    ") { // not an explain line
			require.Equal(t, at, col, "line %q", line)
			rows++
		}
	}
	require.Equal(t, 200, rows)
}

// The temporary file is gone once the writer is closed.
func TestSpoolLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	withSpoolMemory(t, 0, func() {
		write(t, "text", Options{}, many(50), nil)
		write(t, "json", Options{}, many(50), nil)
	})
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	assert.Empty(t, left)
	_, err := os.Stat(dir)
	require.NoError(t, err)
}
