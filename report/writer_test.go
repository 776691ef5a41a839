package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sample returns records covering several reasons, a multi-line diagnostic,
// characters JSON and CSV must quote, and an Explain.
func sample() []*Record {
	return []*Record{
		{
			Source: "inbox.mbox#1", Kind: "dsn", Decoder: "rfc3464",
			Recipient: "bob@example.com", OriginalRecipient: "rfc822;bob@example.com",
			Action: "failed", Status: "5.1.1", ReplyCode: "550", Reason: "userunknown",
			HardBounce: true, Side: "sender", RecommendedAction: "check-recipient-address",
			ActionText: "Check the address; remove it from the list.",
			Diagnostic: "550 5.1.1 <bob@example.com>:\n    User unknown, \"really\"",
			RemoteMTA:  "mx.example.com", ReportingMTA: "out.example.net", Command: "RCPT",
			Date: "2024-05-01T10:00:00Z", MessageID: "<abc@example.net>",
			Sender: "news@example.net", Subject: "Hello, world",
			Explain: &Explain{Rule: "userunknown-status", Origin: "builtin/status.rules:4", Field: "status", Matched: "5.1.1"},
		},
		{
			Source: "inbox.mbox#2", Kind: "ndr", Decoder: "exchange",
			Recipient: "carol@example.org", Action: "delayed", Status: "4.2.2", ReplyCode: "452",
			Reason: "mailboxfull", Side: "recipient", RecommendedAction: "check-quota",
			ActionText: "Ask the recipient to free space.", Diagnostic: "mailbox full", Label: "newsletter",
		},
		{
			Source: "inbox.mbox#3", Kind: "arf", Decoder: "arf", Recipient: "dan@example.com",
			Reason: "feedback", FeedbackType: "abuse",
		},
	}
}

func write(t *testing.T, format string, opts Options, recs []*Record, s *Summary) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, format, opts)
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, w.Add(r))
	}
	require.NoError(t, w.Close(s))
	return buf.String()
}

func TestNewWriterUnknownFormat(t *testing.T) {
	w, err := NewWriter(&bytes.Buffer{}, "xml", Options{})
	assert.Nil(t, w)
	assert.EqualError(t, err, `report: unknown format "xml"`)
}

func TestFormatsAllWork(t *testing.T) {
	require.Equal(t, []string{"text", "json", "ndjson", "csv"}, Formats)
	for _, f := range Formats {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, f, Options{})
		require.NoError(t, err, f)
		require.NoError(t, w.Add(sample()[0]), f)
		require.NoError(t, w.Close(&Summary{}), f)
		assert.NotEmpty(t, buf.String(), f)
		assert.ErrorIs(t, w.Add(sample()[0]), ErrClosed, f)
		assert.ErrorIs(t, w.Close(nil), ErrClosed, f)
	}
}

func TestNDJSON(t *testing.T) {
	recs := sample()
	out := write(t, "ndjson", Options{}, recs, &Summary{Messages: 3})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, len(recs), "one line per record, no summary")
	for i, line := range lines {
		var got Record
		require.NoError(t, json.Unmarshal([]byte(line), &got), line)
		assert.Equal(t, *recs[i], got)
	}
	// The stable field names, and no HTML escaping of addresses.
	assert.Contains(t, lines[0], `"recipient":"bob@example.com"`)
	assert.Contains(t, lines[0], `"hard_bounce":true`)
	assert.Contains(t, lines[0], `<bob@example.com>`)
	assert.Contains(t, lines[0], `"explain":{"rule":"userunknown-status"`)
	assert.NotContains(t, lines[1], `"explain"`)
}

func TestNDJSONStreams(t *testing.T) {
	// Records are encoded on Add, not kept: changing one afterwards does not
	// change the output.
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "ndjson", Options{})
	require.NoError(t, err)
	r := sample()[1]
	require.NoError(t, w.Add(r))
	r.Recipient = "changed@example.org"
	require.NoError(t, w.Close(nil))
	assert.Contains(t, buf.String(), "carol@example.org")
	assert.NotContains(t, buf.String(), "changed")
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestNDJSONWriteError(t *testing.T) {
	w, err := NewWriter(failWriter{}, "ndjson", Options{})
	require.NoError(t, err)
	require.NoError(t, w.Add(sample()[0])) // buffered
	assert.EqualError(t, w.Close(nil), "disk full")
}

func TestJSON(t *testing.T) {
	recs := sample()
	s := &Summary{Messages: 4, Bounces: 3, NotBounces: 1, Recipients: 3,
		ByReason: map[string]int{"userunknown": 1, "mailboxfull": 1, "feedback": 1}}
	out := write(t, "json", Options{}, recs, s)

	var doc struct {
		Summary Summary  `json:"summary"`
		Records []Record `json:"records"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, *s, doc.Summary)
	require.Len(t, doc.Records, 3)
	for i := range recs {
		assert.Equal(t, *recs[i], doc.Records[i])
	}
	assert.True(t, strings.HasPrefix(out, "{\n  \"summary\": {\n    \"messages\": 4,"), out)
	assert.Less(t, strings.Index(out, `"summary"`), strings.Index(out, `"records"`))
	assert.True(t, strings.HasSuffix(out, "}\n"))
}

func TestJSONEmpty(t *testing.T) {
	out := write(t, "json", Options{}, nil, nil)
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.JSONEq(t, `[]`, string(doc["records"]), "records is an empty list, not null")
	assert.JSONEq(t, `{"messages":0,"bounces":0,"delivery_reports":0,"auto_replies":0,"complaints":0,"feedback_reports":0,"not_bounces":0,"unreadable":0,"recipients":0,"by_reason":{}}`,
		string(doc["summary"]))
}

func TestJSONCountsByReasonWhenMissing(t *testing.T) {
	out := write(t, "json", Options{}, sample(), &Summary{Messages: 3})
	var doc struct{ Summary Summary }
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, 3, doc.Summary.Messages)
	assert.Equal(t, map[string]int{"userunknown": 1, "mailboxfull": 1, "feedback": 1}, doc.Summary.ByReason)
}

func TestCSV(t *testing.T) {
	recs := sample()
	out := write(t, "csv", Options{}, recs, &Summary{Messages: 3})
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+len(recs), "header and one row per record, no summary")
	assert.Equal(t, []string{"source", "recipient", "original_recipient", "action", "status",
		"reply_code", "reason", "hard_bounce", "side", "recommended_action", "diagnostic",
		"remote_mta", "reporting_mta", "command", "date", "feedback_type", "message_id",
		"sender", "subject", "decoder", "kind", "label"}, rows[0])

	r := recs[0]
	assert.Equal(t, []string{r.Source, r.Recipient, r.OriginalRecipient, r.Action, r.Status,
		r.ReplyCode, r.Reason, "true", r.Side, r.RecommendedAction, r.Diagnostic,
		r.RemoteMTA, r.ReportingMTA, r.Command, r.Date, r.FeedbackType, r.MessageID,
		r.Sender, r.Subject, r.Decoder, r.Kind, r.Label}, rows[1])
	assert.Equal(t, "false", rows[2][7])
	assert.Equal(t, "newsletter", rows[2][21])
	assert.Equal(t, "abuse", rows[3][15])
}

func TestCSVEmptyHasHeader(t *testing.T) {
	out := write(t, "csv", Options{}, nil, nil)
	sc := bufio.NewScanner(strings.NewReader(out))
	require.True(t, sc.Scan())
	assert.True(t, strings.HasPrefix(sc.Text(), "source,recipient,"))
	assert.False(t, sc.Scan())
}
