package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/internal/dovecottest"
	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/report"
	"github.com/bouncer-mail/bouncer/store"
)

// Two digests of a real Dovecot mailbox: the second takes only what arrived
// in between (the history database keeps how far the mailbox was read), and
// the mailbox itself is left as it was.
func TestDigestFromIMAP(t *testing.T) {
	srv := dovecottest.Start(t)
	imapEnvForTest(t)
	n := deliverSamples(t, srv, "INBOX")
	db := filepath.Join(t.TempDir(), "history.db")
	url := srv.URL(true, "INBOX")
	now := time.Now().UTC().Format(time.RFC3339)

	digest := func() *report.Digest {
		code, out, errs := runCmd(t, "", "digest", "--format", "json", "--db", db, "--now", now, "--ca-file", srv.CAFile, url)
		require.Equal(t, exitOK, code, errs)
		var d report.Digest
		require.NoError(t, json.Unmarshal([]byte(out), &d), out)
		return &d
	}
	first := digest()
	assert.Equal(t, n, first.Totals.Messages)
	assert.Greater(t, first.Totals.Bounces, 0)

	data, err := os.ReadFile("../../testdata/dsn-rate-limit.eml")
	require.NoError(t, err)
	// A new bounce (its own Message-ID: the same bytes again would be the
	// same bounce, stored once).
	srv.Deliver(t, "INBOX", append([]byte("Message-ID: <later-1@out.example.com>\n"), data...), "", time.Time{})
	second := digest()
	assert.Equal(t, 1, second.Totals.Messages, "only the message that arrived since the first digest")
	assert.Equal(t, 1, second.Totals.Bounces)

	assert.Equal(t, n+1, srv.CountFiles(t, "INBOX"), "reading changed nothing in the mailbox")

	// The history holds how far the mailbox was read: up to the last UID.
	st, err := store.Open(db, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	u, err := mailbox.ParseIMAPURL(url)
	require.NoError(t, err)
	_, last, err := st.LoadIMAPState(stateKey(u.Account(), u.Mailbox))
	require.NoError(t, err)
	assert.Equal(t, uint32(n+1), last)
}
