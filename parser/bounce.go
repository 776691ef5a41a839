// Package parser turns the raw bytes of a mail message into a Bounce: what kind of
// message it is (a delivery status notification, a free-text non-delivery report,
// an ARF feedback report, an automatic reply, or not a bounce at all) and one
// Recipient entry per address it reports on, with the codes, diagnostic text,
// hosts and dates it gives.
//
// The parser knows formats, not reasons: it never decides what a failure means.
// That is the job of package classify.
package parser

import "time"

// Kind says what sort of message a Bounce came from.
type Kind string

// The kinds of message the parser recognises.
const (
	KindDSN       Kind = "dsn"        // RFC 3464 / RFC 6533 delivery status notification, or a plain-text report of delivery
	KindNDR       Kind = "ndr"        // free-text non-delivery report
	KindFeedback  Kind = "feedback"   // RFC 5965 ARF feedback report
	KindAutoReply Kind = "auto-reply" // RFC 3834 automatic reply, out-of-office
	KindNotBounce Kind = "not-bounce" // an ordinary message
)

// Bounce is what the parser found in one message.
type Bounce struct {
	Kind Kind
	// Decoder names what recognised the message: "rfc3464", "arf", "rfc3834",
	// "rfc5429" (a Sieve rejection), or the MTA whose free-text format was
	// decoded ("postfix", "qmail", ...).
	Decoder string

	// Header fields of the bounce message itself.
	From    string
	Subject string
	Date    time.Time

	ReportingMTA string    // Reporting-MTA of the report, or the host that wrote it
	ArrivalDate  time.Time // Arrival-Date of the report, zero when not given

	// FeedbackType is the Feedback-Type of an ARF report ("abuse", ...).
	FeedbackType string

	// Original holds what is known of the message that bounced.
	Original Original

	Recipients []Recipient
}

// Original describes the returned original message (message/rfc822,
// text/rfc822-headers or the copy quoted in a free-text bounce).
type Original struct {
	MessageID string
	From      string
	To        string
	Subject   string
	Date      string
	ListID    string
	// Extra holds the original's X- header fields, in order.
	Extra []Field
}

// Field is one header field.
type Field struct {
	Name, Value string
}

// Recipient is one address a bounce reports on.
type Recipient struct {
	Address         string // final recipient, lower-cased domain, no angle brackets
	OriginalAddress string // Original-Recipient, when given
	// Action is the RFC 3464 action: failed, delayed, delivered, relayed,
	// expanded; empty when the message does not say.
	Action string
	// Status is the RFC 3463 enhanced status code ("5.1.1"), empty when none
	// was found anywhere.
	Status string
	// ReplyCode is the SMTP reply code ("550"), empty when none was found.
	ReplyCode    string
	Diagnostic   string // diagnostic text, whitespace folded
	RemoteMTA    string
	ReportingMTA string
	// Command is the SMTP command the failure answered (RCPT, DATA, MAIL,
	// CONN, ...) where known.
	Command     string
	LastAttempt time.Time
	// FeedbackType, for an ARF report, repeats Bounce.FeedbackType.
	FeedbackType string
	// DiagnosticType is the type of the DSN's Diagnostic-Code, lower-cased:
	// "smtp" for a remote server's answer, "x-unix" for a local delivery
	// program's exit, ...; empty when not given.
	DiagnosticType string
	// Category is the sending MTA's own class of the failure where its
	// report gives one, lower-cased: PowerMTA's X-PowerMTA-BounceCategory
	// ("bad-mailbox", "quota-issues", "spam-related", ...).
	Category string
}
