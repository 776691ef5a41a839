package parser

import (
	"html"
	"regexp"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/bouncer-mail/bouncer/internal/multimatch"
)

var (
	// an e-mail address
	// (its local part a dot-atom's characters, or a quoted string, RFC
	// 5322 section 3.4.1, on one line)
	addrRe = regexp.MustCompile(`(?:"(?:[^"\\\r\n]|\\[^\r\n])+"|[\p{L}\p{N}!#$%&'*+/=?^_{|}~.\-]+)@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+`)
)

// validReply holds the SMTP reply codes servers send for a failure or a
// delivery (RFC 5321, RFC 3463 users, RFC 4954 AUTH, RFC 7504). A number that
// is not one of them ("571", "426") is not taken for a reply code.
var validReply = map[string]bool{
	"211": true, "214": true, "220": true, "221": true, "250": true, "251": true, "252": true, "354": true,
	"421": true, "422": true, "431": true, "432": true, "441": true, "442": true, "446": true, "447": true,
	"449": true, "450": true, "451": true, "452": true, "453": true, "454": true, "455": true, "458": true,
	"459": true, "471": true,
	"500": true, "501": true, "502": true, "503": true, "504": true, "521": true, "523": true, "525": true, "524": true,
	"530": true, "534": true, "535": true, "538": true, "550": true, "551": true, "552": true, "553": true,
	"554": true, "555": true, "556": true, "557": true,
}

