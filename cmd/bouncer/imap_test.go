package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"

	"github.com/bouncer-mail/bouncer/internal/dovecottest"
)

// imapEnvForTest sets the password and a private state folder.
func imapEnvForTest(t *testing.T) {
	t.Setenv(passwordEnv, dovecottest.Password)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
}

// deliverSamples puts the project's testdata/*.eml into a mailbox and
// returns how many.
func deliverSamples(t *testing.T, srv *dovecottest.Server, mailbox string) int {
	paths, err := filepath.Glob("../../testdata/*.eml")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	n := 0
	for _, p := range paths {
		if strings.Contains(p, "broken") {
			continue // not a mail message: its error would change the exit code
		}
		n++
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		srv.Deliver(t, mailbox, b, "", time.Time{})
	}
	return n
}

// sourceIDs returns the distinct source_id of NDJSON output, in order.
func sourceIDs(t *testing.T, ndjson string) []string {
	var ids []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(ndjson))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			SourceID string `json:"source_id"`
			Source   string `json:"source"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
		if !seen[rec.SourceID] {
			seen[rec.SourceID] = true
			ids = append(ids, rec.SourceID)
		}
	}
	return ids
}

// client logs in with a plain go-imap client, to look at the server.
func client(t *testing.T, srv *dovecottest.Server) *imapclient.Client {
	c, err := imapclient.DialTLS("localhost:"+itoa(srv.IMAPSPort), &imapclient.Options{TLSConfig: srv.TLSConfig})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Login(dovecottest.User, dovecottest.Password).Wait())
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

// snapshot describes every mailbox: name, then UID and flags of each message.
func snapshot(t *testing.T, srv *dovecottest.Server) string {
	c := client(t, srv)
	list, err := c.List("", "*", nil).Collect()
	require.NoError(t, err)
	var names []string
	for _, l := range list {
		usable := true
		for _, a := range l.Attrs {
			usable = usable && a != imap.MailboxAttrNoSelect && a != imap.MailboxAttrNonExistent
		}
		if usable {
			names = append(names, l.Mailbox)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		sel, err := c.Select(n, &imap.SelectOptions{ReadOnly: true}).Wait()
		require.NoError(t, err)
		b.WriteString(n + " uidvalidity=" + itoa(int(sel.UIDValidity)) + "\n")
		if sel.NumMessages == 0 {
			continue
		}
		var all imap.SeqSet
		all.AddRange(1, 0)
		msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
		require.NoError(t, err)
		for _, m := range msgs {
			fl := make([]string, len(m.Flags))
			for i, f := range m.Flags {
				fl[i] = string(f)
			}
			fl = slices.DeleteFunc(fl, func(f string) bool { return f == `\Recent` })
			sort.Strings(fl)
			b.WriteString("  " + itoa(int(m.UID)) + " " + strings.Join(fl, ",") + "\n")
		}
	}
	return b.String()
}

// uidsIn returns the UIDs of a mailbox with a flag (any when flag is "").
func countIn(t *testing.T, srv *dovecottest.Server, mailbox string) int {
	c := client(t, srv)
	st, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	require.NoError(t, err)
	return int(*st.NumMessages)
}

func TestIMAPAnalyzeImplicitTLSAndStartTLS(t *testing.T) {
	srv := dovecottest.Start(t)
	imapEnvForTest(t)
	n := deliverSamples(t, srv, "INBOX")
	for _, implicit := range []bool{true, false} {
		code, out, errs := runCmd(t, "", "analyze", "--format", "ndjson", "--ca-file", srv.CAFile, srv.URL(implicit, "INBOX"))
		require.Equal(t, exitOK, code, errs)
		ids := sourceIDs(t, out)
		require.NotEmpty(t, ids)
		require.Less(t, len(ids), n+1)
		for _, id := range ids {
			require.Regexp(t, `^imap://postmaster%40example\.com@localhost:\d+/INBOX;UIDVALIDITY=\d+;UID=\d+$`, id)
		}
		require.NotContains(t, out+errs, dovecottest.Password)
	}
	// Local paths and URLs mix, in the order given.
	code, out, errs := runCmd(t, "", "analyze", "--format", "ndjson", "--ca-file", srv.CAFile, "../../testdata/dsn-rate-limit.eml", srv.URL(true, "INBOX"))
	require.Equal(t, exitOK, code, errs)
	ids := sourceIDs(t, out)
	require.Equal(t, "../../testdata/dsn-rate-limit.eml", ids[0])
	require.True(t, strings.HasPrefix(ids[1], "imap://"))
	require.NotContains(t, errs, "messages (", "no progress line when stderr is not a terminal")
}

