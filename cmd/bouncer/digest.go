package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/pipeline"
	"github.com/bouncer-mail/bouncer/report"
	"github.com/bouncer-mail/bouncer/store"
)

// storeFlags are the flags of the commands that use the history database.
type storeFlags struct {
	db          string
	now         string
	busyTimeout time.Duration
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.db, "db", "", "history database (default $XDG_DATA_HOME/bouncer/bouncer.db)")
	fs.StringVar(&f.now, "now", "", "take this time (RFC 3339) as now, for tests and replays")
	fs.DurationVar(&f.busyTimeout, "busy-timeout", 30*time.Second, "how long to wait for another bouncer run using the database")
}

// open parses --now and opens the store.
func (f *storeFlags) open() (*store.Store, time.Time, error) {
	now := time.Now()
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return nil, now, fmt.Errorf("--now %q: use RFC 3339, like 2026-11-20T07:00:00Z", f.now)
		}
		now = t
	}
	path := f.db
	if path == "" {
		var err error
		if path, err = store.DefaultPath(); err != nil {
			return nil, now, err
		}
	}
	s, err := store.Open(path, store.Options{BusyTimeout: f.busyTimeout, Now: func() time.Time { return now }})
	return s, now, err
}

// parseAge reads a duration back from now: a Go duration (36h, 90m) or whole
// days or weeks (7d, 2w).
func parseAge(v string) (time.Duration, error) {
	if v != "" {
		units := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
		if u, ok := units[v[len(v)-1]]; ok {
			if n, err := strconv.Atoi(v[:len(v)-1]); err == nil && n > 0 {
				return time.Duration(n) * u, nil
			}
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--since %q: use a duration such as 24h, 7d or 2w", v)
	}
	return d, nil
}

type digestFlags struct {
	sourceFlags
	storeFlags
	since       string
	format      string
	mailTo      listFlag
	mailFrom    string
	smtpURL     string
	smtpPwdFile string
	always      bool
	imap        imapFlags
}

func runDigest(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const cmd = "bouncer digest"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f digestFlags
	f.sourceFlags.register(fs)
	f.storeFlags.register(fs)
	fs.StringVar(&f.since, "since", "24h", "the period to report (a duration back from now: 24h, 7d)")
	fs.StringVar(&f.format, "format", "text", "output format: "+strings.Join(report.DigestFormats, ", "))
	fs.Var(&f.mailTo, "mail-to", "send the digest (text + HTML) to this address instead of printing it (repeatable)")
	fs.StringVar(&f.mailFrom, "mail-from", "", "From address of the digest mail (default: the SMTP user)")
	fs.StringVar(&f.smtpURL, "smtp", "", "SMTP server: smtps://USER@HOST[:465] (TLS) or smtp://USER@HOST[:587] (STARTTLS); password from BOUNCER_SMTP_PASSWORD or --smtp-password-file")
	fs.StringVar(&f.smtpPwdFile, "smtp-password-file", "", "file holding the SMTP password")
	fs.BoolVar(&f.always, "always", false, "send the digest mail even when nothing happened")
	f.imap.register(fs, "digest")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bouncer digest [flags] [SOURCE...]   (SOURCE: what analyze reads; none: report from the history only)")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return code
	}
	since, err := parseAge(f.since)
	if err != nil {
		return fail(exitUsage, err)
	}
	if !validFormat(f.format, report.DigestFormats) {
		return fail(exitUsage, fmt.Errorf("--format %q: use %s", f.format, strings.Join(report.DigestFormats, ", ")))
	}
	var mailer *smtpMailer
	if len(f.mailTo) > 0 {
		if mailer, err = newSMTPMailer(f.smtpURL, f.smtpPwdFile, f.mailFrom); err != nil {
			return fail(exitUsage, err)
		}
	}
	inputs := fs.Args()
	hasIMAP := false
	for _, in := range inputs {
		hasIMAP = hasIMAP || mailbox.IsIMAPURL(in)
	}
	if err := f.imap.check(hasIMAP); err != nil {
		return fail(exitUsage, err)
	}
	cl, lang, code, err := f.classifier(cmd)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return code
	}
	st, now, err := f.storeFlags.open()
	if err != nil {
		return fail(exitUsage, err)
	}
	defer st.Close()

	exit := exitOK
	var runID int64
	var read *report.DigestRead
	if len(inputs) > 0 {
		var readErrs int
		env, err := newIMAPEnv(&f.imap, stdin, stderr)
		if err != nil {
			return fail(exitUsage, err)
		}
		// The history keeps how far each mailbox was read: the next digest
		// takes what is new there.
		env.state = storeState{st}
		src, err := openSources(inputs, env, stdin, true)
		if err != nil {
			return fail(exitUsage, err)
		}
		defer src.Close()
		var stored storedRun
		stored, readErrs, err = storeSources(st, src, pipeline.Options{Workers: f.workers, Classifier: cl, KeepData: true}, stderr)
		if err != nil {
			return fail(exitPartial, err)
		}
		runID = stored.id
		read = &report.DigestRead{Messages: stored.read, AlreadyStored: stored.read - stored.added}
		if readErrs > 0 {
			exit = exitPartial
		}
	}
	d, err := st.Digest(store.DigestOptions{From: now.Add(-since), To: now, New: len(inputs) > 0})
	if err != nil {
		return fail(exitPartial, err)
	}
	d.Lang = lang
	d.Read = read
	if mailer != nil {
		if d.Empty() && !f.always {
			return exit
		}
		if err := mailer.send(d, f.mailTo, now); err != nil {
			return fail(exitPartial, err)
		}
	} else if err := report.WriteDigest(stdout, d, f.format); err != nil {
		return fail(exitPartial, err)
	}
	if runID > 0 {
		if err := st.MarkReported(runID); err != nil {
			return fail(exitPartial, err)
		}
	}
	return exit
}