// replyAt reports whether the reply code candidate at s[i:j] stands alone:
// a known code, not a piece of an IPv6 address ("2606:2800:220:6d").
func replyAt(s string, i, j int) bool {
	if !validReply[s[i:j]] {
		return false
	}
	if i >= 2 && s[i-1] == ':' && isHex(s[i-2]) && j < len(s) && s[j] == ':' {
		return false
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// textCodes finds the reply code and the enhanced status code a diagnostic
// text gives. A reply code written with a status code ("550 5.1.1") is
// preferred to codes standing alone. The first answer counts, unless it quotes
// an inner one: "554 4.4.7 Message expired <421 4.4.2 Connection timed out>",
// "554 <a@b>... 550 Host unknown".
func textCodes(diag string) (reply, status string) {
	first := -1
	for n, from := 0, 0; n < 8; n++ {
		m, end := nextReplyStatus(diag, from)
		if end < 0 {
			break
		}
		from = end
		if !replyAt(diag, m[0], m[1]) {
			continue
		}
		if first < 0 {
			first = m[0]
			reply, status = diag[m[0]:m[1]], diag[m[2]:m[3]]
			continue
		}
		if positive(reply) {
			// a transcript: the answers that accepted come before the one
			// that refused
			if !positive(diag[m[0]:m[1]]) {
				first = m[0]
				reply, status = diag[m[0]:m[1]], diag[m[2]:m[3]]
				break
			}
			continue
		}
		if nested(diag, first, m[0]) {
			reply, status = diag[m[0]:m[1]], diag[m[2]:m[3]]
		}
		break
	}
	if reply != "" {
		return reply, status
	}
	status = firstStatus(diag)
	for n, from := 0, 0; n < 8; n++ {
		i, end := nextReply(diag, from)
		if end < 0 {
			break
		}
		from = end
		if !replyAt(diag, i, i+3) {
			continue
		}
		if first < 0 {
			first = i
			reply = diag[i : i+3]
			continue
		}
		if positive(reply) {
			if !positive(diag[i : i+3]) {
				reply = diag[i : i+3]
				break
			}
			continue
		}
		if nested(diag, first, i) {
			reply = diag[i : i+3]
		}
		break
	}
	return reply, status
}

// positive reports whether a reply code accepts (2xx) or asks for more (3xx).
func positive(reply string) bool {
	return reply[0] == '2' || reply[0] == '3'
}

// nested reports whether the code at j is an answer quoted inside the one at
// i: close after it, and opened by "<", a quote or sendmail's "... ".
func nested(s string, i, j int) bool {
	if j-i > 160 {
		return false
	}
	pre := strings.TrimRight(s[i:j], " ")
	return strings.HasSuffix(pre, "<") && !strings.HasSuffix(pre, "<<<") || strings.HasSuffix(pre, "'") ||
		strings.HasSuffix(pre, "\"") || strings.HasSuffix(pre, "...")
}

// codesFrom pulls the reply code and the enhanced status code out of a
// diagnostic text. fieldStatus is the status a DSN field gave: a code in the
// text of the same class wins over the field, for the text is the remote
// server's own answer and the field often a generic translation of it.
// A reply code whose class disagrees with the status is dropped.
func codesFrom(diag, fieldStatus string) (reply, status string) {
	reply, textStatus := textCodes(diag)
	status = fieldStatus
	switch {
	case status == "":
		status = textStatus
	case textStatus != "" && textStatus[0] == status[0]:
		status = textStatus
	}
	if reply != "" && status != "" && reply[0] != status[0] {
		reply = ""
	}
	return reply, status
}

var commandPatterns = []struct{ phrase, cmd string }{
	{"in reply to rcpt to", "RCPT"},
	{"after rcpt to", "RCPT"},
	{"rcpt to:", "RCPT"},
	{"rcpt to <", "RCPT"},
	{"[rcpt_to]", "RCPT"},
	{"rcpt_to", "RCPT"},
	{"in reply to mail from", "MAIL"},
	{"after mail from", "MAIL"},
	{"mail from:", "MAIL"},
	{"[mail_from]", "MAIL"},
	{"in reply to end of data", "DATA"},
	{"after end of data", "DATA"},
	{"in reply to data", "DATA"},
	{"after data", "DATA"},
	{"end of data", "DATA"},
	{"[end_of_data]", "DATA"},
	{"for text command", "DATA"}, // 1&1 calls the message data TEXT
	{"in reply to helo", "HELO"},
	{"in reply to ehlo", "EHLO"},
	{"after helo", "HELO"},
	{"after ehlo", "EHLO"},
	{"after starttls", "STARTTLS"},
	{"does not like recipient", "RCPT"}, // qmail
	{"does not like sender", "MAIL"},
	{"sender was rejected", "MAIL"},
	{"failed after i sent the message", "DATA"},
	{"my name was rejected", "HELO"},
	{"after initial connection", "CONN"},
	{"while connected", "CONN"},
	{"greeting", "CONN"},
	{"banner", "CONN"},
}

// commandOf tells which SMTP command a diagnostic answered, where it says.
func commandOf(diag string) string {
	if i := commandMatcher.First(searchForm(diag)); i >= 0 {
		return commandPatterns[i].cmd
	}
	return ""
}

// commandMatcher finds the commandPatterns; the first of the table present wins.
var commandMatcher = func() *multimatch.Matcher {
	ps := make([]string, len(commandPatterns))
	for i, p := range commandPatterns {
		ps[i] = p.phrase
	}
	return multimatch.NewFold(ps)
}()

// Markers that start a quoted copy of the original message in a free-text
// bounce. Compared lower-cased.
var originalMarkers = []string{
	"below this line is a copy of the message",
	"this is a copy of the message",
	"original message follows",
	"original message headers",
	"----- original message -----",
	"--- original message ---",
	"------ original message ------",
	"original message ----",
	"unsent message below",
	"unsent message follows",
	"below is a copy of the original message",
	"undelivered message follows",
	"returned message follows",
	"message headers follow",
	"header of the original message",
	"headers of the original message",
	"content-type: message/rfc822",
	"------ this is a copy of",
	"original mail as follows",
	"--- mail contents ---",
	"your message reads (in part)",
	"----- message text follows -----",
	"----- returned message -----",
	"original message:",
	"enclosed are the original headers of the message",
	"message text follows:",
	"here is listed the initial part of the message",
	"dies ist eine kopie der nachricht",
	"ceci est une copie du message",
	"esta es una copia del mensaje",
	"questa è una copia del messaggio",
	"esta é uma cópia da mensagem",
	"cabeçalhos da mensagem original",
	"en-têtes de message d'origine",
	"encabezados del mensaje original",
	"ursprüngliche nachrichtenkopfzeilen",
	"intestazioni originali del messaggio",
}

var originalMarkerMatcher = multimatch.NewFold(originalMarkers)

// textMatcher finds the originalMarkers, the mtaSignatures, the
// bouncePhrases, the delayWords and the extraPhrases, in this order, in one
// pass. It searches ASCII texts only (findPhrases), and so leaves out the
// phrases in other scripts: its table is a third of the size.
var textMatcher = func() *multimatch.Matcher {
	ps := append([]string(nil), originalMarkers...)
	for _, sig := range mtaSignatures {
		ps = append(ps, sig.phrase)
	}
	ps = append(ps, bouncePhrases...)
	ps = append(ps, delayWords...)
	return multimatch.NewFoldASCII(append(ps, extraPhrases...))
}()

// finalRecipientField starts the fields of a DSN written into the text
// (dsnInText).
const finalRecipientField = "final-recipient:"

// extraPhrases are the phrases that decide looks for in the report text
// besides those findPhrases reads: the commandPatterns, the
// listRejectPhrases, the reportingHosts, finalRecipientField and the
// deliveryPhrases, in this order. On ASCII text the scan of findPhrases finds them too, which spares
// a search of the text for each.
var extraPhrases = func() []string {
	var ps []string
	for _, c := range commandPatterns {
		ps = append(ps, c.phrase)
	}
	ps = append(ps, listRejectPhrases...)
	ps = append(ps, reportingHosts[:]...)
	ps = append(ps, finalRecipientField)
	return append(ps, deliveryPhrases...)
}()

// textEndsRoom is the room findPhrases gives Ends on its stack: twice the
// phrases of textMatcher, or more (a test checks).
const textEndsRoom = 360

// finds is what the phrase tables find in the text of a message.
type finds struct {
	mark   int     // originalMarker(all)
	text   lowered // reportText(all, mark)
	mta    int     // mtaMatcher.First(text.search())
	bounce bool    // bouncePhrase(text.search())
	delay  bool    // text.ascii && delayWordMatcher.Any(text.t)

	// Where text has the extraPhrases, when the scan of an ASCII text
	// found them (scanned); else the methods below search the text.
	scanned  bool
	command  bool                     // one of the commandPatterns
	listAt   int                      // the first of the listRejectPhrases present (in their order)
	reportAt [len(reportingHosts)]int // each of the reportingHosts
	finalAt  int                      // finalRecipientField
	// where the first of the deliveryPhrases to occur starts, when it
	// is within deliveryOpening, else -1
	deliveryAt int
}

// findPhrases looks for the original markers in all, and for the MTA
// signatures and the bounce phrases in the report text before the marker:
// on ASCII text, in one pass, which also finds the extraPhrases.
func findPhrases(all lowered) finds {
	if !all.ascii {
		// the report text is searched with each matcher in its turn
		mark := originalMarker(all)
		text := reportText(all, mark)
		return finds{mark: mark, text: text, mta: mtaMatcher.First(text.search()),
			bounce: bouncePhrase(text.search()), delay: text.ascii && delayWordMatcher.Any(text.t)}
	}
	var buf [textEndsRoom]int // room for the two lanes of Ends
	ends := textMatcher.Ends(all.t, buf[:0], len(originalMarkers))
	best := -1 // the earliest marker
	for id, p := range originalMarkers {
		if e := ends[id]; e >= 0 && (best < 0 || e-len(p) < best) {
			best = e - len(p)
		}
	}
	mark := -1
	if best >= 0 {
		// back to the start of the line
		mark = strings.LastIndexByte(all.t[:best], '\n') + 1
	}
	f := finds{mark: mark, text: reportText(all, mark), mta: -1, scanned: true}
	// the phrases that end in the report text, which the scan saw whole
	// (their first occurrence in it, when they end by the earliest
	// marker, see Ends)
	n := len(f.text.t)
	ends = ends[len(originalMarkers):]
	at := func(k int, p string) int { // where phrase k of ends starts in the report text, or -1
		if e := ends[k]; e >= 0 && e <= n {
			return e - len(p)
		}
		return -1
	}
	for k, sig := range mtaSignatures {
		if at(k, sig.phrase) >= 0 {
			f.mta = k
			break
		}
	}
	ends = ends[len(mtaSignatures):]
	for k, p := range bouncePhrases {
		if at(k, p) >= 0 {
			f.bounce = true
			break
		}
	}
	ends = ends[len(bouncePhrases):]
	for k, p := range delayWords {
		if at(k, p) >= 0 {
			f.delay = true
			break
		}
	}
	ends = ends[len(delayWords):]
	for k, c := range commandPatterns {
		if at(k, c.phrase) >= 0 {
			f.command = true
			break
		}
	}
	ends = ends[len(commandPatterns):]
	f.listAt = -1
	for k, p := range listRejectPhrases {
		if i := at(k, p); i >= 0 {
			f.listAt = i
			break
		}
	}
	ends = ends[len(listRejectPhrases):]
	for k, p := range reportingHosts {
		f.reportAt[k] = at(k, p)
	}
	ends = ends[len(reportingHosts):]
	f.finalAt = at(0, finalRecipientField)
	ends = ends[1:]
	f.deliveryAt = -1
	for k, p := range deliveryPhrases {
		if i := at(k, p); i >= 0 && i < deliveryOpening && (f.deliveryAt < 0 || i < f.deliveryAt) {
			f.deliveryAt = i
		}
	}
	return f
}

// deliverySaid reports whether the opening of the report text (its first
// deliveryOpening bytes) has one of the deliveryPhrases.
func (f *finds) deliverySaid() bool {
	if f.scanned {
		return f.deliveryAt >= 0
	}
	opening := f.text.search()
	if len(opening) > deliveryOpening {
		opening = opening[:deliveryOpening]
	}
	return deliveryPhraseMatcher.Any(opening)
}

// hasCommand reports whether the report text names an SMTP command: has
// one of the commandPatterns.
func (f *finds) hasCommand() bool {
	if f.scanned {
		return f.command
	}
	return commandMatcher.Any(f.text.search())
}

// listRejectAt returns where the first of the listRejectPhrases (in their
// order) that the report text has starts in it, but for case; -1 when it
// has none.
func (f *finds) listRejectAt() int {
	if f.scanned {
		return f.listAt
	}
	for _, p := range listRejectPhrases {
		if i := indexFold(f.text.t, p); i >= 0 {
			return i
		}
	}
	return -1
}

// reportingAt returns where reportingHosts[k] starts in the report text,
// but for case, or -1.
func (f *finds) reportingAt(k int) int {
	if f.scanned {
		return f.reportAt[k]
	}
	return indexFold(f.text.t, reportingHosts[k])
}

// finalRecipientAt returns where finalRecipientField starts in the
// report text, in its lower case, or -1.
func (f *finds) finalRecipientAt() int {
	switch {
	case f.scanned:
		return f.finalAt
	case f.text.ascii:
		return indexFold(f.text.t, finalRecipientField)
	}
	return strings.Index(f.text.l, finalRecipientField)
}

// originalMarker returns where a quoted original begins in x.t, or -1.
func originalMarker(x lowered) int {
	t := x.t
	// the earliest marker counts
	best, _ := originalMarkerMatcher.Leftmost(x.search())
	if best < 0 {
		return -1
	}
	// back to the start of the line
	if j := strings.LastIndexByte(t[:best], '\n'); j >= 0 {
		return j + 1
	}
	return 0
}

// originalInText finds the header of a quoted original message in free text;
// i is originalMarker of t.
func originalInText(t string, i int) []Field {
	if i < 0 {
		return nil
	}
	rest := t[i:]
	// skip the marker line and blank lines
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[j+1:]
	} else {
		return nil
	}
	rest = strings.TrimLeft(rest, "\n \t")
	fs, _ := readFields(unsafe.Slice(unsafe.StringData(rest), len(rest))) // only read
	if lf := quotedHeader(rest); len(lf) > len(fs) {
		fs = lf
	}
	if len(fs) < 2 {
		return nil
	}
	return fs
}

// quotedHeader reads the header quoted at the start of t up to its blank
// line, where readFields would stop at the first line that is no field: a
// header quoted in a notice's text is often rewrapped, the white space that
// marked its folded lines lost ("Received: from x (via" then "HTTP); Sat, 29
// Nov 2014 ..."). Such a line, neither a field nor indented, is taken as a
// continuation of the field above it.
func quotedHeader(t string) []Field {
	var fs []Field
	for line := range strings.Lines(t) {
		v := strings.TrimSpace(line)
		if v == "" {
			break
		}
		if line[0] != ' ' && line[0] != '\t' {
			if i := strings.IndexByte(line, ':'); i > 0 && isFieldName([]byte(line[:i])) {
				fs = append(fs, Field{Name: strings.TrimSpace(line[:i]), Value: strings.TrimSpace(line[i+1:])})
				continue
			}
		}
		if len(fs) == 0 {
			return nil // text, not a header
		}
		f := &fs[len(fs)-1]
		if f.Value == "" {
			f.Value = v
		} else {
			f.Value += " " + v
		}
	}
	return fs
}

// dsnInText finds RFC 3464 fields written into a text body (the report
// text of f) by MTAs that do not send a proper delivery-status part.
func dsnInText(f *finds) [][]Field {
	x := f.text
	t := x.t
	i := f.finalRecipientAt()
	if i < 0 {
		return nil
	}
	var start int
	if x.ascii {
		start = lastIndexFold(t[:i], "reporting-mta:")
	} else {
		start = strings.LastIndex(x.l[:i], "reporting-mta:")
	}
	if start < 0 || i-start > 2000 {
		start = i
	}
	if j := strings.LastIndexByte(t[:start], '\n'); j >= 0 {
		start = j + 1
	} else {
		start = 0
	}
	s := &scan{}
	s.addDSN([]byte(t[start:]))
	var out [][]Field
	for _, fs := range s.dsn {
		if fieldsGet(fs, "Final-Recipient") != "" || fieldsGet(fs, "Reporting-MTA") != "" || fieldsGet(fs, "Status") != "" {
			out = append(out, fs)
		}
	}
	if len(out) > 0 && fieldsGet(out[0], "Final-Recipient") != "" {
		out = append([][]Field{nil}, out...)
	}
	return out
}

// autoReplyMarkers say in a subject that the message is an automatic reply,
// wherever they stand in it ("Automatic reply: ...", Exchange's prefix in
// its languages).
var autoReplyMarkers = []string{
	"automatic reply", "auto-reply", "autoreply", "auto reply", "auto response", "autoresponse",
	"abwesenheitsnotiz", "automatische antwort", "réponse automatique",
	"respuesta automática", "risposta automatica",
	"resposta automática", "автоответ", "автоматический ответ",
	"自動返信", "自動応答", "自动回复", "自動回覆", "不在通知", "不在のお知らせ", "不在のご連絡", "休假通知",
	"automatiskt svar", "automatisk svar", "autosvar", "automaattinen vastaus", "automatisch antwoord",
	"autoodpowiedź", "automatyczna odpowiedź", "automatická odpověď", "automatická odpoveď", "otomatik yanıt",
	"otomatik cevap", "automatikus válasz", "răspuns automat", "αυτόματη απάντηση", "자동 회신", "자동 응답",
	"trả lời tự động", "balasan otomatis",
	// Exchange's "Automatic reply:" in its other languages
	"自动答复", "automatski odgovor", "samodejni odgovor", "автоматична відповідь",
	"автоматичен отговор", "automaatvastus", "automātiskā atbilde", "automatinis atsakymas", "balasan automatik",
	"תשובה אוטומטית", "رد تلقائي", "ตอบกลับอัตโนมัติ",
}

// absenceSubjects say that someone is away. People write them in their own
// subjects too ("Vacation policy 2025", "Absence request for Friday", "Re:
// Photos from our vacation"), so alone they tell an automatic reply only in
// its forms: leading the subject, and all of it or before a ":" ("Out of
// Office: ...", "Frånvaro: ..."), or Notes/Domino's "NAME is out of the
// office." (the phrases that begin with a verb).
var absenceSubjects = []string{
	"out of office", "out of the office", "away from", "on vacation", "vacation",
	"abwesenheit", "abwesend", "absence",
	"fuera de la oficina", "fuori sede", "ausente", "нет на месте", "в отпуске", "不在",
	"afwezig", "frånvaro", "fravær", "poissaolo", "nieobecność", "nepřítomnost", "부재중", "fora do escritório",
	// Notes/Domino's "NAME is out of the office." in its languages
	"is out of the office", "ist außer haus", "ist ausser haus", "est absent du bureau", "est absente du bureau",
	"è fuori ufficio", "is niet op kantoor",
}

// autoReplySubjects are all the subject phrases of automatic replies: the
// markers, the absence phrases, and Sieve's "Auto:" prefix (a German
// "Auto: ..." is about a car). One of them counts beside a null
// Return-Path.
var autoReplySubjects = append(append(append([]string{}, autoReplyMarkers...), absenceSubjects...), "auto:")

// autoReplySubject reports whether a lower-cased subject, by itself, says the
// message is an automatic reply: it holds one of the autoReplyMarkers, or
// one of the absenceSubjects in an automatic reply's form.
func autoReplySubject(s string) bool {
	if !autoReplySubjectMatcher.Any(s) {
		return false
	}
	if autoReplyMarkerMatcher.Any(s) {
		return true
	}
	s = strings.TrimSpace(s)
	for _, p := range absenceSubjects {
		if rest, ok := strings.CutPrefix(s, p); ok {
			rest = strings.TrimSpace(rest)
			if rest == "" || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "：") {
				return true
			}
		}
		if strings.HasPrefix(p, "is ") || strings.HasPrefix(p, "ist ") || strings.HasPrefix(p, "est ") ||
			strings.HasPrefix(p, "è ") {
			if strings.HasSuffix(strings.TrimRight(s, ". "), p) {
				return true
			}
		}
	}
	return false
}

