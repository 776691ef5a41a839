package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/internal/dovecottest"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWatchPicksUpNewMailAndReconnects(t *testing.T) {
	srv := dovecottest.Start(t)
	imapEnvForTest(t)
	n := deliverSamples(t, srv, "INBOX")
	old := watchBackoffMin
	watchBackoffMin = 50 * time.Millisecond
	defer func() { watchBackoffMin = old }()

	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int)
	go func() {
		done <- watch(ctx, []string{"--ca-file", srv.CAFile, "--move-to", "Done", srv.URL(true, "INBOX")}, strings.NewReader(""), &out, &errb)
	}()
	// What is there first.
	waitFor(t, "the first pass", func() bool {
		ids := len(sourceIDs(t, out.String()))
		return ids > 0 && srv.CountFiles(t, "INBOX") == n-ids && srv.CountFiles(t, "Done") == ids
	})
	first := len(sourceIDs(t, out.String()))

	// A message appended while it idles.
	b, err := os.ReadFile("../../testdata/dsn-rate-limit.eml")
	require.NoError(t, err)
	c := client(t, srv)
	app := c.Append("INBOX", int64(len(b)), nil)
	_, err = app.Write(b)
	require.NoError(t, err)
	require.NoError(t, app.Close())
	_, err = app.Wait()
	require.NoError(t, err)
	waitFor(t, "the appended message", func() bool { return len(sourceIDs(t, out.String())) == first+1 })
	// Its move is done after its record is written: wait for it, so that the
	// cut below comes while the watcher idles, not in the middle of a MOVE
	// (a server killed between the copy and the expunge of its MOVE leaves
	// the message in both folders: see the MoveCut tests of package mailbox).
	waitFor(t, "the appended message's move", func() bool { return srv.CountFiles(t, "Done") == first+1 })

	// The connection drops: the watcher connects again and goes on.
	require.NotContains(t, errb.String(), "connecting again")
	require.Positive(t, srv.KillSessions(t))
	waitFor(t, "the reconnection", func() bool { return strings.Contains(errb.String(), "connecting again") })
	b2, err := os.ReadFile("../../testdata/exim-free-text.eml")
	require.NoError(t, err)
	srv.Deliver(t, "INBOX", b2, "", time.Time{})
	waitFor(t, "the message delivered after the reconnection", func() bool { return len(sourceIDs(t, out.String())) == first+2 })

	cancel()
	require.Equal(t, exitOK, <-done)
	require.Equal(t, first+2, srv.CountFiles(t, "Done"))
	require.NotContains(t, out.String()+errb.String(), dovecottest.Password)
}
