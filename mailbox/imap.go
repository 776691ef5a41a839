package mailbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// Authentication mechanisms for IMAPAuth.Mechanism.
const (
	AuthAuto        = ""            // PLAIN when offered, else LOGIN; OAUTHBEARER or XOAUTH2 with a token
	AuthPlain       = "PLAIN"       // SASL PLAIN
	AuthLogin       = "LOGIN"       // the IMAP LOGIN command
	AuthOAuthBearer = "OAUTHBEARER" // SASL OAUTHBEARER (RFC 7628) with a token
	AuthXOAuth2     = "XOAUTH2"     // Google's and Microsoft's XOAUTH2 with a token
)

// IMAPAuth says how to log in. Exactly one of Password and Token is used:
// Token when it is set.
type IMAPAuth struct {
	// Password returns the password of the account (asked once, when
	// needed).
	Password func() (string, error)
	// Token returns an OAuth 2 access token, for OAUTHBEARER or XOAUTH2.
	Token func() (string, error)
	// Mechanism is one of the Auth* constants; AuthAuto chooses.
	Mechanism string
}

// IMAPSelection chooses the messages of a mailbox to read. The zero value
// means all of them. The criteria add up.
type IMAPSelection struct {
	// Since keeps messages received (INTERNALDATE) on or after this day.
	Since time.Time
	// Unseen keeps messages without \Seen.
	Unseen bool
	// New keeps only messages above the highest UID done by earlier runs,
	// as remembered in State; the state is advanced by Finish.
	New bool
}