// isAutoReply reports whether the message is an automatic reply (RFC 3834 or
// the common out-of-office signs).
func isAutoReply(top []Field, subject string) bool {
	as := strings.ToLower(fieldsGet(top, "Auto-Submitted"))
	if strings.HasPrefix(as, "auto-replied") {
		return true
	}
	if v := strings.ToLower(fieldsGet(top, "X-Autoreply")); v == "yes" || v == "true" {
		return true
	}
	if fieldsGet(top, "X-Autorespond") != "" || fieldsGet(top, "X-Autoresponder") != "" {
		return true
	}
	if strings.Contains(strings.ToLower(fieldsGet(top, "Precedence")), "auto_reply") {
		return true
	}
	s := strings.ToLower(subject)
	if rest, ok := cutReplyPrefixes(s); ok {
		// a reply to an automatic reply, or its forward: a person's
		// message, unless its header says otherwise
		return automaticHeader(top) && autoReplySubjectMatcher.Any(rest)
	}
	return autoReplySubject(s) || nullReturnPath(top) && autoReplySubjectMatcher.Any(s)
}

// replyPrefixes are the prefixes, lower-cased, that mail clients put before
// the subject of a reply or a forward, in their languages.
var replyPrefixes = []string{"re", "aw", "antw", "antwort", "sv", "vs", "r", "rv", "res", "ref", "rif", "odp",
	"odg", "atb", "ynt", "vá", "rép", "réf", "fwd", "fw", "wg", "tr", "enc", "i", "vl", "fs", "vb", "doorst",
	"pd", "trs", "πρθ", "σχετ", "回复", "回覆", "答复", "转发", "轉寄", "返信", "転送", "답장", "전달"}

