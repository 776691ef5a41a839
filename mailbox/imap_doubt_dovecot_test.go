package mailbox_test

import (
	"bytes"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/internal/dovecottest"
	"github.com/bouncer-mail/bouncer/mailbox"
)

// messageIDsIn lists the Message-IDs of a folder, sorted, duplicates kept.
func messageIDsIn(t *testing.T, srv *dovecottest.Server, folder string) []string {
	t.Helper()
	c, err := imapclient.DialTLS("localhost:"+itoa(srv.IMAPSPort), &imapclient.Options{TLSConfig: srv.TLSConfig})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(dovecottest.User, dovecottest.Password).Wait())
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	require.NoError(t, err)
	if sel.NumMessages == 0 {
		return nil
	}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Envelope: true}).Collect()
	require.NoError(t, err)
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.Envelope.MessageID)
	}
	sort.Strings(ids)
	return ids
}

// account is the state key of the server's INBOX.
func account(t *testing.T, srv *dovecottest.Server) string {
	u, err := mailbox.ParseIMAPURL(srv.URL(true, "INBOX"))
	require.NoError(t, err)
	return u.Account()
}

// A server killed between the copy and the expunge of its MOVE leaves the
// messages in both folders: the next run removes them from INBOX without
// reading or copying them again, and moves the rest. A message without a
// Message-ID is recognised by its content; a look-alike (same Message-ID
// and size, other content) is not taken for a copy.
func TestDovecotMoveCutAfterTheCopy(t *testing.T) {
	srv := dovecottest.Start(t)
	for i := 1; i <= 3; i++ {
		srv.Deliver(t, "INBOX", numbered(i), "", time.Time{})
	}
	srv.Deliver(t, "INBOX", unnamed(4, false), "", time.Time{})
	srv.Deliver(t, "INBOX", numbered(5), "", time.Time{})
	lookAlike := bytes.Replace(numbered(3), []byte("550 5.1.1"), []byte("550 5.1.2"), 1)
	// What the cut-off run left: messages 1, 2 and 4 copied but still in
	// INBOX, and 3 not copied (its move was in doubt too), but Done has a
	// message that looks like it.
	c, err := imapclient.DialTLS("localhost:"+itoa(srv.IMAPSPort), &imapclient.Options{TLSConfig: srv.TLSConfig})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(dovecottest.User, dovecottest.Password).Wait())
	require.NoError(t, c.Create("Done", nil).Wait())
	sel, err := c.Select("INBOX", nil).Wait()
	require.NoError(t, err)
	_, err = c.Copy(imap.UIDSetNum(1, 2, 4), "Done").Wait()
	require.NoError(t, err)
	ac := c.Append("Done", int64(len(lookAlike)), nil)
	_, err = ac.Write(lookAlike)
	require.NoError(t, err)
	require.NoError(t, ac.Close())
	_, err = ac.Wait()
	require.NoError(t, err)
	require.NoError(t, c.Logout().Wait())

	state := &mailbox.JSONStateStore{Path: filepath.Join(t.TempDir(), "state.json")}
	require.NoError(t, state.Save(account(t, srv), "INBOX", mailbox.IMAPState{
		UIDValidity: sel.UIDValidity,
		InDoubt:     []mailbox.InDoubtMove{{Folder: "Done", UIDs: []uint32{1, 2, 3, 4}}},
	}))

	dovecot := mailbox.IMAPOptions{Auth: passwordAuth(), TLSConfig: srv.TLSConfig}
	ids, log, err := moveRun(t, srv.URL(true, "INBOX"), dovecot, state)
	require.NoError(t, err)
	require.Len(t, ids, 2, "messages 1, 2 and 4 are not read again: %v", ids)
	require.Contains(t, log, "3 message(s) whose move to Done was cut off had reached it")
	require.Equal(t, 0, srv.CountFiles(t, "INBOX"))
	// 4 has no Message-ID; 3 is there twice, itself and its look-alike.
	want := []string{"", "1@doubt.test", "2@doubt.test", "3@doubt.test", "3@doubt.test", "5@doubt.test"}
	require.Equal(t, want, messageIDsIn(t, srv, "Done"), "each message once")
	st, _, err := state.Load(account(t, srv), "INBOX")
	require.NoError(t, err)
	require.Empty(t, st.InDoubt)
}
