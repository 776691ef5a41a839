package parser

import (
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bouncer-mail/bouncer/internal/multimatch"
)

// The phrase searches below are the plain ones, each phrase of a table looked
// for in turn with strings.Index: the one-pass searches must agree with them.

func commandOfRef(diag string) string {
	l := lowerRef(diag)
	for _, p := range commandPatterns {
		if strings.Contains(l, p.phrase) {
			return p.cmd
		}
	}
	return ""
}

func originalMarkerRef(x lowered) int {
	t, l := x.t, lowerRef(x.t)
	best := -1
	for _, m := range originalMarkers {
		h := l
		if best >= 0 {
			h = l[:min(len(l), best+len(m)-1)]
		}
		if i := strings.Index(h, m); i >= 0 {
			best = i
		}
	}
	if best < 0 {
		return -1
	}
	if j := strings.LastIndexByte(t[:best], '\n'); j >= 0 {
		return j + 1
	}
	return 0
}

func bouncePhraseRef(l string) bool {
	for _, p := range bouncePhrases {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

func detectMTARef(top []Field, text lowered) string {
	for _, sig := range mtaSignatures {
		if strings.Contains(lowerRef(text.t), sig.phrase) {
			return sig.mta
		}
	}
	var hdr strings.Builder
	for _, f := range top {
		if nameIs(f.Name, "from", "received", "x-mailer", "message-id", "x-ses-outgoing", "x-mailer-daemon") {
			hdr.WriteString(lowerRef(f.Value))
			hdr.WriteByte('\n')
		}
	}
	h := hdr.String()
	for _, sig := range mtaSignatures {
		if strings.Contains(h, sig.phrase) {
			return sig.mta
		}
	}
	return "generic"
}

func stripBoilerplateRef(d string) string {
	l := lowerRef(d)
	var cut [][2]int
	for _, p := range boilerplate {
		from := 0
		for {
			i := strings.Index(l[from:], p)
			if i < 0 {
				break
			}
			i += from
			j := i + len(p)
			if last := p[len(p)-1]; last != '.' && last != ':' && last != ';' && last != '-' && last != '*' {
				j = sentenceEnd(l, j)
			}
			cut = append(cut, [2]int{i, j})
			from = j
		}
	}
	if len(cut) == 0 {
		return d
	}
	keep := make([]bool, len(d))
	for i := range keep {
		keep[i] = true
	}
	for _, c := range cut {
		for k := c[0]; k < c[1] && k < len(d); k++ {
			keep[k] = false
		}
	}
	var b strings.Builder
	for i := 0; i < len(d); i++ {
		if keep[i] {
			b.WriteByte(d[i])
		}
	}
	out := foldSpace(b.String())
	if strings.Trim(out, " .:;-*") == "" {
		return d
	}
	return out
}

// phraseTestTexts returns the texts of the corpus messages and of the
// parser's test messages, whole, folded and line by line, and random texts
// strewn with pieces of the phrases of every table.
func phraseTestTexts(t *testing.T) []string {
	var files []string
	for _, pat := range []string{"../../shared/corpus/*/*.eml", "../../shared/corpus/*/*", "testdata/*.eml"} {
		fs, _ := filepath.Glob(pat)
		files = append(files, fs...)
	}
	var texts []string
	add := func(s string) {
		texts = append(texts, s, foldSpace(s))
		texts = append(texts, strings.Split(s, "\n")...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil || len(data) == 0 {
			continue
		}
		add(string(data))
		data = normalizeNewlines(data)
		if top, rest := readFields(data); len(top) > 0 {
			add(walkMessage(data, top, rest).allText())
		}
	}

	var all []string
	all = append(all, originalMarkers...)
	for _, s := range mtaSignatures {
		all = append(all, s.phrase)
	}
	for _, c := range commandPatterns {
		all = append(all, c.phrase)
	}
	all = append(all, boilerplate...)
	all = append(all, bouncePhrases...)
	all = append(all, listRejectPhrases...)
	all = append(all, reportingHosts[:]...)
	all = append(all, finalRecipientField, "Final-Recipient: rfc822; a@b.example")
	rng := rand.New(rand.NewSource(1))
	filler := []string{" ", ". ", ": ", "; ", "\n", "x", "É", "İ", "Ⱥ", "K", "\u212a", "a."}
	for n := 0; n < 3000; n++ {
		texts = append(texts, piecesText(rng, all, filler, 12))
	}
	return texts
}

func TestPhraseSearchesAgree(t *testing.T) {
	texts := phraseTestTexts(t)
	if len(texts) < 3000 {
		t.Fatalf("only %d texts", len(texts))
	}
	for _, s := range texts {
		x := lowerText(s)
		if got, want := commandOf(s), commandOfRef(s); got != want {
			t.Fatalf("commandOf(%q) = %q, want %q", s, got, want)
		}
		if got, want := originalMarker(x), originalMarkerRef(x); got != want {
			t.Fatalf("originalMarker(%q) = %d, want %d", s, got, want)
		}
		if got, want := bouncePhrase(x.search()), bouncePhraseRef(lowerRef(s)); got != want {
			t.Fatalf("bouncePhrase(%q) = %v, want %v", s, got, want)
		}
		top := []Field{{"Received", "from mx.yahoo.com by gmx.net"}, {"From", s}}
		if got, want := detectMTA(top, x), detectMTARef(top, x); got != want {
			t.Fatalf("detectMTA(%q) = %q, want %q", s, got, want)
		}
		mark := originalMarkerRef(x)
		text := reportText(x, mark)
		f := findPhrases(x)
		delay := false
		for _, w := range delayWords {
			delay = delay || text.ascii && strings.Contains(lowerRef(text.t), w)
		}
		if f.mark != mark || f.text != text || f.bounce != bouncePhraseRef(lowerRef(text.t)) || f.delay != delay ||
			mtaOf(top, f.mta) != detectMTARef(top, text) {
			t.Fatalf("findPhrases(%q) = %+v", s, f)
		}
		// the extraPhrases, which the scan of an ASCII text finds, and
		// the searches of the text otherwise
		for _, g := range []finds{f, {text: text}} {
			if got, want := g.hasCommand(), commandMatcher.Any(text.search()); got != want {
				t.Fatalf("findPhrases(%q).hasCommand() = %v, want %v (scanned %v)", s, got, want, g.scanned)
			}
			list := -1
			for _, p := range listRejectPhrases {
				if i := strings.Index(lowerRef(text.t), p); i >= 0 {
					list = i
					break
				}
			}
			if got := g.listRejectAt(); got != list && text.ascii {
				t.Fatalf("findPhrases(%q).listRejectAt() = %d, want %d (scanned %v)", s, got, list, g.scanned)
			}
			for k, p := range reportingHosts {
				if got, want := g.reportingAt(k), strings.Index(lowerRef(text.t), p); got != want && text.ascii {
					t.Fatalf("findPhrases(%q).reportingAt(%q) = %d, want %d (scanned %v)", s, p, got, want, g.scanned)
				}
			}
			if got, want := g.finalRecipientAt(), strings.Index(lowerRef(text.t), finalRecipientField); got != want {
				t.Fatalf("findPhrases(%q).finalRecipientAt() = %d, want %d (scanned %v)", s, got, want, g.scanned)
			}
		}
		if got, want := stripBoilerplate(s), stripBoilerplateRef(s); got != want {
			t.Fatalf("stripBoilerplate(%q) = %q, want %q", s, got, want)
		}
	}
}

// hasDelayPhrase against strings.Contains over the lower-cased text, on
// texts of pieces of the delayPhrases in any case.
func TestHasDelayPhrase(t *testing.T) {
	filler := []string{" ", "x", "É", "İ", "\u212a", "ДЕ", "\xff"}
	rng := rand.New(rand.NewSource(8))
	for n := 0; n < 5000; n++ {
		s := piecesText(rng, delayPhrases, filler, 6)
		want := false
		for _, p := range delayPhrases {
			want = want || strings.Contains(toLower(s), p)
		}
		if got := hasDelayPhrase(s); got != want {
			t.Fatalf("hasDelayPhrase(%q) = %v, want %v", s, got, want)
		}
	}
}

// findPhrases gives Ends room enough on its stack: the scan allocates none.
func TestTextEndsRoom(t *testing.T) {
	if n := 2 * textMatcher.Len(); n > textEndsRoom {
		t.Errorf("textMatcher has %d phrases: Ends needs room for %d, textEndsRoom is %d", textMatcher.Len(), n, textEndsRoom)
	}
}

// The subject matchers against strings.Contains over the lower-cased
// subject, for each phrase of their lists.
func TestSubjectMatchers(t *testing.T) {
	filler := []string{" ", "x", "İ", "É", "\u212a", "ДЕ", "\xff", ": "}
	rng := rand.New(rand.NewSource(9))
	for _, c := range []struct {
		list []string
		m    *multimatch.Matcher
	}{{autoReplySubjects, autoReplySubjectMatcher}, {bounceSubjects, bounceSubjectMatcher}, {delaySubjects, delaySubjectMatcher}} {
		for n := 0; n < 3000; n++ {
			s := strings.ToLower(piecesText(rng, c.list, filler, 5))
			want := false
			for _, p := range c.list {
				want = want || strings.Contains(s, p)
			}
			if got := c.m.Any(s); got != want {
				t.Fatalf("%q: matcher says %v, want %v", s, got, want)
			}
		}
	}
}

func TestDelayWords(t *testing.T) {
	for _, p := range delayPhrases {
		if !isASCII(p) {
			continue
		}
		found := false
		for _, w := range delayWords {
			found = found || strings.Contains(p, w)
		}
		if !found {
			t.Errorf("no word of delayWords in %q", p)
		}
	}
	for _, w := range delayWords {
		if strings.ContainsAny(w, " \t\n") {
			t.Errorf("delay word %q holds white space", w)
		}
	}
}

// cleanBlockRef is cleanBlock as it was first written, lines split and joined.
func cleanBlockRef(blk, addr string) string {
	lines := strings.Split(blk, "\n")
	if len(lines) > 0 {
		first := lowerRef(strings.Trim(strings.TrimSpace(lines[0]), "<>:\"' "))
		if first == addr {
			lines = lines[1:]
		} else if rest, ok := strings.CutPrefix(strings.TrimLeft(lowerRef(lines[0]), " \t<"), addr); ok {
			rest = strings.TrimLeft(rest, ">")
			switch {
			case strings.HasPrefix(rest, ":"):
				lines[0] = lines[0][len(lines[0])-len(rest)+1:]
			case strings.HasPrefix(rest, " on "):
				lines = lines[1:]
			}
		}
	}
	return foldSpace(strings.Join(lines, " "))
}

func TestCleanBlock(t *testing.T) {
	pieces := []string{"a@b.c", "A@B.C", "<", ">", ":", " on ", " ", "\t", "\n", "\"", "x", "550 5.1.1 user unknown", "é", "\u00a0"}
	rng := rand.New(rand.NewSource(4))
	for n := 0; n < 50000; n++ {
		var b strings.Builder
		for k := rng.Intn(10); k > 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		blk := b.String()
		if got, want := cleanBlock(blk, "a@b.c"), cleanBlockRef(blk, "a@b.c"); got != want {
			t.Fatalf("cleanBlock(%q) = %q, want %q", blk, got, want)
		}
	}
}

// recipientSegmentsRef is recipientSegments as it was first written, with a
// map of (address, line) pairs.
func recipientSegmentsRef(text string, exclude map[string]bool) (order []string, blocks map[string]string) {
	blocks = map[string]string{}
	var cur string
	curIndent := 0
	buf := map[string]*strings.Builder{}
	seen := map[[2]string]bool{} // address, trimmed line
	lastLine := 0
	bodyIndent, sawBlank := -1, false
	for i, rest := 0, text; ; i++ {
		line, next, more := strings.Cut(rest, "\n")
		if a := recipientOnLine(line, exclude); a != "" && (cur == "" || a == cur || !inReplyDetail(line, curIndent)) {
			if a != cur {
				curIndent = indentOf(line)
			}
			cur = a
			if _, ok := buf[a]; !ok {
				buf[a] = &strings.Builder{}
				order = append(order, a)
			}
			lastLine = i
			bodyIndent, sawBlank = -1, false
			if rest := strings.TrimSpace(strings.Trim(strings.TrimSpace(line), "<>:")); len(rest) > len(a)+2 {
				bodyIndent = indentOf(line)
			}
		} else if cur != "" {
			if strings.TrimSpace(line) == "" {
				sawBlank = true
			} else {
				ind := indentOf(line)
				if bodyIndent < 0 {
					bodyIndent = ind
				} else if sawBlank && ind < bodyIndent {
					cur = ""
				}
				sawBlank = false
			}
		}
		if cur != "" && i-lastLine <= 12 {
			t := strings.TrimSpace(line)
			key := [2]string{cur, t}
			if t == "" || !seen[key] {
				seen[key] = true
				b := buf[cur]
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
		if !more {
			break
		}
		rest = next
	}
	for a, b := range buf {
		blocks[a] = b.String()
	}
	return order, blocks
}

func TestRecipientSegments(t *testing.T) {
	pieces := []string{"a@b.cc", "<c@d.ee>", "From: f@g.hh", "550 user unknown", "  indented", "\t", "\n", "\n\n", "x", "same line", " ", "1", "2", "3", "4", "5", "Remote host said: ", "RCPT TO:<"}
	rng := rand.New(rand.NewSource(5))
	ex := map[string]bool{"f@g.hh": true}
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		size := 200
		if n%20 == 0 {
			size = 3000 // an address seen with many lines
		}
		for k := rng.Intn(size); k > 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		text := b.String()
		order, blocks := recipientSegments(text, ex)
		wantOrder, wantBlocks := recipientSegmentsRef(text, ex)
		if !reflect.DeepEqual(order, wantOrder) || !reflect.DeepEqual(blocks, wantBlocks) {
			t.Fatalf("recipientSegments(%q) = %q, %q, want %q, %q", text, order, blocks, wantOrder, wantBlocks)
		}
	}
}

// htmlEntitiesRef replaces the entities stripHTML decodes.
var htmlEntitiesRef = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&nbsp;", " ", "&quot;", "\"", "&#39;", "'")

func TestStripHTMLEntities(t *testing.T) {
	pieces := []string{"<p>", "</p>", "<br>", "<td>", "</td>", "<th>", "</TH>", "<tr>", "&lt;", "&gt;", "&amp;", "&nbsp;", "&quot;", "&#39;", "&", "l", "t;", "<b>", "x", " ", "é"}
	rng := rand.New(rand.NewSource(6))
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for k := rng.Intn(20); k > 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		h := b.String()
		got := stripHTML(h)
		// the text with the tags out, then the entities replaced
		var plain strings.Builder
		in := false
		for i := 0; i < len(h); i++ {
			switch c := h[i]; {
			case in:
				in = c != '>'
			case c == '<':
				in = true
				rest := strings.ToLower(h[i+1 : min(len(h), i+4)])
				block := false
				for _, p := range []string{"br", "p", "/p", "div", "/di", "tr", "li", "/tr"} {
					if strings.HasPrefix(rest, p) {
						plain.WriteByte('\n')
						block = true
						break
					}
				}
				// a cell is set apart by a space, unless white space is there already
				cell := false
				for _, p := range []string{"td", "th", "/td", "/th"} {
					cell = cell || strings.HasPrefix(rest, p)
				}
				if s := plain.String(); !block && cell && s != "" && !strings.ContainsAny(s[len(s)-1:], "\n \t") {
					plain.WriteByte(' ')
				}
			default:
				plain.WriteByte(c)
			}
		}
		if want := htmlEntitiesRef.Replace(plain.String()); got != want {
			t.Fatalf("stripHTML(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestCommandOf(t *testing.T) {
	for diag, want := range map[string]string{
		"550 5.1.1 <a@example.org>: User unknown (in reply to RCPT TO command)":              "RCPT",
		"SMTP error from remote mail server after end of data: 550 rejected":                 "DATA",
		"SMTP error from remote server for TEXT command, host: mx.example.net reason: 550":   "DATA",
		"SMTP error from remote mail server after EHLO mx.example.com: 550 Rejected":         "EHLO",
		"192.0.2.20 does not like recipient. Remote host said: 550 5.1.1 No such user":       "RCPT",
		"192.0.2.21 failed after I sent the message. Remote host said: 552 5.2.2 over quota": "DATA",
		"Connected to 192.0.2.1 but sender was rejected. Remote host said: 553 5.7.1":        "MAIL",
		"550 Rejected": "",
	} {
		if got := commandOf(diag); got != want {
			t.Errorf("commandOf(%q) = %q, want %q", diag, got, want)
		}
	}
}

// decideDSN looks for a command in a recipient's piece of the report text
// only when the text names one: a piece, made of the text's lines, never
// names one the text does not.
func TestNoCommandInPiecesOfTextWithout(t *testing.T) {
	texts := phraseTestTexts(t)
	for _, s := range texts {
		if commandMatcher.Any(lowerText(s).search()) {
			continue
		}
		for a, blk := range textBlocks(s, nil) {
			if c := commandOf(blk); c != "" {
				t.Fatalf("the piece of %q in %q names %s, the text none", a, s, c)
			}
		}
	}
}

// piecesText draws a text of fewer than max pieces of the phrases (whole,
// cut at either end, or upper-cased), each followed by one of filler: texts
// where the phrases occur, almost occur, and occur in another case.
func piecesText(rng *rand.Rand, phrases, filler []string, max int) string {
	var b strings.Builder
	for k := rng.Intn(max); k > 0; k-- {
		p := phrases[rng.Intn(len(phrases))]
		switch rng.Intn(4) {
		case 0:
			p = p[:rng.Intn(len(p)+1)]
		case 1:
			p = p[rng.Intn(len(p)):]
		case 2:
			p = strings.ToUpper(p)
		}
		b.WriteString(p)
		b.WriteString(filler[rng.Intn(len(filler))])
	}
	return b.String()
}

// Exchange's headings, in the languages of its notices, are no part of the
// error; the server's words are kept.
func TestExchangeHeadingsAreBoilerplate(t *testing.T) {
	for in, want := range map[string]string{
		"Diagnostic information for administrators: #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##": "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##",
		"Diagnoseinformationen für Administratoren: #554 5.2.2 mailbox full ##":                          "#554 5.2.2 mailbox full ##",
		"Informations de diagnostic pour les administrateurs : #550 5.7.54 relay denied ##":              "#550 5.7.54 relay denied ##",
	} {
		if got := stripBoilerplate(in); got != want {
			t.Errorf("stripBoilerplate(%q) = %q, want %q", in, got, want)
		}
	}
}
