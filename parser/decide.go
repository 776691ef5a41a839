package parser

import (
	"strings"

	"github.com/bouncer-mail/bouncer/internal/multimatch"
)

// decide turns what the walk collected into a Bounce.
func (s *scan) decide() *Bounce {
	b := &Bounce{
		From:    decodeHeader(fieldsGet(s.top, "From")),
		Subject: decodeHeader(fieldsGet(s.top, "Subject")),
		Date:    parseDate(fieldsGet(s.top, "Date")),
	}
	all := lowerText(s.allText())
	found := findPhrases(all)
	mark, text := found.mark, found.text
	if !s.hasOrig {
		if orig := originalInText(all.t, mark); len(orig) > 0 {
			s.original, s.hasOrig = orig, true
		}
	}
	b.Original = s.buildOriginal()

	returned := func() bool { return s.hasOrig || quotesNotice(all.t) }
	switch {
	case s.arf != nil || s.reportType == "feedback-report":
		s.decideARF(b)
		return b
	case len(s.dsn) > 0:
		s.decideDSN(b, &found)
		if len(b.Recipients) > 0 {
			return b
		}
	}
	if s.mdn || s.reportType == "disposition-notification" {
		if !mdnRejection(s.mdnFields) || readerReceipt(s.mdnFields, b.Subject, found.text) {
			// a read receipt (RFC 8098): the message reached its reader
			b.Kind, b.Decoder, b.Recipients = KindNotBounce, "", nil
			return b
		}
		// a Sieve "reject" (RFC 5429): the delivery agent refused the
		// message, and says why in the text
		s.decideRejectMDN(b, &found)
		return b
	}
	if s.inner != nil && !s.nested && s.wraps(b, &found) {
		if ib, err := parse(s.inner, true); err == nil && len(ib.Recipients) > 0 &&
			(ib.Kind == KindNDR || ib.Kind == KindDSN) {
			return ib
		}
	}
	if fs := dsnInText(&found); len(fs) > 1 {
		s.dsn = fs
		s.decideDSN(b, &found)
		if len(b.Recipients) > 0 {
			return b
		}
	}
	if strings.Contains(text.t, `"notificationType"`) || strings.Contains(text.t, `"eventType"`) {
		if sesJSON(text.t, b) {
			return b
		}
	}
	if listRejection(b, &found) {
		return b
	}
	if isAutoReply(s.top, b.Subject) && !fromListManager(s.top) &&
		!autoReplyIsBounce(s.top, b.Subject, found.bounce, returned) {
		b.Kind, b.Decoder = KindAutoReply, "rfc3834"
		if a := addrOf(fieldsGet(s.top, "From")); a != "" {
			b.Recipients = []Recipient{{Address: a, Action: "delivered"}}
		}
		return b
	}
	if isListError(s.top, b.Subject, text) {
		// The notice names the list it refused the post for first, in
		// its opening sentence; the rest is help (the command address,
		// ...).
		ex := s.excluded(b)
		for _, m := range addrRe.FindAllString(text.t, 8) {
			if a := normAddr(m); !ex[a] && plausibleAddr(a) {
				b.Kind, b.Decoder = KindNDR, "fml"
				diag := stripBoilerplate(foldSpace(text.t))
				if len(diag) > maxHumanDiag {
					diag = diag[:maxHumanDiag]
				}
				b.Recipients = []Recipient{{Address: a, Action: "failed", Diagnostic: diag, LastAttempt: b.Date}}
				return b
			}
		}
	}
	if ok, relayed := deliveryReport(s.top, b.Subject, &found); ok {
		// a report of success: each recipient it names was reached
		b.Kind, b.Decoder = KindDSN, mtaOf(s.top, found.mta)
		if b.Recipients = s.deliveredRecipients(b, &found, relayed); len(b.Recipients) > 0 {
			return b
		}
		b.Kind, b.Decoder, b.Recipients = KindNotBounce, "", nil
		return b
	}
	if looksLikeBounce(s.top, b.Subject, found.bounce, returned) && !readerNotice(s.top, b.Subject, text, returned) &&
		!challengeRequest(s.top, text) {
		b.Kind = KindNDR
		b.Decoder = mtaOf(s.top, found.mta)
		b.Recipients = s.freeText(b, &found)
		if len(b.Recipients) > 0 {
			return b
		}
	}
	b.Kind, b.Decoder, b.Recipients = KindNotBounce, "", nil
	return b
}

