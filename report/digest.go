package report

import (
	"fmt"
	"io"
	"time"
)

// Digest is what a periodic digest reports, problems first. Package store
// fills it from the history; WriteDigest renders it. Empty sections are
// left out of every format (and are omitted from the JSON).
type Digest struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Scope is "period" when the digest covers the records dated within
	// From and To, or "new" when it covers the messages stored since the
	// last digest (From and To then still frame the comparisons).
	Scope  string       `json:"scope"`
	Totals DigestTotals `json:"totals"`
	// Read, when the digest follows a run that read inputs, counts what
	// that run read; messages the history already had are not counted
	// again in Totals.
	Read *DigestRead `json:"read,omitempty"`

	// Sender-side problems, each with what to do.
	Blocks       []BlockProblem `json:"blocks,omitempty"`
	AuthFailures []AuthProblem  `json:"auth_failures,omitempty"`
	RateLimits   []RateHour     `json:"rate_limits,omitempty"`
	SMTPAuth     []SMTPAuthFail `json:"smtp_auth,omitempty"`

	Reasons      []ReasonTrend `json:"reasons,omitempty"`
	TopDomains   []NameCount   `json:"top_domains,omitempty"`
	TopProviders []NameCount   `json:"top_providers,omitempty"`

	NewHard      []AddressLine `json:"new_hard,omitempty"`
	RepeatedSoft []SoftLine    `json:"repeated_soft,omitempty"`

	Unreadable   []Unreadable  `json:"unreadable,omitempty"`
	Unclassified []AddressLine `json:"unclassified,omitempty"`

	// Lang is the language of the headings, labels and notes of the
	// text, Markdown and HTML digests: "fr" (or a tag starting with "fr")
	// for French, anything else English. The JSON keys do not change.
	Lang string `json:"-"`
}

// DigestTotals are the period's figures. Messages, Bounces, AutoReplies,
// Complaints, NotBounces and Unreadable count messages; Hard and Soft count
// failed recipients.
type DigestTotals struct {
	Messages    int `json:"messages"`
	Bounces     int `json:"bounces"`
	Hard        int `json:"hard"`
	Soft        int `json:"soft"`
	AutoReplies int `json:"auto_replies"`
	Complaints  int `json:"complaints"`
	// DeliveryReports are reports of successful delivery only (see
	// IsDeliveryReport).
	DeliveryReports int `json:"delivery_reports"`
	// FeedbackReports are ARF reports that are not complaints (see
	// IsComplaint).
	FeedbackReports int `json:"feedback_reports"`
	NotBounces      int `json:"not_bounces"`
	Unreadable      int `json:"unreadable"`
}

// DigestRead is what the run before a digest read.
type DigestRead struct {
	Messages      int `json:"messages"`
	AlreadyStored int `json:"already_stored"`
}

// Empty reports whether nothing happened in the digest's scope.
func (d *Digest) Empty() bool { return d.Totals.Messages == 0 }

// BlockProblem is a remote host refusing the sender (blocked, bad
// reputation, no PTR, ...), with the sending IPs the bounces name.
type BlockProblem struct {
	Reason     string   `json:"reason"`
	RemoteHost string   `json:"remote_host"`
	IPs        []string `json:"ips,omitempty"` // IP addresses quoted in the diagnostics
	Count      int      `json:"count"`
	Action     string   `json:"action"`      // recommended action id
	ActionText string   `json:"action_text"` // what to do
	Example    string   `json:"example"`     // one diagnostic
}

// AuthProblem is SPF, DKIM or DMARC failing for a sending domain.
type AuthProblem struct {
	Domain     string   `json:"domain"`
	Mechanisms []string `json:"mechanisms,omitempty"` // SPF, DKIM, DMARC as named by the diagnostics
	Check      []string `json:"check"`                // DNS records to check
	Count      int      `json:"count"`
	ActionText string   `json:"action_text"`
	Example    string   `json:"example"`
}

// RateHour is one sending account's (or IP's) hour with rate-limit bounces,
// or with more failures than the provider's hourly limit.
type RateHour struct {
	Account  string    `json:"account,omitempty"`
	IP       string    `json:"ip,omitempty"`
	Hour     time.Time `json:"hour"`
	Speeding int       `json:"speeding"` // rate-limit bounces that hour
	Bounces  int       `json:"bounces"`  // all bounced recipients that hour
	Limit    int       `json:"limit"`    // the provider's hourly limit compared with
	Over     bool      `json:"over"`     // Bounces passed Limit
}

// SMTPAuthFail is a sending account refused with 535 (bad credentials).
type SMTPAuthFail struct {
	Account string `json:"account"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// ReasonTrend counts one reason in the digest, with the previous period
// of the same length and the average per period over the 7 days before.
type ReasonTrend struct {
	Reason   string  `json:"reason"`
	Count    int     `json:"count"`
	Previous int     `json:"previous"`
	Avg7d    float64 `json:"avg_7d"`
}

// NameCount is a name and how often it occurs.
type NameCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// AddressLine names one address with its latest failure.
type AddressLine struct {
	Address    string `json:"address"`
	Reason     string `json:"reason"`
	Date       string `json:"date"`
	Diagnostic string `json:"diagnostic,omitempty"`
	Source     string `json:"source"`
}

// SoftLine is an address with soft bounces on several days.
type SoftLine struct {
	Address    string `json:"address"`
	Count      int    `json:"count"`
	Days       int    `json:"days"`
	LastReason string `json:"last_reason"`
	Last       string `json:"last"`
}

// Unreadable is a message that could not be read or parsed.
type Unreadable struct {
	Source string `json:"source"`
	Error  string `json:"error"`
}

// DigestFormats lists the formats WriteDigest accepts, the default first.
var DigestFormats = []string{"text", "html", "markdown", "json"}

// WriteDigest renders d as "text", "html", "markdown" or "json".
func WriteDigest(w io.Writer, d *Digest, format string) error {
	switch format {
	case "text":
		return writeDigestText(w, d, false)
	case "markdown", "md":
		return writeDigestText(w, d, true)
	case "html":
		return writeDigestHTML(w, d)
	case "json":
		return writeDigestJSON(w, d)
	}
	return fmt.Errorf("report: unknown digest format %q", format)
}
