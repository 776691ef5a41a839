package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hand-written scanners for SMTP reply codes ("550") and enhanced status codes
// ("5.1.1"). They find exactly what these regular expressions find, leftmost
// first and without overlap, as Go's regexp package reads them:
//
//	status:        (?:^|[^0-9.])([245]\.\d{1,3}\.\d{1,3})(?:[^0-9.]|\.(?:[^0-9]|$)|$)
//	reply, status: (?:^|[^0-9.])([245][0-5]\d)[ \-'"]+[#(]?([245]\.\d{1,3}\.\d{1,3})(?:[^0-9.]|\.(?:[^0-9]|$)|$)
//	reply:         (?:^|[\s(\[<:;"'=#])([245][0-5]\d)(?:[\s\-:,;)\]>'"]|\.(?:[^0-9]|$)|$)
//
// but cost a pass over the text with no backtracking. The patterns live on in
// codes_test.go, which checks the scanners against them.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// runeLen is the width of the rune starting s[i:], 1 for a byte that starts no
// valid UTF-8 sequence, as the regexp package steps over text.
func runeLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// digitRun returns the end of the run of at most max digits at s[i:], or -1
// when there are none or more than max.
func digitRun(s string, i, max int) int {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
		if j-i > max {
			return -1
		}
	}
	if j == i {
		return -1
	}
	return j
}

// codeEnd returns where the trailer "(?:[^0-9.]|\.(?:[^0-9]|$)|$)" that must
// follow a code ending at e ends, or -1 when it does not match.
func codeEnd(s string, e int) int {
	switch {
	case e == len(s):
		return e
	case s[e] == '.':
		if e+1 == len(s) {
			return e + 1
		}
		if isDigit(s[e+1]) {
			return -1
		}
		return e + 1 + runeLen(s, e+1)
	case isDigit(s[e]):
		return -1
	}
	return e + runeLen(s, e)
}

// statusAt reports whether an enhanced status code "[245]\.\d{1,3}\.\d{1,3}"
// with its trailer starts at s[i:], and returns the end of the code and of
// the trailer.
func statusAt(s string, i int) (codeE, end int) {
	if i+1 >= len(s) || (s[i] != '2' && s[i] != '4' && s[i] != '5') || s[i+1] != '.' {
		return -1, -1
	}
	j := digitRun(s, i+2, 3)
	if j < 0 || j >= len(s) || s[j] != '.' {
		return -1, -1
	}
	k := digitRun(s, j+1, 3)
	if k < 0 {
		return -1, -1
	}
	end = codeEnd(s, k)
	if end < 0 {
		return -1, -1
	}
	return k, end
}

// freeBefore reports whether a code at s[i:] has the lead "(?:^|[^0-9.])" in
// a search that starts at from.
func freeBefore(s string, from, i int) bool {
	if i == 0 {
		return true
	}
	return i-1 >= from && !isDigit(s[i-1]) && s[i-1] != '.'
}

// firstStatus returns the first enhanced status code in s.
func firstStatus(s string) string {
	for i := 0; i+4 < len(s); i++ {
		if s[i+1] != '.' || !freeBefore(s, 0, i) {
			continue
		}
		if e, _ := statusAt(s, i); e >= 0 {
			return s[i:e]
		}
	}
	return ""
}

// replyCodeAt reports whether "[245][0-5]\d" starts at s[i:].
func replyCodeAt(s string, i int) bool {
	return i+2 < len(s) && (s[i] == '2' || s[i] == '4' || s[i] == '5') &&
		s[i+1] >= '0' && s[i+1] <= '5' && isDigit(s[i+2])
}