// readerNotices are phrases of a mail system's notices to the reader about
// its own mailbox or its own action, not about a message that failed:
// warnings that the mailbox is nearly full (a quota-warning script, a
// webmail's or a groupware's notice), and Outlook's reports on the recall
// of a message.
var readerNotices = []string{"quota warning", "quota-warning", "mailbox is almost full", "mailbox is nearly full",
	"your mailbox is now", "approaching its quota", "approaching the quota", "approaching your quota",
	"mailbox size warning", "almost over quota", "nearly over quota", "your mailbox has reached",
	"postfach ist fast voll", "postfach ist bald voll", "boîte aux lettres est presque pleine", "buzón está casi lleno",
	"casella di posta è quasi piena", "mailbox is bijna vol", "caixa de correio está quase cheia",
	"message recall", "recall report", "recall success", "recall failure", "nachrichtenrückruf", "rückruf erfolgreich",
	"rückruf fehlgeschlagen", "rapport de rappel", "rappel du message"}

// readerNotice reports whether a message that reads like a notice (from a
// mail system, with a bounce's words) is one to its reader about its own
// mailbox or action (readerNotices): it says so in its subject or in the
// opening of its text (t), and neither returns a message nor names failed
// recipients in its header.
func readerNotice(top []Field, subject string, t lowered, returned func() bool) bool {
	if fieldsGet(top, "X-Failed-Recipients") != "" {
		return false
	}
	// such a notice says what it is at once: its opening is read, not the
	// whole text
	opening := t.search()
	if len(opening) > noticeOpening {
		opening = opening[:noticeOpening]
	}
	return (readerNoticeMatcher.Any(searchForm(subject)) || readerNoticeMatcher.Any(opening)) && !returned()
}

// noticeOpening is how much of a text readerNotice reads.
const noticeOpening = 400

var readerNoticeMatcher = multimatch.NewFold(readerNotices)

// allText joins the text parts (or the HTML ones stripped, when there is no
// plain text).
func (s *scan) allText() string {
	parts := s.texts
	if len(parts) == 0 {
		for _, h := range s.htmlParts {
			parts = append(parts, stripHTML(h))
		}
	}
	t := strings.Join(parts, "\n")
	if len(t) > maxText*4 {
		t = t[:maxText*4]
	}
	return t
}

// reportText is the human-readable report: the text parts, cut where a quoted
// copy of the original message begins (mark, from originalMarker).
func reportText(all lowered, mark int) lowered {
	t := all
	if mark >= 0 {
		t = t.prefix(mark)
	}
	if len(t.t) > maxText {
		t = t.prefix(maxText)
	}
	return t
}

func (s *scan) decideARF(b *Bounce) {
	b.Kind, b.Decoder = KindFeedback, "arf"
	b.FeedbackType = strings.ToLower(fieldsGet(s.arf, "Feedback-Type"))
	b.ReportingMTA = stripType(fieldsGet(s.arf, "Reporting-MTA"))
	b.ArrivalDate = parseDate(fieldsGet(s.arf, "Arrival-Date"))
	if b.ArrivalDate.IsZero() {
		b.ArrivalDate = parseDate(fieldsGet(s.arf, "Received-Date"))
	}
	var addrs []string
	for _, f := range s.arf {
		switch strings.ToLower(f.Name) {
		case "original-rcpt-to", "removal-recipient":
			if a := addrOf(f.Value); a != "" {
				addrs = append(addrs, a)
			}
		}
	}
	if len(addrs) == 0 {
		// Outlook.com's reports (JMRP) name the reader in a header of the
		// returned message, the To field often being a list or another
		// address
		if a := addrOf(fieldsGet(s.original, "X-HmXmrOriginalRecipient")); a != "" {
			addrs = append(addrs, a)
		} else if a := addrOf(b.Original.To); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		addrs = append(addrs, "")
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		b.Recipients = append(b.Recipients, Recipient{
			Address: a, Action: "failed", FeedbackType: b.FeedbackType,
			ReportingMTA: b.ReportingMTA, Diagnostic: fieldsGet(s.arf, "User-Agent"),
		})
	}
}

