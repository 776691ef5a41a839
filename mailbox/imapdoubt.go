package mailbox

import (
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// settleInDoubt finishes the moves an earlier run left in doubt (the
// connection dropped before the server answered). A server that moves by
// copying then expunging may have done the copy only; moving such a message
// again would leave two copies in the folder, and reading it again would
// count it twice. So each message in doubt that is still in the mailbox is
// looked for in its folder by Message-ID: found, it is removed from the
// mailbox (UID EXPUNGE of exactly it) and not read again; not found (or
// without a Message-ID), it is read and moved like any other. The mailbox
// must be selected read-write; it is selected again at the end.
func (s *IMAPSource) settleInDoubt() error {
	st := s.prev
	for _, d := range st.InDoubt {
		uids := make([]imap.UID, len(d.UIDs))
		for i, u := range d.UIDs {
			uids[i] = imap.UID(u)
		}
		ids, err := s.messageIDs(uids)
		if err != nil {
			return fmt.Errorf("a move cut off earlier: %w", err)
		}
		if len(ids) == 0 {
			continue // the messages left the mailbox: the move was done
		}
		there, err := s.inFolder(d.Folder, ids)
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

// messageIDs returns the Message-ID of each of uids still in the mailbox
// (messages without one are left out).
func (s *IMAPSource) messageIDs(uids []imap.UID) (map[imap.UID]string, error) {
	msgs, err := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("UID FETCH ENVELOPE: %w", err)
	}
	ids := map[imap.UID]string{}
	for _, m := range msgs {
		if m.Envelope != nil && m.Envelope.MessageID != "" {
			ids[m.UID] = m.Envelope.MessageID
		}
	}
	return ids, nil
}

// inFolder opens folder read-only, returns the UIDs (of the mailbox) whose
// Message-ID is found there, and selects the mailbox again.
func (s *IMAPSource) inFolder(folder string, ids map[imap.UID]string) ([]imap.UID, error) {
	var there []imap.UID
	_, err := s.c.Select(s.serverName(folder), &imap.SelectOptions{ReadOnly: true}).Wait()
	var refused *imap.Error
	switch {
	case errors.As(err, &refused):
		// No such folder: nothing reached it.
	case err != nil:
		return nil, fmt.Errorf("EXAMINE %s: %w", folder, err)
	default:
		for u, id := range ids {
			crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + id + ">"}}}
			data, err := s.c.UIDSearch(crit, nil).Wait()
			if err != nil {
				return nil, fmt.Errorf("UID SEARCH in %s: %w", folder, err)
			}
			if len(data.AllUIDs()) > 0 {
				there = append(there, u)
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