func TestIMAPWrongPasswordAndUntrustedCertificate(t *testing.T) {
	srv := dovecottest.Start(t)
	imapEnvForTest(t)
	deliverSamples(t, srv, "INBOX")
	for _, implicit := range []bool{true, false} {
		code, out, errs := runCmd(t, "", "analyze", srv.URL(implicit, "INBOX"))
		require.Equal(t, exitPartial, code)
		require.Contains(t, errs, "certificate signed by unknown authority")
		require.NotContains(t, out+errs, dovecottest.Password)
	}
	// Verification can only be turned off on purpose, with a warning.
	code, _, errs := runCmd(t, "", "analyze", "--insecure-skip-verify", srv.URL(true, "INBOX"))
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, errs, "WARNING")

	// Last: after a failed login Dovecot slows the next ones from the IP.
	t.Setenv(passwordEnv, "wrong-Pa55word")
	code, out, errs := runCmd(t, "", "analyze", "--ca-file", srv.CAFile, srv.URL(true, "INBOX"))
	require.Equal(t, exitPartial, code)
	require.Contains(t, errs, "login")
	require.Contains(t, errs, "AUTHENTICATIONFAILED")
	require.Contains(t, errs, "imaps://postmaster%40example.com@localhost:")
	require.NotContains(t, out+errs, "wrong-Pa55word")
}

func TestIMAPReadOnlyChangesNothing(t *testing.T) {
	srv := dovecottest.Start(t)
	imapEnvForTest(t)
	deliverSamples(t, srv, "INBOX")
	srv.Deliver(t, "Bounces.Old", []byte("Subject: x\r\n\r\nhello\r\n"), "S", time.Time{})
	before := snapshot(t, srv)
	for _, args := range [][]string{
		{"analyze", "--ca-file", srv.CAFile, srv.URL(true, "INBOX")},
		{"analyze", "--unseen", "--ca-file", srv.CAFile, srv.URL(false, "INBOX")},
		{"analyze", "--dry-run", "--move-to", "Bounces/Done", "--flag", "$BounceHard", "--mark-seen", "--ca-file", srv.CAFile, srv.URL(true, "INBOX")},
	} {
		code, _, errs := runCmd(t, "", args...)
		require.Equal(t, exitOK, code, errs)
	}
	require.Equal(t, before, snapshot(t, srv))
	require.NotContains(t, before, `\Seen`+"\n  ") // sanity: INBOX messages start unseen
}

// flagsOf returns, for each message of a mailbox, its sorted flags.
func flagsOf(t *testing.T, srv *dovecottest.Server, mailbox string) []string {
	c := client(t, srv)
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	require.NoError(t, err)
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	require.NoError(t, err)
	var out []string
	for _, m := range msgs {
		fl := make([]string, len(m.Flags))
		for i, f := range m.Flags {
			fl[i] = string(f)
		}
		fl = slices.DeleteFunc(fl, func(f string) bool { return f == `\Recent` }) // depends on the session
		sort.Strings(fl)
		out = append(out, strings.Join(fl, ","))
	}
	return out
}