// decideDSN reads the recipients of the DSN fields, with the report text
// of found where the fields do not say.
func (s *scan) decideDSN(b *Bounce, found *finds) {
	text, mtaFirst := found.text, found.mta
	b.Kind, b.Decoder = KindDSN, "rfc3464"
	per := s.dsn[0]
	rcpts := s.dsn[1:]
	if fieldsGet(per, "Final-Recipient") != "" || fieldsGet(per, "Original-Recipient") != "" {
		// No per-message block: every block is a recipient.
		per, rcpts = nil, s.dsn
	}
	b.ReportingMTA = stripType(fieldsGet(per, "Reporting-MTA"))
	b.ArrivalDate = parseDate(fieldsGet(per, "Arrival-Date"))
	if mta := mtaOf(s.top, mtaFirst); mta != "" {
		b.Decoder = mta
	}
	// the report text's piece for each recipient it names, read only
	// when some recipient needs it
	var blocks map[string]string
	textBlock := func() map[string]string {
		if blocks == nil {
			blocks = textBlocks(text.t, b)
		}
		return blocks
	}
	// blockOf is textBlock()[a], but spares building the pieces when the
	// text does not hold the address at all, and so has no piece for it.
	blockOf := func(a string) (string, bool) {
		if blocks == nil && !text.holds(a) {
			return "", false
		}
		blk, ok := textBlock()[a]
		return blk, ok
	}
	// Whether the report text names an SMTP command (commandPatterns) at
	// all: a recipient's piece is made of its lines, and names none when
	// the text names none (no phrase holds a line end), so the pieces are
	// not needed to look for one. 0: not known yet, 1: yes, -1: no.
	textCommand := 0
	hasCommand := func() bool {
		if textCommand == 0 {
			textCommand = -1
			if found.hasCommand() {
				textCommand = 1
			}
		}
		return textCommand > 0
	}
	for _, fs := range rcpts {
		final := addrOf(stripType(fieldsGet(fs, "Final-Recipient")))
		orig := addrOf(stripType(fieldsGet(fs, "Original-Recipient")))
		if final == "" {
			final = orig
		}
		if final == "" && len(rcpts) == 1 && len(textBlock()) == 1 {
			// a Final-Recipient that is no address ("@mx.example"): the
			// text names the one recipient
			for a := range blocks {
				final = a
			}
		}
		if final == "" && fieldsGet(fs, "Action") == "" && fieldsGet(fs, "Status") == "" {
			continue
		}
		r := Recipient{
			Address:         final,
			OriginalAddress: orig,
			Action:          strings.ToLower(firstWord(fieldsGet(fs, "Action"))),
			RemoteMTA:       stripType(fieldsGet(fs, "Remote-MTA")),
			ReportingMTA:    b.ReportingMTA,
			LastAttempt:     parseDate(fieldsGet(fs, "Last-Attempt-Date")),
		}
		r.Category = strings.ToLower(strings.TrimSpace(fieldsGet(fs, "X-PowerMTA-BounceCategory")))
		status := firstStatus(fieldsGet(fs, "Status"))
		if placeholderStatus(b.Decoder, status) {
			status = ""
		}
		rawDiag := fieldsGet(fs, "Diagnostic-Code")
		diag := stripType(rawDiag)
		if t, _, ok := strings.Cut(rawDiag, ";"); ok && len(diag) < len(strings.TrimSpace(rawDiag)) {
			r.DiagnosticType = strings.ToLower(strings.TrimSpace(t))
		}
		if diag == "" {
			if blk, ok := textBlock()[final]; ok {
				diag = blk
			} else if len(rcpts) == 1 && len(blocks) == 1 {
				for _, v := range blocks {
					diag = v
				}
			} else if len(rcpts) == 1 && len(blocks) == 0 {
				// One recipient, named in the human-readable part only
				// mid-sentence if at all ("Your message wasn't delivered
				// to a@b because ..."): that part is its diagnostic.
				diag = text.t
				if len(diag) > maxHumanDiag {
					diag = diag[:maxHumanDiag]
				}
			}
		}
		r.Diagnostic = foldSpace(diag)
		if fieldsGet(fs, "Diagnostic-Code") == "" {
			r.Diagnostic = stripBoilerplate(r.Diagnostic)
		}
		r.ReplyCode, r.Status = codesFrom(r.Diagnostic, status)
		if r.ReplyCode == "" {
			// Some MTAs put the SMTP code only in the human-readable part.
			if blk, ok := blockOf(final); ok {
				r.ReplyCode, _ = codesFrom(blk, r.Status)
			}
		}
		if r.ReplyCode == "" && len(rcpts) == 1 && r.Status != "" {
			// Sendmail's "Transcript of session follows" may hold the
			// server's answer while the DSN fields give only a status.
			r.ReplyCode = transcriptReply(text.t, r.Status[0])
		}
		r.Command = commandOf(r.Diagnostic)
		if r.Command == "" && hasCommand() {
			if blk, ok := blockOf(final); ok {
				r.Command = commandOf(blk)
			}
		}
		if r.RemoteMTA == "" {
			// no Remote-MTA field: the server the diagnostic, or the
			// recipient's piece of the report when it was read, names
			r.RemoteMTA = strings.ToLower(remoteHostOf(r.Diagnostic))
			if blk, ok := blocks[final]; ok && r.RemoteMTA == "" {
				r.RemoteMTA = strings.ToLower(remoteHostOf(blk))
			}
		}
		if r.LastAttempt.IsZero() {
			r.LastAttempt = b.ArrivalDate
		}
		b.Recipients = append(b.Recipients, r)
	}
}

