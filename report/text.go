package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
)

// The text format, for a person at a terminal. It holds the records (in
// memory, then in a temporary file; see spool.go) and, at Close, prints:
//
//  1. a summary block: messages read, bounces, not bounces, unreadable,
//     recipients, and recipients by reason (count descending, then name);
//  2. one group per reason, largest first, ties by name. A group's heading
//     gives the reason, its count, "hard" when every record is a hard bounce,
//     "soft" when none is and "mixed" otherwise, and whose move it is (the
//     most common Side). Under it come the most common recommended action
//     with its id in brackets, wrapped to the width, and an aligned table of
//     the recipients: address, status, reply code, diagnostic (whitespace
//     collapsed, cut with "…" to fit the width) and source. A record with an
//     Explain gets an indented "decided by" line under its row.
//
// The groups of reasons that are not failures ("delivered", "vacation",
// "feedback") come after all the failure groups, in the same order among
// themselves, and say "not a failure" instead of hard/soft: they are shown
// because a postmaster wants to see them, but never ahead of a failure.
//
// Control characters in the message-supplied text (addresses, diagnostics,
// sources) are replaced by spaces so that a bounce cannot send escape
// sequences to the terminal.

// notFailures are the reasons shown after the failure groups.
var notFailures = map[string]bool{"delivered": true, "vacation": true, "feedback": true}

// labels are the words of the text report in one language.
type labels struct {
	summary, messages, bounces, notBounces, unreadable, recipients, byReason string
	autoReplies, complaints, feedback, delivered                             string
	recipientsN                                                              func(n int) string
	hard, soft, mixed, notFailure                                            string
	sides                                                                    map[string]string
	sideOther                                                                string // format for an unknown side
	action                                                                   string
	label                                                                    string
	columns                                                                  [5]string
	decidedBy                                                                string // format: rule, origin
	matched                                                                  string // format: field, matched (already quoted)
	noBounces                                                                string
}

var labelsEN = labels{
	summary:     "Summary",
	messages:    "Messages read",
	bounces:     "Bounces",
	autoReplies: "Auto-replies",
	complaints:  "Complaints",
	delivered:   "Delivery reports",
	feedback:    "Other feedback reports",
	notBounces:  "Not bounces",
	unreadable:  "Unreadable",
	recipients:  "Recipients",
	byReason:    "Recipients by reason",
	recipientsN: func(n int) string { return plural(n, "recipient", "recipients") },
	hard:        "hard",
	soft:        "soft",
	mixed:       "mixed",
	notFailure:  "not a failure",
	sides: map[string]string{
		"sender":    "sender's move",
		"recipient": "recipient's move",
		"transient": "transient, retry later",
	},
	sideOther: "move: %s",
	action:    "What to do:",
	label:     "Label:",
	columns:   [5]string{"RECIPIENT", "STATUS", "CODE", "DIAGNOSTIC", "SOURCE"},
	decidedBy: "decided by %s (%s)",
	matched:   ": %s matched %s",
	noBounces: "no bounces found",
}