// IMAPOptions configure an IMAPSource.
type IMAPOptions struct {
	Auth IMAPAuth
	// TLSConfig verifies the server; nil means the system's roots. Its
	// ServerName is set to the URL's host when empty.
	TLSConfig *tls.Config
	// Selection chooses the messages.
	Selection IMAPSelection
	// State keeps the progress of incremental runs; needed when
	// Selection.New is set, and saved by Finish when not nil.
	State StateStore
	// Actions are applied by Finish; any action (but a dry run) makes the
	// mailbox SELECTed read-write, otherwise it is EXAMINEd.
	Actions IMAPActions
	// BatchSize is the number of UIDs asked for in one UID FETCH; 0 means
	// 1000.
	BatchSize int
	// MaxMessageSize is the largest message returned; 0 means
	// DefaultMaxMessageSize.
	MaxMessageSize int64
	// Log receives warnings and, for a dry run, what would be done; nil
	// discards them.
	Log io.Writer
	// Progress, if not nil, is called after each message with the count
	// read and the count selected.
	Progress func(done, total int)
	// DialTimeout bounds connecting and the TLS handshake; 0 means 30 s.
	DialTimeout time.Duration
	// Dial, if not nil, replaces the TCP dialer (tests cut connections
	// with it).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// IMAPActions are done on messages after their records were written.
// Bounces are messages with at least one record; the other messages read
// without error are "not bounces"; messages that could not be read are left
// alone.
type IMAPActions struct {
	// MoveTo moves the bounces to this folder ("/" separates levels), which
	// is created when missing.
	MoveTo string
	// MoveBy moves each bounce to a folder made from a template with
	// {side}, {reason} and {hard} ("hard" or "soft"), taken from its first
	// hard record, else its first record. MoveTo wins when both are set.
	MoveBy string
	// Flags adds these keywords (such as $BounceHard) to the bounces.
	Flags []string
	// MarkSeen adds \Seen to the bounces.
	MarkSeen bool
	// MoveNotBounces moves the messages that are not bounces to this
	// folder.
	MoveNotBounces string
	// Delete deletes the bounces (\Deleted, then UID EXPUNGE of exactly
	// them). The caller asks for a confirmation first.
	Delete bool
	// DryRun writes what would be done to Options.Log and does nothing.
	DryRun bool
}

// Any reports whether some action is asked for.
func (a *IMAPActions) Any() bool {
	return a.MoveTo != "" || a.MoveBy != "" || len(a.Flags) > 0 || a.MarkSeen || a.MoveNotBounces != "" || a.Delete
}

// writes reports whether the mailbox must be opened read-write.
func (a *IMAPActions) writes() bool { return a.Any() && !a.DryRun }

// Outcome is what the analysis made of one message, told to an IMAPSource
// with Done once the message's records were handed to the writer.
type Outcome struct {
	// Failed is true when the message could not be read or parsed.
	Failed bool
	// Bounce is true when the message gave records.
	Bounce bool
	// Side, Reason and Hard come from the record that decides MoveBy.
	Side, Reason string
	Hard         bool
}

// IMAPSource reads the messages of one IMAP mailbox. It is a Source for the
// pipeline: Next returns the selected messages in UID order, fetched in
// batches (one UID FETCH of BODY.PEEK[] for many UIDs). A failure of the
// connection is returned as an *Error naming the mailbox, after which Next
// returns io.EOF: the messages done so far stay done.
//
// The caller tells the outcome of each message with Done, then, once the
// records are written (flushed), calls Finish to apply the actions and
// advance the incremental state. A message is never acted on before Finish.
//
// Message ids are "imap://user@host/MAILBOX;UIDVALIDITY=v;UID=u" and
// Message.Path is that id without ";UID=u". No password appears in them.
type IMAPSource struct {
	URL  *IMAPURL
	opts IMAPOptions

	c           *imapclient.Client
	delim       rune
	uidValidity uint32
	opened      bool
	failed      bool  // the connection failed: Next returns io.EOF
	err         error // why

	uids  []imap.UID // selected, ascending
	pos   int        // next index into uids to fetch
	fetch *imapclient.FetchCommand
	batch int // messages left in the running fetch
	read  int

	mu        sync.Mutex
	mailboxID string // URL.MailboxID(uidValidity), made once: ids are made and matched per message
	outcomes  map[imap.UID]Outcome
	lastDone  imap.UID // every selected UID up to this one has an outcome
	doneIdx   int      // index in uids of the next outcome expected
	prev      IMAPState
	hasPrev   bool
	inDoubt   []InDoubtMove // moves of this run cut off, saved by Finish

	newMail chan struct{}
	from    imap.UID // lowest UID a rescan selects
}

// NewIMAPSource returns a source for the mailbox named by u. Nothing is
// done before the first Next (or Open).
func NewIMAPSource(u *IMAPURL, opts IMAPOptions) *IMAPSource {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	return &IMAPSource{URL: u, opts: opts, outcomes: map[imap.UID]Outcome{}, newMail: make(chan struct{}, 1)}
}

// errorf makes an error "mailbox: imap user@host/MAILBOX: what: cause".
func (s *IMAPSource) errorf(format string, args ...any) error {
	return fmt.Errorf("mailbox: imap %s/%s: %w", s.URL.Account(), s.URL.Mailbox, fmt.Errorf(format, args...))
}

func (s *IMAPSource) warnf(format string, args ...any) {
	fmt.Fprintf(s.opts.Log, "bouncer: imap %s/%s: %s\n", s.URL.Account(), s.URL.Mailbox, fmt.Sprintf(format, args...))
}

// DialIMAP connects to the server of u and logs in, with STARTTLS for
// imap://. handler, if not nil, receives the unilateral data (new mail). The
// error never holds the password.
func DialIMAP(ctx context.Context, u *IMAPURL, opts *IMAPOptions, handler *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	c, err := dial(ctx, u, opts, handler)
	if err != nil {
		return nil, fmt.Errorf("mailbox: imap %s: %w", u.Account(), err)
	}
	return c, nil
}

func dial(ctx context.Context, u *IMAPURL, opts *IMAPOptions, handler *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	fail := func(what string, err error) error {
		return fmt.Errorf("%s: %w", what, err)
	}
	timeout := opts.DialTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	var tcfg *tls.Config
	if opts.TLSConfig != nil {
		tcfg = opts.TLSConfig.Clone()
	} else {
		tcfg = &tls.Config{}
	}
	if tcfg.ServerName == "" {
		tcfg.ServerName = u.Host
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var conn net.Conn
	var err error
	if opts.Dial != nil {
		conn, err = opts.Dial(dctx, "tcp", u.Addr())
	} else {
		var d net.Dialer
		conn, err = d.DialContext(dctx, "tcp", u.Addr())
	}
	if err != nil {
		return nil, fail("connect", err)
	}
	copts := &imapclient.Options{UnilateralDataHandler: handler}
	var c *imapclient.Client
	if u.ImplicitTLS {
		tc := tls.Client(conn, tcfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			conn.Close()
			return nil, fail("TLS", err)
		}
		c = imapclient.New(tc, copts)
	} else {
		copts.TLSConfig = tcfg
		conn.SetDeadline(time.Now().Add(timeout))
		c, err = imapclient.NewStartTLS(conn, copts)
		if err != nil {
			conn.Close()
			return nil, fail("STARTTLS", err)
		}
		conn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fail("greeting", err)
	}
	if err := login(c, u, &opts.Auth); err != nil {
		c.Close()
		return nil, fail("login", err)
	}
	return c, nil
}

func login(c *imapclient.Client, u *IMAPURL, a *IMAPAuth) error {
	caps := c.Caps()
	mech := strings.ToUpper(a.Mechanism)
	if a.Token != nil {
		if mech == AuthAuto {
			mech = AuthXOAuth2
			if caps.Has("AUTH=OAUTHBEARER") {
				mech = AuthOAuthBearer
			}
		}
		tok, err := a.Token()
		if err != nil {
			return err
		}
		switch mech {
		case AuthOAuthBearer:
			return c.Authenticate(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: u.User, Token: tok, Host: u.Host, Port: u.Port}))
		case AuthXOAuth2:
			return c.Authenticate(&xoauth2{user: u.User, token: tok})
		}
		return fmt.Errorf("mechanism %s does not take a token", mech)
	}
	if a.Password == nil {
		return errors.New("no password given")
	}
	if mech == AuthAuto {
		mech = AuthLogin
		if caps.Has("AUTH=PLAIN") {
			mech = AuthPlain
		}
	}
	pw, err := a.Password()
	if err != nil {
		return err
	}
	switch mech {
	case AuthPlain:
		return c.Authenticate(sasl.NewPlainClient("", u.User, pw))
	case AuthLogin:
		if caps.Has(imap.CapLoginDisabled) {
			return errors.New("the server refuses LOGIN (LOGINDISABLED)")
		}
		return c.Login(u.User, pw).Wait()
	}
	return fmt.Errorf("mechanism %s needs a token (--oauth2-token-command)", mech)
}