// cutReplyPrefixes removes the reply and forward prefixes that open the
// lower-cased subject s ("re: ", "aw: ", "fwd: ", "re[2]: ", "re : "), and
// reports whether there was one.
func cutReplyPrefixes(s string) (rest string, ok bool) {
	rest = s
	for {
		t := strings.TrimLeft(rest, " \t")
		i := strings.IndexAny(t, ":：")
		if i <= 0 || i > 12 {
			return rest, ok
		}
		word := strings.TrimRight(t[:i], " ")
		if k := strings.IndexAny(word, "[("); k > 0 && (word[len(word)-1] == ']' || word[len(word)-1] == ')') {
			word = word[:k] // a count: "re[2]", "aw(3)"
		}
		known := false
		for _, p := range replyPrefixes {
			if word == p {
				known = true
				break
			}
		}
		if !known {
			return rest, ok
		}
		_, n := utf8.DecodeRuneInString(t[i:])
		rest, ok = t[i+n:], true
	}
}

// automaticHeader reports whether the header top says its message is
// automatic: an Auto-Submitted field other than "no", the fields of
// autoresponders, Precedence "auto_reply", an X-Auto-Response-Suppress that
// Exchange sets on its own automatic messages (OOF or All), or a null
// Return-Path, which no person's message has.
func automaticHeader(top []Field) bool {
	if as := strings.TrimSpace(strings.ToLower(fieldsGet(top, "Auto-Submitted"))); as != "" && !strings.HasPrefix(as, "no") {
		return true
	}
	if fieldsGet(top, "X-Autoreply") != "" || fieldsGet(top, "X-Autorespond") != "" || fieldsGet(top, "X-Autoresponder") != "" {
		return true
	}
	if strings.Contains(strings.ToLower(fieldsGet(top, "Precedence")), "auto_reply") {
		return true
	}
	if v := strings.ToLower(fieldsGet(top, "X-Auto-Response-Suppress")); strings.Contains(v, "oof") || strings.Contains(v, "all") {
		return true
	}
	return nullReturnPath(top)
}

