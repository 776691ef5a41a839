package report

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// textRecords has groups of 3 (userunknown), 2 (blocked), 2 (mailboxfull),
// 1 (vacation) and 1 (delivered), so ties and the place of the non-failures
// can be checked.
func textRecords() []*Record {
	var rs []*Record
	for i, addr := range []string{"a@example.com", "bob.longer.name@example.com", "c@example.com"} {
		rs = append(rs, &Record{
			Source: fmt.Sprintf("inbox.mbox#%d", i+1), Recipient: addr, Status: "5.1.1", ReplyCode: "550",
			Reason: "userunknown", HardBounce: true, Side: "sender",
			RecommendedAction: "check-recipient-address", ActionText: "Check the address.",
			Diagnostic: "550 5.1.1 user unknown",
		})
	}
	rs[0].Explain = &Explain{Rule: "userunknown-status", Origin: "builtin/status.rules:4", Field: "status", Matched: "5.1.1"}
	rs = append(rs,
		&Record{Source: "m#4", Recipient: "v@example.com", Reason: "vacation"},
		&Record{Source: "m#5", Recipient: "x@example.net", Status: "4.2.2", ReplyCode: "452", Reason: "mailboxfull", Side: "recipient",
			RecommendedAction: "check-quota", ActionText: "Ask the recipient to free space."},
		&Record{Source: "m#6", Recipient: "y@example.net", Status: "5.2.2", ReplyCode: "552", Reason: "mailboxfull", HardBounce: true, Side: "recipient"},
		&Record{Source: "m#7", Recipient: "z@example.org", Status: "5.7.1", ReplyCode: "554", Reason: "blocked", HardBounce: true, Side: "sender"},
		&Record{Source: "m#8", Recipient: "w@example.org", Status: "5.7.1", ReplyCode: "554", Reason: "blocked", HardBounce: true, Side: "sender"},
		&Record{Source: "m#9", Recipient: "d@example.com", Status: "2.0.0", Reason: "delivered"},
	)
	return rs
}

func textSummary() *Summary {
	return &Summary{Messages: 10, Bounces: 9, NotBounces: 1, Unreadable: 0, Recipients: 9,
		ByReason: map[string]int{"userunknown": 3, "blocked": 2, "mailboxfull": 2, "vacation": 1, "delivered": 1}}
}

// headings returns the group heading lines, the ones with " — ".
func headings(out string) []string {
	var hs []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " — ") {
			hs = append(hs, line)
		}
	}
	return hs
}

func TestTextSummary(t *testing.T) {
	out := write(t, "text", Options{}, textRecords(), textSummary())
	assert.True(t, strings.HasPrefix(out, `Summary
  Messages read  10
  Bounces         9
  Not bounces     1
  Unreadable      0
  Recipients      9
  Recipients by reason
    userunknown   3
    blocked       2
    mailboxfull   2
    delivered     1
    vacation      1
`), out)
	assert.NotContains(t, out, "no bounces found")
}

func TestTextGroupOrder(t *testing.T) {
	out := write(t, "text", Options{}, textRecords(), textSummary())
	assert.Equal(t, []string{
		"userunknown — 3 recipients, hard, sender's move",
		"blocked — 2 recipients, hard, sender's move",
		"mailboxfull — 2 recipients, mixed, recipient's move",
		"delivered — 1 recipient, not a failure",
		"vacation — 1 recipient, not a failure",
	}, headings(out))
}

func TestTextSoftAndMostCommon(t *testing.T) {
	rs := []*Record{
		{Recipient: "a@x", Reason: "expired", Side: "transient", RecommendedAction: "retry-later", ActionText: "Retry later."},
		{Recipient: "b@x", Reason: "expired", Side: "transient", RecommendedAction: "retry-later", ActionText: "Retry later."},
		{Recipient: "c@x", Reason: "expired", Side: "sender", RecommendedAction: "check-dns", ActionText: "Check DNS."},
	}
	out := write(t, "text", Options{}, rs, nil)
	assert.Equal(t, []string{"expired — 3 recipients, soft, transient, retry later"}, headings(out))
	assert.Contains(t, out, "\n  What to do: Retry later. [retry-later]\n")
	assert.NotContains(t, out, "check-dns")
}

