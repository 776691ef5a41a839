package mailbox_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/internal/dovecottest"
	"github.com/bouncer-mail/bouncer/mailbox"
)

// samples returns the project's testdata/*.eml.
func samples(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("../testdata/*.eml")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		out[filepath.Base(p)] = b
	}
	return out
}

func passwordAuth() mailbox.IMAPAuth {
	return mailbox.IMAPAuth{Password: func() (string, error) { return dovecottest.Password, nil }}
}

func readAll(t testing.TB, src *mailbox.IMAPSource) ([]*mailbox.Message, []error) {
	t.Helper()
	var msgs []*mailbox.Message
	var errs []error
	for {
		m, err := src.Next()
		if err == io.EOF {
			return msgs, errs
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		msgs = append(msgs, m)
	}
}

func TestDovecotReadImplicitTLSAndStartTLS(t *testing.T) {
	srv := dovecottest.Start(t)
	smp := samples(t)
	for _, data := range smp {
		srv.Deliver(t, "INBOX", data, "", time.Time{})
	}
	for _, implicit := range []bool{true, false} {
		u, err := mailbox.ParseIMAPURL(srv.URL(implicit, "INBOX"))
		require.NoError(t, err)
		src := mailbox.NewIMAPSource(u, mailbox.IMAPOptions{Auth: passwordAuth(), TLSConfig: srv.TLSConfig, BatchSize: 3})
		msgs, errs := readAll(t, src)
		require.Empty(t, errs, srv.Log())
		require.Len(t, msgs, len(smp))
		for i, m := range msgs {
			require.True(t, strings.HasPrefix(m.ID, "imap://postmaster%40example.com@localhost:"), m.ID)
			require.Contains(t, m.ID, "/INBOX;UIDVALIDITY=")
			require.True(t, strings.HasSuffix(m.ID, ";UID="+itoa(i+1)), m.ID)
			require.Equal(t, m.Path+";UID="+itoa(i+1), m.ID)
			require.NotContains(t, m.ID, dovecottest.Password)
		}
		require.NoError(t, src.Close())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// cutConn closes the connection once the client has read limit bytes.
type cutConn struct {
	net.Conn
	left int
}

func (c *cutConn) Read(b []byte) (int, error) {
	if c.left <= 0 {
		c.Conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	if len(b) > c.left {
		b = b[:c.left]
	}
	n, err := c.Conn.Read(b)
	c.left -= n
	return n, err
}

// runOnce reads the mailbox like the command does: every message's outcome
// is told, then Finish applies the actions and saves the state.
func runOnce(t *testing.T, srv *dovecottest.Server, state mailbox.StateStore, cutAfter int) (ids []string, readErrs []error, finishErr error) {
	u, err := mailbox.ParseIMAPURL(srv.URL(true, "INBOX"))
	require.NoError(t, err)
	opts := mailbox.IMAPOptions{
		Auth: passwordAuth(), TLSConfig: srv.TLSConfig, BatchSize: 7, State: state,
		Selection: mailbox.IMAPSelection{New: true},
		Actions:   mailbox.IMAPActions{MoveTo: "Done", Flags: []string{"$Bounce"}},
	}
	if cutAfter > 0 {
		first := true
		opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err == nil && first {
				first = false
				return &cutConn{Conn: c, left: cutAfter}, nil
			}
			return c, err
		}
	}
	src := mailbox.NewIMAPSource(u, opts)
	msgs, errs := readAll(t, src)
	for _, m := range msgs {
		ids = append(ids, m.ID)
		src.Done(m.ID, mailbox.Outcome{Bounce: true})
	}
	finishErr = src.Finish(context.Background())
	src.Close()
	return ids, errs, finishErr
}

// The connection drops in the middle of a fetch: what was read is acted on,
// the next run takes the rest, nothing is lost or done twice.
func TestDovecotConnectionCutMidFetch(t *testing.T) {
	srv := dovecottest.Start(t)
	var total int
	for i := 0; i < 3; i++ {
		for _, data := range samples(t) {
			srv.Deliver(t, "INBOX", data, "", time.Time{})
			total++
		}
	}
	state := &mailbox.JSONStateStore{Path: filepath.Join(t.TempDir(), "state.json")}
	ids1, errs, err := runOnce(t, srv, state, 12000)
	require.NoError(t, err)
	require.Len(t, errs, 1, "the cut is reported once")
	require.Contains(t, errs[0].Error(), "UID FETCH")
	require.NotEmpty(t, ids1)
	require.Less(t, len(ids1), total)
	require.Equal(t, len(ids1), srv.CountFiles(t, "Done"))

	ids2, errs, err := runOnce(t, srv, state, 0)
	require.NoError(t, err)
	require.Empty(t, errs)
	require.Equal(t, total, len(ids1)+len(ids2))
	seen := map[string]bool{}
	for _, id := range append(ids1, ids2...) {
		require.False(t, seen[id], "read twice: %s", id)
		seen[id] = true
	}
	require.Equal(t, total, srv.CountFiles(t, "Done"))
	require.Equal(t, 0, srv.CountFiles(t, "INBOX"))

	ids3, errs, err := runOnce(t, srv, state, 0)
	require.NoError(t, err)
	require.Empty(t, errs)
	require.Empty(t, ids3)
}
