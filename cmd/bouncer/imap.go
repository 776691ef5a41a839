package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/pipeline"
	"github.com/bouncer-mail/bouncer/report"
)

// passwordEnv names the environment variable holding the IMAP password.
const passwordEnv = "BOUNCER_IMAP_PASSWORD"

// imapFlags are the flags of IMAP inputs, shared by analyze and watch.
type imapFlags struct {
	passwordFile   string
	tokenCommand   string
	auth           string
	caFile         string
	insecure       bool
	since          string
	unseen         bool
	newOnly        bool
	moveTo         string
	moveBy         string
	flags          listFlag
	markSeen       bool
	moveNotBounces string
	del            bool
	yes            bool
	dryRun         bool
	batch          int
}

// register adds the IMAP flags of a command: "analyze" has them all; "watch"
// and "digest" always take only what is new (no --new), and digest's --since
// is the period of its report, so it has no IMAP --since or --unseen.
func (f *imapFlags) register(fs *flag.FlagSet, cmd string) {
	fs.StringVar(&f.passwordFile, "password-file", "", "read the IMAP password from this file (else $"+passwordEnv+", else a prompt on a terminal)")
	fs.StringVar(&f.tokenCommand, "oauth2-token-command", "", "run this shell command to get an OAuth 2 access token (OAUTHBEARER or XOAUTH2)")
	fs.StringVar(&f.auth, "auth", "", "IMAP authentication: plain, login, oauthbearer or xoauth2 (default: chosen from the server's offer)")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of a CA to trust for IMAP servers, besides the system's")
	fs.BoolVar(&f.insecure, "insecure-skip-verify", false, "do not verify the IMAP server's certificate (unsafe: prints a warning)")
	if cmd != "digest" {
		fs.StringVar(&f.since, "since", "", "IMAP: only messages received since a duration ago (7d, 12h) or a date (2006-01-02)")
		fs.BoolVar(&f.unseen, "unseen", false, "IMAP: only messages without \\Seen")
	}
	if cmd == "analyze" {
		fs.BoolVar(&f.newOnly, "new", false, "IMAP: only messages that earlier runs have not done (state in $XDG_STATE_HOME/bouncer)")
	}
	fs.StringVar(&f.moveTo, "move-to", "", "IMAP: move the bounces to this folder once reported (created if missing)")
	fs.StringVar(&f.moveBy, "move-by", "", "IMAP: move each bounce to a folder made from a template, e.g. 'Bounces/{side}/{reason}' ({hard} too)")
	fs.Var(&f.flags, "flag", "IMAP: add this keyword to the bounces, e.g. $BounceHard (repeatable)")
	fs.BoolVar(&f.markSeen, "mark-seen", false, "IMAP: mark the bounces \\Seen")
	fs.StringVar(&f.moveNotBounces, "move-not-bounces", "", "IMAP: move the messages that are not bounces to this folder")
	fs.BoolVar(&f.del, "delete", false, "IMAP: delete the bounces once reported (needs --yes)")
	fs.BoolVar(&f.yes, "yes", false, "confirm --delete")
	fs.BoolVar(&f.dryRun, "dry-run", false, "IMAP: print the actions that would be done and do nothing")
	fs.IntVar(&f.batch, "imap-batch", 1000, "IMAP: messages asked for in one UID FETCH")
}

func (f *imapFlags) actions() mailbox.IMAPActions {
	return mailbox.IMAPActions{
		MoveTo: f.moveTo, MoveBy: f.moveBy, Flags: f.flags, MarkSeen: f.markSeen,
		MoveNotBounces: f.moveNotBounces, Delete: f.del, DryRun: f.dryRun,
	}
}

var keywordRE = regexp.MustCompile(`^[\x21\x23-\x27\x2A-\x5A\x5E-\x7A\x7C\x7E]+$`) // atom chars, no \ % ( ) { ] "