// xoauth2 is the XOAUTH2 SASL mechanism.
type xoauth2 struct{ user, token string }

func (x *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

func (x *xoauth2) Next(challenge []byte) ([]byte, error) {
	// The server sends a JSON error as a challenge; answer empty to get
	// the tagged NO.
	return []byte{}, nil
}

// serverName turns a URL mailbox name ("/" separated) into the server's,
// with its hierarchy separator.
func (s *IMAPSource) serverName(name string) string {
	if s.delim == 0 || s.delim == '/' {
		return name
	}
	return strings.ReplaceAll(name, "/", string(s.delim))
}

// Open connects, logs in, opens the mailbox and selects the messages. Next
// calls it when needed; calling it first gives the connection error early.
func (s *IMAPSource) Open(ctx context.Context) error {
	if s.opened {
		return nil
	}
	s.opened = true
	if err := s.connect(ctx); err != nil {
		s.failed = true
		s.err = s.errorf("%w", err)
		return s.err
	}
	if err := s.selectUIDs(); err != nil {
		s.failed = true
		s.err = s.errorf("%w", err)
		return s.err
	}
	return nil
}

// open is Open for Next: the error, without the "mailbox: imap" prefix, is
// an *Error naming the mailbox.
func (s *IMAPSource) open() error {
	if err := s.Open(context.Background()); err != nil {
		e := &Error{ID: s.URL.String(), Err: errors.Unwrap(err)}
		s.err = e
		return e
	}
	return nil
}

func (s *IMAPSource) connect(ctx context.Context) error {
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case s.newMail <- struct{}{}:
				default:
				}
			}
		},
	}
	c, err := dial(ctx, s.URL, &s.opts, handler)
	if err != nil {
		return err
	}
	s.c = c
	s.delim = '/'
	if list, err := c.List("", "", nil).Collect(); err == nil && len(list) > 0 && list[0].Delim != 0 {
		s.delim = list[0].Delim
	}
	ro := !s.opts.Actions.writes()
	sel, err := c.Select(s.serverName(s.URL.Mailbox), &imap.SelectOptions{ReadOnly: ro}).Wait()
	if err != nil {
		c.Close()
		s.c = nil
		verb := "EXAMINE"
		if !ro {
			verb = "SELECT"
		}
		return fmt.Errorf("%s %s: %w", verb, s.URL.Mailbox, err)
	}
	if s.uidValidity != 0 && sel.UIDValidity != s.uidValidity {
		c.Close()
		s.c = nil
		return fmt.Errorf("UIDVALIDITY changed from %d to %d while running: nothing more is done", s.uidValidity, sel.UIDValidity)
	}
	s.mu.Lock()
	s.uidValidity = sel.UIDValidity
	s.mailboxID = s.URL.MailboxID(sel.UIDValidity)
	s.mu.Unlock()
	return nil
}