// listManagers are the names of list managers' own addresses.
var listManagers = []string{"sympa", "listserv", "majordomo", "mailman", "ecartis", "lyris", "listproc", "smartlist"}

// fromListManager reports whether the header top is that of a list
// manager's notice about a post or a subscription (held for a moderator,
// passed to the list's editors, welcome): such a notice may say that it is
// auto-replied (Sympa does), and is still no person's automatic reply. Its
// From is the manager's address, or one of a list's administrative ones
// (foo-request, foo-owner, foo-bounces, owner-foo), or Mailman marks it
// X-List-Administrivia.
func fromListManager(top []Field) bool {
	if fieldsGet(top, "X-List-Administrivia") != "" {
		return true
	}
	local, _, ok := strings.Cut(addrOf(fieldsGet(top, "From")), "@")
	if !ok {
		return false
	}
	for _, m := range listManagers {
		if local == m {
			return true
		}
	}
	for _, suffix := range []string{"-request", "-owner", "-bounces"} {
		if strings.HasSuffix(local, suffix) {
			return true
		}
	}
	return strings.HasPrefix(local, "owner-")
}

// The subject phrase lists, each found in one pass over the lower-cased
// subject rather than with a search per phrase.
var (
	autoReplySubjectMatcher = multimatch.New(autoReplySubjects)
	autoReplyMarkerMatcher  = multimatch.New(autoReplyMarkers)
	bounceSubjectMatcher    = multimatch.New(bounceSubjects)
	delaySubjectMatcher     = multimatch.New(delaySubjects)
)

