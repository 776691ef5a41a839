package parser

import (
	"regexp"
	"strings"

	"github.com/bouncer-mail/bouncer/internal/multimatch"
)

// A line that names a recipient starts with the address, or has only a short
// lead-in before it ("To:", "RCPT TO:<", "<<< 550 5.1.1 <"). Lines that name
// the sender or identify the message are not recipient lines.
var notRecipientLeads = []string{"from", "sender", "reply-to", "return-path", "message-id", "in-reply-to",
	"references", "received", "by ", "envelope-from", "mail from", "x-", "smtp.mailfrom", "helo", "ehlo", "id "}

const maxLead = 28

// recipientSegments splits a report into one piece of text per recipient
// address it names, in order of first appearance. A piece runs from the line
// naming the address to the next such line, and ends early after a long run
// of lines, or where, after a blank line, the text is indented less than the
// piece's first line of detail (Exim's indented blocks end that way, before
// a trailing note). A line repeated within a piece is kept once.
//
// Sendmail's transcript puts the server's answer before the line that sums
// it up for an address ("<<< 550 Insecure Mail Relay", then "554
// <a@b>... Remote protocol error"): the lines since the last "while talking
// to" or the last summary line go to the address of the summary line, and
// the summary line closes its piece.
func recipientSegments(text string, exclude map[string]bool) (order []string, blocks map[string]string) {
	blocks = map[string]string{}
	var cur *segment
	curAddr, curIndent := "", 0
	segs := map[string]*segment{}
	lastLine := 0
	bodyIndent, sawBlank := -1, false
	var pending []string // transcript lines since the last boundary
	inTranscript, closeCur := false, false
	// whether any line can start a transcript: one search of the text
	// rather than one of each line
	talking := strings.Contains(text, "alking to ")
	for i, rest := 0, text; ; i++ {
		line, next, more := strings.Cut(rest, "\n")
		if closeCur {
			cur, closeCur = nil, false
		}
		if a := recipientOnLine(line, exclude); a != "" && (cur == nil || a == curAddr || !inReplyDetail(line, curIndent)) {
			if a != curAddr || cur == nil {
				curAddr, curIndent = a, indentOf(line)
			}
			cur = segs[a]
			if cur == nil {
				cur = &segment{}
				segs[a] = cur
				order = append(order, a)
			}
			if inTranscript && isSummaryLine(line, a) {
				for _, p := range pending {
					if cur.firstTime(strings.TrimSpace(p)) {
						cur.b.WriteString(p)
						cur.b.WriteByte('\n')
					}
				}
				pending, closeCur = pending[:0], true
			}
			lastLine = i
			bodyIndent, sawBlank = -1, false
			if rest := strings.TrimSpace(strings.Trim(strings.TrimSpace(line), "<>:")); len(rest) > len(a)+2 {
				bodyIndent = indentOf(line)
			}
		} else if cur != nil {
			if strings.TrimSpace(line) == "" {
				sawBlank = true
			} else {
				ind := indentOf(line)
				if bodyIndent < 0 {
					bodyIndent = ind
				} else if sawBlank && ind < bodyIndent {
					cur = nil
				}
				sawBlank = false
			}
		}
		if talking && strings.Contains(line, "alking to ") && strings.Contains(toLower(line), "while talking to ") {
			inTranscript, pending = true, append(pending[:0], line)
		} else if inTranscript && !closeCur && strings.TrimSpace(line) != "" && len(pending) < 12 {
			pending = append(pending, line)
		}
		if cur != nil && i-lastLine <= 12 {
			if t := strings.TrimSpace(line); t == "" || cur.firstTime(t) {
				cur.b.WriteString(line)
				cur.b.WriteByte('\n')
			}
		}
		if !more {
			break
		}
		rest = next
	}
	for a, sg := range segs {
		blocks[a] = sg.b.String()
	}
	return order, blocks
}

// inReplyDetail reports whether line, naming an address, is a detail of
// the recipient above it rather than another recipient: a server's reply
// or the command it answered, indented deeper than the line that named the
// recipient ("  alias@b" then "    550 5.1.1 <target@c>... User unknown"
// (Exim), "<a@b>" then "    (reason: 550 ...)" (Sendmail)), or qmail's
// "Remote host said: ...". The address there is the one the server saw,
// after forwarding or rewriting.
func inReplyDetail(line string, indent int) bool {
	start, _ := addrIndex(line)
	if start < 0 {
		return false
	}
	lead := toLower(line[:start])
	if strings.Contains(lead, "remote host said") {
		return true
	}
	return indentOf(line) > indent &&
		(hasReplyCode(lead) || strings.HasSuffix(strings.TrimRight(lead, " <"), "rcpt to:"))
}