func TestTextTableAlignedAndCut(t *testing.T) {
	rs := textRecords()
	rs[1].Diagnostic = "550-5.1.1 The email account that you tried to reach does not exist.\n550-5.1.1 Please try\t double-checking the recipient's email address for typos or unnecessary spaces."
	out := write(t, "text", Options{Width: 90}, rs, textSummary())
	lines := strings.Split(out, "\n")

	var table []string
	for i, line := range lines {
		if strings.HasPrefix(line, "  RECIPIENT") {
			for _, l := range lines[i:] {
				if l == "" {
					break
				}
				table = append(table, l)
			}
			break
		}
	}
	require.Len(t, table, 5, "header, 3 rows and one explain line:\n%s", out)
	header := table[0]
	rows := []string{table[1], table[3], table[4]}

	// Every column starts at the same place on every row.
	for _, col := range []string{"STATUS", "CODE", "DIAGNOSTIC", "SOURCE"} {
		at := utf8.RuneCountInString(header[:strings.Index(header, col)])
		for _, row := range rows {
			rr := []rune(row)
			require.Greater(t, len(rr), at, row)
			assert.NotEqual(t, ' ', rr[at], "column %s in %q", col, row)
			assert.Equal(t, ' ', rr[at-1], "column %s in %q", col, row)
		}
	}
	assert.Contains(t, table[1], "  a@example.com ")
	assert.Contains(t, table[1], " 5.1.1 ")
	assert.Contains(t, table[1], " 550 ")
	assert.True(t, strings.HasSuffix(table[1], "inbox.mbox#1"))

	// The long diagnostic is on one line, whitespace collapsed, cut with "…",
	// and the row fits the width.
	long := table[3]
	assert.Contains(t, long, "550-5.1.1 The email account")
	assert.Contains(t, long, "…")
	assert.NotContains(t, long, "  Please")
	assert.True(t, strings.HasSuffix(long, "inbox.mbox#2"), long)
	assert.LessOrEqual(t, utf8.RuneCountInString(long), 90, long)
	assert.NotContains(t, table[1], "…", "a short diagnostic is left whole")
}

func TestTextExplainLine(t *testing.T) {
	out := write(t, "text", Options{}, textRecords(), textSummary())
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "  a@example.com") {
			assert.Equal(t, `      decided by userunknown-status (builtin/status.rules:4): status matched "5.1.1"`, lines[i+1])
			return
		}
	}
	t.Fatalf("no row for a@example.com in\n%s", out)
}

func TestTextActionWrapped(t *testing.T) {
	rs := []*Record{{Recipient: "a@x", Reason: "blocked", HardBounce: true, Side: "sender",
		RecommendedAction: "check-blocklist",
		ActionText:        strings.Repeat("Look up the sending IP on the blocklists named in the diagnostic. ", 3)}}
	out := write(t, "text", Options{Width: 50}, rs, nil)
	// The action is the lines between the heading and the table.
	_, after, ok := strings.Cut(out, "sender's move\n")
	require.True(t, ok, out)
	block, _, ok := strings.Cut(after, "  RECIPIENT")
	require.True(t, ok, out)
	action := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	require.Greater(t, len(action), 2, out)
	for _, line := range action {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 50, line)
	}
	assert.True(t, strings.HasPrefix(action[0], "  What to do: Look up"))
	assert.True(t, strings.HasSuffix(action[len(action)-1], "[check-blocklist]"))
}

func TestTextFrench(t *testing.T) {
	out := write(t, "text", Options{Lang: "fr"}, textRecords(), textSummary())
	for _, want := range []string{"Résumé\n", "  Messages lus ", "  Rebonds ", "  Destinataires par raison\n",
		"userunknown — 3 destinataires, définitif, à l'expéditeur d'agir",
		"mailboxfull — 2 destinataires, mixte, au destinataire d'agir",
		"vacation — 1 destinataire, pas un échec",
		"  Que faire : Check the address. [check-recipient-address]",
		"  DESTINATAIRE ", " STATUT ",
		`décidé par userunknown-status (builtin/status.rules:4) : status correspond à "5.1.1"`,
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "Messages read")
	assert.NotContains(t, out, "recipients")

	// A locale-style tag is French too.
	assert.Contains(t, write(t, "text", Options{Lang: "fr_FR.UTF-8"}, nil, nil), "aucun rebond trouvé")
}

