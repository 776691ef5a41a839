package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/internal/dovecottest"
	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/report"
	"github.com/bouncer-mail/bouncer/store"
)

// Nightly digests of a real Dovecot mailbox holding bounces spread over
// several days: each run takes only what arrived since the one before (the
// history database keeps how far the mailbox was read), reports it problems
// first, and leaves the mailbox as it was.
func TestDigestFromIMAP(t *testing.T) {
	srv := dovecottest.Start(t)
	imapEnvForTest(t)
	db := t.TempDir() + "/history.db"
	url := srv.URL(true, "INBOX")
	day := 24 * time.Hour
	night1 := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	night2 := night1.Add(day)

	deliver := func(name string, at time.Time, mid string) {
		srv.Deliver(t, "INBOX", dated(t, name, at, mid), "", at)
	}
	// Three days before the first digest.
	deliver("dsn-postfix-two-recipients.eml", night1.Add(-50*time.Hour), "a1@mx") // alice unknown, bob full
	deliver("qmail-free-text.eml", night1.Add(-26*time.Hour), "a2@mx")            // blocked on a blocklist
	deliver("dsn-postfix-two-recipients.eml", night1.Add(-3*time.Hour), "a3@mx")  // again, a day later
	deliver("dsn-rate-limit.eml", night1.Add(-2*time.Hour), "a4@mx")              // a rate limit
	deliver("auto-reply.eml", night1.Add(-1*time.Hour), "a5@mx")
	deliver("not-a-bounce.eml", night1.Add(-1*time.Hour), "a6@mx")

	digest := func(now time.Time) *report.Digest {
		t.Helper()
		code, out, errs := runCmd(t, "", "digest", "--format", "json", "--db", db, "--now", now.Format(time.RFC3339),
			"--ca-file", srv.CAFile, url)
		require.Equal(t, exitOK, code, errs)
		var d report.Digest
		require.NoError(t, json.Unmarshal([]byte(out), &d), out)
		return &d
	}
	first := digest(night1)
	assert.Equal(t, report.DigestTotals{Messages: 6, Bounces: 4, Hard: 2, Soft: 4, AutoReplies: 1, NotBounces: 1}, first.Totals)
	require.Len(t, first.Blocks, 1, "the blocklisted host comes first among the sender's problems")
	assert.Equal(t, "blocked", first.Blocks[0].Reason)
	require.Len(t, first.RateLimits, 1)
	var hard []string
	for _, h := range first.NewHard {
		hard = append(hard, h.Address)
	}
	assert.Equal(t, []string{"alice@example.org"}, hard)
	require.Len(t, first.RepeatedSoft, 1, "bob's full mailbox, on two days")
	assert.Equal(t, "bob@example.net", first.RepeatedSoft[0].Address)
	assert.Equal(t, 2, first.RepeatedSoft[0].Days)

	// The next night: one new bounce arrived; the earlier ones are not
	// reported again.
	deliver("exim-free-text.eml", night2.Add(-5*time.Hour), "b1@mx")
	second := digest(night2)
	assert.Equal(t, report.DigestTotals{Messages: 1, Bounces: 1, Hard: 1}, second.Totals)
	assert.Empty(t, second.Blocks)
	hard = nil
	for _, h := range second.NewHard {
		hard = append(hard, h.Address)
	}
	assert.Equal(t, []string{"ivan@example.invalid"}, hard)

	// Nothing new: an empty digest.
	third := digest(night2.Add(time.Hour))
	assert.Equal(t, 0, third.Totals.Messages)

	assert.Equal(t, 7, srv.CountFiles(t, "INBOX"), "reading changed nothing in the mailbox")

	// The history holds how far the mailbox was read: up to the last UID.
	st, err := store.Open(db, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	u, err := mailbox.ParseIMAPURL(url)
	require.NoError(t, err)
	_, last, err := st.LoadIMAPState(stateKey(u.Account(), u.Mailbox))
	require.NoError(t, err)
	assert.Equal(t, uint32(7), last)

	// suppress lists the hard bounces (bob's two days of soft bounces are
	// under the default of three), and never the sender-side failures.
	code, out, errs := runCmd(t, "", "suppress", "--db", db, "--now", night2.Format(time.RFC3339))
	require.Equal(t, exitOK, code, errs)
	assert.Equal(t, []string{"alice@example.org", "ivan@example.invalid"}, strings.Fields(out))
}