func testMoveAndFlag(t *testing.T, srv *dovecottest.Server) {
	imapEnvForTest(t)
	n := deliverSamples(t, srv, "INBOX")
	code, out, errs := runCmd(t, "", "analyze", "--format", "ndjson", "--ca-file", srv.CAFile,
		"--move-to", "Bounces/Done", "--flag", "$BounceHard", "--mark-seen", "--move-not-bounces", "Other", srv.URL(true, "INBOX"))
	require.Equal(t, exitOK, code, errs)
	bounces := len(sourceIDs(t, out))
	require.Positive(t, bounces)
	require.Less(t, bounces, n)
	require.Equal(t, 0, countIn(t, srv, "INBOX"))
	require.Equal(t, bounces, countIn(t, srv, "Bounces.Done"))
	require.Equal(t, n-bounces, countIn(t, srv, "Other"))
	for _, fl := range flagsOf(t, srv, "Bounces.Done") {
		require.Equal(t, `$BounceHard,\Seen`, fl)
	}
	for _, fl := range flagsOf(t, srv, "Other") {
		require.Equal(t, "", fl)
	}
	// Nothing left: a second run does nothing.
	code, out, errs = runCmd(t, "", "analyze", "--format", "ndjson", "--ca-file", srv.CAFile, "--move-to", "Bounces/Done", srv.URL(true, "INBOX"))
	require.Equal(t, exitOK, code, errs)
	require.Empty(t, out)
}

func TestIMAPMoveAndFlag(t *testing.T) {
	testMoveAndFlag(t, dovecottest.Start(t))
}

// Without MOVE the command copies, waits, marks \Deleted and expunges those
// UIDs only: another \Deleted message stays.
func TestIMAPMoveFallbackWithoutMOVE(t *testing.T) {
	srv := dovecottest.Start(t, "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UIDPLUS NAMESPACE")
	require.False(t, client(t, srv).Caps().Has(imap.CapMove))
	srv.Deliver(t, "Keep", []byte("Subject: keep\r\n\r\nkeep me\r\n"), "T", time.Time{}) // T: \Deleted
	testMoveAndFlag(t, srv)
	require.Equal(t, 1, countIn(t, srv, "Keep"))
}

// Without MOVE nor UIDPLUS, moving and deleting are refused, and nothing
// changes.
func TestIMAPMoveRefusedWithoutUIDPLUS(t *testing.T) {
	srv := dovecottest.Start(t, "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE")
	imapEnvForTest(t)
	deliverSamples(t, srv, "INBOX")
	srv.Deliver(t, "INBOX", []byte("Subject: other\r\n\r\nmarked deleted by someone\r\n"), "T", time.Time{})
	before := snapshot(t, srv)
	code, _, errs := runCmd(t, "", "analyze", "--ca-file", srv.CAFile, "--move-to", "Done", srv.URL(true, "INBOX"))
	require.Equal(t, exitPartial, code)
	require.Contains(t, errs, "UIDPLUS")
	code, _, errs = runCmd(t, "", "analyze", "--ca-file", srv.CAFile, "--delete", "--yes", srv.URL(true, "INBOX"))
	require.Equal(t, exitPartial, code)
	require.Contains(t, errs, "UIDPLUS")
	require.Equal(t, before, snapshot(t, srv))
}

func TestIMAPMoveByAndDelete(t *testing.T) {
	srv := dovecottest.Start(t)
	imapEnvForTest(t)
	n := deliverSamples(t, srv, "INBOX")
	code, out, errs := runCmd(t, "", "analyze", "--format", "ndjson", "--ca-file", srv.CAFile, "--move-by", "Bounces/{side}/{reason}", srv.URL(false, "INBOX"))
	require.Equal(t, exitOK, code, errs)
	bounces := len(sourceIDs(t, out))
	c := client(t, srv)
	list, err := c.List("", "Bounces.*", nil).Collect()
	require.NoError(t, err)
	total := 0
	for _, l := range list {
		if strings.Count(l.Mailbox, ".") == 2 {
			total += countIn(t, srv, l.Mailbox)
		}
	}
	require.Equal(t, bounces, total)
	require.Equal(t, n-bounces, countIn(t, srv, "INBOX"))

	// --delete wants --yes; with it the bounces go, the rest stays.
	code, _, errs = runCmd(t, "", "analyze", "--delete", srv.URL(false, "INBOX"))
	require.Equal(t, exitUsage, code, errs)
	for _, data := range []string{"dsn-rate-limit.eml", "exim-free-text.eml"} {
		b, err := os.ReadFile("../../testdata/" + data)
		require.NoError(t, err)
		srv.Deliver(t, "INBOX", b, "", time.Time{})
	}
	code, _, errs = runCmd(t, "", "analyze", "--ca-file", srv.CAFile, "--delete", "--yes", srv.URL(false, "INBOX"))
	require.Equal(t, exitOK, code, errs)
	require.Equal(t, n-bounces, countIn(t, srv, "INBOX"))
}