// UIDValidity returns the mailbox's UIDVALIDITY, known once opened.
func (s *IMAPSource) UIDValidity() uint32 { return s.uidValidity }

// Selected returns the number of messages selected, known once opened.
func (s *IMAPSource) Selected() int { return len(s.uids) }

func (s *IMAPSource) selectUIDs() error {
	sel := &s.opts.Selection
	var from imap.UID = 1
	if st, ok, err := s.loadState(); err != nil {
		return err
	} else if ok {
		s.prev, s.hasPrev = st, true
		if len(st.InDoubt) > 0 && st.UIDValidity == s.uidValidity && s.opts.Actions.writes() {
			if err := s.settleInDoubt(); err != nil {
				return err
			}
		}
		if sel.New {
			if st.UIDValidity != s.uidValidity {
				s.warnf("UIDVALIDITY changed from %d to %d: the mailbox was rebuilt, starting over", st.UIDValidity, s.uidValidity)
			} else {
				from = imap.UID(st.LastUID) + 1
			}
		}
	}
	return s.search(from)
}

// search selects the UIDs from "from" up that match the selection.
func (s *IMAPSource) search(from imap.UID) error {
	sel := &s.opts.Selection
	crit := &imap.SearchCriteria{}
	if !sel.Since.IsZero() {
		crit.Since = sel.Since
	}
	if sel.Unseen {
		crit.NotFlag = append(crit.NotFlag, imap.FlagSeen)
	}
	if from > 1 {
		var set imap.UIDSet
		set.AddRange(from, 0) // from:*
		crit.UID = []imap.UIDSet{set}
	}
	data, err := s.c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return fmt.Errorf("UID SEARCH: %w", err)
	}
	uids := data.AllUIDs()
	// "n:*" always matches the last message, even below n.
	kept := uids[:0]
	for _, u := range uids {
		if u >= from {
			kept = append(kept, u)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i] < kept[j] })
	s.mu.Lock()
	s.uids = kept
	s.mu.Unlock()
	s.from = from
	if len(kept) > 0 {
		s.from = kept[len(kept)-1] + 1
	}
	return nil
}

// Err returns the error that ended the connection, nil while it works.
func (s *IMAPSource) Err() error {
	if !s.failed {
		return nil
	}
	return s.err
}

// Rescan selects the messages that arrived since the last selection (UIDs
// above those selected), for another round of Next, Done and Finish. Call
// it after Finish.
func (s *IMAPSource) Rescan() error {
	if s.c == nil || s.failed {
		return s.errorf("not connected")
	}
	s.mu.Lock()
	s.outcomes = map[imap.UID]Outcome{}
	s.doneIdx = 0
	s.mu.Unlock()
	s.pos, s.read = 0, 0
	if err := s.search(s.from); err != nil {
		return s.fail("rescan", err)
	}
	return nil
}

// WaitNew waits with IDLE until the server announces new messages, ctx is
// done, or max has passed (servers drop clients idle for 30 minutes: call
// it again). It returns nil in all three cases, and an error when the
// connection fails.
func (s *IMAPSource) WaitNew(ctx context.Context, max time.Duration) error {
	if s.c == nil || s.failed {
		return s.errorf("not connected")
	}
	select {
	case <-s.newMail:
		return nil // announced while fetching
	default:
	}
	idle, err := s.c.Idle()
	if err != nil {
		return s.fail("IDLE", err)
	}
	timer := time.NewTimer(max)
	defer timer.Stop()
	select {
	case <-s.newMail:
	case <-timer.C:
	case <-ctx.Done():
	case <-s.c.Closed():
	}
	if err := idle.Close(); err != nil {
		return s.fail("IDLE", err)
	}
	if err := idle.Wait(); err != nil {
		return s.fail("IDLE", err)
	}
	return nil
}

func (s *IMAPSource) loadState() (IMAPState, bool, error) {
	if s.opts.State == nil {
		if s.opts.Selection.New {
			return IMAPState{}, false, errors.New("--new needs a state store")
		}
		return IMAPState{}, false, nil
	}
	st, ok, err := s.opts.State.Load(s.URL.Account(), s.URL.Mailbox)
	if err != nil {
		return st, false, err
	}
	return st, ok, nil
}

