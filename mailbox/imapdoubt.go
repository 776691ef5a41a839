package mailbox

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/textproto"

	"github.com/emersion/go-imap/v2"
)

// settleInDoubt finishes the moves an earlier run left in doubt (the
// connection dropped before the server answered). A server that moves by
// copying then expunging may have done the copy only; moving such a message
// again would leave two copies in the folder, and reading it again would
// count it twice. So each message in doubt that is still in the mailbox is
// looked for in its folder: found there byte for byte, it is removed from
// the mailbox (UID EXPUNGE of exactly it) and not read again; not found, it
// is read and moved like any other. The mailbox must be selected
// read-write; it is selected again at the end.
func (s *IMAPSource) settleInDoubt() error {
	st := s.prev
	for _, d := range st.InDoubt {
		uids := make([]imap.UID, len(d.UIDs))
		for i, u := range d.UIDs {
			uids[i] = imap.UID(u)
		}
		left, err := s.doubtful(uids)
		if err != nil {
			return fmt.Errorf("a move cut off earlier: %w", err)
		}
		if len(left) == 0 {
			continue // the messages left the mailbox: the move was done
		}
		there, err := s.inFolder(d.Folder, left)
		if err != nil {
			return fmt.Errorf("a move cut off earlier: %w", err)
		}
		if len(there) == 0 {
			continue
		}
		if !s.c.Caps().Has(imap.CapUIDPlus) {
			s.warnf("%d message(s) whose move to %s was cut off are in both folders; without UIDPLUS they are left in %s", len(there), d.Folder, s.URL.Mailbox)
			continue
		}
		if err := s.expungeSet(imap.UIDSetNum(there...)); err != nil {
			return fmt.Errorf("a move cut off earlier: %w", err)
		}
		s.warnf("%d message(s) whose move to %s was cut off had reached it: removed from %s, not read again", len(there), d.Folder, s.URL.Mailbox)
	}
	st.InDoubt = nil
	s.prev = st
	// Saved now, so that a run that reads nothing still forgets them.
	if err := s.opts.State.Save(s.URL.Account(), s.URL.Mailbox, st); err != nil {
		return err
	}
	return nil
}

// doubtMessage is a message in doubt still in the mailbox: how to look for
// it in the folder, and its content's digest to tell its copy from a
// look-alike.
type doubtMessage struct {
	uid  imap.UID
	find *imap.SearchCriteria
	sum  [sha256.Size]byte
}

// doubtful fetches, one at a time, the messages of uids still in the
// mailbox, with what finds their copies in a folder.
func (s *IMAPSource) doubtful(uids []imap.UID) ([]doubtMessage, error) {
	var out []doubtMessage
	for _, u := range uids {
		data, size, ok, err := s.fetchWhole(u)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // no longer in the mailbox
		}
		out = append(out, doubtMessage{uid: u, find: lookFor(data, size), sum: sha256.Sum256(data)})
	}
	return out, nil
}

// fetchWhole returns the content and RFC822.SIZE of the message uid of the
// selected folder; ok is false when there is no such message.
func (s *IMAPSource) fetchWhole(uid imap.UID) (data []byte, size int64, ok bool, err error) {
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{
		UID: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		return nil, 0, false, fmt.Errorf("UID FETCH %d: %w", uid, err)
	}
	for _, m := range msgs {
		if m.UID == uid {
			return m.FindBodySection(section), m.RFC822Size, true, nil
		}
	}
	return nil, 0, false, nil
}

// lookFor returns the search that finds the copies of the message data,
// of the given size, in a folder: messages of that size with the same
// Message-ID or, without one, the same Date. A message with neither is
// looked for by its size alone; either way its content decides.
func lookFor(data []byte, size int64) *imap.SearchCriteria {
	h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(data))).ReadMIMEHeader()
	crit := &imap.SearchCriteria{Larger: max(size-1, 0), Smaller: size + 1}
	for _, key := range []string{"Message-ID", "Date"} {
		if v := h.Get(key); v != "" && printableASCII(v) {
			crit.Header = []imap.SearchCriteriaHeaderField{{Key: key, Value: v}}
			break
		}
	}
	return crit
}

// printableASCII reports whether v can be searched for without a charset.
func printableASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] > '~' {
			return false
		}
	}
	return true
}

// inFolder opens folder read-only, returns the UIDs (of the mailbox) of the
// messages found there with the same content, and selects the mailbox
// again.
func (s *IMAPSource) inFolder(folder string, msgs []doubtMessage) ([]imap.UID, error) {
	var there []imap.UID
	_, err := s.c.Select(s.serverName(folder), &imap.SelectOptions{ReadOnly: true}).Wait()
	var refused *imap.Error
	switch {
	case errors.As(err, &refused):
		// No such folder: nothing reached it.
	case err != nil:
		return nil, fmt.Errorf("EXAMINE %s: %w", folder, err)
	default:
		for _, m := range msgs {
			found, err := s.copyIn(folder, m)
			if err != nil {
				return nil, err
			}
			if found {
				there = append(there, m.uid)
			}
		}
	}
	sel, err := s.c.Select(s.serverName(s.URL.Mailbox), nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("SELECT %s: %w", s.URL.Mailbox, err)
	}
	if sel.UIDValidity != s.uidValidity {
		return nil, fmt.Errorf("UIDVALIDITY of %s changed from %d to %d", s.URL.Mailbox, s.uidValidity, sel.UIDValidity)
	}
	return there, nil
}

// copyIn reports whether the selected folder holds a copy of m: a message
// its search finds whose content is the same.
func (s *IMAPSource) copyIn(folder string, m doubtMessage) (bool, error) {
	data, err := s.c.UIDSearch(m.find, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("UID SEARCH in %s: %w", folder, err)
	}
	for _, u := range data.AllUIDs() {
		content, _, ok, err := s.fetchWhole(u)
		if err != nil {
			return false, fmt.Errorf("%s: %w", folder, err)
		}
		if ok && sha256.Sum256(content) == m.sum {
			return true, nil
		}
	}
	return false, nil
}