func TestIMAPNewAndUIDVALIDITYChange(t *testing.T) {
	srv := dovecottest.Start(t)
	imapEnvForTest(t)
	deliverSamples(t, srv, "Bounces")
	url := srv.URL(true, "Bounces")
	code, out, errs := runCmd(t, "", "analyze", "--new", "--format", "ndjson", "--ca-file", srv.CAFile, url)
	require.Equal(t, exitOK, code, errs)
	first := sourceIDs(t, out)
	require.NotEmpty(t, first)

	code, out, errs = runCmd(t, "", "analyze", "--new", "--format", "ndjson", "--ca-file", srv.CAFile, url)
	require.Equal(t, exitOK, code, errs)
	require.Empty(t, out, "a second run without new mail reads nothing")

	b, err := os.ReadFile("../../testdata/dsn-rate-limit.eml")
	require.NoError(t, err)
	srv.Deliver(t, "Bounces", b, "", time.Time{})
	code, out, errs = runCmd(t, "", "analyze", "--new", "--format", "ndjson", "--ca-file", srv.CAFile, url)
	require.Equal(t, exitOK, code, errs)
	ids := sourceIDs(t, out)
	require.Len(t, ids, 1)
	require.NotContains(t, first, ids[0])

	// The mailbox is rebuilt: new UIDVALIDITY, the run starts over.
	c := client(t, srv)
	require.NoError(t, c.Delete("Bounces").Wait())
	require.NoError(t, c.Create("Bounces", nil).Wait())
	app := c.Append("Bounces", int64(len(b)), nil)
	_, err = app.Write(b)
	require.NoError(t, err)
	require.NoError(t, app.Close())
	_, err = app.Wait()
	require.NoError(t, err)
	code, out, errs = runCmd(t, "", "analyze", "--new", "--format", "ndjson", "--ca-file", srv.CAFile, url)
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, errs, "UIDVALIDITY changed")
	require.Len(t, sourceIDs(t, out), 1)
}

// A mailbox path with "/" levels and non-ASCII names (modified UTF-7 on
// the wire), a password from a file, and a move to a new nested folder.
func TestIMAPNonASCIIMailboxAndPasswordFile(t *testing.T) {
	srv := dovecottest.Start(t)
	imapEnvForTest(t)
	t.Setenv(passwordEnv, "")
	pwFile := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte(dovecottest.Password+"\n"), 0o600))
	c := client(t, srv)
	require.NoError(t, c.Create("Bounces.Réponses", nil).Wait())
	b, err := os.ReadFile("../../testdata/dsn-rate-limit.eml")
	require.NoError(t, err)
	app := c.Append("Bounces.Réponses", int64(len(b)), nil)
	_, err = app.Write(b)
	require.NoError(t, err)
	require.NoError(t, app.Close())
	_, err = app.Wait()
	require.NoError(t, err)

	url := "imaps://postmaster@example.com@localhost:" + itoa(srv.IMAPSPort) + "/Bounces/R%C3%A9ponses"
	code, out, errs := runCmd(t, "", "analyze", "--password-file", pwFile, "--format", "ndjson", "--ca-file", srv.CAFile, "--move-to", "Archivé/Traité", url)
	require.Equal(t, exitOK, code, errs)
	ids := sourceIDs(t, out)
	require.Len(t, ids, 1)
	require.Contains(t, ids[0], "/Bounces/R%C3%A9ponses;UIDVALIDITY=")
	require.Equal(t, 1, countIn(t, srv, "Archivé.Traité"))
	require.Equal(t, 0, countIn(t, srv, "Bounces.Réponses"))
	_, err = os.Stat(filepath.Join(srv.Maildir, ".Archiv&AOk-.Trait&AOk-"))
	require.NoError(t, err, "the folder is stored in modified UTF-7")

	// No password anywhere: a clear error, not a prompt.
	code, _, errs = runCmd(t, "", "analyze", "--ca-file", srv.CAFile, url)
	require.Equal(t, exitPartial, code)
	require.Contains(t, errs, "no password")
}