func validFormat(v string, list []string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// storedRun is what storeSources did: the run's id, the messages it read
// and those of them new to the store.
type storedRun struct {
	id          int64
	read, added int
}

// storeSources reads the sources through the pipeline into the store, as
// one run, then applies the IMAP actions asked for and advances the IMAP
// state, once the messages are stored. It returns the run and the number
// of inputs that could not be read or acted on (messages that could not be
// parsed are stored and reported, and are not counted there).
func storeSources(st *store.Store, src *sources, opts pipeline.Options, stderr io.Writer) (storedRun, int, error) {
	run, err := st.StartRun()
	if err != nil {
		return storedRun{}, 0, err
	}
	read := 0
	readErrs := 0
	err = pipeline.Run(src, opts, func(r *pipeline.Result) error {
		m := &store.Message{Source: r.Source, SourceID: r.Source, Data: r.Data}
		if len(r.Records) > 0 {
			m.Source = r.Records[0].Source
		}
		if r.Err != nil {
			fmt.Fprintln(stderr, describeErr(r))
			m.Err = r.Err.Error()
			var me *mailbox.Error
			if errors.As(r.Err, &me) {
				readErrs++
			}
		} else {
			m.Kind = string(r.Bounce.Kind)
			m.Date = r.Bounce.Date
			m.Records = r.Records
		}
		if _, err := run.Add(m); err != nil {
			return err
		}
		read++
		src.done(r)
		return nil
	})
	if err != nil {
		run.Abort()
		return storedRun{}, readErrs, err
	}
	if err := run.Finish(); err != nil {
		return storedRun{}, readErrs, err
	}
	if !src.finish(context.Background(), stderr) {
		readErrs++
	}
	return storedRun{id: run.ID, read: read, added: run.Added()}, readErrs, nil
}

// smtpTLSConfig is the TLS configuration for the SMTP connection; tests
// replace it to trust their own certificate.
var smtpTLSConfig = func(host string) *tls.Config { return &tls.Config{ServerName: host} }

// smtpMailer sends digests through an authenticated SMTP submission server.
type smtpMailer struct {
	addr, host  string
	implicitTLS bool
	user, pass  string
	from        string
}

func newSMTPMailer(rawURL, pwdFile, from string) (*smtpMailer, error) {
	if rawURL == "" {
		return nil, errors.New("--mail-to needs --smtp smtps://USER@HOST or smtp://USER@HOST:587")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("--smtp: %v", err)
	}
	m := &smtpMailer{host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtps":
		m.implicitTLS = true
		if port == "" {
			port = "465"
		}
	case "smtp":
		if port == "" {
			port = "587"
		}
	default:
		return nil, fmt.Errorf("--smtp %q: use smtps:// (TLS, port 465) or smtp:// (STARTTLS, port 587)", rawURL)
	}
	if m.host == "" {
		return nil, fmt.Errorf("--smtp %q: no host", rawURL)
	}
	m.addr = net.JoinHostPort(m.host, port)
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	if pwdFile != "" {
		b, err := os.ReadFile(pwdFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-password-file: %v", err)
		}
		m.pass = strings.TrimRight(string(b), "\r\n")
	} else if p := os.Getenv("BOUNCER_SMTP_PASSWORD"); p != "" {
		m.pass = p
	}
	if m.user == "" || m.pass == "" {
		return nil, errors.New("--smtp: give the user in the URL and the password in BOUNCER_SMTP_PASSWORD or --smtp-password-file")
	}
	m.from = from
	if m.from == "" {
		if !strings.Contains(m.user, "@") {
			return nil, errors.New("--mail-from is needed: the SMTP user is not an address")
		}
		m.from = m.user
	}
	return m, nil
}

// buildDigestMail returns the digest as a multipart/alternative message:
// text/plain first, text/html last.
func buildDigestMail(d *report.Digest, from string, to []string, now time.Time) ([]byte, error) {
	var text, html, buf bytes.Buffer
	if err := report.WriteDigest(&text, d, "text"); err != nil {
		return nil, err
	}
	if err := report.WriteDigest(&html, d, "html"); err != nil {
		return nil, err
	}
	var h mail.Header
	h.SetDate(now)
	h.SetSubject(d.Title())
	h.SetAddressList("From", []*mail.Address{{Address: from}})
	var rcpts []*mail.Address
	for _, a := range to {
		rcpts = append(rcpts, &mail.Address{Address: a})
	}
	h.SetAddressList("To", rcpts)
	if err := h.GenerateMessageID(); err != nil {
		return nil, err
	}
	h.Set("Auto-Submitted", "auto-generated")
	w, err := mail.CreateInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		ctype string
		body  []byte
	}{{"text/plain", text.Bytes()}, {"text/html", html.Bytes()}} {
		var ph mail.InlineHeader
		ph.SetContentType(p.ctype, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write(p.body); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (m *smtpMailer) send(d *report.Digest, to []string, now time.Time) error {
	msg, err := buildDigestMail(d, m.from, to, now)
	if err != nil {
		return fmt.Errorf("build the digest mail: %w", err)
	}
	var c *smtp.Client
	if m.implicitTLS {
		c, err = smtp.DialTLS(m.addr, smtpTLSConfig(m.host))
	} else {
		c, err = smtp.DialStartTLS(m.addr, smtpTLSConfig(m.host))
	}
	if err != nil {
		return fmt.Errorf("smtp %s: %w", m.addr, err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", m.user, m.pass)); err != nil {
		return fmt.Errorf("smtp %s: authenticate as %s: %w", m.addr, m.user, err)
	}
	if err := c.SendMail(m.from, to, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("smtp %s: send: %w", m.addr, err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp %s: %w", m.addr, err)
	}
	return nil
}

// storeState keeps the IMAP "done up to" state in the history database.
type storeState struct{ st *store.Store }

func stateKey(account, mbox string) string { return account + "/" + mbox }

func (s storeState) Load(account, mbox string) (mailbox.IMAPState, bool, error) {
	v, last, err := s.st.LoadIMAPState(stateKey(account, mbox))
	if err != nil || v == 0 {
		return mailbox.IMAPState{}, false, err
	}
	return mailbox.IMAPState{UIDValidity: v, LastUID: last}, true, nil
}

func (s storeState) Save(account, mbox string, state mailbox.IMAPState) error {
	return s.st.SaveIMAPState(stateKey(account, mbox), state.UIDValidity, state.LastUID)
}