var bounceSubjects = []string{
	"undeliver", "undelivered", "delivery status notification", "delivery failure", "delivery failed",
	"failure notice", "returned mail", "mail delivery failed", "delivery has failed", "not delivered",
	"could not be delivered", "couldn't be delivered", "nondeliverable", "non-deliverable", "delivery notification",
	"mail system error", "message not delivered", "delivery problem", "delivery delayed", "delayed mail",
	"warning: could not send", "returned to sender", "rejected", "bounce", "mail failure", "delivery error",
	"failed delivery", "unable to deliver", "not be delivered", "delivery report", "nicht zustellbar",
	"unzustellbar", "non remis", "non distribué", "échec de la remise", "no se puede entregar", "no entregado",
	"non recapitato", "não entregue", "не доставлено", "недоставлен", "配信", "未送达", "退信", "エラー",
	"반송", "전송 실패", "발송 실패",
	"non-remise", "état de remise", "retard de remise", "estado de entrega", "entrega retrasada", "entrega fallida",
	"error de entrega", "falha na entrega", "status de entrega", "stato del recapito", "mancato recapito",
	"übermittlungsstatus", "zustellung verzögert", "состоянии доставки", "ошибка доставки", "投递",
	// Exchange's "Undeliverable:" in its other languages
	"non recapitabile", "não é possível entregar", "onbestelbaar", "无法传递", "無法傳遞", "niedostarczalne",
	"ej levererbart", "kan ikke leveres", "ei voitu toimittaa", "nedoručitelné", "kézbesíthetetlen",
	"mail delivery", "message status", "permanent error", "error sending", "failure delivery", "errors from",
}

var bounceSenders = []string{"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster", "post_master", "mail delivery",
	"mail-delivery", "mail-daemon", "maildaemon", "maildelivery", "mdaemon", "bounce", "daemon@", "nobody@",
	"microsoftexchange"} // Exchange's own sender: MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@domain

var bouncePhrases = []string{
	"could not be delivered", "couldn't be delivered", "was not delivered", "wasn't delivered",
	"delivery to the following recipient", "failed permanently", "permanent error", "permanent fatal error",
	"i'm afraid i wasn't able to deliver", "unable to deliver", "undeliverable", "delivery has failed",
	"following address(es) failed", "following addresses had permanent", "did not reach",
	"delivery failed", "message was undeliverable", "was undeliverable", "delivery to the following recipients failed",
	"not be delivered", "returned to the sender", "could not deliver", "couldn't deliver", "temporary error",
	"has been delayed", "delivery attempts", "will be retried", "still trying", "mail delivery failed",
	"delivery status notification", "nicht zugestellt", "n'a pas pu être", "no se pudo entregar",
	"non è stato possibile", "não foi possível entregar", "не может быть доставлено", "не удалось доставить",
	"配信できません", "届きません", "送信できません", "无法投递", "未能送达",
	"반송되었습니다", "전송하지 못했습니다", "전송 실패", "발송 실패", "배달되지 않았습니다",
	"smtp error", "remote host said", "said:", "user unknown", "no such user",
}

var bouncePhraseMatcher = multimatch.NewFold(bouncePhrases)

var bounceSenderMatcher = multimatch.NewFold(bounceSenders)

// looksLikeBounce reports whether a message without a delivery-status part
// reads like a non-delivery report. phrase is whether the text has one of the
// bouncePhrases; returned reports whether it carries a copy of an original
// message or forwards a notice (asked only when needed).
//
// Two signs are needed among: a mail-system sender, a null Return-Path, a
// bounce subject and a bounce phrase. A person's message (a newsletter about
// bounces, a forwarded notice) may have the subject and the phrase; from a
// sender that is not a mail system they count only when the message returns
// an original, as a notice does, or quotes a notice's header.
func looksLikeBounce(top []Field, subject string, phrase bool, returned func() bool) bool {
	if fieldsGet(top, "X-Failed-Recipients") != "" {
		return true
	}
	system := 0
	if fromSystem(top) {
		system++
	}
	if nullReturnPath(top) {
		system++
	}
	score := system
	if bounceSubjectMatcher.Any(strings.ToLower(subject)) {
		score++
	}
	if phrase {
		score++
	}
	return score >= 2 && (system > 0 || returned())
}

