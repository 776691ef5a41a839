package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/bouncer-mail/bouncer/report"
)

var dateLineRE = regexp.MustCompile(`(?mi)^(Date|Last-Attempt-Date|Arrival-Date):[^\r\n]*`)

// dated returns testdata/NAME with its dates set to at and, when mid is not
// empty, its own Message-ID set to mid.
func dated(t *testing.T, name string, at time.Time, mid string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	nl := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		nl = "\r\n"
	}
	s := dateLineRE.ReplaceAllStringFunc(string(data), func(m string) string {
		field, _, _ := strings.Cut(m, ":")
		return field + ": " + at.Format(time.RFC1123Z)
	})
	head, body, ok := strings.Cut(s, nl+nl)
	if ok && mid != "" {
		var keep []string
		for _, l := range strings.Split(head, nl) {
			if !strings.HasPrefix(strings.ToLower(l), "message-id:") {
				keep = append(keep, l)
			}
		}
		s = "Message-ID: <" + mid + ">" + nl + strings.Join(keep, nl) + nl + nl + body
	}
	return []byte(s)
}

// fixture copies testdata/NAME, dated at and with Message-ID mid, into a
// Maildir's new/.
func fixture(t *testing.T, maildir, name string, at time.Time, mid string) {
	t.Helper()
	s := dated(t, name, at, mid)
	for _, sub := range []string{"new", "cur", "tmp"} {
		os.MkdirAll(filepath.Join(maildir, sub), 0o755)
	}
	file := filepath.Join(maildir, "new", fmt.Sprintf("%d.M%sP1.test", at.Unix(), strings.NewReplacer("@", "_", ".", "_").Replace(mid)))
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cli runs bouncer in-process with no standard input.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	code, stdout, stderr = runCmd(t, "", args...)
	return stdout, stderr, code
}

