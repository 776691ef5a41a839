package store

import (
	"encoding/json"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/bouncer-mail/bouncer/report"
)

// DigestOptions choose what a digest covers.
type DigestOptions struct {
	// From and To frame the period (From excluded, To included: a message
	// stored at To without a date of its own is in); the previous period is the same length
	// before From, and the 7-day average is taken over the 7 days before From.
	From, To time.Time
	// New restricts the digest to the messages not yet covered by a digest
	// (see MarkReported) instead of the messages dated within the period.
	New bool
	// Hourly limits of the sending provider, per account and per IP
	// (default 200 and 300).
	AccountHourLimit, IPHourLimit int
	// Top is the length of the top lists (default 10).
	Top int
	// SoftDays is the window, in days before To, in which an address's soft
	// bounces are counted as repeated (default 14).
	SoftDays int
}

// LastRun returns the id of the latest run, 0 when there is none.
func (s *Store) LastRun() (int64, error) {
	var id int64
	err := s.db.QueryRow("SELECT coalesce(max(id), 0) FROM runs").Scan(&id)
	return id, s.wrap("last run", err)
}

// scope returns the SQL condition on messages m for the digest's messages.
func (o *DigestOptions) scope() (string, []any) {
	if o.New {
		return "m.run_id IN (SELECT id FROM runs WHERE reported_at IS NULL)", nil
	}
	return "m.at > ? AND m.at <= ?", []any{o.From.Unix(), o.To.Unix()}
}

var notFailure = map[string]bool{"delivered": true, "vacation": true, "feedback": true}

var blockReasons = map[string]bool{"blocked": true, "badreputation": true, "requireptr": true}

var (
	ipv4RE    = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	ipv6RE    = regexp.MustCompile(`\[(?:IPv6:)?([0-9A-Fa-f:]*:[0-9A-Fa-f:.]+)\]`)
	auth535RE = regexp.MustCompile(`(?:^|\D)535(?:[ -]|$)`)
)

// ipsIn returns the IP addresses quoted in a diagnostic.
func ipsIn(diag string) []string {
	var out []string
	for _, m := range ipv4RE.FindAllString(diag, -1) {
		if a, err := netip.ParseAddr(m); err == nil && a.Is4() {
			out = append(out, a.String())
		}
	}
	for _, m := range ipv6RE.FindAllStringSubmatch(diag, -1) {
		if a, err := netip.ParseAddr(m[1]); err == nil {
			out = append(out, a.String())
		}
	}
	return out
}