// autoReplyIsBounce is looksLikeBounce for a message that says it is an
// automatic reply (isAutoReply), where a null Return-Path is a sign of a
// notice only beside a mail system's From: RFC 3834 asks an automatic reply
// for one, and Exchange's and Sieve's out-of-office replies from a person's
// address have it. Such a reply's text may well say that mail to its writer
// "will not be delivered" or "is undeliverable"; it is taken for a notice on
// a notice's own signs only (a mail system's From, a returned message, or a
// notice's subject and words both), and not on its sender's alone when its
// subject says it is an automatic reply: a postmaster's acknowledgement
// ("Automatic reply: ...") is no notice. (Many notices say they are
// auto-replied in their header, in words the subject and phrase lists may
// not know.)
func autoReplyIsBounce(top []Field, subject string, phrase bool, returned func() bool) bool {
	if fieldsGet(top, "X-Failed-Recipients") != "" {
		return true
	}
	system := fromSystem(top)
	score := 0
	if system {
		score++
		if nullReturnPath(top) {
			score++
		}
	}
	subject = strings.ToLower(subject)
	said := 0 // of the subject and the text, how many say what a notice says
	if bounceSubjectMatcher.Any(subject) {
		score++
		said++
	}
	if phrase {
		score++
		said++
	}
	if said == 0 && autoReplySubject(subject) && !returned() {
		// the sender's signs alone, against a subject that says the
		// message is an automatic reply
		return false
	}
	// both the subject and the text of a notice, and a null Return-Path:
	// a notice from a sender of another name
	return score >= 2 && (system || said == 2 && nullReturnPath(top) || returned())
}

// systemSender reports whether the header top is that of a mail system's
// own message: its From is one of the bounceSenders, or its Return-Path is
// null.
func systemSender(top []Field) bool { return fromSystem(top) || nullReturnPath(top) }

func fromSystem(top []Field) bool {
	from := fieldsGet(top, "From")
	if isASCII(from) {
		// no lower-cased copy: it is asked several times of a message
		return bounceSenderMatcher.Any(from)
	}
	from = strings.ToLower(from)
	for _, p := range bounceSenders {
		if strings.Contains(from, p) {
			return true
		}
	}
	return false
}

func nullReturnPath(top []Field) bool {
	rp := strings.TrimSpace(fieldsGet(top, "Return-Path"))
	return rp == "<>" || rp == "" && fieldsGet(top, "Return-Path") != ""
}

// quotesNotice reports whether the text t quotes the header of a notice from
// a mail system: a "From:" line, maybe behind "> " as in a forwarded message,
// naming one of the bounceSenders.
func quotesNotice(t string) bool {
	for line := range strings.Lines(t) {
		line = strings.TrimLeft(line, " \t>")
		if len(line) < 5 || !strings.EqualFold(line[:5], "from:") {
			continue
		}
		line = strings.ToLower(line)
		for _, p := range bounceSenders {
			if strings.Contains(line, p) {
				return true
			}
		}
	}
	return false
}

// listRejectPhrases open a list manager's notice that it refused a post
// (Mailman: "Your message to the Foo mailing-list was rejected for the
// following reasons:"). A notice that a post is held for a moderator is not
// one: the post may still go out.
var listRejectPhrases = []string{"mailing-list was rejected", "mailing list was rejected"}

// listRejection reads a list manager's notice that it refused a post: the
// failed recipient is the list, the diagnostic the reasons given. It reports
// false, leaving b alone, for any other message.
func listRejection(b *Bounce, f *finds) bool {
	text := f.text
	at := f.listRejectAt()
	if at < 0 {
		return false
	}
	list := ""
	for _, v := range []string{b.Subject, text.t[:at]} {
		// "Your message to foo@lists.example.org was rejected"
		if m := addrRe.FindString(v); m != "" {
			list = normAddr(m)
			break
		}
	}
	if list == "" {
		// the list's own addresses: foo-owner@, foo-bounces@ -> foo@
		a := addrOf(b.From)
		if i := strings.IndexByte(a, '@'); i > 0 {
			local := a[:i]
			for _, suf := range []string{"-owner", "-bounces", "-request", "-admin"} {
				local = strings.TrimSuffix(local, suf)
			}
			list = local + a[i:]
		}
	}
	if list == "" {
		return false
	}
	diag := text.t[at:]
	if i := indexFold(diag, "reasons:"); i >= 0 && i < 200 {
		diag = diag[i+len("reasons:"):]
	}
	if i := indexFold(diag, "the original message"); i >= 0 {
		diag = diag[:i]
	}
	diag = foldSpace(diag)
	if len(diag) > maxHumanDiag {
		diag = diag[:maxHumanDiag]
	}
	b.Kind, b.Decoder = KindNDR, "mailman"
	b.Recipients = []Recipient{{Address: list, Action: "failed", Diagnostic: diag, LastAttempt: b.Date}}
	return true
}

// listErrorPhrases are what a mailing list manager's notice of a refused
// post says, lower-cased.
var listErrorPhrases = []string{"not a member", "are not member", "loop alert", "duplicated message-id",
	"rejected", "too big", "not allowed", "denied"}

