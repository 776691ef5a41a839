package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// section is one part of a digest, laid out as a heading, an optional
// paragraph per problem, and a table. Every format renders the same
// sections in the same order.
type section struct {
	ID    string
	Title string
	Notes []string // paragraphs: what to do
	Cols  []string
	Rows  [][]string
}

const digestTimeFmt = "2006-01-02 15:04 UTC"

// Section ids, in the order they are rendered.
const (
	SectionTotals       = "totals"
	SectionBlocks       = "blocks"
	SectionAuth         = "auth"
	SectionRate         = "rate"
	SectionSMTPAuth     = "smtp-auth"
	SectionReasons      = "reasons"
	SectionDomains      = "domains"
	SectionProviders    = "providers"
	SectionNewHard      = "new-hard"
	SectionRepeatedSoft = "repeated-soft"
	SectionUnreadable   = "unreadable"
	SectionUnclassified = "unclassified"
)

// tr returns the digest's words in its language: English as written here,
// or its French from digestFR.
func (d *Digest) tr(s string) string {
	if strings.HasPrefix(strings.ToLower(d.Lang), "fr") {
		if f, ok := digestFR[s]; ok {
			return f
		}
	}
	return s
}

// trs translates each of list.
func (d *Digest) trs(list ...string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = d.tr(s)
	}
	return out
}