// Digest builds the digest of the scope chosen by opts.
func (s *Store) Digest(opts DigestOptions) (*report.Digest, error) {
	if opts.AccountHourLimit <= 0 {
		opts.AccountHourLimit = 200
	}
	if opts.IPHourLimit <= 0 {
		opts.IPHourLimit = 300
	}
	if opts.Top <= 0 {
		opts.Top = 10
	}
	if opts.SoftDays <= 0 {
		opts.SoftDays = 14
	}
	d := &report.Digest{From: opts.From.UTC(), To: opts.To.UTC(), Scope: "period"}
	if opts.New {
		d.Scope = "new"
	}
	where, args := opts.scope()

	// Messages by kind, and the unreadable ones.
	rows, err := s.db.Query(`SELECT m.kind, m.error, (SELECT source_id FROM sources WHERE message_id = m.id ORDER BY seen_at, source_id LIMIT 1),
		CASE m.kind WHEN 'feedback' THEN coalesce((SELECT json_extract(record, '$.feedback_type') FROM records WHERE message_id = m.id ORDER BY idx LIMIT 1), '') ELSE '' END,
		m.kind IN ('dsn', 'ndr') AND EXISTS (SELECT 1 FROM records WHERE message_id = m.id)
			AND NOT EXISTS (SELECT 1 FROM records WHERE message_id = m.id AND reason != 'delivered') -- report.IsDeliveryReport
		FROM messages m WHERE `+where+` ORDER BY m.at, m.id`, args...)
	if err != nil {
		return nil, s.wrap("digest", err)
	}
	for rows.Next() {
		var kind, msg, src, feedbackType string
		var delivered bool
		if err := rows.Scan(&kind, &msg, &src, &feedbackType, &delivered); err != nil {
			rows.Close()
			return nil, s.wrap("digest", err)
		}
		t := &d.Totals
		t.Messages++
		switch kind {
		case "dsn", "ndr":
			if delivered {
				t.DeliveryReports++
			} else {
				t.Bounces++
			}
		case "feedback":
			if report.IsComplaint(feedbackType) {
				t.Complaints++
			} else {
				t.FeedbackReports++
			}
		case "auto-reply":
			t.AutoReplies++
		case "unreadable":
			t.Unreadable++
			d.Unreadable = append(d.Unreadable, report.Unreadable{Source: src, Error: msg})
		default:
			t.NotBounces++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap("digest", err)
	}

	recs, err := s.records(where, args)
	if err != nil {
		return nil, err
	}
	b := newBuilder(d, &opts)
	for _, r := range recs {
		b.add(r)
	}
	b.finish()

	if err := s.reasonTrends(d, &opts); err != nil {
		return nil, err
	}
	if err := s.newHard(d, b.hard, where, args); err != nil {
		return nil, err
	}
	soft, err := s.softHistory(opts.To.Add(-time.Duration(opts.SoftDays)*24*time.Hour), opts.To.Add(time.Second))
	if err != nil {
		return nil, err
	}
	for _, addr := range b.softAddrs {
		st := soft[addr]
		if st == nil || st.count < 2 || len(st.days) < 2 {
			continue
		}
		d.RepeatedSoft = append(d.RepeatedSoft, report.SoftLine{Address: addr, Count: st.count, Days: len(st.days),
			LastReason: st.lastReason, Last: st.last.Format(time.RFC3339)})
	}
	sort.Slice(d.RepeatedSoft, func(i, j int) bool {
		a, c := d.RepeatedSoft[i], d.RepeatedSoft[j]
		if a.Days != c.Days {
			return a.Days > c.Days
		}
		return a.Address < c.Address
	})
	return d, nil
}

// storedRecord is a record read back with its dates.
type storedRecord struct {
	report.Record
	at   time.Time
	kind string
}

func (s *Store) records(where string, args []any) ([]*storedRecord, error) {
	rows, err := s.db.Query(`SELECT r.record, r.at, m.kind FROM records r JOIN messages m ON m.id = r.message_id
		WHERE `+where+` ORDER BY r.at, r.id`, args...)
	if err != nil {
		return nil, s.wrap("digest records", err)
	}
	defer rows.Close()
	var out []*storedRecord
	for rows.Next() {
		var js string
		var at int64
		sr := &storedRecord{}
		if err := rows.Scan(&js, &at, &sr.kind); err != nil {
			return nil, s.wrap("digest records", err)
		}
		if err := json.Unmarshal([]byte(js), &sr.Record); err != nil {
			return nil, s.wrap("digest records", err)
		}
		sr.at = time.Unix(at, 0).UTC()
		out = append(out, sr)
	}
	return out, s.wrap("digest records", rows.Err())
}

type hourKey struct {
	who  string
	hour time.Time
}

type builder struct {
	d    *report.Digest
	opts *DigestOptions

	blocks    map[[2]string]*report.BlockProblem
	blockIPs  map[[2]string]map[string]bool
	auth      map[string]*report.AuthProblem
	authMech  map[string]map[string]bool
	acctHours map[hourKey]*report.RateHour
	ipHours   map[hourKey]*report.RateHour
	smtpAuth  map[string]*report.SMTPAuthFail
	domains   map[string]int
	providers map[string]int
	hard      map[string]*storedRecord // latest hard bounce per address
	softSeen  map[string]bool
	softAddrs []string
}

func newBuilder(d *report.Digest, opts *DigestOptions) *builder {
	return &builder{d: d, opts: opts,
		blocks: map[[2]string]*report.BlockProblem{}, blockIPs: map[[2]string]map[string]bool{},
		auth: map[string]*report.AuthProblem{}, authMech: map[string]map[string]bool{},
		acctHours: map[hourKey]*report.RateHour{}, ipHours: map[hourKey]*report.RateHour{},
		smtpAuth: map[string]*report.SMTPAuthFail{}, domains: map[string]int{}, providers: map[string]int{},
		hard: map[string]*storedRecord{}, softSeen: map[string]bool{},
	}
}

func domainOf(addr string) string {
	addr = addrOnly(addr)
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

func addrOnly(v string) string {
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.ToLower(v[i+1 : i+j])
		}
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// provider reduces a host name to its provider's domain: the last two
// labels, or three when the second-level label is a short public suffix
// part (co.uk, com.au).
func provider(host string) string {
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if host == "" {
		return ""
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return host
	}
	labels := strings.Split(host, ".")
	n := 2
	if len(labels) >= 3 && len(labels[len(labels)-1]) == 2 && len(labels[len(labels)-2]) <= 3 {
		n = 3
	}
	if len(labels) <= n {
		return host
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

func (b *builder) add(r *storedRecord) {
	t := &b.d.Totals
	failure := (r.kind == "dsn" || r.kind == "ndr") && !notFailure[r.Reason]
	if failure {
		if r.HardBounce {
			t.Hard++
		} else {
			t.Soft++
		}
	}
	if r.Reason == "undefined" || r.Reason == "" {
		b.d.Unclassified = append(b.d.Unclassified, line(r))
	}
	if !failure {
		return
	}
	addr := strings.ToLower(r.Recipient)
	if d := domainOf(addr); d != "" {
		b.domains[d]++
	}
	if p := provider(r.RemoteMTA); p != "" {
		b.providers[p]++
	}
	if r.HardBounce && addr != "" {
		b.hard[addr] = r
	}
	if !r.HardBounce && addr != "" && r.Side != "sender" && r.Side != "none" && !b.softSeen[addr] {
		b.softSeen[addr] = true
		b.softAddrs = append(b.softAddrs, addr)
	}
	ips := ipsIn(r.Diagnostic)
	if blockReasons[r.Reason] {
		host := r.RemoteMTA
		if host == "" {
			host = domainOf(addr)
		}
		k := [2]string{r.Reason, host}
		bp := b.blocks[k]
		if bp == nil {
			bp = &report.BlockProblem{Reason: r.Reason, RemoteHost: host, Action: r.RecommendedAction,
				ActionText: r.ActionText, Example: r.Diagnostic}
			b.blocks[k] = bp
			b.blockIPs[k] = map[string]bool{}
		}
		bp.Count++
		for _, ip := range ips {
			if !b.blockIPs[k][ip] {
				b.blockIPs[k][ip] = true
				bp.IPs = append(bp.IPs, ip)
			}
		}
	}
	sender := addrOnly(r.Sender)
	if r.Reason == "authfailure" {
		dom := domainOf(sender)
		ap := b.auth[dom]
		if ap == nil {
			ap = &report.AuthProblem{Domain: dom, ActionText: r.ActionText, Example: r.Diagnostic}
			b.auth[dom] = ap
			b.authMech[dom] = map[string]bool{}
		}
		ap.Count++
		up := strings.ToUpper(r.Diagnostic)
		for _, m := range []string{"SPF", "DKIM", "DMARC"} {
			if strings.Contains(up, m) && !b.authMech[dom][m] {
				b.authMech[dom][m] = true
			}
		}
	}
	hour := r.at.Truncate(time.Hour)
	if acct := sender; acct != "" || r.Reason == "speeding" {
		if acct == "" {
			acct = "(unknown account)"
		}
		k := hourKey{acct, hour}
		rh := b.acctHours[k]
		if rh == nil {
			rh = &report.RateHour{Account: acct, Hour: hour, Limit: b.opts.AccountHourLimit}
			b.acctHours[k] = rh
		}
		rh.Bounces++
		if r.Reason == "speeding" {
			rh.Speeding++
		}
	}
	if r.Reason == "speeding" {
		for _, ip := range ips {
			k := hourKey{ip, hour}
			rh := b.ipHours[k]
			if rh == nil {
				rh = &report.RateHour{IP: ip, Hour: hour, Limit: b.opts.IPHourLimit}
				b.ipHours[k] = rh
			}
			rh.Bounces++
			rh.Speeding++
		}
	}
	if r.ReplyCode == "535" || (r.Reason == "securityerror" && auth535RE.MatchString(r.Diagnostic)) {
		acct := sender
		if acct == "" {
			acct = "(unknown account)"
		}
		sa := b.smtpAuth[acct]
		if sa == nil {
			sa = &report.SMTPAuthFail{Account: acct, Example: r.Diagnostic}
			b.smtpAuth[acct] = sa
		}
		sa.Count++
	}
}

func line(r *storedRecord) report.AddressLine {
	return report.AddressLine{Address: r.Recipient, Reason: r.Reason, Date: r.at.Format(time.RFC3339),
		Diagnostic: r.Diagnostic, Source: r.SourceID}
}

func (b *builder) finish() {
	d := b.d
	for _, bp := range b.blocks {
		d.Blocks = append(d.Blocks, *bp)
	}
	sort.Slice(d.Blocks, func(i, j int) bool {
		a, c := d.Blocks[i], d.Blocks[j]
		if a.Count != c.Count {
			return a.Count > c.Count
		}
		return a.Reason+a.RemoteHost < c.Reason+c.RemoteHost
	})
	for dom, ap := range b.auth {
		for _, m := range []string{"SPF", "DKIM", "DMARC"} {
			if b.authMech[dom][m] {
				ap.Mechanisms = append(ap.Mechanisms, m)
			}
		}
		name := dom
		if name == "" {
			ap.Domain, name = "(unknown)", "DOMAIN"
		}
		ap.Check = []string{
			"SPF: TXT " + name,
			"DKIM: TXT SELECTOR._domainkey." + name,
			"DMARC: TXT _dmarc." + name,
		}
		d.AuthFailures = append(d.AuthFailures, *ap)
	}
	sort.Slice(d.AuthFailures, func(i, j int) bool {
		a, c := d.AuthFailures[i], d.AuthFailures[j]
		if a.Count != c.Count {
			return a.Count > c.Count
		}
		return a.Domain < c.Domain
	})
	for _, rh := range b.acctHours {
		rh.Over = rh.Bounces > rh.Limit
		if rh.Speeding > 0 || rh.Over {
			d.RateLimits = append(d.RateLimits, *rh)
		}
	}
	for _, rh := range b.ipHours {
		rh.Over = rh.Bounces > rh.Limit
		d.RateLimits = append(d.RateLimits, *rh)
	}
	sort.Slice(d.RateLimits, func(i, j int) bool {
		a, c := d.RateLimits[i], d.RateLimits[j]
		if !a.Hour.Equal(c.Hour) {
			return a.Hour.Before(c.Hour)
		}
		return a.Account+"|"+a.IP < c.Account+"|"+c.IP
	})
	for _, sa := range b.smtpAuth {
		d.SMTPAuth = append(d.SMTPAuth, *sa)
	}
	sort.Slice(d.SMTPAuth, func(i, j int) bool { return d.SMTPAuth[i].Account < d.SMTPAuth[j].Account })
	d.TopDomains = top(b.domains, b.opts.Top)
	d.TopProviders = top(b.providers, b.opts.Top)
}

func top(m map[string]int, n int) []report.NameCount {
	out := make([]report.NameCount, 0, len(m))
	for k, v := range m {
		out = append(out, report.NameCount{Name: k, Count: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// reasonTrends counts the digest's records by reason and compares with the
// previous period and the 7 days before From.
func (s *Store) reasonTrends(d *report.Digest, opts *DigestOptions) error {
	where, args := opts.scope()
	count := func(where string, args []any) (map[string]int, error) {
		rows, err := s.db.Query(`SELECT r.reason, count(*) FROM records r JOIN messages m ON m.id = r.message_id
			WHERE `+where+` GROUP BY r.reason`, args...)
		if err != nil {
			return nil, s.wrap("reason counts", err)
		}
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				return nil, s.wrap("reason counts", err)
			}
			out[k] = n
		}
		return out, s.wrap("reason counts", rows.Err())
	}
	cur, err := count(where, args)
	if err != nil {
		return err
	}
	length := opts.To.Sub(opts.From)
	// The comparisons leave out the digest's own messages, which may be
	// dated earlier when they were stored late.
	outside := func(from, to time.Time) (string, []any) {
		return "m.at > ? AND m.at <= ? AND NOT (" + where + ")", append([]any{from.Unix(), to.Unix()}, args...)
	}
	prev, err := count(outside(opts.From.Add(-length), opts.From))
	if err != nil {
		return err
	}
	week := 7 * 24 * time.Hour
	wk, err := count(outside(opts.From.Add(-week), opts.From))
	if err != nil {
		return err
	}
	for reason, n := range cur {
		rt := report.ReasonTrend{Reason: reason, Count: n, Previous: prev[reason]}
		if length > 0 {
			rt.Avg7d = float64(wk[reason]) * float64(length) / float64(week)
		}
		d.Reasons = append(d.Reasons, rt)
	}
	sort.Slice(d.Reasons, func(i, j int) bool {
		a, c := d.Reasons[i], d.Reasons[j]
		if a.Count != c.Count {
			return a.Count > c.Count
		}
		return a.Reason < c.Reason
	})
	return nil
}

// newHard lists the addresses hard-bounced in the digest that had no hard
// bounce stored before it.
func (s *Store) newHard(d *report.Digest, hard map[string]*storedRecord, where string, args []any) error {
	for addr, r := range hard {
		var n int
		err := s.db.QueryRow(`SELECT count(*) FROM records r JOIN messages m ON m.id = r.message_id
			WHERE r.recipient = ? AND r.hard = 1 AND r.at < ? AND NOT (`+where+`)`,
			append([]any{addr, r.at.Unix()}, args...)...).Scan(&n)
		if err != nil {
			return s.wrap("new hard bounces", err)
		}
		if n == 0 {
			d.NewHard = append(d.NewHard, line(r))
		}
	}
	sort.Slice(d.NewHard, func(i, j int) bool { return d.NewHard[i].Address < d.NewHard[j].Address })
	return nil
}
