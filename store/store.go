// Package store keeps the history of analyzed bounces in an embedded SQLite
// database (pure Go, no cgo): every classified recipient, where its message
// was found, the IMAP "done up to" state, and the addresses a postmaster
// chose to forget. It answers the digest's and the suppression list's
// queries; it never renders.
//
// The same bounce read twice (a rerun, the same message in another folder)
// is stored once: a message is keyed by its own Message-ID, or by the
// SHA-256 of its raw bytes when it has none. Writes go through transactions
// in WAL mode, so a run killed at any point leaves the database consistent
// and the next run completes the work.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/bouncer-mail/bouncer/internal/xdg"
)

// Options tune Open.
type Options struct {
	// BusyTimeout is how long a write waits for another run holding the
	// database before giving up with ErrBusy; 0 means 5 seconds.
	BusyTimeout time.Duration
	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time
	// BatchSize is the number of messages written per transaction by a Run;
	// 0 means 200.
	BatchSize int
}

// ErrBusy is returned (wrapped) when another process holds the database
// longer than Options.BusyTimeout.
var ErrBusy = errors.New("store: the database is busy: another bouncer run is writing to it; try again when it is done")

// Store is an open history database. It is safe for use by one goroutine at
// a time.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time
	opts Options

	// testHook, when set, runs before each message insert; an error it
	// returns is returned by Run.Add (tests inject failures with it).
	testHook func(n int) error
}

// DefaultPath returns $XDG_DATA_HOME/bouncer/bouncer.db, or
// ~/.local/share/bouncer/bouncer.db when XDG_DATA_HOME is unset.
func DefaultPath() (string, error) {
	dir, err := xdg.Data.Dir()
	if err != nil {
		return "", fmt.Errorf("store: no folder for the default database: set XDG_DATA_HOME or HOME")
	}
	return filepath.Join(dir, "bouncer", "bouncer.db"), nil
}

