package mailbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// maxSetUIDs bounds the UIDs named in one command: Dovecot refuses UID set
// strings over about 60 KB.
const maxSetUIDs = 5000

// ErrNoUIDPLUS is matched by the error of a move or delete refused because
// the server has neither MOVE nor UIDPLUS: without UID EXPUNGE the only way
// to remove the messages would be a bare EXPUNGE, which also removes every
// other message marked \Deleted.
var ErrNoUIDPLUS = errors.New("the server has neither MOVE nor UIDPLUS: refusing to move or delete (a bare EXPUNGE would remove other \\Deleted messages)")

// step is one action on a set of UIDs.
type step struct {
	what   string // "flag", "move", "delete"
	folder string
	flags  []imap.Flag
	uids   []imap.UID
}

// plan turns the outcomes done so far into steps: flags first, then moves,
// then deletion.
func (s *IMAPSource) plan() []step {
	a := &s.opts.Actions
	s.mu.Lock()
	done := append([]imap.UID(nil), s.uids[:s.doneIdx]...)
	outcomes := make([]Outcome, len(done))
	for i, u := range done {
		outcomes[i] = s.outcomes[u]
	}
	s.mu.Unlock()

	var flags []imap.Flag
	for _, f := range a.Flags {
		flags = append(flags, imap.Flag(f))
	}
	if a.MarkSeen {
		flags = append(flags, imap.FlagSeen)
	}
	var flagged, deleted []imap.UID
	moves := map[string][]imap.UID{}
	for i, u := range done {
		o := outcomes[i]
		switch {
		case o.Failed:
			continue
		case !o.Bounce:
			if a.MoveNotBounces != "" {
				moves[a.MoveNotBounces] = append(moves[a.MoveNotBounces], u)
			}
			continue
		}
		if len(flags) > 0 {
			flagged = append(flagged, u)
		}
		switch {
		case a.MoveTo != "":
			moves[a.MoveTo] = append(moves[a.MoveTo], u)
		case a.MoveBy != "":
			f := expandMoveBy(a.MoveBy, o)
			moves[f] = append(moves[f], u)
		case a.Delete:
			deleted = append(deleted, u)
		}
	}
	var steps []step
	if len(flagged) > 0 {
		steps = append(steps, step{what: "flag", flags: flags, uids: flagged})
	}
	folders := make([]string, 0, len(moves))
	for f := range moves {
		folders = append(folders, f)
	}
	sort.Strings(folders)
	for _, f := range folders {
		steps = append(steps, step{what: "move", folder: f, uids: moves[f]})
	}
	if len(deleted) > 0 {
		steps = append(steps, step{what: "delete", uids: deleted})
	}
	return steps
}

// expandMoveBy fills a --move-by template; an empty value becomes "unknown",
// and "/" inside a value becomes "-" so that it cannot add a level.
func expandMoveBy(tmpl string, o Outcome) string {
	clean := func(v string) string {
		if v == "" {
			return "unknown"
		}
		return strings.ReplaceAll(v, "/", "-")
	}
	hard := "soft"
	if o.Hard {
		hard = "hard"
	}
	return strings.NewReplacer("{side}", clean(o.Side), "{reason}", clean(o.Reason), "{hard}", hard).Replace(tmpl)
}

// Finish applies the actions to the messages whose outcome was told with
// Done (in a dry run it only writes them to Options.Log), then saves the
// incremental state: the highest UID up to which every selected message was
// done and acted on. Call it only once the records of those messages are
// written. If an action fails, the state stops before its first message, so
// that the next run reads that message again rather than skip it; actions
// already applied are not repeated because moved messages have left the
// mailbox and flags are idempotent.
func (s *IMAPSource) Finish(ctx context.Context) error {
	if s.fetch != nil {
		// The reader stopped early: end the fetch (reading what is left of
		// the batch) so that the connection takes commands again.
		s.fetch.Close()
		s.fetch = nil
		s.pos = len(s.uids)
	}
	steps := s.plan()
	s.mu.Lock()
	last := s.lastDone
	s.mu.Unlock()
	var actErr error
	if s.opts.Actions.DryRun {
		for _, st := range steps {
			s.describe(st)
		}
	} else if len(steps) > 0 {
		var failedAt imap.UID
		failedAt, actErr = s.apply(ctx, steps)
		if actErr != nil && failedAt > 0 && failedAt-1 < last {
			last = failedAt - 1
		}
	}
	if err := s.saveState(last); err != nil && actErr == nil {
		actErr = err
	}
	return actErr
}

func (s *IMAPSource) describe(st step) {
	set := uidSetString(st.uids)
	switch st.what {
	case "flag":
		fl := make([]string, len(st.flags))
		for i, f := range st.flags {
			fl[i] = string(f)
		}
		s.warnf("dry run: would add %s to %d message(s), UID %s", strings.Join(fl, " "), len(st.uids), set)
	case "move":
		s.warnf("dry run: would move %d message(s), UID %s, to %s", len(st.uids), set, st.folder)
	case "delete":
		s.warnf("dry run: would delete %d message(s), UID %s", len(st.uids), set)
	}
}