// sections returns the digest's non-empty sections, problems first.
func (d *Digest) sections() []section {
	var out []section
	t := d.Totals
	tr := d.tr
	var rows [][]string
	if d.Read != nil {
		rows = append(rows, []string{tr("Read by this run"), itoa(d.Read.Messages)},
			[]string{tr("Already in the history"), itoa(d.Read.AlreadyStored)})
	}
	read := tr("Messages read")
	if d.Scope == "new" {
		read = tr("New messages")
	}
	out = append(out, section{ID: SectionTotals, Title: tr("Totals"), Cols: d.trs("", "count"), Rows: append(rows, [][]string{
		{read, itoa(t.Messages)},
		{tr("Bounces"), itoa(t.Bounces)},
		{tr("Delivery reports"), itoa(t.DeliveryReports)},
		{tr("Hard (recipients)"), itoa(t.Hard)},
		{tr("Soft (recipients)"), itoa(t.Soft)},
		{tr("Auto-replies"), itoa(t.AutoReplies)},
		{tr("Complaints"), itoa(t.Complaints)},
		{tr("Other feedback reports"), itoa(t.FeedbackReports)},
		{tr("Not bounces"), itoa(t.NotBounces)},
		{tr("Unreadable"), itoa(t.Unreadable)},
	}...)})
	if len(d.Blocks) > 0 {
		s := section{ID: SectionBlocks, Title: tr("Blocked by remote hosts (your side)"),
			Cols: d.trs("reason", "remote host", "your IPs named", "count", "example")}
		notes := map[string]bool{}
		for _, b := range d.Blocks {
			s.Rows = append(s.Rows, []string{b.Reason, b.RemoteHost, strings.Join(b.IPs, ", "), itoa(b.Count), b.Example})
			if b.ActionText != "" && !notes[b.ActionText] {
				notes[b.ActionText] = true
				s.Notes = append(s.Notes, b.ActionText)
			}
			if len(b.IPs) > 0 {
				n := fmt.Sprintf(tr("Check %s on a blocklist such as Spamhaus (https://check.spamhaus.org/)."), strings.Join(b.IPs, ", "))
				if !notes[n] {
					notes[n] = true
					s.Notes = append(s.Notes, n)
				}
			}
		}
		out = append(out, s)
	}
	if len(d.AuthFailures) > 0 {
		s := section{ID: SectionAuth, Title: tr("SPF / DKIM / DMARC failures (your side)"),
			Cols: d.trs("sending domain", "named", "count", "records to check", "example")}
		for _, a := range d.AuthFailures {
			s.Rows = append(s.Rows, []string{tr(a.Domain), strings.Join(a.Mechanisms, ", "), itoa(a.Count), strings.Join(a.Check, "; "), a.Example})
			if a.ActionText != "" && (len(s.Notes) == 0 || s.Notes[0] != a.ActionText) {
				s.Notes = append(s.Notes, a.ActionText)
			}
		}
		out = append(out, s)
	}
	if len(d.RateLimits) > 0 {
		s := section{ID: SectionRate, Title: tr("Rate limits (your side)"),
			Cols: d.trs("hour", "account or IP", "rate-limit bounces", "all bounces", "over limit")}
		over := false
		for _, r := range d.RateLimits {
			who := tr(r.Account) // "(unknown account)" is a label
			if who == "" {
				who = "IP " + r.IP
			}
			mark := ""
			if r.Over {
				mark = fmt.Sprintf(tr("OVER %d/h"), r.Limit)
				over = true
			}
			s.Rows = append(s.Rows, []string{r.Hour.UTC().Format(digestTimeFmt), who, itoa(r.Speeding), itoa(r.Bounces), mark})
		}
		n := tr("Spread your sending over time: a provider may allow about 200 messages an hour per account and 300 an hour per IP; check your outbox for a loop.")
		if over {
			n = tr("Hours marked OVER passed the provider's hourly limit.") + " " + n
		}
		s.Notes = append(s.Notes, n)
		out = append(out, s)
	}
	if len(d.SMTPAuth) > 0 {
		s := section{ID: SectionSMTPAuth, Title: tr("SMTP authentication failures (535)"),
			Cols:  d.trs("account", "count", "example"),
			Notes: []string{tr("The server refused the account's credentials: check the password your sending software uses and whether the account is locked.")}}
		for _, a := range d.SMTPAuth {
			s.Rows = append(s.Rows, []string{tr(a.Account), itoa(a.Count), a.Example})
		}
		out = append(out, s)
	}
	if len(d.Reasons) > 0 {
		s := section{ID: SectionReasons, Title: tr("Recipients by reason"),
			Cols: d.trs("reason", "count", "previous period", "change", "7-day average")}
		for _, r := range d.Reasons {
			s.Rows = append(s.Rows, []string{r.Reason, itoa(r.Count), itoa(r.Previous), tr(change(r.Count, r.Previous)), fmt.Sprintf("%.1f", r.Avg7d)})
		}
		out = append(out, s)
	}
	if len(d.TopDomains) > 0 {
		s := section{ID: SectionDomains, Title: tr("Top recipient domains"), Cols: d.trs("domain", "failures")}
		for _, n := range d.TopDomains {
			s.Rows = append(s.Rows, []string{n.Name, itoa(n.Count)})
		}
		out = append(out, s)
	}
	if len(d.TopProviders) > 0 {
		s := section{ID: SectionProviders, Title: tr("Top remote providers"), Cols: d.trs("provider", "failures")}
		for _, n := range d.TopProviders {
			s.Rows = append(s.Rows, []string{n.Name, itoa(n.Count)})
		}
		out = append(out, s)
	}
	if len(d.NewHard) > 0 {
		s := section{ID: SectionNewHard, Title: tr("New hard bounces: addresses to remove"),
			Cols: d.trs("address", "reason", "date", "source")}
		for _, a := range d.NewHard {
			s.Rows = append(s.Rows, []string{a.Address, a.Reason, shortDate(a.Date), a.Source})
		}
		out = append(out, s)
	}
	if len(d.RepeatedSoft) > 0 {
		s := section{ID: SectionRepeatedSoft, Title: tr("Repeated soft bounces"),
			Cols: d.trs("address", "soft bounces", "days", "last reason", "last")}
		for _, a := range d.RepeatedSoft {
			s.Rows = append(s.Rows, []string{a.Address, itoa(a.Count), itoa(a.Days), a.LastReason, shortDate(a.Last)})
		}
		out = append(out, s)
	}
	if len(d.Unreadable) > 0 {
		s := section{ID: SectionUnreadable, Title: tr("Messages that could not be read"), Cols: d.trs("source", "error")}
		for _, u := range d.Unreadable {
			s.Rows = append(s.Rows, []string{u.Source, u.Error})
		}
		out = append(out, s)
	}
	if len(d.Unclassified) > 0 {
		s := section{ID: SectionUnclassified, Title: tr("Bounces that could not be classified"),
			Cols:  d.trs("address", "date", "diagnostic", "source"),
			Notes: []string{tr("Read these bounces; write a rule for the wording if it recurs.")}}
		for _, a := range d.Unclassified {
			s.Rows = append(s.Rows, []string{a.Address, shortDate(a.Date), a.Diagnostic, a.Source})
		}
		out = append(out, s)
	}
	return out
}

// Title returns the digest's one-line title, fit for a mail subject.
func (d *Digest) Title() string {
	t := d.Totals
	return fmt.Sprintf(d.tr("bouncer digest %s: %d bounces (%d hard, %d soft), %d unreadable"),
		d.To.UTC().Format("2006-01-02"), t.Bounces, t.Hard, t.Soft, t.Unreadable)
}