// Open opens (creating it and its folder if needed) the database at path
// and brings its schema up to date.
func Open(path string, opts Options) (*Store, error) {
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 200
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// One connection: a bouncer run is one writer, and SQLite serialises
	// writers anyway. Other processes wait on busy_timeout.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path, now: opts.Now, opts: opts}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// wrap turns driver errors into store errors, with ErrBusy for a locked
// database.
func (s *Store) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if isBusy(err) {
		return fmt.Errorf("%w (%s: %s, waited %s)", ErrBusy, what, s.path, s.opts.BusyTimeout)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

func isBusy(err error) bool {
	m := err.Error()
	return strings.Contains(m, "SQLITE_BUSY") || strings.Contains(m, "database is locked") ||
		strings.Contains(m, "(5)") && strings.Contains(m, "locked")
}

// Schema migrations: migrations[i] takes the schema from version i to i+1.
// Each runs in one transaction that also sets PRAGMA user_version.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE runs (
	id          INTEGER PRIMARY KEY,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER,            -- NULL: the run stopped before its end
	reported_at INTEGER,            -- when a digest of its messages went out
	messages    INTEGER NOT NULL DEFAULT 0,
	added       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE messages (
	id          INTEGER PRIMARY KEY,
	key         TEXT NOT NULL UNIQUE,  -- "mid:" + Message-ID, else "sha256:" + hex
	sha256      TEXT NOT NULL,
	message_id  TEXT NOT NULL,         -- of the bounce itself, "" when none
	kind        TEXT NOT NULL,         -- dsn, ndr, feedback, auto-reply, not-bounce, unreadable
	error       TEXT NOT NULL DEFAULT '',
	at          INTEGER NOT NULL,      -- the bounce's date, else when it was stored (unix s)
	stored_at   INTEGER NOT NULL,
	run_id      INTEGER NOT NULL REFERENCES runs(id)
);
CREATE INDEX messages_at ON messages(at);
CREATE INDEX messages_run ON messages(run_id);
CREATE TABLE sources (
	message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	source      TEXT NOT NULL,         -- file or mailbox as given
	source_id   TEXT NOT NULL,         -- path, path#N, imap://account/mailbox;UIDVALIDITY=v;UID=u
	account     TEXT NOT NULL DEFAULT '',
	mailbox     TEXT NOT NULL DEFAULT '',
	uidvalidity INTEGER NOT NULL DEFAULT 0,
	uid         INTEGER NOT NULL DEFAULT 0,
	seen_at     INTEGER NOT NULL,
	PRIMARY KEY (message_id, source_id)
);
CREATE TABLE records (
	id          INTEGER PRIMARY KEY,
	message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	idx         INTEGER NOT NULL,      -- position in the message
	recipient   TEXT NOT NULL,         -- lower-cased
	reason      TEXT NOT NULL,
	hard        INTEGER NOT NULL,
	side        TEXT NOT NULL,
	at          INTEGER NOT NULL,      -- last attempt or the bounce's date (unix s)
	stored_at   INTEGER NOT NULL,
	record      TEXT NOT NULL,         -- the report.Record as JSON
	UNIQUE (message_id, recipient, idx)
);
CREATE INDEX records_at ON records(at);
CREATE INDEX records_recipient ON records(recipient, at);
CREATE TABLE imap_state (
	key         TEXT PRIMARY KEY,      -- account + mailbox, as the IMAP source names it
	uidvalidity INTEGER NOT NULL,
	last_uid    INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE TABLE forgotten (
	address      TEXT PRIMARY KEY,
	forgotten_at INTEGER NOT NULL
);
`,
}

// SchemaVersion is the schema version this package writes.
var SchemaVersion = len(migrations)

func (s *Store) migrate() error {
	ctx := context.Background()
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return s.wrap("read schema version of "+s.path, err)
	}
	if v > len(migrations) {
		return fmt.Errorf("store: %s has schema version %d, newer than this bouncer knows (%d): use a newer bouncer", s.path, v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return s.wrap("migrate", err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return s.wrap(fmt.Sprintf("migrate to version %d", v+1), err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return s.wrap("migrate", err)
		}
		if err := tx.Commit(); err != nil {
			return s.wrap("migrate", err)
		}
	}
	return nil
}

// Version returns the schema version of the open database.
func (s *Store) Version() (int, error) {
	var v int
	err := s.db.QueryRow("PRAGMA user_version").Scan(&v)
	return v, s.wrap("read schema version", err)
}

// LoadIMAPState returns what an IMAP source recorded for key (an account and
// mailbox): the mailbox's UIDVALIDITY and the highest UID done. Both are 0
// when nothing is recorded.
func (s *Store) LoadIMAPState(key string) (uidvalidity, lastUID uint32, err error) {
	err = s.db.QueryRow("SELECT uidvalidity, last_uid FROM imap_state WHERE key = ?", key).Scan(&uidvalidity, &lastUID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return uidvalidity, lastUID, s.wrap("load IMAP state", err)
}

// SaveIMAPState records that key's mailbox, at uidvalidity, is done up to
// lastUID.
func (s *Store) SaveIMAPState(key string, uidvalidity, lastUID uint32) error {
	_, err := s.db.Exec(`INSERT INTO imap_state (key, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, updated_at = excluded.updated_at`,
		key, uidvalidity, lastUID, s.now().Unix())
	return s.wrap("save IMAP state", err)
}

// Forget hides address from the suppression list: its failures stored so
// far no longer count (they stay in the history). A failure stored later
// counts again. Forget reports whether the address was known.
func (s *Store) Forget(address string) (bool, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM records WHERE recipient = ?", address).Scan(&n); err != nil {
		return false, s.wrap("forget", err)
	}
	_, err := s.db.Exec(`INSERT INTO forgotten (address, forgotten_at) VALUES (?, ?)
		ON CONFLICT(address) DO UPDATE SET forgotten_at = excluded.forgotten_at`, address, s.now().Unix())
	return n > 0, s.wrap("forget", err)
}

// CheckIntegrity runs SQLite's integrity and foreign key checks.
func (s *Store) CheckIntegrity() error {
	var res string
	if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		return s.wrap("integrity check", err)
	}
	if res != "ok" {
		return fmt.Errorf("store: integrity check: %s", res)
	}
	rows, err := s.db.Query("PRAGMA foreign_key_check")
	if err != nil {
		return s.wrap("foreign key check", err)
	}
	defer rows.Close()
	if rows.Next() {
		return errors.New("store: foreign key check failed")
	}
	return s.wrap("foreign key check", rows.Err())
}