// Next returns the next selected message, or io.EOF.
func (s *IMAPSource) Next() (*Message, error) {
	if !s.opened {
		if err := s.open(); err != nil {
			return nil, err
		}
	}
	for {
		if s.failed {
			return nil, io.EOF
		}
		if s.fetch == nil {
			if s.pos >= len(s.uids) {
				return nil, io.EOF
			}
			s.startFetch()
		}
		m, err := s.nextFetched()
		if m != nil || err != nil {
			return m, err
		}
	}
}

// startFetch sends one UID FETCH for the next batch of UIDs.
func (s *IMAPSource) startFetch() {
	end := min(s.pos+s.opts.BatchSize, len(s.uids))
	var set imap.UIDSet
	for _, u := range s.uids[s.pos:end] {
		set.AddNum(u)
	}
	s.batch = end - s.pos
	s.pos = end
	s.fetch = s.c.Fetch(set, &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	})
}

// nextFetched reads the next message of the running fetch; (nil, nil) when
// the fetch is over.
func (s *IMAPSource) nextFetched() (*Message, error) {
	for {
		fm := s.fetch.Next()
		if fm == nil {
			err := s.fetch.Close()
			s.fetch = nil
			if err != nil {
				return nil, s.fail("UID FETCH", err)
			}
			return nil, nil
		}
		var uid imap.UID
		var data []byte
		var readErr error
		var seen bool
		for item := fm.Next(); item != nil; item = fm.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				seen = true
				data, readErr = readLimited(it.Literal, s.opts.MaxMessageSize)
				if readErr != nil && !errors.Is(readErr, ErrTooLarge) {
					// The connection broke inside the literal: go no
					// further (go-imap would read the literal again to
					// discard it, racing its own reader).
					return nil, s.fail("UID FETCH", readErr)
				}
			}
		}
		if uid == 0 || !seen {
			continue // an unasked FETCH (flags changed by someone else)
		}
		s.read++
		if s.opts.Progress != nil {
			s.opts.Progress(s.read, len(s.uids))
		}
		id := s.mailboxID + ";UID=" + strconv.FormatUint(uint64(uid), 10) // URL.MessageID
		if readErr != nil {
			if errors.Is(readErr, ErrTooLarge) {
				return nil, &Error{ID: id, Err: readErr}
			}
			return nil, s.fail("UID FETCH", readErr)
		}
		return &Message{ID: id, Path: s.mailboxID, Data: data}, nil
	}
}

// fail closes the connection after an error and returns it as an *Error of
// the mailbox; Next returns io.EOF afterwards.
func (s *IMAPSource) fail(what string, err error) error {
	s.failed = true
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
	s.fetch = nil
	e := &Error{ID: s.URL.MailboxID(s.uidValidity), Err: fmt.Errorf("imap %s: %w", what, err)}
	s.err = e
	return e
}

// readLimited reads a literal whole, or fails with a sizeError past max (the
// rest is discarded so that the connection goes on).
func readLimited(r io.Reader, max int64) ([]byte, error) {
	size := int64(-1)
	if lr, ok := r.(imap.LiteralReader); ok {
		size = lr.Size()
	}
	if size > max {
		_, err := io.Copy(io.Discard, r)
		if err != nil {
			return nil, err
		}
		return nil, sizeError{max}
	}
	data, err := readSized(io.LimitReader(r, max+1), size)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, sizeError{max}
	}
	return data, nil
}

// Owns reports whether a message id was made by this source.
func (s *IMAPSource) Owns(id string) bool {
	s.mu.Lock()
	p := s.mailboxID
	s.mu.Unlock()
	return p != "" && strings.HasPrefix(id, p) && strings.HasPrefix(id[len(p):], ";UID=")
}

// Done records the outcome of the message with this id (ids of other
// sources are ignored). Outcomes must come in the order of Next, as the
// pipeline gives them.
func (s *IMAPSource) Done(id string, o Outcome) {
	if !s.Owns(id) {
		return
	}
	_, uid, err := ParseMessageUID(id)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[imap.UID(uid)] = o
	for s.doneIdx < len(s.uids) {
		if _, ok := s.outcomes[s.uids[s.doneIdx]]; !ok {
			break
		}
		s.lastDone = s.uids[s.doneIdx]
		s.doneIdx++
	}
}

// Close logs out and closes the connection.
func (s *IMAPSource) Close() error {
	if s.c == nil {
		return nil
	}
	if s.fetch != nil {
		s.fetch.Close()
		s.fetch = nil
	}
	s.c.Logout().Wait()
	err := s.c.Close()
	s.c = nil
	return err
}