// nextReplyStatus finds the first reply code followed by a status code at or
// after from. m holds the bounds of the reply code and of the status code;
// end is where the match ends, and the next search begins.
func nextReplyStatus(s string, from int) (m [4]int, end int) {
	for i := from; i+8 < len(s); i++ {
		if !replyCodeAt(s, i) || !freeBefore(s, from, i) {
			continue
		}
		j := i + 3
		for j < len(s) && (s[j] == ' ' || s[j] == '-' || s[j] == '\'' || s[j] == '"') {
			j++
		}
		if j == i+3 || j >= len(s) {
			continue
		}
		if s[j] == '#' || s[j] == '(' {
			j++
		}
		if e, end := statusAt(s, j); e >= 0 {
			return [4]int{i, i + 3, j, e}, end
		}
	}
	return m, -1
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// nextReply finds the first reply code standing alone at or after from, and
// where its match ends.
func nextReply(s string, from int) (start, end int) {
	for i := from; i+2 < len(s); i++ {
		if !replyCodeAt(s, i) {
			continue
		}
		if i > 0 {
			c := s[i-1]
			if i-1 < from || !(isSpace(c) || c == '(' || c == '[' || c == '<' || c == ':' || c == ';' ||
				c == '"' || c == '\'' || c == '=' || c == '#') {
				continue
			}
		}
		e := i + 3
		switch {
		case e == len(s):
			return i, e
		case s[e] == '.':
			if end := codeEnd(s, e); end >= 0 {
				return i, end
			}
		case isSpace(s[e]) || s[e] == '-' || s[e] == ':' || s[e] == ',' || s[e] == ';' || s[e] == ')' ||
			s[e] == ']' || s[e] == '>' || s[e] == '\'' || s[e] == '"':
			return i, e + 1
		}
	}
	return -1, -1
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isHostByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-'
}

// hasPrefixFold reports whether s[i:] starts with the lower-case ASCII p,
// ignoring ASCII case.
func hasPrefixFold(s string, i int, p string) bool {
	if len(s)-i < len(p) {
		return false
	}
	for k := 0; k < len(p); k++ {
		c := s[i+k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[k] {
			return false
		}
	}
	return true
}

// remoteHost returns the host name a diagnostic names after "host", "remote
// server", "mail server" or "mx", as remoteHostRe finds it, or "".
func remoteHost(s string) string {
	if strings.Contains(s, "\u017f") || strings.Contains(s, "\u212a") {
		// the two letters beyond ASCII that fold to ASCII ones ("ſ" to
		// "s", "K" to "k"): leave them to the regexp. Other non-ASCII
		// text matches no letter of it, and is neither white space nor
		// a word character to it, as the bytes are to the scan below.
		if m := remoteHostRe.FindStringSubmatch(s); m != nil {
			return m[1]
		}
		return ""
	}
	for i := 0; i < len(s); i++ {
		j := -1
		switch s[i] | 0x20 {
		case 'h':
			if (i == 0 || !isWordByte(s[i-1])) && hasPrefixFold(s, i, "host") {
				j = i + 4
			}
		case 'r':
			if hasPrefixFold(s, i, "remote server") {
				j = i + 13
			}
		case 'm':
			if hasPrefixFold(s, i, "mail server") {
				j = i + 11
			} else if (i == 0 || !isWordByte(s[i-1])) && hasPrefixFold(s, i, "mx") {
				j = i + 2
			}
		}
		if j < 0 {
			continue
		}
		if h := hostAfter(s, j); h != "" {
			return h
		}
	}
	return ""
}

// hostAfter reads `\s+\[?([a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+)` at s[j:]
// (any case) and returns the group, or "".
func hostAfter(s string, j int) string {
	k := j
	for k < len(s) && isSpace(s[k]) {
		k++
	}
	if k == j {
		return ""
	}
	if k < len(s) && s[k] == '[' {
		k++
	}
	if k >= len(s) || s[k] == '-' || !isHostByte(s[k]) {
		return ""
	}
	start := k
	for k < len(s) && isHostByte(s[k]) {
		k++
	}
	end := -1
	for k+1 < len(s) && s[k] == '.' && isHostByte(s[k+1]) {
		k++
		for k < len(s) && isHostByte(s[k]) {
			k++
		}
		end = k
	}
	if end < 0 {
		return ""
	}
	return s[start:end]
}

func isAddrLocalByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+/=?^_{|}~.-", c) >= 0
}

func isAddrDomainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// addrIndex returns the bounds of the first address in s, as
// addrRe.FindStringIndex does, or -1, -1.
func addrIndex(s string) (int, int) {
	if !isASCII(s) || strings.Contains(s, "\"@") {
		// letters and digits beyond ASCII, or maybe a quoted local
		// part ("john doe"@example.org), whose quoted string may hold
		// an "@" or start before another address: leave them to the
		// regexp
		if loc := addrRe.FindStringIndex(s); loc != nil {
			return unglueBounds(s, loc[0], loc[1])
		}
		return -1, -1
	}
	for from := 0; ; {
		i := strings.IndexByte(s[from:], '@')
		if i < 0 {
			return -1, -1
		}
		a := from + i
		from = a + 1
		r := a
		for r > 0 && isAddrLocalByte(s[r-1]) {
			r--
		}
		if r == a {
			continue
		}
		k := a + 1
		for k < len(s) && isAddrDomainByte(s[k]) {
			k++
		}
		if k == a+1 {
			continue
		}
		end := -1
		for k+1 < len(s) && s[k] == '.' && isAddrDomainByte(s[k+1]) {
			k++
			for k < len(s) && isAddrDomainByte(s[k]) {
				k++
			}
			end = k
		}
		if end >= 0 {
			return r, end
		}
	}
}

// isSpacelessLetter reports whether r is a letter of a script written without
// spaces between words: Han, Hiragana, Katakana, Hangul.
func isSpacelessLetter(r rune) bool {
	return r >= 0x1100 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// unglueBounds narrows the address at s[i:j] to what it is when the text
// around it is Chinese, Japanese or Korean, written without spaces: the
// words before and after it run into it, and an address's pattern takes
// their letters in ("宛先jiro@example.jpへの", "fay@example.com으로",
// "收件人david@example.com"). Such letters before a local part that goes on
// in ASCII are not part of it; nor are those after the ASCII start of the
// domain's last label (no top-level domain mixes the two). An address
// written in those scripts throughout keeps them.
func unglueBounds(s string, i, j int) (int, int) {
	a := s[i:j]
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return i, j
	}
	ni, nj := i, j
	k := 0
	for k < at {
		r, n := utf8.DecodeRuneInString(a[k:])
		if !isSpacelessLetter(r) {
			break
		}
		k += n
	}
	if k > 0 && k < at && isASCII(a[k:at]) {
		ni = i + k
	}
	if dot := strings.LastIndexByte(a, '.'); dot > at {
		for p := dot + 1; p < len(a); {
			r, n := utf8.DecodeRuneInString(a[p:])
			if isSpacelessLetter(r) {
				if p > dot+1 && isASCII(a[dot+1:p]) {
					nj = i + p
				}
				break
			}
			p += n
		}
	}
	return ni, nj
}