// isSummaryLine reports whether line is Sendmail's summary of the failure of
// address a: a reply code, maybe a status code, then "<a>...".
func isSummaryLine(line, a string) bool {
	t := strings.TrimLeft(line, " \t")
	if len(t) < 5 || !isDigit(t[0]) || !isDigit(t[1]) || !isDigit(t[2]) || t[3] != ' ' {
		return false
	}
	t = t[4:]
	if len(t) > 0 && isDigit(t[0]) {
		// a status code: "5.1.1 "
		sp := strings.IndexByte(t, ' ')
		if sp < 0 || sp > 9 {
			return false
		}
		t = t[sp+1:]
	}
	if len(t) < len(a)+5 || t[0] != '<' || !strings.EqualFold(t[1:1+len(a)], a) {
		return false
	}
	return strings.HasPrefix(t[1+len(a):], ">...")
}

// segment is the text of one recipient, put together, and the lines it
// holds (trimmed), kept once each.
type segment struct {
	b     strings.Builder
	lines []string        // the lines, while they are few
	seen  map[string]bool // the lines, once they are many
}

// firstTime reports whether the segment has not had the trimmed line t yet,
// and notes it.
func (sg *segment) firstTime(t string) bool {
	if sg.seen != nil {
		if sg.seen[t] {
			return false
		}
		sg.seen[t] = true
		return true
	}
	for _, l := range sg.lines {
		if l == t {
			return false
		}
	}
	if len(sg.lines) < 32 {
		sg.lines = append(sg.lines, t)
		return true
	}
	sg.seen = make(map[string]bool, 2*len(sg.lines))
	for _, l := range sg.lines {
		sg.seen[l] = true
	}
	sg.seen[t] = true
	sg.lines = nil
	return true
}

func indentOf(line string) int {
	n := 0
	for n < len(line) && (line[n] == ' ' || line[n] == '\t') {
		n++
	}
	return n
}

func recipientOnLine(line string, exclude map[string]bool) string {
	if strings.IndexByte(line, '@') < 0 {
		return "" // no address without an "@": spare the regexp
	}
	start, end := addrIndex(line)
	if start < 0 {
		return ""
	}
	lead := strings.ToLower(strings.TrimSpace(line[:start]))
	lead = strings.TrimRight(lead, "<'\"( ")
	// a line of an SMTP transcript: "In: RCPT TO:<a@b>", ">>> MAIL FROM:<a@b>"
	lead = strings.TrimLeft(strings.TrimPrefix(lead, "in:"), " \t>")
	if len(lead) > maxLead {
		// a transcript line behind a time stamp or a log prefix:
		// "Tue 2026-11-24 10:00:01: --> RCPT To:<a@b>"
		if !strings.HasSuffix(lead, "rcpt to:") {
			return ""
		}
		lead = "rcpt to:"
	}
	for _, p := range notRecipientLeads {
		if strings.HasPrefix(lead, p) {
			return ""
		}
	}
	if strings.HasSuffix(lead, "for") || strings.HasSuffix(lead, "by") || strings.Contains(lead, "generated") {
		return ""
	}
	a := normAddr(line[start:end])
	if rest := strings.TrimLeft(line[end:], " \t"); strings.HasPrefix(rest, "<") {
		// "a@b <c@d>": a display name that looks like an address, then the
		// address itself in angle brackets (a header quoted as written)
		if k := strings.IndexByte(rest, '>'); k > 0 {
			if s, e := addrIndex(rest[1:k]); s == 0 && e == k-1 {
				a = normAddr(rest[1:k])
			}
		}
	}
	if exclude[a] || !plausibleAddr(a) || senderInReply(lead, line[end:]) {
		return ""
	}
	return a
}

