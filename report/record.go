// Package report writes analysis results: a text report grouped by reason,
// JSON, NDJSON and CSV.
package report

import "strings"

// Record is one recipient of one bounce, classified. Its JSON field names are
// a stable API: the NDJSON output is one Record per line.
type Record struct {
	// Source is the file or mailbox the message came from, as given.
	Source string `json:"source"`
	// SourceID names the message itself: Source for a one-message file,
	// "PATH#N" for the N-th message of an mbox, an imap:// URL with UID.
	SourceID          string   `json:"source_id"`
	Kind              string   `json:"kind"`
	Decoder           string   `json:"decoder"`
	Recipient         string   `json:"recipient"`
	OriginalRecipient string   `json:"original_recipient"`
	Action            string   `json:"action"`
	Status            string   `json:"status"`
	ReplyCode         string   `json:"reply_code"`
	Reason            string   `json:"reason"`
	HardBounce        bool     `json:"hard_bounce"`
	Side              string   `json:"side"`
	RecommendedAction string   `json:"recommended_action"`
	ActionText        string   `json:"action_text"`
	Label             string   `json:"label,omitempty"`
	Diagnostic        string   `json:"diagnostic"`
	RemoteMTA         string   `json:"remote_mta"`
	ReportingMTA      string   `json:"reporting_mta"`
	Command           string   `json:"command"`
	Date              string   `json:"date"` // RFC 3339, last attempt or the bounce's date
	FeedbackType      string   `json:"feedback_type"`
	MessageID         string   `json:"message_id"` // of the original message
	Sender            string   `json:"sender"`     // From of the original message
	Subject           string   `json:"subject"`    // Subject of the original message
	Explain           *Explain `json:"explain,omitempty"`
}

// Explain says what decided a record's reason.
type Explain struct {
	Rule    string `json:"rule"`              // rule name or built-in table entry
	Origin  string `json:"origin"`            // file (and line) the rule comes from
	Field   string `json:"field,omitempty"`   // status, reply_code, diagnostic, ...
	Matched string `json:"matched,omitempty"` // the text that matched
}

// Summary counts what a run read. Messages is the sum of Bounces,
// DeliveryReports, AutoReplies, Complaints, FeedbackReports, NotBounces and
// Unreadable.
type Summary struct {
	Messages        int            `json:"messages"`
	Bounces         int            `json:"bounces"`
	DeliveryReports int            `json:"delivery_reports"` // reports of successful delivery only (see IsDeliveryReport)
	AutoReplies     int            `json:"auto_replies"`     // RFC 3834 automatic and out-of-office replies
	Complaints      int            `json:"complaints"`       // ARF reports of a complaint (see IsComplaint)
	FeedbackReports int            `json:"feedback_reports"` // the other ARF reports
	NotBounces      int            `json:"not_bounces"`
	Unreadable      int            `json:"unreadable"`
	Recipients      int            `json:"recipients"`
	ByReason        map[string]int `json:"by_reason"`
}

// IsComplaint reports whether an ARF report of this Feedback-Type is a
// complaint about the mail: "abuse", "fraud" or "virus" (RFC 5965), or no
// type at all. The others are not counted as complaints: "auth-failure"
// (RFC 6591) says that a message failed SPF, DKIM or DMARC, "not-spam" that
// a person wanted it, and "other" or an unregistered type says too little.
// The suppression list (package store) takes the same types.
func IsComplaint(feedbackType string) bool {
	switch strings.ToLower(feedbackType) {
	case "abuse", "fraud", "virus", "":
		return true
	}
	return false
}

// IsDeliveryReport reports whether the records of one message all say the
// message was delivered (a DSN asked for with NOTIFY=SUCCESS, RFC 3461):
// such a report is not a bounce.
func IsDeliveryReport(recs []Record) bool {
	for i := range recs {
		if recs[i].Reason != "delivered" {
			return false
		}
	}
	return len(recs) > 0
}