var labelsFR = labels{
	summary:     "Résumé",
	messages:    "Messages lus",
	bounces:     "Rebonds",
	autoReplies: "Réponses automatiques",
	complaints:  "Plaintes",
	delivered:   "Avis de remise",
	feedback:    "Autres rapports ARF",
	notBounces:  "Autres messages",
	unreadable:  "Illisibles",
	recipients:  "Destinataires",
	byReason:    "Destinataires par raison",
	recipientsN: func(n int) string { return plural(n, "destinataire", "destinataires") },
	hard:        "définitif",
	soft:        "temporaire",
	mixed:       "mixte",
	notFailure:  "pas un échec",
	sides: map[string]string{
		"sender":    "à l'expéditeur d'agir",
		"recipient": "au destinataire d'agir",
		"transient": "passager, réessayer plus tard",
	},
	sideOther: "à qui d'agir : %s",
	action:    "Que faire :",
	label:     "Étiquette :",
	columns:   [5]string{"DESTINATAIRE", "STATUT", "CODE", "DIAGNOSTIC", "SOURCE"},
	decidedBy: "décidé par %s (%s)",
	matched:   " : %s correspond à %s",
	noBounces: "aucun rebond trouvé",
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// labelsFor picks the language: any tag starting with "fr" (fr, fr-CA,
// fr_FR.UTF-8) is French, anything else English.
func labelsFor(lang string) *labels {
	if strings.HasPrefix(strings.ToLower(lang), "fr") {
		return &labelsFR
	}
	return &labelsEN
}

const (
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

const (
	defaultWidth = 100
	minWidth     = 40 // below this the layout is not worth honouring
	minDiag      = 20 // the diagnostic column never shrinks below this
	indent       = "  "
)

type textWriter struct {
	w      io.Writer
	opts   Options
	l      *labels
	groups map[string]*group
	n      int // records added
	memory int // bytes of records held in memory, roughly
	closed bool
}

func newTextWriter(w io.Writer, opts Options) *textWriter {
	if opts.Width <= 0 {
		opts.Width = defaultWidth
	}
	if opts.Width < minWidth {
		opts.Width = minWidth
	}
	return &textWriter{w: w, opts: opts, l: labelsFor(opts.Lang), groups: map[string]*group{}}
}

func (t *textWriter) Add(r *Record) error {
	if t.closed {
		return ErrClosed
	}
	r = t.slim(r)
	g := t.groups[r.Reason]
	if g == nil {
		g = &group{reason: r.Reason, sides: map[string]int{}, actions: map[string]int{}, actionText: map[string]string{}, labels: map[string]int{}}
		t.groups[r.Reason] = g
	}
	g.count(r)
	t.n++
	size := recordSize(r)
	inMemory := t.memory+size <= spoolMemory
	if inMemory {
		t.memory += size
	}
	return g.rows.add(r, inMemory)
}

// slim keeps of r what the text report shows, copied: the report holds every
// record until Close, and a diagnostic may be a view of its whole message,
// which would then stay in memory. The diagnostic is cut to the width, more
// than its column ever shows.
func (t *textWriter) slim(r *Record) *Record {
	s := &Record{
		Reason:            r.Reason,
		HardBounce:        r.HardBounce,
		Side:              r.Side,
		RecommendedAction: r.RecommendedAction,
		ActionText:        r.ActionText,
		Label:             r.Label,
		Recipient:         strings.Clone(r.Recipient),
		Status:            strings.Clone(r.Status),
		ReplyCode:         strings.Clone(r.ReplyCode),
		Source:            strings.Clone(r.Source),
		Diagnostic:        strings.Clone(firstRunes(collapse(r.Diagnostic), t.opts.Width+1)),
	}
	if e := r.Explain; e != nil {
		s.Explain = &Explain{Rule: e.Rule, Origin: e.Origin, Field: e.Field, Matched: strings.Clone(e.Matched)}
	}
	return s
}

// firstRunes returns the first n runes of s.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// Close prints the summary block, then the groups.
func (t *textWriter) Close(s *Summary) error {
	if t.closed {
		return ErrClosed
	}
	t.closed = true
	byReason := make(map[string]int, len(t.groups))
	for reason, g := range t.groups {
		byReason[reason] = g.n
	}
	s = summaryCounts(s, t.n, byReason)
	bw := bufio.NewWriter(t.w)
	t.writeSummary(bw, s)
	if t.n == 0 {
		fmt.Fprintf(bw, "\n%s\n", t.l.noBounces)
	}
	var err error
	for _, g := range t.ordered() {
		bw.WriteString("\n")
		if e := t.writeGroup(bw, g); e != nil && err == nil {
			err = e
		}
		g.rows.close()
	}
	t.groups = nil
	if e := bw.Flush(); err == nil {
		err = e
	}
	return err
}

func (t *textWriter) paint(code, s string) string {
	if !t.opts.Color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) writeSummary(w io.Writer, s *Summary) {
	l := t.l
	fmt.Fprintln(w, t.paint(ansiBold, l.summary))
	// Labels are left-aligned and counts right-aligned.
	type line struct {
		label string
		n     int
	}
	lines := []line{
		{indent + l.messages, s.Messages},
		{indent + l.bounces, s.Bounces},
	}
	// Delivery reports, auto-replies, complaints and other feedback only
	// when there are some: most runs
	// have none.
	if s.DeliveryReports > 0 {
		lines = append(lines, line{indent + l.delivered, s.DeliveryReports})
	}
	if s.AutoReplies > 0 {
		lines = append(lines, line{indent + l.autoReplies, s.AutoReplies})
	}
	if s.Complaints > 0 {
		lines = append(lines, line{indent + l.complaints, s.Complaints})
	}
	if s.FeedbackReports > 0 {
		lines = append(lines, line{indent + l.feedback, s.FeedbackReports})
	}
	lines = append(lines,
		line{indent + l.notBounces, s.NotBounces},
		line{indent + l.unreadable, s.Unreadable},
		line{indent + l.recipients, s.Recipients})
	head := len(lines)
	reasons := byCount(s.ByReason)
	for _, nc := range reasons {
		lines = append(lines, line{indent + indent + clean(nc.name), nc.count})
	}
	labelW, numW := 0, 0
	for _, ln := range lines {
		labelW = max(labelW, colWidth(ln.label))
		numW = max(numW, len(fmt.Sprint(ln.n)))
	}
	put := func(ln line) {
		pad := strings.Repeat(" ", labelW-colWidth(ln.label))
		fmt.Fprintf(w, "%s%s  %*d\n", ln.label, pad, numW, ln.n)
	}
	for _, ln := range lines[:head] {
		put(ln)
	}
	if len(reasons) > 0 {
		fmt.Fprintf(w, "%s%s\n", indent, l.byReason)
		for _, ln := range lines[head:] {
			put(ln)
		}
	}
}

// group is the records of one reason, with what its heading and table need
// counted as they come.
type group struct {
	reason     string
	n, hard    int
	sides      map[string]int    // Side -> records
	actions    map[string]int    // RecommendedAction -> records
	actionText map[string]string // RecommendedAction -> ActionText of its first record
	labels     map[string]int    // Label -> records
	widths     [5]int            // rune widths of the table's cells but the diagnostic, rows only
	maxDiag    int               // runes of the longest collapsed diagnostic
	rows       recordSpool
}

func (g *group) count(r *Record) {
	g.n++
	if r.HardBounce {
		g.hard++
	}
	if r.Side != "" {
		g.sides[r.Side]++
	}
	if r.Label != "" {
		g.labels[r.Label]++
	}
	if a := r.RecommendedAction; a != "" {
		if g.actions[a] == 0 {
			g.actionText[a] = r.ActionText
		}
		g.actions[a]++
	}
	for i, c := range tableCells(r) {
		if i == 3 {
			g.maxDiag = max(g.maxDiag, colWidth(c))
		} else {
			g.widths[i] = max(g.widths[i], colWidth(c))
		}
	}
}

// ordered returns the groups: failures first, then the reasons that are not
// failures; within each, largest first, ties by name.
func (t *textWriter) ordered() []*group {
	gs := make([]*group, 0, len(t.groups))
	for _, g := range t.groups {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if fa, fb := notFailures[a.reason], notFailures[b.reason]; fa != fb {
			return fb
		}
		if a.n != b.n {
			return a.n > b.n
		}
		return a.reason < b.reason
	})
	return gs
}

// mostCommon returns the most frequent key of counts, ties by name; "" when
// there is none.
func mostCommon(counts map[string]int) string {
	if len(counts) == 0 {
		return ""
	}
	return byCount(counts)[0].name
}

func (t *textWriter) writeGroup(w io.Writer, g *group) error {
	l := t.l
	reason := g.reason
	if reason == "" {
		reason = "?"
	}
	parts := []string{l.recipientsN(g.n)}
	if notFailures[g.reason] {
		parts = append(parts, l.notFailure)
	} else {
		switch g.hard {
		case g.n:
			parts = append(parts, t.paint(ansiRed, l.hard))
		case 0:
			parts = append(parts, t.paint(ansiYellow, l.soft))
		default:
			parts = append(parts, l.mixed)
		}
	}
	if side := mostCommon(g.sides); side != "" {
		if s, ok := l.sides[side]; ok {
			parts = append(parts, s)
		} else {
			parts = append(parts, fmt.Sprintf(l.sideOther, clean(side)))
		}
	}
	fmt.Fprintf(w, "%s — %s\n", t.paint(ansiBold, clean(reason)), strings.Join(parts, ", "))

	if id := mostCommon(g.actions); id != "" {
		text := collapse(g.actionText[id])
		if text != "" {
			text += " "
		}
		text += "[" + clean(id) + "]"
		for _, line := range wrap(l.action+" "+text, t.opts.Width-len(indent)) {
			fmt.Fprintf(w, "%s%s\n", indent, line)
		}
	}
	if label := mostCommon(g.labels); label != "" {
		fmt.Fprintf(w, "%s%s %s\n", indent, l.label, clean(label))
	}
	return t.writeTable(w, g)
}

// tableCells returns a slim record's cells: recipient, status, reply code,
// diagnostic (collapsed by slim, not yet cut to its room) and source.
func tableCells(r *Record) [5]string {
	return [5]string{dash(r.Recipient), dash(r.Status), dash(r.ReplyCode), r.Diagnostic, dash(r.Source)}
}

func dash(s string) string {
	if s = clean(s); s == "" {
		return "-"
	}
	return s
}

// writeTable prints the aligned recipients of a group: each cell but the
// last padded to its column's width and two spaces (the columns a
// tabwriter would make), and under a row with an Explain its "decided by"
// line. The widths were counted as the records came; the diagnostic gets
// the room the other columns leave, so its width is found in a first pass.
func (t *textWriter) writeTable(w io.Writer, g *group) error {
	l := t.l
	const pad = 2
	widths := g.widths
	for i, h := range l.columns {
		widths[i] = max(widths[i], colWidth(h))
	}
	room := t.opts.Width - len(indent) - widths[0] - widths[1] - widths[2] - widths[4] - 4*pad
	room = max(room, minDiag)
	diagCell := func(d string) string {
		if d = cut(d, room); d == "" {
			d = "-"
		}
		return d
	}
	widths[3] = colWidth(l.columns[3])
	if g.maxDiag <= room {
		widths[3] = max(widths[3], g.maxDiag, 1)
	} else if err := g.rows.each(func(r *Record) {
		widths[3] = max(widths[3], colWidth(diagCell(r.Diagnostic)))
	}); err != nil {
		return err
	}
	widths[0] += len(indent)
	row := func(cells [5]string) {
		cells[0] = indent + cells[0]
		var b strings.Builder
		for i, c := range cells[:4] {
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-colWidth(c)+pad))
		}
		b.WriteString(cells[4])
		fmt.Fprintln(w, b.String())
	}
	row(l.columns)
	return g.rows.each(func(r *Record) {
		cells := tableCells(r)
		cells[3] = diagCell(cells[3])
		row(cells)
		if e := r.Explain; e != nil {
			s := fmt.Sprintf(l.decidedBy, dash(e.Rule), dash(e.Origin))
			if e.Field != "" || e.Matched != "" {
				s += fmt.Sprintf(l.matched, dash(e.Field), fmt.Sprintf("%q", e.Matched))
			}
			fmt.Fprintf(w, "%s%s%s\n", indent, indent+indent, s)
		}
	})
}

// clean replaces control characters (tabs, newlines, escapes) by spaces.
func clean(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// collapse turns every run of white space or control characters into one
// space and trims the ends.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

// cut shortens s to at most n columns, ending it with "…" when it was cut.
func cut(s string, n int) string {
	return cutWidth(s, n)
}

// wrap splits s into lines of at most width columns, breaking at spaces; a
// word longer than width gets a line of its own.
func wrap(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	n := 0
	for _, word := range strings.Fields(s) {
		wl := colWidth(word)
		if n > 0 && n+1+wl > width {
			lines = append(lines, cur.String())
			cur.Reset()
			n = 0
		}
		if n > 0 {
			cur.WriteByte(' ')
			n++
		}
		cur.WriteString(word)
		n += wl
	}
	if n > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
