package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// analyzeInputs runs the pipeline over inputs and returns the results in order.
func analyzeInputs(t *testing.T, inputs ...string) []*Result {
	t.Helper()
	src := mailbox.NewReader(inputs, mailbox.Options{})
	defer src.Close()
	var out []*Result
	require.NoError(t, Run(src, Options{}, func(r *Result) error {
		out = append(out, r)
		return nil
	}))
	return out
}

// essence keeps what must not depend on line ends or on the container.
func essence(recs []report.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, strings.Join([]string{r.Recipient, r.Action, r.Status, r.ReplyCode, r.Reason,
			boolStr(r.HardBounce), r.Diagnostic, r.RemoteMTA, r.Command, r.Date, r.MessageID, r.Subject}, "|"))
	}
	return out
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// Every message under crlf/ and cr/ gives the same records as its twin in bsd/.
func TestCorpusLineEndsGiveSameRecords(t *testing.T) {
	dir := corpusDir(t)
	for _, sub := range []string{"crlf", "cr"} {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.eml"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, f := range files {
			twin := filepath.Join(dir, "bsd", filepath.Base(f))
			got := analyzeInputs(t, f)
			want := analyzeInputs(t, twin)
			require.Len(t, got, 1, f)
			require.Len(t, want, 1, twin)
			assert.NoError(t, got[0].Err, f)
			assert.Equal(t, essence(want[0].Records), essence(got[0].Records), "%s differs from %s", f, twin)
		}
	}
}

// mbox/mbox-0 gives the same records as the files of from-mbox/.
func TestCorpusMboxMatchesFiles(t *testing.T) {
	dir := corpusDir(t)
	fromBox := analyzeInputs(t, filepath.Join(dir, "mbox", "mbox-0"))
	fromFiles := analyzeInputs(t, filepath.Join(dir, "from-mbox"))
	require.Len(t, fromBox, 37)
	require.Len(t, fromFiles, 37)
	records := 0
	for i := range fromBox {
		assert.Equal(t, essence(fromFiles[i].Records), essence(fromBox[i].Records), "message %d: %s vs %s",
			i+1, fromBox[i].Source, fromFiles[i].Source)
		records += len(fromBox[i].Records)
	}
	assert.GreaterOrEqual(t, records, 37, "every message of mbox-0 is a bounce")
}

// Nothing under broken/ crashes or hangs; what cannot be read gets an error
// naming what is wrong.
func TestCorpusBrokenInputs(t *testing.T) {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "broken", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		done := make(chan []*Result, 1)
		go func() { done <- analyzeInputs(t, f) }()
		select {
		case res := <-done:
			require.Len(t, res, 1, f)
			if res[0].Err != nil {
				assert.NotEmpty(t, res[0].Err.Error())
				assert.Contains(t, res[0].Source, filepath.Base(f))
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no answer after 20s", f)
		}
	}
}

// Nothing under not/ yields a record.
func TestCorpusNotBounces(t *testing.T) {
	dir := corpusDir(t)
	res := analyzeInputs(t, filepath.Join(dir, "not"))
	require.NotEmpty(t, res)
	for _, r := range res {
		assert.NoError(t, r.Err, r.Source)
		assert.Empty(t, r.Records, "%s is not a bounce", r.Source)
	}
}

// Every bsd/ file parses without error, rows or not.
func TestCorpusAllParse(t *testing.T) {
	dir := corpusDir(t)
	res := analyzeInputs(t, filepath.Join(dir, "bsd"))
	require.Greater(t, len(res), 400)
	for _, r := range res {
		assert.NoError(t, r.Err, r.Source)
	}
}

// failingSource gives one message, one message-level error, then dies.
type failingSource struct{ n int }

func (f *failingSource) Next() (*mailbox.Message, error) {
	f.n++
	switch f.n {
	case 1:
		return &mailbox.Message{ID: "a", Path: "a", Data: []byte("From: x@example.com\nSubject: hi\n\nhello\n")}, nil
	case 2:
		return nil, &mailbox.Error{ID: "b", Err: os.ErrPermission}
	default:
		return nil, os.ErrClosed
	}
}

func TestRunReportsSourceFailure(t *testing.T) {
	var got []*Result
	err := Run(&failingSource{}, Options{}, func(r *Result) error {
		got = append(got, r)
		return nil
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrClosed)
	require.Len(t, got, 3)
	assert.NoError(t, got[0].Err)
	assert.Equal(t, "b", got[1].Source)
	assert.ErrorIs(t, got[1].Err, os.ErrPermission)
	assert.ErrorIs(t, got[2].Err, os.ErrClosed)
}

func TestTallyKeepsAutoRepliesAndComplaintsApart(t *testing.T) {
	tl := NewTally()
	tl.Add(&Result{Records: []report.Record{{Kind: "dsn", Reason: "userunknown"}}})
	tl.Add(&Result{Records: []report.Record{{Kind: "auto-reply", Reason: "vacation"}}})
	tl.Add(&Result{Records: []report.Record{{Kind: "feedback", Reason: "feedback", FeedbackType: "abuse"}}})
	// A DMARC failure report is feedback, not a complaint.
	tl.Add(&Result{Records: []report.Record{{Kind: "feedback", Reason: "feedback", FeedbackType: "auth-failure"}}})
	// A report of successful delivery is no bounce; one that also reports
	// a failure is.
	tl.Add(&Result{Records: []report.Record{{Kind: "dsn", Reason: "delivered"}, {Kind: "dsn", Reason: "delivered"}}})
	tl.Add(&Result{Records: []report.Record{{Kind: "dsn", Reason: "delivered"}, {Kind: "dsn", Reason: "mailboxfull"}}})
	tl.Add(&Result{})
	s := tl.Summary
	if s.Messages != 7 || s.Bounces != 2 || s.DeliveryReports != 1 || s.AutoReplies != 1 || s.Complaints != 1 || s.FeedbackReports != 1 || s.NotBounces != 1 || s.Recipients != 8 {
		t.Errorf("summary %+v", s)
	}
}

// A panic met on one message is that message's error; the run goes on.
func TestRunSurvivesAPanic(t *testing.T) {
	src := &memSource{msgs: [][]byte{[]byte("one"), []byte("boom"), []byte("three")}}
	walk := func(data []byte) {
		if string(data) == "boom" {
			panic("index out of range")
		}
	}
	var got []*Result
	require.NoError(t, Run(src, Options{Walk: walk}, func(r *Result) error {
		got = append(got, r)
		return nil
	}))
	require.Len(t, got, 3)
	assert.NoError(t, got[0].Err)
	require.Error(t, got[1].Err)
	assert.Contains(t, got[1].Err.Error(), "internal error")
	assert.Contains(t, got[1].Err.Error(), "index out of range")
	assert.NoError(t, got[2].Err)
}
