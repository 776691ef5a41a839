package store

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// SenderReasons are the reasons that say the sender's own setup failed (its
// IP, domain, authentication, rate or content). They never put an address
// on the suppression list, whatever side the classifier gave: suppressing
// good addresses because one's own IP is blocklisted is the classic mistake.
var SenderReasons = []string{
	"blocked", "badreputation", "requireptr", "rejected", "norelaying",
	"authfailure", "securityerror", "failedstarttls", "speeding",
	"toomanyconn", "spamdetected", "virusdetected", "contenterror",
	"policyviolation", "notcompliantrfc", "syntaxerror", "mesgtoobig",
	"exceedlimit", "feedback",
}

// notFailureReasons are records that are not failures at all.
var notFailureReasons = []string{"delivered", "vacation", "feedback", "undefined"}

// SuppressOptions tune Suppressions.
type SuppressOptions struct {
	Now     time.Time // zero means the store's clock
	MinDays int       // soft bounces on at least this many distinct days... (default 3)
	Days    int       // ...within this many days before Now (default 14)
	// NoComplaints leaves out the addresses listed only for a complaint.
	NoComplaints bool
}

// Suppression is one address to stop sending to.
type Suppression struct {
	Address string    `json:"address"`
	Rule    string    `json:"rule"`   // "hard", "soft" or "complaint"
	Reason  string    `json:"reason"` // of the latest failure that counts
	Hard    int       `json:"hard_bounces"`
	Soft    int       `json:"soft_bounces"` // within the window
	Days    int       `json:"soft_days"`    // distinct days with a soft bounce in the window
	Last    time.Time `json:"last"`
}

// inList returns "(?, ?, ...)" and the values as arguments.
func inList(vals []string) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + ")", args
}

// countable is the SQL condition on records r (joined with messages m and
// forgotten f) for a failure that can suppress its recipient: a bounce's
// recipient-side or transient failure, not forgotten since.
func countable() (string, []any) {
	sr, a1 := inList(SenderReasons)
	nf, a2 := inList(notFailureReasons)
	cond := `r.recipient != '' AND m.kind IN ('dsn', 'ndr') AND r.side NOT IN ('sender', 'none')
		AND r.reason NOT IN ` + sr + ` AND r.reason NOT IN ` + nf + `
		AND (f.address IS NULL OR r.stored_at > f.forgotten_at)`
	return cond, append(a1, a2...)
}

