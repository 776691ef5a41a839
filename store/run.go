package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/bouncer-mail/bouncer/report"
)

// Message is one analyzed message to store.
type Message struct {
	Source   string // file or mailbox as given
	SourceID string // the message within it (see report.Record.SourceID)
	// Data is the raw message; it gives the dedupe key (its Message-ID, else
	// its SHA-256). Without it the key is built from SourceID and Err.
	Data []byte
	// Kind is the bounce kind (dsn, ndr, feedback, auto-reply, not-bounce);
	// empty with Err set for a message that could not be read or parsed.
	Kind string
	Err  string
	// Date is the bounce's own date; zero means the time it is stored.
	Date    time.Time
	Records []report.Record
}

// Run writes one bouncer run's messages, a batch of messages per
// transaction. Messages already stored (same key) only gain a source.
type Run struct {
	s       *Store
	ID      int64
	tx      *sql.Tx
	batch   int
	n       int // messages given to Add
	added   int // messages that were new
	stopped bool
}

// StartRun records the start of a run.
func (s *Store) StartRun() (*Run, error) {
	res, err := s.db.Exec("INSERT INTO runs (started_at) VALUES (?)", s.now().Unix())
	if err != nil {
		return nil, s.wrap("start run", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, s.wrap("start run", err)
	}
	return &Run{s: s, ID: id}, nil
}

// Added returns how many messages given to Add were new to the store.
func (r *Run) Added() int { return r.added }

// Add stores m with its records and source, unless a message with the same
// key is stored already, in which case only the source is added. It reports
// whether the message was new. After an error the run's open batch is
// rolled back; earlier batches stay.
func (r *Run) Add(m *Message) (bool, error) {
	if r.stopped {
		return false, errors.New("store: run is finished")
	}
	s := r.s
	r.n++
	if s.testHook != nil {
		if err := s.testHook(r.n); err != nil {
			r.Abort()
			return false, err
		}
	}
	if r.tx == nil {
		tx, err := s.db.BeginTx(context.Background(), nil)
		if err != nil {
			return false, s.wrap("begin", err)
		}
		r.tx = tx
	}
	added, err := r.insert(m)
	if err != nil {
		r.Abort()
		return false, err
	}
	r.batch++
	if r.batch >= s.opts.BatchSize {
		if err := r.Commit(); err != nil {
			return false, err
		}
	}
	return added, nil
}

func (r *Run) insert(m *Message) (bool, error) {
	s, tx := r.s, r.tx
	now := s.now().Unix()
	key, mid, sum := Key(m.Data)
	if len(m.Data) == 0 {
		h := sha256.Sum256([]byte(m.SourceID + "\x00" + m.Err))
		sum = hex.EncodeToString(h[:])
		key = "nodata:" + sum
	}
	kind := m.Kind
	if m.Err != "" {
		kind = "unreadable"
	}
	at := now
	if !m.Date.IsZero() {
		at = m.Date.Unix()
	}
	var msgID int64
	added := false
	err := tx.QueryRow("SELECT id FROM messages WHERE key = ?", key).Scan(&msgID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.Exec(`INSERT INTO messages (key, sha256, message_id, kind, error, at, stored_at, run_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, key, sum, mid, kind, m.Err, at, now, r.ID)
		if err != nil {
			return false, s.wrap("insert message", err)
		}
		if msgID, err = res.LastInsertId(); err != nil {
			return false, s.wrap("insert message", err)
		}
		added = true
		for i := range m.Records {
			rec := &m.Records[i]
			js, err := json.Marshal(rec)
			if err != nil {
				return false, fmt.Errorf("store: %w", err)
			}
			rat := at
			if t, err := time.Parse(time.RFC3339, rec.Date); err == nil {
				rat = t.Unix()
			}
			_, err = tx.Exec(`INSERT OR IGNORE INTO records (message_id, idx, recipient, reason, hard, side, at, stored_at, record)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				msgID, i, strings.ToLower(rec.Recipient), rec.Reason, rec.HardBounce, rec.Side, rat, now, string(js))
			if err != nil {
				return false, s.wrap("insert record", err)
			}
		}
	case err != nil:
		return false, s.wrap("look up message", err)
	}
	acct, mbox, uv, uid := ParseIMAPSourceID(m.SourceID)
	_, err = tx.Exec(`INSERT OR IGNORE INTO sources (message_id, source, source_id, account, mailbox, uidvalidity, uid, seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, msgID, m.Source, m.SourceID, acct, mbox, uv, uid, now)
	if err != nil {
		return false, s.wrap("insert source", err)
	}
	if added {
		r.added++
	}
	return added, nil
}

// Commit commits the open batch, if any.
func (r *Run) Commit() error {
	if r.tx == nil {
		return nil
	}
	tx := r.tx
	r.tx, r.batch = nil, 0
	if err := tx.Commit(); err != nil {
		tx.Rollback()
		return r.s.wrap("commit", err)
	}
	return nil
}

// Abort rolls back the open batch; the batches committed before stay, and
// the run stays marked unfinished.
func (r *Run) Abort() {
	if r.tx != nil {
		r.tx.Rollback()
		r.tx, r.batch = nil, 0
	}
}

// Finish commits the open batch and marks the run finished.
func (r *Run) Finish() error {
	if err := r.Commit(); err != nil {
		return err
	}
	r.stopped = true
	_, err := r.s.db.Exec("UPDATE runs SET finished_at = ?, messages = ?, added = ? WHERE id = ?",
		r.s.now().Unix(), r.n, r.added, r.ID)
	return r.s.wrap("finish run", err)
}

// MarkReported records that a digest covered every message not yet
// reported, up to and including run id.
func (s *Store) MarkReported(runID int64) error {
	_, err := s.db.Exec("UPDATE runs SET reported_at = ? WHERE reported_at IS NULL AND id <= ?", s.now().Unix(), runID)
	return s.wrap("mark reported", err)
}

// Key returns the dedupe key of a raw message: "mid:" and its Message-ID
// (angle brackets removed) when it has one, else "sha256:" and the hex
// SHA-256 of data. It also returns the Message-ID and the hex SHA-256.
func Key(data []byte) (key, messageID, sum string) {
	h := sha256.Sum256(data)
	sum = hex.EncodeToString(h[:])
	messageID = headerMessageID(data)
	if messageID != "" {
		return "mid:" + messageID, messageID, sum
	}
	return "sha256:" + sum, "", sum
}

// headerMessageID returns the Message-ID field of the message's own header
// (not of an attached original), or "".
func headerMessageID(data []byte) string {
	br := bufio.NewReader(bytes.NewReader(data))
	tp := textproto.NewReader(br)
	for {
		line, err := tp.ReadContinuedLine()
		if line == "" { // end of the header, or of the input
			return ""
		}
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "message-id") {
			v := strings.TrimSpace(value)
			if i := strings.IndexByte(v, '<'); i >= 0 {
				if j := strings.IndexByte(v[i:], '>'); j > 0 {
					v = v[i+1 : i+j]
				}
			}
			return strings.TrimSpace(v)
		}
		if err != nil {
			return ""
		}
	}
}

// ParseIMAPSourceID splits an IMAP source id of the form
// imap://account/mailbox;UIDVALIDITY=v;UID=u. Other ids give zero values.
func ParseIMAPSourceID(id string) (account, mailbox string, uidvalidity, uid uint32) {
	rest, ok := strings.CutPrefix(id, "imap://")
	if !ok {
		if rest, ok = strings.CutPrefix(id, "imaps://"); !ok {
			return "", "", 0, 0
		}
	}
	account, rest, ok = strings.Cut(rest, "/")
	if !ok {
		return account, "", 0, 0
	}
	parts := strings.Split(rest, ";")
	mailbox = parts[0]
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			continue
		}
		switch strings.ToUpper(k) {
		case "UIDVALIDITY":
			uidvalidity = uint32(n)
		case "UID":
			uid = uint32(n)
		}
	}
	return account, mailbox, uidvalidity, uid
}
