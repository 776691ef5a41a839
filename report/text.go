package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"
)

// The text format, for a person at a terminal. It buffers the records and,
// at Close, prints:
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
	autoReplies, complaints                                                  string
	recipientsN                                                              func(n int) string
	hard, soft, mixed, notFailure                                            string
	sides                                                                    map[string]string
	sideOther                                                                string // format for an unknown side
	action                                                                   string
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
	w       io.Writer
	opts    Options
	l       *labels
	records []*Record
	closed  bool
}

func newTextWriter(w io.Writer, opts Options) *textWriter {
	if opts.Width <= 0 {
		opts.Width = defaultWidth
	}
	if opts.Width < minWidth {
		opts.Width = minWidth
	}
	return &textWriter{w: w, opts: opts, l: labelsFor(opts.Lang)}
}

func (t *textWriter) Add(r *Record) error {
	if t.closed {
		return ErrClosed
	}
	t.records = append(t.records, r)
	return nil
}

// Close prints the summary block, then the groups.
func (t *textWriter) Close(s *Summary) error {
	if t.closed {
		return ErrClosed
	}
	t.closed = true
	s = summaryOf(s, t.records)
	bw := bufio.NewWriter(t.w)
	t.writeSummary(bw, s)
	if len(t.records) == 0 {
		fmt.Fprintf(bw, "\n%s\n", t.l.noBounces)
	}
	for _, g := range t.groups() {
		bw.WriteString("\n")
		t.writeGroup(bw, g)
	}
	t.records = nil
	return bw.Flush()
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
	// Auto-replies and complaints only when there are some: most runs
	// have none.
	if s.AutoReplies > 0 {
		lines = append(lines, line{indent + l.autoReplies, s.AutoReplies})
	}
	if s.Complaints > 0 {
		lines = append(lines, line{indent + l.complaints, s.Complaints})
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
		labelW = max(labelW, utf8.RuneCountInString(ln.label))
		numW = max(numW, len(fmt.Sprint(ln.n)))
	}
	put := func(ln line) {
		pad := strings.Repeat(" ", labelW-utf8.RuneCountInString(ln.label))
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

// group is the records of one reason.
type group struct {
	reason  string
	records []*Record
}

// groups returns the records grouped by reason: failures first, then the
// reasons that are not failures; within each, largest first, ties by name.
func (t *textWriter) groups() []group {
	idx := make(map[string]int)
	var gs []group
	for _, r := range t.records {
		i, ok := idx[r.Reason]
		if !ok {
			i = len(gs)
			idx[r.Reason] = i
			gs = append(gs, group{reason: r.Reason})
		}
		gs[i].records = append(gs[i].records, r)
	}
	less := func(a, b group) bool {
		if fa, fb := notFailures[a.reason], notFailures[b.reason]; fa != fb {
			return fb
		}
		if len(a.records) != len(b.records) {
			return len(a.records) > len(b.records)
		}
		return a.reason < b.reason
	}
	// Insertion sort keeps it stable and the number of groups is small.
	for i := 1; i < len(gs); i++ {
		for j := i; j > 0 && less(gs[j], gs[j-1]); j-- {
			gs[j], gs[j-1] = gs[j-1], gs[j]
		}
	}
	return gs
}

// mostCommon returns the most frequent non-empty value of key over rs,
// ties by name, and the first record that has it.
func mostCommon(rs []*Record, key func(*Record) string) (string, *Record) {
	counts := make(map[string]int)
	first := make(map[string]*Record)
	for _, r := range rs {
		k := key(r)
		if k == "" {
			continue
		}
		if counts[k] == 0 {
			first[k] = r
		}
		counts[k]++
	}
	if len(counts) == 0 {
		return "", nil
	}
	top := byCount(counts)[0].name
	return top, first[top]
}

func (t *textWriter) writeGroup(w io.Writer, g group) {
	l := t.l
	reason := g.reason
	if reason == "" {
		reason = "?"
	}
	parts := []string{l.recipientsN(len(g.records))}
	if notFailures[g.reason] {
		parts = append(parts, l.notFailure)
	} else {
		hard := 0
		for _, r := range g.records {
			if r.HardBounce {
				hard++
			}
		}
		switch hard {
		case len(g.records):
			parts = append(parts, t.paint(ansiRed, l.hard))
		case 0:
			parts = append(parts, t.paint(ansiYellow, l.soft))
		default:
			parts = append(parts, l.mixed)
		}
	}
	if side, _ := mostCommon(g.records, func(r *Record) string { return r.Side }); side != "" {
		if s, ok := l.sides[side]; ok {
			parts = append(parts, s)
		} else {
			parts = append(parts, fmt.Sprintf(l.sideOther, clean(side)))
		}
	}
	fmt.Fprintf(w, "%s — %s\n", t.paint(ansiBold, clean(reason)), strings.Join(parts, ", "))

	if id, r := mostCommon(g.records, func(r *Record) string { return r.RecommendedAction }); id != "" {
		text := collapse(r.ActionText)
		if text != "" {
			text += " "
		}
		text += "[" + clean(id) + "]"
		for _, line := range wrap(l.action+" "+text, t.opts.Width-len(indent)) {
			fmt.Fprintf(w, "%s%s\n", indent, line)
		}
	}

	t.writeTable(w, g.records)
}

// writeTable prints the aligned recipients of a group. The rows go through
// a tabwriter first; the explain lines are slotted in afterwards, since a
// line without cells would break the tabwriter's columns in two.
func (t *textWriter) writeTable(w io.Writer, rs []*Record) {
	l := t.l
	dash := func(s string) string {
		if s = clean(s); s == "" {
			return "-"
		}
		return s
	}
	rows := make([][5]string, 0, len(rs)+1)
	rows = append(rows, l.columns)
	for _, r := range rs {
		rows = append(rows, [5]string{dash(r.Recipient), dash(r.Status), dash(r.ReplyCode), collapse(r.Diagnostic), dash(r.Source)})
	}
	// Room for the diagnostic: the width less the indent, the other columns
	// and the padding between the five columns.
	const pad = 2
	var widths [5]int
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	room := t.opts.Width - len(indent) - widths[0] - widths[1] - widths[2] - widths[4] - 4*pad
	room = max(room, minDiag)
	for i := 1; i < len(rows); i++ {
		d := cut(rows[i][3], room)
		if d == "" {
			d = "-"
		}
		rows[i][3] = d
	}

	var buf strings.Builder
	tw := tabwriter.NewWriter(&buf, 0, 0, pad, ' ', 0)
	for _, row := range rows {
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", indent, row[0], row[1], row[2], row[3], row[4])
	}
	tw.Flush()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	fmt.Fprintln(w, lines[0])
	for i, r := range rs {
		fmt.Fprintln(w, lines[i+1])
		if e := r.Explain; e != nil {
			s := fmt.Sprintf(l.decidedBy, dash(e.Rule), dash(e.Origin))
			if e.Field != "" || e.Matched != "" {
				s += fmt.Sprintf(l.matched, dash(e.Field), fmt.Sprintf("%q", e.Matched))
			}
			fmt.Fprintf(w, "%s%s%s\n", indent, indent+indent, s)
		}
	}
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

// cut shortens s to at most n runes, ending it with "…" when it was cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	rs := []rune(s)
	return strings.TrimRight(string(rs[:n-1]), " ") + "…"
}

// wrap splits s into lines of at most width runes, breaking at spaces; a
// word longer than width gets a line of its own.
func wrap(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	n := 0
	for _, word := range strings.Fields(s) {
		wl := utf8.RuneCountInString(word)
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
