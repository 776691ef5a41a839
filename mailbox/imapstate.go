package mailbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/bouncer-mail/bouncer/internal/xdg"
)

// IMAPState is what an incremental run remembers of one mailbox: the
// UIDVALIDITY seen and the highest UID whose records were written (and whose
// actions, if any, were applied).
type IMAPState struct {
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
	// InDoubt lists the moves cut off before the server answered: the
	// server may have copied those messages without removing them from the
	// mailbox. The next run that may change the mailbox looks for each one
	// in its folder (the same content) before moving it again.
	InDoubt []InDoubtMove `json:"in_doubt,omitempty"`
	Updated time.Time     `json:"updated"`
}

// InDoubtMove is a move whose outcome is not known.
type InDoubtMove struct {
	Folder string   `json:"folder"`
	UIDs   []uint32 `json:"uids"`
}

// sameState reports whether a and b differ only in Updated.
func sameState(a, b IMAPState) bool {
	if a.UIDValidity != b.UIDValidity || a.LastUID != b.LastUID || len(a.InDoubt) != len(b.InDoubt) {
		return false
	}
	for i := range a.InDoubt {
		x, y := a.InDoubt[i], b.InDoubt[i]
		if x.Folder != y.Folder || !slices.Equal(x.UIDs, y.UIDs) {
			return false
		}
	}
	return true
}

// StateStore keeps the IMAPState of mailboxes between runs, keyed by account
// ("user@host") and mailbox name. Load returns ok=false for a mailbox never
// saved.
type StateStore interface {
	Load(account, mailbox string) (st IMAPState, ok bool, err error)
	Save(account, mailbox string, st IMAPState) error
}

// JSONStateStore is a StateStore in one JSON file. Saves replace the file
// atomically (write to a temporary file, then rename). It is safe for
// concurrent use within one process.
type JSONStateStore struct {
	// Path is the file; its folder is created on the first Save.
	Path string
	mu   sync.Mutex
}

// DefaultStatePath returns $XDG_STATE_HOME/bouncer/imap-state.json, or
// ~/.local/state/bouncer/imap-state.json when XDG_STATE_HOME is unset.
func DefaultStatePath() (string, error) {
	dir, err := xdg.State.Dir()
	if err != nil {
		return "", fmt.Errorf("mailbox: imap state: no folder for it: set XDG_STATE_HOME or HOME")
	}
	return filepath.Join(dir, "bouncer", "imap-state.json"), nil
}

type stateFile struct {
	Mailboxes map[string]IMAPState `json:"mailboxes"`
}

func stateKey(account, mailbox string) string { return account + "/" + mailbox }

func (s *JSONStateStore) read() (*stateFile, error) {
	f := &stateFile{Mailboxes: map[string]IMAPState{}}
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mailbox: imap state: %w", err)
	}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("mailbox: imap state %s: %w", s.Path, err)
	}
	if f.Mailboxes == nil {
		f.Mailboxes = map[string]IMAPState{}
	}
	return f, nil
}

// Load returns the state saved for the mailbox.
func (s *JSONStateStore) Load(account, mailbox string) (IMAPState, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil {
		return IMAPState{}, false, err
	}
	st, ok := f.Mailboxes[stateKey(account, mailbox)]
	return st, ok, nil
}

// Save records the state of the mailbox, keeping the others.
func (s *JSONStateStore) Save(account, mailbox string, st IMAPState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil {
		return err
	}
	f.Mailboxes[stateKey(account, mailbox)] = st
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return fmt.Errorf("mailbox: imap state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.Path), ".imap-state-*")
	if err != nil {
		return fmt.Errorf("mailbox: imap state: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), s.Path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("mailbox: imap state: %w", werr)
	}
	return nil
}
