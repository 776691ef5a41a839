package mailbox_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/mailbox"
)

func TestParseIMAPURL(t *testing.T) {
	for _, tc := range []struct {
		in, user, host, mbox, account, id string
		port                              int
		implicit                          bool
	}{
		{"imaps://postmaster@example.com@ssl0.ovh.net/INBOX", "postmaster@example.com", "ssl0.ovh.net", "INBOX", "postmaster@example.com@ssl0.ovh.net",
			"imap://postmaster%40example.com@ssl0.ovh.net/INBOX;UIDVALIDITY=7;UID=42", 993, true},
		{"imap://user%40example.com@mail.example.com:1143/Bounces/2024", "user@example.com", "mail.example.com", "Bounces/2024", "user@example.com@mail.example.com:1143",
			"imap://user%40example.com@mail.example.com:1143/Bounces/2024;UIDVALIDITY=7;UID=42", 1143, false},
		{"imaps://bob@host", "bob", "host", "INBOX", "bob@host", "imap://bob@host/INBOX;UIDVALIDITY=7;UID=42", 993, true},
		{"IMAPS://bob@[::1]:9993/R%C3%A9ponses", "bob", "::1", "Réponses", "bob@::1:9993", "imap://bob@[::1]:9993/R%C3%A9ponses;UIDVALIDITY=7;UID=42", 9993, true},
	} {
		u, err := mailbox.ParseIMAPURL(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.user, u.User)
		require.Equal(t, tc.host, u.Host)
		require.Equal(t, tc.port, u.Port)
		require.Equal(t, tc.mbox, u.Mailbox)
		require.Equal(t, tc.implicit, u.ImplicitTLS)
		require.Equal(t, tc.account, u.Account())
		id := u.MessageID(7, 42)
		require.Equal(t, tc.id, id)
		v, uid, err := mailbox.ParseMessageUID(id)
		require.NoError(t, err)
		require.Equal(t, uint32(7), v)
		require.Equal(t, uint32(42), uid)
		back, err := mailbox.ParseIMAPURL(u.String())
		require.NoError(t, err)
		require.Equal(t, u, back)
	}
	for _, bad := range []string{"imaps://host/INBOX", "imaps://bob:pw@host/INBOX", "http://bob@host/", "imaps://bob@host:0/"} {
		_, err := mailbox.ParseIMAPURL(bad)
		require.Error(t, err, bad)
		require.True(t, strings.HasPrefix(err.Error(), "mailbox: imap URL"), err.Error())
		require.NotContains(t, err.Error(), ":pw@")
	}
	require.True(t, mailbox.IsIMAPURL("imaps://x@y/"))
	require.False(t, mailbox.IsIMAPURL("./imaps/x"))
}

func TestJSONStateStore(t *testing.T) {
	s := &mailbox.JSONStateStore{Path: t.TempDir() + "/sub/state.json"}
	_, ok, err := s.Load("a@h", "INBOX")
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, s.Save("a@h", "INBOX", mailbox.IMAPState{UIDValidity: 3, LastUID: 9}))
	require.NoError(t, s.Save("a@h", "Other", mailbox.IMAPState{UIDValidity: 4, LastUID: 1}))
	st, ok, err := s.Load("a@h", "INBOX")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, uint32(9), st.LastUID)
}

// memServer serves go-imap's in-memory server over TLS; it returns the
// mailbox URL and the client TLS config.
func memServer(t *testing.T, caps imap.CapSet) (string, *tls.Config, *imapmemserver.User) {
	return memServerWith(t, caps, nil)
}

// memServerWith is memServer with each session passed through wrap, when
// not nil, to give it more abilities.
func memServerWith(t *testing.T, caps imap.CapSet, wrap func(imapserver.Session) imapserver.Session) (string, *tls.Config, *imapmemserver.User) {
	hs := httptest.NewUnstartedServer(nil)
	hs.StartTLS() // only for its certificate (127.0.0.1)
	cert := hs.TLS.Certificates[0]
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	hs.Close()

	mem := imapmemserver.New()
	user := imapmemserver.NewUser("bob@example.com", "pw")
	require.NoError(t, user.Create("INBOX", nil))
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			if wrap != nil {
				return wrap(mem.NewSession()), nil, nil
			}
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       nopLogger{},
	})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	return "imaps://bob%40example.com@127.0.0.1:" + strconv.Itoa(port) + "/INBOX", &tls.Config{RootCAs: pool}, user
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

func memAppend(t *testing.T, url string, cfg *tls.Config, msgs ...[]byte) {
	u, err := mailbox.ParseIMAPURL(url)
	require.NoError(t, err)
	c, err := mailbox.DialIMAP(context.Background(), u, &mailbox.IMAPOptions{TLSConfig: cfg, Auth: memAuth()}, nil)
	require.NoError(t, err)
	defer c.Close()
	for _, m := range msgs {
		app := c.Append("INBOX", int64(len(m)), nil)
		_, err := app.Write(m)
		require.NoError(t, err)
		require.NoError(t, app.Close())
		_, err = app.Wait()
		require.NoError(t, err)
	}
}

func memAuth() mailbox.IMAPAuth {
	return mailbox.IMAPAuth{Password: func() (string, error) { return "pw", nil }}
}

func memFlags(t *testing.T, url string, cfg *tls.Config) map[imap.UID]string {
	u, _ := mailbox.ParseIMAPURL(url)
	c, err := mailbox.DialIMAP(context.Background(), u, &mailbox.IMAPOptions{TLSConfig: cfg, Auth: memAuth()}, nil)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	require.NoError(t, err)
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	require.NoError(t, err)
	out := map[imap.UID]string{}
	for _, m := range msgs {
		var fl []string
		for _, f := range m.Flags {
			fl = append(fl, string(f))
		}
		out[m.UID] = strings.Join(fl, " ")
	}
	return out
}

