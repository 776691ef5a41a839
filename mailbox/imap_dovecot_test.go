package mailbox_test

import (
	"io"
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