// senderInReply reports whether a server's answer quoted on a line, its
// codes in lead (lower-cased), names the envelope sender at the address
// that after follows: "553 5.1.8 <s@x>... Domain of sender address s@x
// does not exist", "550 5.1.0 <s@x> sender rejected", "554 Mail from s@x
// rejected". Such a line is a detail of the recipient above it.
func senderInReply(lead, after string) bool {
	if !hasReplyCode(lead) {
		return false
	}
	if strings.Contains(lead, "mail from") || strings.Contains(lead, "sender") {
		return true
	}
	t := toLower(strings.TrimLeft(after, ">.:,; \t"))
	for _, p := range []string{"sender", "domain of sender", "envelope sender", "mail from"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// hasReplyCode reports whether s has a word of three digits that is an
// SMTP reply code (2xx to 5xx).
func hasReplyCode(s string) bool {
	for i := 0; i+3 <= len(s); i++ {
		if s[i] >= '2' && s[i] <= '5' && isDigit(s[i+1]) && isDigit(s[i+2]) &&
			(i == 0 || !isDigit(s[i-1]) && s[i-1] != '.') && (i+3 == len(s) || !isDigit(s[i+3]) && s[i+3] != '.') {
			return true
		}
	}
	return false
}

// plausibleAddr drops message ids and other things that only look like
// addresses.
func plausibleAddr(a string) bool {
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 {
		return false
	}
	dom := a[at+1:]
	if !strings.Contains(dom, ".") {
		return false
	}
	tld := dom[strings.LastIndexByte(dom, '.')+1:]
	if len(tld) < 2 {
		return false
	}
	for _, c := range tld {
		if c >= '0' && c <= '9' {
			return false
		}
	}
	return true
}

func (s *scan) excluded(b *Bounce) map[string]bool {
	ex := map[string]bool{}
	for _, name := range []string{"From", "To", "Return-Path", "Sender", "Reply-To"} {
		if a := addrOf(fieldsGet(s.top, name)); a != "" {
			ex[a] = true
		}
	}
	if a := addrOf(b.Original.From); a != "" {
		ex[a] = true
	}
	for _, f := range s.original {
		if nameEq(f.Name, "Return-Path") || nameEq(f.Name, "Sender") {
			if a := addrOf(f.Value); a != "" {
				ex[a] = true
			}
		}
	}
	return ex
}

// textBlocks gives, for each recipient the report text names, its piece of text.
func textBlocks(text string, b *Bounce) map[string]string {
	_, blocks := recipientSegments(text, map[string]bool{})
	return blocks
}

var remoteHostRe = regexp.MustCompile(`(?i)(?:\bhost|remote server|mail server|\bmx)\s+\[?([a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+)\]?`)

// delayPhrases say that a notice is a warning of delay, not a failure: in
// English, then in other languages.
var delayPhrases = []string{"has been delayed", "will be retried", "will continue to try", "still trying",
	"not yet been delivered",
	"verzögert", "weiterhin versucht", "noch nicht zugestellt", "retardé", "pas encore été remis",
	"nouvelles tentatives", "retrasad", "todavía no se ha entregado", "se seguirá intentando", "atrasad",
	"ainda não foi entregue", "ritardat", "non è ancora stato recapitato", "задержан", "задержка доставки",
	"еще не доставлено", "ещё не доставлено", "配信が遅延", "遅延しています", "再送を試み", "まだ配信されていません",
	"延迟投递", "投递延迟", "已延迟", "仍在尝试", "尚未投递", "전송이 지연", "발송이 지연", "지연되고"}

// delayWords holds a word of each ASCII phrase of delayPhrases; findPhrases
// looks for them. (A text with a phrase beyond ASCII is not ASCII, and is
// searched for every phrase.)
var delayWords = []string{"delayed", "retried", "continue", "trying", "yet", "retrasad", "atrasad", "ritardat", "versucht", "zugestellt", "tentatives"}

// delaySubjects are the words of a delay warning's subject.
var delaySubjects = []string{"delay", "warning", "verzögert", "retard", "retras", "atras", "ritard", "задерж", "遅延", "延迟", "지연"}

var delayWordMatcher = multimatch.NewFold(delayWords)

var delayPhraseMatcher = multimatch.NewFold(delayPhrases)

// hasDelayPhrase reports whether the text s has one of the delayPhrases, but
// for case: one pass of a matcher, no lower-cased copy of an ASCII text.
func hasDelayPhrase(s string) bool {
	return delayPhraseMatcher.Any(searchForm(s))
}

// freeText reads the recipients of a free-text bounce, from the report
// text of f.
func (s *scan) freeText(b *Bounce, f *finds) []Recipient {
	text, ascii := f.text.t, f.text.ascii
	delayWord := f.delay // the text, when it is ASCII, has one of the delayWords
	ex := s.excluded(b)
	order, blocks := recipientSegments(text, ex)
	if len(order) == 0 && fieldsGet(s.top, "X-Failed-Recipients") == "" {
		// The bounce may be addressed to the failed recipient itself (a
		// forwarded or re-sent report): look again, excluding only senders.
		if to := addrOf(fieldsGet(s.top, "To")); ex[to] {
			delete(ex, to)
			order, blocks = recipientSegments(text, ex)
			if len(order) == 0 {
				ex[to] = true // still the sender, for the searches below
			}
		}
	}
	if failed := fieldsGet(s.top, "X-Failed-Recipients"); failed != "" {
		var want []string
		for _, p := range strings.Split(failed, ",") {
			if a := addrOf(p); a != "" {
				want = append(want, a)
			}
		}
		// The header picks the failed ones among the addresses the text
		// names; when the text names none of them, the text is the better
		// witness (the header can be stale), unless it names nobody.
		if len(want) > 0 && (len(order) == 0 || anyIn(want, blocks)) {
			order = want
		}
	}
	// the whole report, folded: the diagnostic when the recipient has no
	// piece of text, and where codes are looked for last; made when
	// first needed
	whole, folded := "", false
	wholeText := func() string {
		if !folded {
			whole, folded = foldSpace(text), true
		}
		return whole
	}
	if len(order) == 0 {
		for _, m := range addrRe.FindAllString(text, -1) {
			a := normAddr(m)
			if !ex[a] && plausibleAddr(a) {
				order = append(order, a)
				break
			}
		}
	}
	if len(order) == 0 {
		if a := addrOf(b.Original.To); a != "" {
			order = append(order, a)
		}
	}
	if len(order) == 0 {
		// "Delivery Status Notification (Failure) bob@example.org": some
		// notices name the address only in their subject
		if m := addrRe.FindString(b.Subject); m != "" {
			if a := normAddr(m); !ex[a] && plausibleAddr(a) {
				order = append(order, a)
			}
		}
	}
	if len(order) == 0 {
		order = append(order, "")
	}
	action := "failed"
	if delaySubjectMatcher.Any(strings.ToLower(b.Subject)) {
		action = "delayed"
	}
	if action != "delayed" && (!ascii || delayWord) {
		// (on ASCII text, each of those phrases has its word of
		// delayWords in the text as it is, before folding)
		if hasDelayPhrase(wholeText()) {
			action = "delayed"
		}
	}
	if b.ReportingMTA == "" {
		b.ReportingMTA = reportingHost(f)
	}
	var out []Recipient
	for _, a := range order {
		blk, ok := blocks[a]
		diag, cut := "", "" // cut: diag without its set phrases, once made
		if ok {
			diag = cleanBlock(blk, a)
			if cut = cutBoilerplate(diag); onlyPunct(cut) {
				// the lines after the address are the notice's
				// closing words (InterMail's "Please reply to
				// <postmaster> if you feel this message to be in
				// error"), not about it: the reason is elsewhere
				diag, cut = "", ""
			}
		}
		if diag == "" {
			diag = wholeText()
		} else if len(order) == 1 {
			// The one recipient's lines give no code while the report does
			// elsewhere (the server's answer above a summary that names the
			// address): the whole report is the better diagnostic. (When
			// the lines are the whole report, it gives none either.)
			if rc, st := textCodes(diag); rc == "" && st == "" {
				if rc, st = textCodes(wholeText()); rc != "" || st != "" {
					diag, cut = wholeText(), ""
				}
			}
		}
		if cut != "" {
			diag = cut // stripBoilerplate's result: not all set phrases
		} else {
			diag = stripBoilerplate(diag)
		}
		if len(diag) > 2000 {
			diag = diag[:2000]
		}
		r := Recipient{Address: a, Action: action, ReportingMTA: b.ReportingMTA, LastAttempt: b.Date}
		if ok {
			r.OriginalAddress = expandedFrom(blk, a)
		}
		r.ReplyCode, r.Status = codesFrom(diag, "")
		if r.ReplyCode == "" && r.Status == "" && len(order) == 1 {
			r.ReplyCode, r.Status = codesFrom(wholeText(), "")
		}
		r.Diagnostic = diag
		r.Command = commandOf(diag)
		if h := remoteHostOf(diag); h != "" {
			r.RemoteMTA = strings.ToLower(h)
		}
		out = append(out, r)
	}
	return out
}

// cleanBlock folds a recipient's block into one diagnostic line, dropping a
// first line that holds only the address. The lines are not split and joined:
// folding the white space makes one line of them all the same.
func cleanBlock(blk, addr string) string {
	line0, rest, _ := strings.Cut(blk, "\n")
	first := toLower(strings.Trim(strings.TrimSpace(line0), "<>:\"' "))
	if first == addr || addr != "" && addr[0] == '"' && toLower(strings.Trim(strings.TrimSpace(line0), "<>:' ")) == addr {
		// (an address whose local part is quoted keeps its quotes)
		return foldSpace(rest)
	}
	if r, ok := strings.CutPrefix(strings.TrimLeft(toLower(line0), " \t<"), addr); ok {
		// "<a@b>: reason" (Postfix, OpenSMTPD): keep the reason
		r = strings.TrimLeft(r, ">")
		if strings.HasPrefix(r, " (expanded from") {
			// "<a@b> (expanded from <list@b>): reason" (Postfix)
			if i := strings.IndexByte(r, ')'); i > 0 {
				r = r[i+1:]
			}
		}
		switch {
		case strings.HasPrefix(r, ":"):
			return foldSpace(blk[len(line0)-len(r)+1:])
		case strings.HasPrefix(r, " on "):
			// Exchange: "a@b on 6/1/2020 10:00 AM"
			return foldSpace(rest)
		}
	}
	return foldSpace(blk)
}

// remoteHostOf returns the remote server a diagnostic names (remoteHost), but
// never the sending client: "Client host [192.0.2.1] blocked using ..." names
// the IP the message came from, so the search goes on after it. Failing
// that, it reads Exchange's "Remote Server at mx.example.org (...)" and
// "Receiving server: ...", and "Remote server (192.0.2.1)" (hMailServer).
func remoteHostOf(diag string) string {
	s := diag
	for n := 0; n < 4; n++ {
		h := remoteHost(s)
		if h == "" {
			break
		}
		i := strings.Index(s, h)
		if i < 0 || !clientBefore(s[:i]) {
			return h
		}
		s = s[i+len(h):]
	}
	if h := exchangeRemoteHost(diag); h != "" {
		return h
	}
	for _, p := range []string{"remote server at", "receiving server:", "remote server ("} {
		if i := indexFold(diag, p); i >= 0 {
			j := i + len(p)
			if p[len(p)-1] == '(' {
				j -= 2 // hostAfter reads from the space before "("
			}
			if h := hostAfter(strings.Replace(diag[j:min(len(diag), j+300)], "(", "[", 1), 0); h != "" {
				return h
			}
		}
	}
	return ""
}

// exchangeRemoteHost reads the remote server of Exchange 2007 and 2010's
// diagnostic for an answer from another server: the server's name, then
// "#", the reply and the rest ("mx.example.com #550 5.1.1 User unknown ##").
func exchangeRemoteHost(diag string) string {
	for from := 0; from < len(diag); {
		i := strings.Index(diag[from:], " #")
		if i < 0 {
			return ""
		}
		i += from
		from = i + 2
		if r := diag[i+2:]; len(r) < 4 || r[0] < '2' || r[0] > '5' || !isDigit(r[1]) || !isDigit(r[2]) || r[3] != ' ' {
			continue
		}
		w := diag[strings.LastIndexAny(diag[:i], " \t\n")+1 : i]
		if h := hostAfter(" "+w, 0); h != "" && h == w {
			return h
		}
	}
	return ""
}

// clientBefore reports whether the text before a host name ends with
// "client host" or "client" and the bracket or space before the name.
func clientBefore(before string) bool {
	t := strings.TrimRight(before, " \t[(")
	t = strings.TrimSuffix(toLower(t[max(0, len(t)-12):]), "host")
	return strings.HasSuffix(strings.TrimRight(t, " \t"), "client")
}

// reportingHosts are the phrases after which a free-text report names the
// host that wrote it: Postfix, qmail, Exchange.
var reportingHosts = [...]string{"mail system at host", "qmail-send program at", "generating server:"}

// reportingHost returns the host the free-text report of f says wrote it,
// or "".
func reportingHost(f *finds) string {
	text := f.text.t
	for k, p := range reportingHosts {
		if i := f.reportingAt(k); i >= 0 {
			if h := hostAfter(text, i+len(p)); h != "" {
				return strings.ToLower(h)
			}
		}
	}
	return ""
}

// expandedFrom returns the address that a recipient's block says it was
// expanded from, an alias or a list ("<a@b> (expanded from <list@b>)" in
// Postfix, "(expanded from: <list@b>)" in Sendmail), or "". Only the block's
// first lines are read: the phrase follows the address.
func expandedFrom(blk, addr string) string {
	head := blk
	if len(head) > 400 {
		head = head[:400]
	}
	i := indexFold(head, "(expanded from")
	if i < 0 {
		return ""
	}
	rest := head[i+len("(expanded from"):]
	j := strings.IndexByte(rest, ')')
	if j < 0 {
		return ""
	}
	a := normAddr(rest[:j])
	if a == addr || !plausibleAddr(a) || strings.ContainsAny(a, " \t\n") {
		return ""
	}
	return a
}

func anyIn(addrs []string, blocks map[string]string) bool {
	for _, a := range addrs {
		if _, ok := blocks[a]; ok {
			return true
		}
	}
	return false
}