func TestTextColor(t *testing.T) {
	plain := write(t, "text", Options{}, textRecords(), textSummary())
	assert.NotContains(t, plain, "\x1b[")

	colored := write(t, "text", Options{Color: true}, textRecords(), textSummary())
	assert.Contains(t, colored, "\x1b[1muserunknown\x1b[0m — 3 recipients, \x1b[31mhard\x1b[0m,")
	assert.Contains(t, colored, "\x1b[1mSummary\x1b[0m")

	soft := write(t, "text", Options{Color: true}, []*Record{{Recipient: "a@x", Reason: "expired"}}, nil)
	assert.Contains(t, soft, "\x1b[33msoft\x1b[0m")

	// The table rows carry no colour, so the columns stay aligned.
	for _, line := range strings.Split(colored, "\n") {
		if strings.HasPrefix(line, "  ") {
			assert.NotContains(t, line, "\x1b[", line)
		}
	}
}

func TestTextNoEscapesFromMessages(t *testing.T) {
	rs := []*Record{{Recipient: "a@x\x1b[2J", Reason: "userunknown", Diagnostic: "bad\x1b]0;title\x07 text", Source: "s\tt"}}
	out := write(t, "text", Options{}, rs, nil)
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\x07")
	assert.NotContains(t, out, "\t")
}

func TestTextEmpty(t *testing.T) {
	out := write(t, "text", Options{}, nil, nil)
	assert.Equal(t, `Summary
  Messages read  0
  Bounces        0
  Not bounces    0
  Unreadable     0
  Recipients     0

no bounces found
`, out)
	fr := write(t, "text", Options{Lang: "fr"}, nil, &Summary{Messages: 2, NotBounces: 2})
	assert.Contains(t, fr, "  Messages lus     2\n")
	assert.True(t, strings.HasSuffix(fr, "\naucun rebond trouvé\n"), fr)
}

func TestTextSummaryAutoRepliesAndComplaints(t *testing.T) {
	s := &Summary{Messages: 6, Bounces: 1, DeliveryReports: 1, AutoReplies: 2, Complaints: 1, FeedbackReports: 1, Recipients: 6,
		ByReason: map[string]int{"userunknown": 1, "vacation": 3, "feedback": 2}}
	out := write(t, "text", Options{}, nil, s)
	assert.Regexp(t, `(?m)^  Auto-replies +2$`, out)
	assert.Regexp(t, `(?m)^  Complaints +1$`, out)
	assert.Regexp(t, `(?m)^  Other feedback reports +1$`, out)
	assert.Regexp(t, `(?m)^  Delivery reports +1$`, out)
	assert.Regexp(t, `(?m)^  Recipients by reason$\n^    vacation +3$`, out)
	// none of either: the lines are left out
	out = write(t, "text", Options{}, nil, &Summary{Messages: 1, Bounces: 1, Recipients: 1, ByReason: map[string]int{"userunknown": 1}})
	assert.NotContains(t, out, "Auto-replies")
	assert.NotContains(t, out, "Complaints")
	assert.NotContains(t, out, "feedback reports")
	assert.NotContains(t, out, "Delivery reports")
}

// A rule's label shows under its group's heading.
func TestTextShowsLabel(t *testing.T) {
	recs := []*Record{
		{Recipient: "a@example.org", Reason: "speeding", Label: "runbook-12", RecommendedAction: "respect-rate-limit"},
		{Recipient: "b@example.org", Reason: "speeding", Label: "runbook-12"},
		{Recipient: "c@example.org", Reason: "userunknown"},
	}
	out := write(t, "text", Options{}, recs, nil)
	assert.Regexp(t, `(?m)^speeding .*\n(.*\n)?  Label: runbook-12$`, out)
	assert.Equal(t, 1, strings.Count(out, "Label:"), "only the group with labels says one")
	out = write(t, "text", Options{Lang: "fr"}, recs, nil)
	assert.Contains(t, out, "  Étiquette : runbook-12")
}

func TestIsComplaint(t *testing.T) {
	for ft, want := range map[string]bool{"abuse": true, "Fraud": true, "virus": true, "": true,
		"auth-failure": false, "not-spam": false, "other": false, "opt-out": false} {
		assert.Equal(t, want, IsComplaint(ft), ft)
	}
}