// check validates the flags against the inputs; it returns a usage error.
func (f *imapFlags) check(hasIMAP bool) error {
	a := f.actions()
	if !hasIMAP {
		switch {
		case a.Any() || f.dryRun:
			return errors.New("--move-to, --move-by, --flag, --mark-seen, --move-not-bounces, --delete and --dry-run act on IMAP mailboxes: give an imap:// or imaps:// URL")
		case f.since != "" || f.unseen || f.newOnly:
			return errors.New("--since, --unseen and --new select IMAP messages: give an imap:// or imaps:// URL")
		}
	}
	ways := 0
	for _, set := range []bool{f.moveTo != "", f.moveBy != "", f.del} {
		if set {
			ways++
		}
	}
	if ways > 1 {
		return errors.New("--move-to, --move-by and --delete exclude each other: choose one")
	}
	if f.del && !f.yes && !f.dryRun {
		return errors.New("--delete removes messages from the server: confirm with --yes (or try --dry-run)")
	}
	for _, k := range f.flags {
		if strings.HasPrefix(k, `\`) || !keywordRE.MatchString(k) {
			return fmt.Errorf("--flag %q: a keyword is one atom such as $BounceHard (system flags: use --mark-seen)", k)
		}
	}
	if _, err := parseSince(f.since, time.Now()); err != nil {
		return err
	}
	switch strings.ToLower(f.auth) {
	case "", "plain", "login", "oauthbearer", "xoauth2":
	default:
		return fmt.Errorf("--auth %q: use plain, login, oauthbearer or xoauth2", f.auth)
	}
	return nil
}

// parseSince reads --since: a duration back from now (7d, 36h, 2w) or a
// date (2006-01-02).
func parseSince(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, time.Local); err == nil {
		return t, nil
	}
	if d, err := parseAge(v); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: use a duration (7d, 12h, 2w) or a date (2006-01-02)", v)
}

// imapEnv builds what IMAP sources share: TLS, credentials (asked once per
// account), state.
type imapEnv struct {
	flags   *imapFlags
	tls     *tls.Config
	state   mailbox.StateStore
	stdin   io.Reader
	stderr  io.Writer
	mu      sync.Mutex
	secrets map[string]string
}

func newIMAPEnv(f *imapFlags, stdin io.Reader, stderr io.Writer) (*imapEnv, error) {
	e := &imapEnv{flags: f, stdin: stdin, stderr: stderr, secrets: map[string]string{}}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", f.caFile)
		}
		cfg.RootCAs = pool
	}
	if f.insecure {
		cfg.InsecureSkipVerify = true
		fmt.Fprintln(stderr, "bouncer: WARNING: --insecure-skip-verify: the IMAP server's certificate is not checked; the password can be read by anyone in the middle")
	}
	e.tls = cfg
	path, err := mailbox.DefaultStatePath()
	if err == nil {
		e.state = &mailbox.JSONStateStore{Path: path}
	} else if f.newOnly {
		return nil, err
	}
	return e, nil
}

// password returns the password: from --password-file, the environment, or
// a prompt without echo on the terminal.
func (e *imapEnv) password(account string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if pw, ok := e.secrets[account]; ok {
		return pw, nil
	}
	var pw string
	switch {
	case e.flags.passwordFile != "":
		b, err := os.ReadFile(e.flags.passwordFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	case os.Getenv(passwordEnv) != "":
		pw = os.Getenv(passwordEnv)
	default:
		in, ok := e.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(in.Fd())) {
			return "", errors.New("no password: set " + passwordEnv + ", use --password-file, or run on a terminal to be asked")
		}
		fmt.Fprintf(e.stderr, "IMAP password for %s: ", account)
		b, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		pw = string(b)
	}
	if pw == "" {
		return "", errors.New("empty password")
	}
	e.secrets[account] = pw
	return pw, nil
}

// token runs --oauth2-token-command and returns its first line.
func (e *imapEnv) token(account string) (string, error) {
	cmd := exec.Command("sh", "-c", e.flags.tokenCommand)
	cmd.Env = append(os.Environ(), "BOUNCER_IMAP_ACCOUNT="+account)
	cmd.Stderr = e.stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("--oauth2-token-command: %w", err)
	}
	tok, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if tok == "" {
		return "", errors.New("--oauth2-token-command printed no token")
	}
	return strings.TrimSpace(tok), nil
}

// options returns the options of a source for u.
func (e *imapEnv) options(u *mailbox.IMAPURL, newOnly bool) (mailbox.IMAPOptions, error) {
	f := e.flags
	since, err := parseSince(f.since, time.Now())
	if err != nil {
		return mailbox.IMAPOptions{}, err
	}
	account := u.Account()
	auth := mailbox.IMAPAuth{Mechanism: strings.ToUpper(f.auth)}
	if f.tokenCommand != "" {
		auth.Token = func() (string, error) { return e.token(account) }
	} else {
		auth.Password = func() (string, error) { return e.password(account) }
	}
	return mailbox.IMAPOptions{
		Auth:      auth,
		TLSConfig: e.tls,
		Selection: mailbox.IMAPSelection{Since: since, Unseen: f.unseen, New: newOnly},
		State:     e.state,
		Actions:   f.actions(),
		BatchSize: f.batch,
		Log:       e.stderr,
		Progress:  progressFunc(e.stderr, u.Account()+"/"+u.Mailbox),
	}, nil
}

// progressFunc returns a progress line writer on a terminal, nil elsewhere.
func progressFunc(stderr io.Writer, name string) func(done, total int) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	start := time.Now()
	var last time.Time
	return func(done, total int) {
		now := time.Now()
		if done < total && now.Sub(last) < 200*time.Millisecond {
			return
		}
		last = now
		rate := float64(done) / max(now.Sub(start).Seconds(), 0.001)
		fmt.Fprintf(f, "\r\033[K%s: %d/%d messages (%.0f/s)", name, done, total, rate)
		if done >= total {
			fmt.Fprintln(f)
		}
	}
}

// sources reads local inputs and IMAP mailboxes in the order given.
type sources struct {
	parts []pipeline.Source
	imap  []*mailbox.IMAPSource
	local []*mailbox.Reader
	i     int
}

// openSources splits the inputs into runs of local paths and IMAP URLs.
func openSources(inputs []string, env *imapEnv, stdin io.Reader, newOnly bool) (*sources, error) {
	s := &sources{}
	var local []string
	flush := func() {
		if len(local) > 0 {
			r := mailbox.NewReader(local, mailbox.Options{Stdin: stdin})
			s.parts = append(s.parts, r)
			s.local = append(s.local, r)
			local = nil
		}
	}
	for _, in := range inputs {
		if !mailbox.IsIMAPURL(in) {
			local = append(local, in)
			continue
		}
		flush()
		u, err := mailbox.ParseIMAPURL(in)
		if err != nil {
			return nil, err
		}
		opts, err := env.options(u, newOnly)
		if err != nil {
			return nil, err
		}
		src := mailbox.NewIMAPSource(u, opts)
		s.parts = append(s.parts, src)
		s.imap = append(s.imap, src)
	}
	flush()
	return s, nil
}

// Next returns the next message of the current part.
func (s *sources) Next() (*mailbox.Message, error) {
	for s.i < len(s.parts) {
		m, err := s.parts[s.i].Next()
		if err == io.EOF {
			s.i++
			continue
		}
		return m, err
	}
	return nil, io.EOF
}

// done tells the IMAP source of a result what became of it.
func (s *sources) done(r *pipeline.Result) {
	for _, src := range s.imap {
		if src.Owns(r.Source) {
			src.Done(r.Source, outcomeOf(r))
			return
		}
	}
}

// outcomeOf sums up a result for the IMAP actions: the first hard record
// decides --move-by, else the first record.
func outcomeOf(r *pipeline.Result) mailbox.Outcome {
	if r.Err != nil {
		return mailbox.Outcome{Failed: true}
	}
	if len(r.Records) == 0 {
		return mailbox.Outcome{}
	}
	rec := &r.Records[0]
	for i := range r.Records {
		if r.Records[i].HardBounce {
			rec = &r.Records[i]
			break
		}
	}
	return mailbox.Outcome{Bounce: true, Side: rec.Side, Reason: rec.Reason, Hard: rec.HardBounce}
}

// finish applies the IMAP actions and saves the state, once the records are
// written; it reports whether all went well.
func (s *sources) finish(ctx context.Context, stderr io.Writer) bool {
	ok := true
	for _, src := range s.imap {
		if err := src.Finish(ctx); err != nil {
			fmt.Fprintln(stderr, "bouncer:", err)
			ok = false
		}
	}
	return ok
}

// Close closes the local readers and the IMAP connections.
func (s *sources) Close() {
	for _, r := range s.local {
		r.Close()
	}
	for _, src := range s.imap {
		src.Close()
	}
}

// runPass reads src through the pipeline into a new report writer, then,
// once the writer is closed (records flushed), applies the IMAP actions. It
// returns the exit code.
func runPass(src *sources, f *analyzeFlags, popts pipeline.Options, w report.Writer, stderr io.Writer, summary bool) int {
	tally := pipeline.NewTally()
	saved := 0
	err := pipeline.Run(src, popts, func(r *pipeline.Result) error {
		tally.Add(r)
		if r.Err != nil {
			fmt.Fprintln(stderr, describeErr(r))
			src.done(r)
			return nil
		}
		for i := range r.Records {
			if err := w.Add(&r.Records[i]); err != nil {
				return err
			}
		}
		src.done(r)
		if f.saveUnknown != "" && hasUndefined(r) {
			saved++
			if err := saveMessage(f.saveUnknown, saved, r); err != nil {
				fmt.Fprintln(stderr, "bouncer analyze: --save-unknown:", err)
			}
		}
		if f.saveNot != "" && len(r.Records) == 0 {
			saved++
			if err := saveMessage(f.saveNot, saved, r); err != nil {
				fmt.Fprintln(stderr, "bouncer analyze: --save-not-bounces:", err)
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(stderr, "bouncer:", err)
		return exitPartial
	}
	var sum *report.Summary
	if summary {
		sum = &tally.Summary
	}
	if err := w.Close(sum); err != nil {
		fmt.Fprintln(stderr, "bouncer:", err)
		return exitPartial
	}
	if !src.finish(context.Background(), stderr) {
		return exitPartial
	}
	if tally.Summary.Unreadable > 0 {
		return exitPartial
	}
	return exitOK
}