// isListError reports whether the message is a mailing list manager's notice
// that it did not pass a post to its list: written by fml (X-MLServer, and
// fml's own Message-ID, "<...FML...@...>", not a list post's) and saying so.
func isListError(top []Field, subject string, text lowered) bool {
	if !strings.Contains(strings.ToLower(fieldsGet(top, "X-MLServer")), "fml") ||
		!strings.Contains(strings.ToLower(fieldsGet(top, "Message-ID")), ".fml") {
		return false
	}
	s := strings.ToLower(subject)
	for _, p := range listErrorPhrases {
		if strings.Contains(s, p) || text.contains(p) {
			return true
		}
	}
	return false
}

// bouncePhrase reports whether the text l, ASCII or lower-cased, has one of
// the bouncePhrases.
func bouncePhrase(l string) bool {
	return bouncePhraseMatcher.Any(l)
}

var mtaSignatures = []struct{ phrase, mta string }{
	{"qmail-send program", "qmail"},
	{"this is the mailer-daemon, please do not reply to this", "opensmtpd"}, // its bounce template
	{"this message was created automatically by mail delivery software", "exim"},
	{"the postfix program", "postfix"},
	{"this is the mail system at host", "postfix"},
	{"postfix", "postfix"},
	{"transcript of session follows", "sendmail"},
	{"the following addresses had permanent fatal errors", "sendmail"},
	{"delivery to the following recipient failed permanently", "gmail"},
	{"technical details of permanent failure", "gmail"},
	{"mail.ru", "mailru"},
	{"yahoo", "yahoo"},
	{"your message did not reach some or all of the intended recipients", "exchange"},
	{"microsoft exchange", "exchange"},
	{"outlook.com", "office365"},
	{"office 365", "office365"},
	{"amazonses", "amazonses"},
	{"courier mail server", "courier"},
	{"lotus domino", "domino"},
	{"opensmtpd", "opensmtpd"},
	{"messaging server", "messagingserver"},
	{"gmx", "gmx"},
	{"zoho", "zoho"},
}

// mtaMatcher finds the mtaSignatures; the first of the table present wins.
var mtaMatcher = func() *multimatch.Matcher {
	ps := make([]string, len(mtaSignatures))
	for i, sig := range mtaSignatures {
		ps[i] = sig.phrase
	}
	return multimatch.NewFold(ps)
}()

// detectMTA guesses which MTA or service wrote a bounce, from its header and text.
func detectMTA(top []Field, text lowered) string {
	return mtaOf(top, mtaMatcher.First(text.search()))
}

// mtaOf is detectMTA, given which of the mtaSignatures the text has first
// (-1: none).
func mtaOf(top []Field, i int) string {
	if i >= 0 {
		return mtaSignatures[i].mta
	}
	// the first of the table in some of these fields (no signature spans
	// two of them: none holds a line end)
	best := -1
	for _, f := range top {
		if nameIs(f.Name, "from", "received", "x-mailer", "message-id", "x-ses-outgoing", "x-mailer-daemon") {
			if i := mtaMatcher.First(searchForm(f.Value)); i >= 0 && (best < 0 || i < best) {
				best = i
			}
		}
	}
	if best >= 0 {
		return mtaSignatures[best].mta
	}
	return "generic"
}

// stripHTML turns an HTML part into text: tags dropped, block ends as new lines,
// table cells apart by a space, a few entities decoded. The text is always a copy, never h or a piece of it:
// h may be a view of bytes that change afterwards.
func stripHTML(h string) string {
	var b strings.Builder
	b.Grow(len(h))
	// the text between the tags is copied a run at a time, and each tag
	// skipped whole
	for len(h) > 0 {
		i := strings.IndexByte(h, '<')
		if i < 0 {
			b.WriteString(h)
			break
		}
		b.WriteString(h[:i])
		rest := h[i+1 : min(len(h), i+4)]
		if isASCII(rest) {
			rest = toLower(rest)
		} else {
			rest = strings.ToLower(rest)
		}
		if strings.HasPrefix(rest, "br") || strings.HasPrefix(rest, "p") || strings.HasPrefix(rest, "/p") ||
			strings.HasPrefix(rest, "div") || strings.HasPrefix(rest, "/di") || strings.HasPrefix(rest, "tr") ||
			strings.HasPrefix(rest, "li") || strings.HasPrefix(rest, "/tr") {
			b.WriteByte('\n')
		} else if strings.HasPrefix(rest, "td") || strings.HasPrefix(rest, "th") ||
			strings.HasPrefix(rest, "/td") || strings.HasPrefix(rest, "/th") {
			// a table cell: its text is kept apart from the next cell's,
			// so that a label cell and an address cell stay two words
			if n := b.Len(); n > 0 {
				if c := b.String()[n-1]; c != '\n' && c != ' ' && c != '\t' {
					b.WriteByte(' ')
				}
			}
		}
		end := strings.IndexByte(h[i+1:], '>')
		if end < 0 {
			break // a tag that never ends: the rest is in it
		}
		h = h[i+1+end+1:]
	}
	t := b.String()
	if strings.IndexByte(t, '&') < 0 {
		return t // no character reference: no second copy
	}
	// Character references, named and numeric: servers that write their
	// HTML notices in US-ASCII (Exchange among them) spell every letter
	// beyond it so ("retard&#233;e"). A no-break space is a space.
	t = html.UnescapeString(t)
	if strings.Contains(t, "\u00a0") {
		t = strings.ReplaceAll(t, "\u00a0", " ")
	}
	return t
}