func digestJSON(t *testing.T, args ...string) *report.Digest {
	t.Helper()
	out, stderr, code := cli(t, append([]string{"digest", "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var d report.Digest
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return &d
}

var (
	now1 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	now2 = now1.Add(24 * time.Hour)
	day  = 24 * time.Hour
)

// history builds two Maildirs: box holds bounces over several days, and
// copy holds one of them again (the same message in two folders).
func history(t *testing.T) (dir, box, copyBox, db string) {
	dir = t.TempDir()
	box, copyBox, db = filepath.Join(dir, "box"), filepath.Join(dir, "copy"), filepath.Join(dir, "b.db")
	fixture(t, box, "dsn-postfix-two-recipients.eml", now1.Add(-3*day), "b1@mx") // alice hard, bob full
	fixture(t, box, "dsn-postfix-two-recipients.eml", now1.Add(-2*day), "b2@mx") // again, the next day
	fixture(t, box, "qmail-free-text.eml", now1.Add(-5*time.Hour), "b3@mx")      // henry: blocked (sender side)
	fixture(t, box, "dsn-rate-limit.eml", now1.Add(-4*time.Hour), "b4@mx")       // dave: speeding (sender side)
	fixture(t, box, "exim-free-text.eml", now1.Add(-3*time.Hour), "b5@mx")       // ivan: hard
	fixture(t, box, "auto-reply.eml", now1.Add(-2*time.Hour), "b6@mx")
	fixture(t, box, "arf-abuse.eml", now1.Add(-2*time.Hour), "b7@mx")
	fixture(t, box, "broken-no-header.eml", now1.Add(-1*time.Hour), "")
	fixture(t, copyBox, "exim-free-text.eml", now1.Add(-3*time.Hour), "b5@mx") // same message, another folder
	return
}

func TestDigestTwoRuns(t *testing.T) {
	dir, box, copyBox, db := history(t)
	d := digestJSON(t, "--db", db, "--now", now1.Format(time.RFC3339), box, copyBox)
	want := report.DigestTotals{Messages: 8, Bounces: 5, Hard: 3, Soft: 4, AutoReplies: 1, Complaints: 1, NotBounces: 0, Unreadable: 1}
	if d.Totals != want {
		t.Errorf("totals\n got %+v\nwant %+v", d.Totals, want)
	}
	// The copy's duplicate was read but is counted once.
	if d.Read == nil || d.Read.Messages != 9 || d.Read.AlreadyStored != 1 {
		t.Errorf("read %+v", d.Read)
	}
	firstRead := d.Read.Messages
	if d.Scope != "new" || !d.To.Equal(now1) || !d.From.Equal(now1.Add(-day)) {
		t.Errorf("scope %s %s..%s", d.Scope, d.From, d.To)
	}
	if len(d.Blocks) != 1 || d.Blocks[0].Reason != "blocked" || !strings.Contains(strings.Join(d.Blocks[0].IPs, ","), "192.0.2.33") {
		t.Errorf("blocks %+v", d.Blocks)
	}
	if len(d.RateLimits) != 1 || d.RateLimits[0].Speeding != 1 || !d.RateLimits[0].Hour.Equal(now1.Add(-4*time.Hour)) {
		t.Errorf("rate %+v", d.RateLimits)
	}
	var hard []string
	for _, h := range d.NewHard {
		hard = append(hard, h.Address)
	}
	if strings.Join(hard, " ") != "alice@example.org ivan@example.invalid" {
		t.Errorf("new hard %v", hard)
	}
	if len(d.RepeatedSoft) != 1 || d.RepeatedSoft[0].Address != "bob@example.net" || d.RepeatedSoft[0].Days != 2 {
		t.Errorf("repeated soft %+v", d.RepeatedSoft)
	}
	if len(d.Unreadable) != 1 || !strings.Contains(d.Unreadable[0].Source, "box/new/") {
		t.Errorf("unreadable %+v", d.Unreadable)
	}
	reasons := map[string]int{}
	for _, r := range d.Reasons {
		reasons[r.Reason] = r.Count
	}
	// ivan's "Unrouteable address" is a domain that cannot be routed: hostunknown.
	if reasons["userunknown"] != 2 || reasons["hostunknown"] != 1 || reasons["mailboxfull"] != 2 || reasons["blocked"] != 1 || reasons["speeding"] != 1 {
		t.Errorf("reasons %v", reasons)
	}

	// The second run sees the same folders plus two new messages: it reports
	// only those.
	fixture(t, box, "dsn-postfix-two-recipients.eml", now2.Add(-1*time.Hour), "b8@mx") // bob's third day
	fixture(t, box, "global-dsn-utf8.eml", now2.Add(-2*time.Hour), "b9@mx")
	d = digestJSON(t, "--db", db, "--now", now2.Format(time.RFC3339), box, copyBox)
	want = report.DigestTotals{Messages: 2, Bounces: 2, Hard: 2, Soft: 1}
	if d.Totals != want {
		t.Errorf("second run totals\n got %+v\nwant %+v", d.Totals, want)
	}
	if d.Read == nil || d.Read.Messages != firstRead+2 || d.Read.AlreadyStored != firstRead {
		t.Errorf("second run read %+v", d.Read)
	}
	hard = nil
	for _, h := range d.NewHard {
		hard = append(hard, h.Address)
	}
	if strings.Join(hard, " ") != "山田@例え.jp" { // alice bounced before: not new
		t.Errorf("second run new hard %v", hard)
	}
	if len(d.RepeatedSoft) != 1 || d.RepeatedSoft[0].Days != 3 {
		t.Errorf("second run repeated soft %+v", d.RepeatedSoft)
	}
	for _, r := range d.Reasons {
		if r.Reason == "userunknown" && (r.Count != 2 || r.Previous != 0 || r.Avg7d < 0.28 || r.Avg7d > 0.29) {
			t.Errorf("userunknown trend %+v", r)
		}
	}
	// A third run with nothing new: an empty digest, and the store-only
	// digest of the last 24 hours sees the period's messages.
	d = digestJSON(t, "--db", db, "--now", now2.Format(time.RFC3339), box)
	if d.Totals.Messages != 0 || len(d.Reasons) != 0 {
		t.Errorf("third run %+v", d.Totals)
	}
	d = digestJSON(t, "--db", db, "--now", now2.Format(time.RFC3339), "--since", "48h")
	if d.Scope != "period" || d.Totals.Messages != 8 {
		t.Errorf("store-only 48h: %s %+v", d.Scope, d.Totals)
	}

	// Text: sections in order, problems first, empty ones left out.
	out, _, code := cli(t, "digest", "--db", db, "--now", now1.Format(time.RFC3339), "--since", "1d")
	if code != exitOK {
		t.Fatal(code)
	}
	order := []string{"Totals", "Blocked by remote hosts", "Rate limits", "Recipients by reason", "Top recipient domains",
		"New hard bounces", "Messages that could not be read"}
	last := -1
	for _, h := range order {
		i := strings.Index(out, "\n"+h)
		if i < 0 || i < last {
			t.Errorf("section %q missing or out of order in\n%s", h, out)
		}
		last = i
	}
	for _, h := range []string{"SMTP authentication", "SPF / DKIM / DMARC", "could not be classified"} {
		if strings.Contains(out, h) {
			t.Errorf("empty section %q shown", h)
		}
	}
	if !regexp.MustCompile(`Messages read\s+6\n`).MatchString(out) || !strings.Contains(out, "henry") && !strings.Contains(out, "203.0.113.9") {
		t.Errorf("text figures:\n%s", out)
	}

	// HTML has the sections, escaped.
	html, _, _ := cli(t, "digest", "--db", db, "--now", now1.Format(time.RFC3339), "--format", "html")
	for _, id := range []string{`id="totals"`, `id="blocks"`, `id="rate"`, `id="new-hard"`, `id="unreadable"`} {
		if !strings.Contains(html, id) {
			t.Errorf("html lacks %s", id)
		}
	}
	md, _, _ := cli(t, "digest", "--db", db, "--now", now1.Format(time.RFC3339), "--format", "markdown")
	if !strings.Contains(md, "## Totals") || !strings.Contains(md, "| --- |") {
		t.Errorf("markdown:\n%s", md)
	}

	// Suppression: hard bounces, bob's three days, erin's abuse complaint;
	// never the sender-side ones.
	out, stderr, code := cli(t, "suppress", "--db", db, "--now", now2.Format(time.RFC3339))
	if code != exitOK {
		t.Fatal(stderr)
	}
	if out != "alice@example.org\nbob@example.net\nerin@example.net\nivan@example.invalid\n山田@例え.jp\n" {
		t.Errorf("suppress:\n%s", out)
	}
	out, _, _ = cli(t, "suppress", "--db", db, "--now", now2.Format(time.RFC3339), "--no-complaints")
	if strings.Contains(out, "erin") || !strings.Contains(out, "bob") {
		t.Errorf("--no-complaints:\n%s", out)
	}
	out, _, _ = cli(t, "suppress", "--db", db, "--now", now2.Format(time.RFC3339), "--min-days", "4")
	if strings.Contains(out, "bob") {
		t.Errorf("--min-days 4 lists bob")
	}
	if _, _, code := cli(t, "suppress", "--db", db, "--now", now2.Format(time.RFC3339), "--forget", "alice@example.org"); code != 0 {
		t.Fatal(code)
	}
	out, _, _ = cli(t, "suppress", "--db", db, "--now", now2.Format(time.RFC3339), "--format", "csv")
	if strings.Contains(out, "alice") || !strings.HasPrefix(out, "address,rule,reason,") || !strings.Contains(out, "bob@example.net,soft,mailboxfull,0,3,3,") {
		t.Errorf("csv after forget:\n%s", out)
	}
	out, _, _ = cli(t, "suppress", "--db", db, "--now", now2.Format(time.RFC3339), "--format", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 4 {
		t.Errorf("json: %v %s", err, out)
	}
	_ = dir
}

func TestDigestExitCodes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "b.db")
	if _, _, code := cli(t, "digest", "--db", db, "--since", "yesterday"); code != exitUsage {
		t.Errorf("bad --since: %d", code)
	}
	if _, _, code := cli(t, "digest", "--db", db, "--now", "tomorrow"); code != exitUsage {
		t.Errorf("bad --now: %d", code)
	}
	if _, _, code := cli(t, "digest", "--db", db, "--mail-to", "a@example.com"); code != exitUsage {
		t.Errorf("--mail-to without --smtp: %d", code)
	}
	_, stderr, code := cli(t, "digest", "--db", db, filepath.Join(t.TempDir(), "missing"))
	if code != exitPartial || !strings.Contains(stderr, "missing") {
		t.Errorf("missing input: %d %s", code, stderr)
	}
}

// smtpBackend keeps what a test SMTP server receives.
type smtpBackend struct {
	mu    sync.Mutex
	user  string
	from  string
	to    []string
	data  []byte
	count int
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

type smtpSession struct{ b *smtpBackend }

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "postmaster@example.com" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.b.mu.Lock()
		s.b.user = user
		s.b.mu.Unlock()
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.b.from = from; return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.to = append(s.b.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.b.mu.Lock()
	s.b.data, s.b.count = b, s.b.count+1
	s.b.mu.Unlock()
	return err
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// smtpServer starts a go-smtp server on loopback, with implicit TLS or
// STARTTLS, and makes the digest trust its certificate.
func smtpServer(t *testing.T, implicit bool) (*smtpBackend, string) {
	cert, pool := testCert(t)
	be := &smtpBackend{}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	var l net.Listener
	var err error
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	old := smtpTLSConfig
	smtpTLSConfig = func(host string) *tls.Config { return &tls.Config{ServerName: host, RootCAs: pool} }
	t.Cleanup(func() { smtpTLSConfig = old })
	return be, l.Addr().String()
}

func TestDigestMail(t *testing.T) {
	for _, implicit := range []bool{true, false} {
		t.Run(fmt.Sprintf("implicitTLS=%v", implicit), func(t *testing.T) {
			_, box, _, db := history(t)
			be, addr := smtpServer(t, implicit)
			scheme := "smtp"
			if implicit {
				scheme = "smtps"
			}
			t.Setenv("BOUNCER_SMTP_PASSWORD", "s3cret")
			args := []string{"digest", "--db", db, "--now", now1.Format(time.RFC3339), "--mail-to", "admin@example.com",
				"--smtp", scheme + "://postmaster@example.com@" + addr}
			out, stderr, code := cli(t, append(args, box)...)
			if code != exitOK || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %s", code, out, stderr)
			}
			if be.count != 1 || be.user != "postmaster@example.com" || be.from != "postmaster@example.com" ||
				strings.Join(be.to, ",") != "admin@example.com" {
				t.Fatalf("server got %+v", be)
			}
			mr, err := mail.CreateReader(bytes.NewReader(be.data))
			if err != nil {
				t.Fatal(err)
			}
			mt, _, _ := mr.Header.ContentType()
			subj, _ := mr.Header.Subject()
			if mt != "multipart/alternative" || !strings.HasPrefix(subj, "bouncer digest 2026-11-25: 5 bounces") ||
				mr.Header.Get("Message-Id") == "" || mr.Header.Get("Date") == "" || mr.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("headers: %s %q %v", mt, subj, mr.Header)
			}
			var types []string
			var bodies []string
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				ct, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
				types = append(types, ct+";"+params["charset"])
				b, _ := io.ReadAll(p.Body)
				bodies = append(bodies, string(b))
			}
			if strings.Join(types, " ") != "text/plain;utf-8 text/html;utf-8" {
				t.Fatalf("parts %v", types)
			}
			if !strings.Contains(bodies[0], "New hard bounces") || !strings.Contains(bodies[1], `id="new-hard"`) {
				t.Errorf("bodies:\n%s\n%s", bodies[0], bodies[1])
			}
			// Nothing new: no mail, unless --always.
			cli(t, append(args, box)...)
			if be.count != 1 {
				t.Error("mail sent for an empty digest")
			}
			cli(t, append(args, "--always", box)...)
			if be.count != 2 {
				t.Error("--always sent no mail")
			}
			// A wrong password fails the run, and the digest is not marked sent.
			t.Setenv("BOUNCER_SMTP_PASSWORD", "wrong")
			fixture(t, box, "exim-free-text.eml", now1, "late@mx")
			if _, stderr, code := cli(t, append(args, box)...); code != exitPartial || !strings.Contains(stderr, "authenticate") {
				t.Errorf("wrong password: %d %s", code, stderr)
			}
			t.Setenv("BOUNCER_SMTP_PASSWORD", "s3cret")
			cli(t, append(args, box)...)
			if be.count != 3 {
				t.Error("the digest that failed to go out was not sent on the next run")
			}
		})
	}
}
