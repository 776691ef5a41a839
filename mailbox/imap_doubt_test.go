package mailbox_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/mailbox"
)

// cutMove is a session whose first MOVE drops the client's connection
// before answering, after copying the messages when copyFirst is set (a
// server killed between the copy and the expunge of its MOVE).
type cutMove struct {
	imapserver.Session
	copyFirst bool
	once      *sync.Once
	kill      func()
}

func (s *cutMove) Move(w *imapserver.MoveWriter, set imap.NumSet, dest string) error {
	cut := false
	s.once.Do(func() { cut = true })
	if !cut {
		return s.Session.(imapserver.SessionMove).Move(w, set, dest)
	}
	if s.copyFirst {
		if _, err := s.Session.Copy(set, dest); err != nil {
			return err
		}
	}
	s.kill()
	return errors.New("cut")
}

// numbered returns a small message whose Message-ID is <n@doubt.test>.
func numbered(n int) []byte {
	return fmt.Appendf(nil, "From: MAILER-DAEMON@doubt.test\r\nTo: postmaster@doubt.test\r\n"+
		"Message-ID: <%d@doubt.test>\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\n"+
		"<u%d@doubt.test>: host mx.doubt.test said: 550 5.1.1 no such user\r\n", n, n)
}

// unnamed returns a small message without a Message-ID (as some MTAs send
// their bounces), with a Date field when dated is set.
func unnamed(n int, dated bool) []byte {
	date := ""
	if dated {
		date = fmt.Sprintf("Date: Tue, 24 Nov 2026 03:%02d:00 +0000\r\n", n)
	}
	return fmt.Appendf(nil, "From: MAILER-DAEMON@doubt.test\r\nTo: postmaster@doubt.test\r\n%s"+
		"Subject: failure notice\r\n\r\n"+
		"<u%d@doubt.test>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n", date, n)
}

// moveRun reads the mailbox of url (with --new unless opts selects
// otherwise) and moves every message to Done; opts gives the server's TLS
// and authentication, and may give a dialer.
func moveRun(t *testing.T, url string, opts mailbox.IMAPOptions, state mailbox.StateStore) (ids []string, log string, finishErr error) {
	t.Helper()
	u, err := mailbox.ParseIMAPURL(url)
	require.NoError(t, err)
	var logb bytes.Buffer
	opts.State, opts.Log = state, &logb
	if opts.Selection == (mailbox.IMAPSelection{}) {
		opts.Selection.New = true
	}
	opts.Actions = mailbox.IMAPActions{MoveTo: "Done"}
	src := mailbox.NewIMAPSource(u, opts)
	msgs, errs := readAll(t, src)
	require.Empty(t, errs)
	for _, m := range msgs {
		ids = append(ids, m.ID)
		src.Done(m.ID, mailbox.Outcome{Bounce: true})
	}
	finishErr = src.Finish(context.Background())
	src.Close()
	return ids, logb.String(), finishErr
}

// memCount returns the number of messages in a folder of the in-memory
// server.
func memCount(t *testing.T, url string, cfg *tls.Config, folder string) uint32 {
	u, _ := mailbox.ParseIMAPURL(url)
	c, err := mailbox.DialIMAP(context.Background(), u, &mailbox.IMAPOptions{TLSConfig: cfg, Auth: memAuth()}, nil)
	require.NoError(t, err)
	defer c.Close()
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	require.NoError(t, err)
	return *st.NumMessages
}

func TestIMAPMoveCutOff(t *testing.T) {
	for _, tc := range []struct {
		name              string
		copyFirst, unseen bool
	}{
		{"before the server moved", false, false},
		{"after the server copied", true, false},
		// A run that does not keep its progress (--unseen) still
		// remembers the moves in doubt.
		{"after the server copied, unseen only", true, true},
	} {
		copyFirst := tc.copyFirst
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var conns []net.Conn
			kill := func() {
				mu.Lock()
				defer mu.Unlock()
				for _, c := range conns {
					c.Close()
				}
			}
			once := &sync.Once{}
			url, cfg, user := memServerWith(t, memCaps, func(s imapserver.Session) imapserver.Session {
				return &cutMove{Session: s, copyFirst: copyFirst, once: once, kill: kill}
			})
			require.NoError(t, user.Create("Done", nil))
			var msgs [][]byte
			for i := 1; i <= 3; i++ {
				msgs = append(msgs, numbered(i))
			}
			msgs = append(msgs, unnamed(4, true), unnamed(5, false))
			memAppend(t, url, cfg, msgs...)
			opts := mailbox.IMAPOptions{Auth: memAuth(), TLSConfig: cfg,
				Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
					var d net.Dialer
					c, err := d.DialContext(ctx, network, addr)
					if err == nil {
						mu.Lock()
						conns = append(conns, c)
						mu.Unlock()
					}
					return c, err
				}}
			state := &mailbox.JSONStateStore{Path: filepath.Join(t.TempDir(), "state.json")}

			first := opts
			first.Selection.Unseen = tc.unseen
			ids1, _, err := moveRun(t, url, first, state)
			require.Error(t, err)
			require.Len(t, ids1, 5)
			u, _ := mailbox.ParseIMAPURL(url)
			st, ok, err := state.Load(u.Account(), "INBOX")
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, []mailbox.InDoubtMove{{Folder: "Done", UIDs: []uint32{1, 2, 3, 4, 5}}}, st.InDoubt)
			require.Zero(t, st.LastUID, "the messages are not done")

			ids2, log, err := moveRun(t, url, opts, state)
			require.NoError(t, err)
			if copyFirst {
				require.Empty(t, ids2, "they reached Done: not read again")
				require.Contains(t, log, "5 message(s) whose move to Done was cut off had reached it")
			} else {
				require.Equal(t, ids1, ids2, "read again, the move did not happen")
			}
			require.Len(t, memFlags(t, url, cfg), 0, "INBOX is empty")
			st, _, err = state.Load(u.Account(), "INBOX")
			require.NoError(t, err)
			require.Empty(t, st.InDoubt)
			require.EqualValues(t, 5, memCount(t, url, cfg, "Done"), "each message once in Done")
		})
	}
}