var memCaps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapMove: {}, imap.CapESearch: {}}

func TestIMAPSourceMemServer(t *testing.T) {
	url, cfg, _ := memServer(t, memCaps)
	smp := samples(t)
	var all [][]byte
	for _, d := range smp {
		all = append(all, d)
	}
	memAppend(t, url, cfg, all...)
	before := memFlags(t, url, cfg)

	u, err := mailbox.ParseIMAPURL(url)
	require.NoError(t, err)
	// Read-only: EXAMINE and BODY.PEEK leave the flags alone.
	src := mailbox.NewIMAPSource(u, mailbox.IMAPOptions{Auth: memAuth(), TLSConfig: cfg, BatchSize: 4})
	msgs, errs := readAll(t, src)
	require.Empty(t, errs)
	require.Len(t, msgs, len(all))
	for i, m := range msgs {
		require.True(t, strings.HasSuffix(m.ID, ";UID="+strconv.Itoa(i+1)), m.ID)
		src.Done(m.ID, mailbox.Outcome{Bounce: true})
	}
	require.NoError(t, src.Finish(context.Background()))
	require.NoError(t, src.Close())
	require.Equal(t, before, memFlags(t, url, cfg))

	// A dry run changes nothing and says what it would do.
	var log strings.Builder
	src = mailbox.NewIMAPSource(u, mailbox.IMAPOptions{Auth: memAuth(), TLSConfig: cfg, Log: &log,
		Actions: mailbox.IMAPActions{Flags: []string{"$BounceHard"}, MoveTo: "Done", DryRun: true}})
	msgs, _ = readAll(t, src)
	for _, m := range msgs {
		src.Done(m.ID, mailbox.Outcome{Bounce: true})
	}
	require.NoError(t, src.Finish(context.Background()))
	src.Close()
	require.Contains(t, log.String(), "dry run: would move")
	require.Contains(t, log.String(), "dry run: would add $BounceHard")
	require.Equal(t, before, memFlags(t, url, cfg))

	// Flags are added to the bounces only, after Finish.
	src = mailbox.NewIMAPSource(u, mailbox.IMAPOptions{Auth: memAuth(), TLSConfig: cfg,
		Actions: mailbox.IMAPActions{Flags: []string{"$BounceHard"}, MarkSeen: true}})
	msgs, _ = readAll(t, src)
	for i, m := range msgs {
		src.Done(m.ID, mailbox.Outcome{Bounce: i%2 == 0})
	}
	require.Equal(t, before, memFlags(t, url, cfg), "nothing is done before Finish")
	require.NoError(t, src.Finish(context.Background()))
	src.Close()
	after := memFlags(t, url, cfg)
	for uid, fl := range after {
		if uid%2 == 1 {
			require.Contains(t, fl, `\Seen`)
			require.Contains(t, strings.ToLower(fl), "$bouncehard") // the memory server lower-cases keywords
		} else {
			require.Equal(t, before[uid], fl)
		}
	}
}

func TestIMAPSourceUnseenAndSince(t *testing.T) {
	url, cfg, _ := memServer(t, memCaps)
	memAppend(t, url, cfg, []byte("Subject: a\r\n\r\na\r\n"), []byte("Subject: b\r\n\r\nb\r\n"))
	u, _ := mailbox.ParseIMAPURL(url)
	src := mailbox.NewIMAPSource(u, mailbox.IMAPOptions{Auth: memAuth(), TLSConfig: cfg, Actions: mailbox.IMAPActions{MarkSeen: true}})
	m, err := src.Next()
	require.NoError(t, err)
	src.Done(m.ID, mailbox.Outcome{Bounce: true})
	require.NoError(t, src.Finish(context.Background())) // only the first is done: only it is marked
	src.Close()

	src = mailbox.NewIMAPSource(u, mailbox.IMAPOptions{Auth: memAuth(), TLSConfig: cfg, Selection: mailbox.IMAPSelection{Unseen: true}})
	msgs, _ := readAll(t, src)
	require.Len(t, msgs, 1)
	require.True(t, strings.HasSuffix(msgs[0].ID, ";UID=2"))
	src.Close()

	src = mailbox.NewIMAPSource(u, mailbox.IMAPOptions{Auth: memAuth(), TLSConfig: cfg, Selection: mailbox.IMAPSelection{Since: time.Now().Add(48 * time.Hour)}})
	msgs, _ = readAll(t, src)
	require.Empty(t, msgs)
	src.Close()
}

// Without MOVE nor UIDPLUS, a move is refused before anything is done.
func TestIMAPSourceRefusesMoveWithoutUIDPLUS(t *testing.T) {
	url, cfg, _ := memServer(t, imap.CapSet{imap.CapIMAP4rev1: {}})
	memAppend(t, url, cfg, []byte("Subject: a\r\n\r\na\r\n"))
	u, _ := mailbox.ParseIMAPURL(url)
	src := mailbox.NewIMAPSource(u, mailbox.IMAPOptions{Auth: memAuth(), TLSConfig: cfg, Actions: mailbox.IMAPActions{MoveTo: "Done"}})
	msgs, _ := readAll(t, src)
	require.Len(t, msgs, 1)
	src.Done(msgs[0].ID, mailbox.Outcome{Bounce: true})
	err := src.Finish(context.Background())
	require.ErrorIs(t, err, mailbox.ErrNoUIDPLUS)
	require.True(t, strings.HasPrefix(err.Error(), "mailbox: imap "), err.Error())
	src.Close()
	require.Len(t, memFlags(t, url, cfg), 1)
}