// apply runs the steps on a read-write connection (opening a new one if the
// reading one failed). On failure it returns the smallest UID not acted on
// for sure.
func (s *IMAPSource) apply(ctx context.Context, steps []step) (imap.UID, error) {
	minUID := func(from int) imap.UID {
		var m imap.UID
		for _, st := range steps[from:] {
			for _, u := range st.uids {
				if m == 0 || u < m {
					m = u
				}
			}
		}
		return m
	}
	if s.c == nil {
		if err := s.connect(ctx); err != nil {
			return minUID(0), s.errorf("reconnect for the actions: %w", err)
		}
	}
	caps := s.c.Caps()
	hasMove, hasUIDPlus := caps.Has(imap.CapMove), caps.Has(imap.CapUIDPlus)
	for i, st := range steps {
		var err error
		switch st.what {
		case "flag":
			err = s.storeFlags(st.uids, st.flags)
		case "move":
			if !hasMove && !hasUIDPlus {
				err = ErrNoUIDPLUS
				break
			}
			if err = s.ensureFolder(st.folder); err == nil {
				var cut []imap.UID
				if cut, err = s.move(st.uids, st.folder, hasMove); len(cut) > 0 {
					d := InDoubtMove{Folder: st.folder}
					for _, u := range cut {
						d.UIDs = append(d.UIDs, uint32(u))
					}
					s.inDoubt = append(s.inDoubt, d)
				}
			}
		case "delete":
			if !hasUIDPlus {
				err = ErrNoUIDPLUS
				break
			}
			err = s.remove(st.uids)
		}
		if err != nil {
			return minUID(i), s.errorf("%s: %w", st.what, err)
		}
	}
	return 0, nil
}

// chunks splits uids into sets of at most maxSetUIDs.
func chunks(uids []imap.UID) []imap.UIDSet {
	var out []imap.UIDSet
	for len(uids) > 0 {
		n := min(len(uids), maxSetUIDs)
		out = append(out, imap.UIDSetNum(uids[:n]...))
		uids = uids[n:]
	}
	return out
}

func uidSetString(uids []imap.UID) string {
	s := imap.UIDSetNum(uids...).String()
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func (s *IMAPSource) storeFlags(uids []imap.UID, flags []imap.Flag) error {
	for _, set := range chunks(uids) {
		err := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// ensureFolder creates a folder (and its parents) unless it exists.
func (s *IMAPSource) ensureFolder(folder string) error {
	name := s.serverName(folder)
	list, err := s.c.List("", name, nil).Collect()
	if err != nil {
		return err
	}
	for _, l := range list {
		if l.Mailbox == name {
			return nil
		}
	}
	if err := s.c.Create(name, nil).Wait(); err != nil {
		return fmt.Errorf("create %s: %w", folder, err)
	}
	s.warnf("created folder %s", folder)
	return nil
}

// move moves the messages with UID MOVE, or else with UID COPY, then
// \Deleted, then UID EXPUNGE of exactly those UIDs, each step waiting for
// the previous one's answer (go-imap's own fallback does not wait, and
// expunges even when the COPY failed).
// move moves uids to folder. When it fails without knowing what the server
// did (the connection dropped before the answer to MOVE or COPY, or the
// expunge after a COPY failed), it also returns the UIDs in doubt: they may
// be in both folders.
func (s *IMAPSource) move(uids []imap.UID, folder string, hasMove bool) (inDoubt []imap.UID, err error) {
	name := s.serverName(folder)
	var refused *imap.Error
	for len(uids) > 0 {
		chunk := uids[:min(len(uids), maxSetUIDs)]
		uids = uids[len(chunk):]
		set := imap.UIDSetNum(chunk...)
		if hasMove {
			if _, err := s.c.Move(set, name).Wait(); err != nil {
				if errors.As(err, &refused) {
					return nil, err // a NO or BAD answer: nothing was moved
				}
				return chunk, err
			}
			continue
		}
		if _, err := s.c.Copy(set, name).Wait(); err != nil {
			if errors.As(err, &refused) {
				return nil, fmt.Errorf("copy to %s: %w", folder, err)
			}
			return chunk, fmt.Errorf("copy to %s: %w", folder, err)
		}
		if err := s.expungeSet(set); err != nil {
			return chunk, err
		}
	}
	return nil, nil
}

func (s *IMAPSource) remove(uids []imap.UID) error {
	for _, set := range chunks(uids) {
		if err := s.expungeSet(set); err != nil {
			return err
		}
	}
	return nil
}

// expungeSet marks the set \Deleted and expunges exactly it.
func (s *IMAPSource) expungeSet(set imap.UIDSet) error {
	err := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	if err != nil {
		return fmt.Errorf("store \\Deleted: %w", err)
	}
	if err := s.c.UIDExpunge(set).Close(); err != nil {
		return fmt.Errorf("UID EXPUNGE: %w", err)
	}
	return nil
}

// saveState records last as the highest UID done, when the run read every
// message (no --since or --unseen) or is incremental (--new), and, in every
// case, the moves of this run left in doubt.
func (s *IMAPSource) saveState(last imap.UID) error {
	sel := &s.opts.Selection
	if s.opts.State == nil || s.uidValidity == 0 {
		return nil
	}
	advance := sel.New || (!sel.Unseen && sel.Since.IsZero())
	if !advance && len(s.inDoubt) == 0 {
		return nil
	}
	st := IMAPState{UIDValidity: s.uidValidity, Updated: time.Now().UTC()}
	if advance {
		st.LastUID = uint32(last)
	}
	if s.hasPrev && s.prev.UIDValidity == s.uidValidity {
		st.LastUID = max(st.LastUID, s.prev.LastUID)
		st.InDoubt = append(st.InDoubt, s.prev.InDoubt...)
	}
	st.InDoubt = append(st.InDoubt, s.inDoubt...)
	s.inDoubt = nil
	if s.hasPrev && sameState(s.prev, st) {
		return nil
	}
	if err := s.opts.State.Save(s.URL.Account(), s.URL.Mailbox, st); err != nil {
		return s.errorf("%w", err)
	}
	s.prev, s.hasPrev = st, true
	return nil
}
