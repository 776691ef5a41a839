package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// csvHeader is the header row of the csv format, in column order.
var csvHeader = []string{
	"source", "recipient", "original_recipient", "action", "status",
	"reply_code", "reason", "hard_bounce", "side", "recommended_action",
	"diagnostic", "remote_mta", "reporting_mta", "command", "date",
	"feedback_type", "message_id", "sender", "subject", "decoder", "kind",
	"label",
}

// csvWriter writes a header, then one row per record as it is added.
type csvWriter struct {
	cw     *csv.Writer
	row    []string
	closed bool
}

func newCSVWriter(w io.Writer) (*csvWriter, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return nil, err
	}
	return &csvWriter{cw: cw, row: make([]string, len(csvHeader))}, nil
}

func (w *csvWriter) Add(r *Record) error {
	if w.closed {
		return ErrClosed
	}
	w.row = append(w.row[:0],
		r.Source, r.Recipient, r.OriginalRecipient, r.Action, r.Status,
		r.ReplyCode, r.Reason, strconv.FormatBool(r.HardBounce), r.Side, r.RecommendedAction,
		defuse(r.Diagnostic), r.RemoteMTA, r.ReportingMTA, r.Command, r.Date,
		r.FeedbackType, r.MessageID, defuse(r.Sender), defuse(r.Subject), r.Decoder, r.Kind,
		r.Label,
	)
	return w.cw.Write(w.row)
}

// Close flushes the rows; CSV has no summary.
func (w *csvWriter) Close(*Summary) error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	w.cw.Flush()
	return w.cw.Error()
}

// defuse keeps a spreadsheet from reading a cell that comes from a stranger's
// message (diagnostic, sender, subject) as a formula: a cell that starts with
// =, +, -, @, tab or CR gets a leading apostrophe.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