// placeholderStatus reports whether a DSN's Status field is one its MTA
// writes whatever the failure: OpenSMTPD gives every failed recipient
// "5.0.0" (every delayed one "4.0.0"), the real code being at most in the
// server's answer it quotes. Such a status says no more than the Action, so
// it is read as no status at all: a code in the text decides, and failing
// one the reason's pseudo code does.
func placeholderStatus(decoder, status string) bool {
	return decoder == "opensmtpd" && (status == "5.0.0" || status == "4.0.0")
}

// maxHumanDiag caps the human-readable text taken as a diagnostic.
const maxHumanDiag = 1000

func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t("); i > 0 {
		return s[:i]
	}
	return s
}

// stripType removes an address or diagnostic type prefix: "rfc822; a@b",
// "dns; mx.example", "smtp; 550 ...".
func stripType(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ';'); i > 0 && i < 16 && !strings.ContainsAny(v[:i], " @<") {
		return strings.TrimSpace(v[i+1:])
	}
	return v
}

func foldSpace(s string) string {
	return joinFields(s)
}

// transcriptReply returns the reply code of the first line of text that is
// a server's answer ("451 4.0.0 Operating system error", "<<< 550 ...")
// of the given class ('4' or '5'); "" when there is none.
func transcriptReply(text string, class byte) string {
	for rest := text; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		t := strings.TrimLeft(line, " \t")
		t = strings.TrimLeft(strings.TrimPrefix(t, "<<<"), " ")
		if len(t) >= 4 && t[0] == class && isDigit(t[1]) && isDigit(t[2]) && (t[3] == ' ' || t[3] == '-') {
			return t[:3]
		}
	}
	return ""
}