// periodLine says what the digest covers.
func (d *Digest) periodLine() string {
	p := fmt.Sprintf(d.tr("%s to %s"), d.From.UTC().Format(digestTimeFmt), d.To.UTC().Format(digestTimeFmt))
	if d.Scope == "new" {
		return fmt.Sprintf(d.tr("New messages since the last digest (comparisons: period %s)"), p)
	}
	return fmt.Sprintf(d.tr("Period: %s"), p)
}

func itoa(n int) string { return fmt.Sprint(n) }

func change(cur, prev int) string {
	switch {
	case prev == 0 && cur == 0:
		return "="
	case prev == 0:
		return "new"
	}
	pct := (cur - prev) * 100 / prev
	if pct > 0 {
		return fmt.Sprintf("+%d%%", pct)
	}
	if pct == 0 {
		return "="
	}
	return fmt.Sprintf("%d%%", pct)
}

func shortDate(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(digestTimeFmt)
	}
	return s
}

// cell cleans message-supplied text for a table cell: control characters
// become spaces, runs of spaces collapse, and long text is cut with "…".
func cell(s string, max int) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	if max > 0 {
		s = cutWidth(s, max)
	}
	return s
}

const maxCell = 70

// writeDigestText writes the text digest, or Markdown when md is set.
func writeDigestText(w io.Writer, d *Digest, md bool) error {
	bw := bufio.NewWriter(w)
	if md {
		fmt.Fprintf(bw, "# %s\n\n%s\n", mdEscape(d.Title()), mdEscape(d.periodLine()))
	} else {
		title := d.Title()
		fmt.Fprintf(bw, "%s\n%s\n%s\n", title, strings.Repeat("=", colWidth(title)), d.periodLine())
	}
	for _, s := range d.sections() {
		bw.WriteString("\n")
		if md {
			writeMDSection(bw, &s)
		} else {
			writeTextSection(bw, &s)
		}
	}
	return bw.Flush()
}

func writeTextSection(w *bufio.Writer, s *section) {
	fmt.Fprintf(w, "%s\n%s\n", s.Title, strings.Repeat("-", colWidth(s.Title)))
	for _, n := range s.Notes {
		fmt.Fprintf(w, "%s\n", wrapText(cell(n, 0), 78))
	}
	rows := make([][]string, 0, len(s.Rows)+1)
	if s.ID != SectionTotals {
		hdr := make([]string, len(s.Cols))
		for i, c := range s.Cols {
			hdr[i] = strings.ToUpper(c)
		}
		rows = append(rows, hdr)
	}
	for _, r := range s.Rows {
		c := make([]string, len(r))
		for i, v := range r {
			c[i] = cell(v, maxCell)
		}
		rows = append(rows, c)
	}
	widths := make([]int, len(s.Cols))
	for _, r := range rows {
		for i, v := range r {
			widths[i] = max(widths[i], colWidth(v))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, v := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(v)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-colWidth(v)))
			}
		}
		w.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
}

// wrapText wraps words at width.
func wrapText(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(s) {
		l := colWidth(word)
		if n > 0 && n+1+l > width {
			b.WriteString("\n")
			n = 0
		} else if n > 0 {
			b.WriteString(" ")
			n++
		}
		b.WriteString(word)
		n += l
	}
	return b.String()
}

var mdReplacer = strings.NewReplacer(`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "#", `\#`)

func mdEscape(s string) string { return mdReplacer.Replace(s) }

func writeMDSection(w *bufio.Writer, s *section) {
	fmt.Fprintf(w, "## %s\n\n", mdEscape(s.Title))
	for _, n := range s.Notes {
		fmt.Fprintf(w, "%s\n\n", mdEscape(cell(n, 0)))
	}
	cols := s.Cols
	w.WriteString("|")
	for _, c := range cols {
		fmt.Fprintf(w, " %s |", mdEscape(c))
	}
	w.WriteString("\n|")
	for range cols {
		w.WriteString(" --- |")
	}
	w.WriteString("\n")
	for _, r := range s.Rows {
		w.WriteString("|")
		for _, v := range r {
			fmt.Fprintf(w, " %s |", mdEscape(cell(v, maxCell)))
		}
		w.WriteString("\n")
	}
}

func writeDigestJSON(w io.Writer, d *Digest) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