// Suppressions lists the addresses to stop sending to: every address with a
// hard bounce, every address whose soft bounces fall on at least MinDays
// distinct days (UTC) within the Days days before Now, and every address
// whose owner complained (an ARF report of type abuse, fraud or virus, or of
// no type; not "not-spam", and not the authentication-failure reports,
// which name no complaining reader). Failures that are the sender's own
// problem never count, and neither does anything stored before the address
// was forgotten. The list is sorted by address.
func (s *Store) Suppressions(opts SuppressOptions) ([]Suppression, error) {
	if opts.Now.IsZero() {
		opts.Now = s.now()
	}
	if opts.MinDays <= 0 {
		opts.MinDays = 3
	}
	if opts.Days <= 0 {
		opts.Days = 14
	}
	cond, args := countable()
	since := opts.Now.Add(-time.Duration(opts.Days) * 24 * time.Hour).Unix()
	q := `SELECT r.recipient,
		sum(r.hard),
		sum(CASE WHEN r.hard = 0 AND r.at >= ? AND r.at <= ? THEN 1 ELSE 0 END),
		count(DISTINCT CASE WHEN r.hard = 0 AND r.at >= ? AND r.at <= ? THEN date(r.at, 'unixepoch') END),
		max(r.at)
		FROM records r JOIN messages m ON m.id = r.message_id
		LEFT JOIN forgotten f ON f.address = r.recipient
		WHERE ` + cond + ` AND r.at <= ?
		GROUP BY r.recipient`
	now := opts.Now.Unix()
	all := append([]any{since, now, since, now}, args...)
	all = append(all, now)
	rows, err := s.db.Query(q, all...)
	if err != nil {
		return nil, s.wrap("suppressions", err)
	}
	defer rows.Close()
	var out []Suppression
	for rows.Next() {
		var sp Suppression
		var last int64
		if err := rows.Scan(&sp.Address, &sp.Hard, &sp.Soft, &sp.Days, &last); err != nil {
			return nil, s.wrap("suppressions", err)
		}
		switch {
		case sp.Hard > 0:
			sp.Rule = "hard"
		case sp.Days >= opts.MinDays:
			sp.Rule = "soft"
		default:
			continue
		}
		sp.Last = time.Unix(last, 0).UTC()
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("suppressions", err)
	}
	rows.Close()
	// The reason of the latest failure that counts.
	for i := range out {
		sp := &out[i]
		hardOnly := ""
		if sp.Rule == "hard" {
			hardOnly = " AND r.hard = 1"
		}
		q := `SELECT r.reason FROM records r JOIN messages m ON m.id = r.message_id
			LEFT JOIN forgotten f ON f.address = r.recipient
			WHERE r.recipient = ? AND ` + cond + hardOnly + ` ORDER BY r.at DESC LIMIT 1`
		if err := s.db.QueryRow(q, append([]any{sp.Address}, args...)...).Scan(&sp.Reason); err != nil {
			return nil, s.wrap("suppressions", err)
		}
	}
	if !opts.NoComplaints {
		more, err := s.complainers(opts.Now, out)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out, nil
}

// complainers returns the addresses of the complaints stored up to now that
// are not already in listed.
func (s *Store) complainers(now time.Time, listed []Suppression) ([]Suppression, error) {
	have := make(map[string]bool, len(listed))
	for _, sp := range listed {
		have[sp.Address] = true
	}
	q := `SELECT r.recipient, max(r.at), count(*) FROM records r JOIN messages m ON m.id = r.message_id
		LEFT JOIN forgotten f ON f.address = r.recipient
		WHERE m.kind = 'feedback' AND r.recipient != '' AND r.at <= ?
		AND lower(coalesce(json_extract(r.record, '$.feedback_type'), '')) IN ('abuse', 'fraud', 'virus', '') -- report.IsComplaint
		AND (f.address IS NULL OR r.stored_at > f.forgotten_at)
		GROUP BY r.recipient`
	rows, err := s.db.Query(q, now.Unix())
	if err != nil {
		return nil, s.wrap("complaints", err)
	}
	defer rows.Close()
	var out []Suppression
	for rows.Next() {
		var addr string
		var last int64
		var n int
		if err := rows.Scan(&addr, &last, &n); err != nil {
			return nil, s.wrap("complaints", err)
		}
		if have[addr] {
			continue
		}
		out = append(out, Suppression{Address: addr, Rule: "complaint", Reason: "feedback", Last: time.Unix(last, 0).UTC()})
	}
	return out, s.wrap("complaints", rows.Err())
}

// softHistory returns, for each address with countable soft bounces dated
// within [from, to), their number, distinct days, latest reason and date.
func (s *Store) softHistory(from, to time.Time) (map[string]*softStat, error) {
	cond, args := countable()
	q := `SELECT r.recipient, r.reason, r.at FROM records r JOIN messages m ON m.id = r.message_id
		LEFT JOIN forgotten f ON f.address = r.recipient
		WHERE r.hard = 0 AND r.at >= ? AND r.at < ? AND ` + cond + ` ORDER BY r.at`
	rows, err := s.db.Query(q, append([]any{from.Unix(), to.Unix()}, args...)...)
	if err != nil {
		return nil, s.wrap("soft bounces", err)
	}
	defer rows.Close()
	out := map[string]*softStat{}
	for rows.Next() {
		var addr, reason string
		var at int64
		if err := rows.Scan(&addr, &reason, &at); err != nil {
			return nil, s.wrap("soft bounces", err)
		}
		st := out[addr]
		if st == nil {
			st = &softStat{days: map[string]bool{}}
			out[addr] = st
		}
		st.count++
		t := time.Unix(at, 0).UTC()
		st.days[t.Format(time.DateOnly)] = true
		st.lastReason, st.last = reason, t
	}
	return out, s.wrap("soft bounces", rows.Err())
}

type softStat struct {
	count      int
	days       map[string]bool
	lastReason string
	last       time.Time
}

func (st *softStat) String() string { return fmt.Sprintf("%d on %d days", st.count, len(st.days)) }