// mdnRejection reports whether the fields of a message/disposition-notification
// part are those of a refusal rather than of a receipt: a Sieve "reject"
// (RFC 5429, section 2.1) is an MDN that a program sent on its own for a
// message it deleted, "automatic-action/MDN-sent-automatically; deleted". A
// reader's own receipt is a manual action, or says the message was displayed.
func mdnRejection(fs []Field) bool {
	d := strings.ToLower(fieldsGet(fs, "Disposition"))
	mode, kind, ok := strings.Cut(d, ";")
	if !ok {
		return false
	}
	action, sending, _ := strings.Cut(strings.TrimSpace(mode), "/")
	// the type may carry modifiers after a "/" (RFC 3798)
	kind, _, _ = strings.Cut(strings.TrimSpace(kind), "/")
	return strings.TrimSpace(action) == "automatic-action" &&
		strings.TrimSpace(sending) == "mdn-sent-automatically" &&
		strings.TrimSpace(kind) == "deleted"
}

// readerUAs name mail clients and groupware in an MDN's Reporting-UA: their
// MDNs are a reader's receipts, a Sieve rejection coming from a delivery
// agent.
var readerUAs = []string{"exchange", "outlook", "thunderbird", "mozilla", "roundcube", "sogo", "evolution",
	"kmail", "apple mail", "lotus notes", "em client", "mailbird", "postbox", "seamonkey"}

// receiptSubjects open the subject of a reader's receipt: Outlook's "Not
// read:" in some languages, Thunderbird's "Return Receipt (deleted)".
var receiptSubjects = []string{"not read:", "return receipt", "nicht gelesen:", "non lu", "no leído:", "non letto:",
	"niet gelezen:", "não lida:", "не прочитано:", "未読:", "未读:"}

// readerReceipt reports whether an MDN that says its message was deleted
// automatically, as a Sieve rejection does (mdnRejection), is a reader's
// receipt all the same: Outlook and Exchange say "Not read" so of a message
// deleted unread, Thunderbird of one its reader deleted. The agent that sent
// it (fs is the MDN's fields), the subject or the text (the notice's, read
// for one phrase) tell.
func readerReceipt(fs []Field, subject string, text lowered) bool {
	_, product, _ := strings.Cut(strings.ToLower(fieldsGet(fs, "Reporting-UA")), ";")
	for _, p := range readerUAs {
		if strings.Contains(product, p) {
			return true
		}
	}
	subject = strings.ToLower(subject)
	for _, p := range receiptSubjects {
		if strings.Contains(subject, p) {
			return true
		}
	}
	return text.contains("without being read")
}

// decideRejectMDN reads a Sieve rejection: the refused recipient is the MDN's
// Final-Recipient, the reason the notice's text.
func (s *scan) decideRejectMDN(b *Bounce, f *finds) {
	b.Kind, b.Decoder = KindNDR, "rfc5429"
	a := addrOf(stripType(fieldsGet(s.mdnFields, "Final-Recipient")))
	if a == "" {
		a = addrOf(stripType(fieldsGet(s.mdnFields, "Original-Recipient")))
	}
	if a == "" {
		// no recipient in the report: the text may name it
		b.Recipients = s.freeText(b, f)
		if len(b.Recipients) == 0 {
			b.Kind, b.Decoder = KindNotBounce, ""
		}
		return
	}
	diag := stripBoilerplate(foldSpace(f.text.t))
	if len(diag) > maxHumanDiag {
		diag = diag[:maxHumanDiag]
	}
	// Reporting-UA is the agent's host, then its product after a ";"
	ua, _, _ := strings.Cut(fieldsGet(s.mdnFields, "Reporting-UA"), ";")
	b.Recipients = []Recipient{{
		Address:      a,
		Action:       "failed",
		Diagnostic:   diag,
		ReportingMTA: strings.TrimSpace(ua),
		LastAttempt:  b.Date,
	}}
}

// wraps reports whether the message only wraps the notice attached to it
// (s.inner): its own text names no address but those of its header, and no
// header field names failed recipients. A list manager passes on a bounce it
// could not read that way ("Uncaught bounce notification"), a person forwards
// one. A notice that returns a notice (a bounce that bounced) names the
// address it failed for.
func (s *scan) wraps(b *Bounce, f *finds) bool {
	if fieldsGet(s.top, "X-Failed-Recipients") != "" {
		return false
	}
	order, _ := recipientSegments(f.text.t, s.excluded(b))
	return len(order) == 0
}
