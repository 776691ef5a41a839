package parser

import (
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The patterns the code scanners stand for (see codes.go).
var (
	statusRe      = regexp.MustCompile(`(?:^|[^0-9.])([245]\.\d{1,3}\.\d{1,3})(?:[^0-9.]|\.(?:[^0-9]|$)|$)`)
	replyStatusRe = regexp.MustCompile(`(?:^|[^0-9.])([245][0-5]\d)[ \-'"]+[#(]?([245]\.\d{1,3}\.\d{1,3})(?:[^0-9.]|\.(?:[^0-9]|$)|$)`)
	replyRe       = regexp.MustCompile(`(?:^|[\s(\[<:;"'=#])([245][0-5]\d)(?:[\s\-:,;)\]>'"]|\.(?:[^0-9]|$)|$)`)
)

// textCodesRe is textCodes written with the regular expressions.
func textCodesRe(diag string) (reply, status string) {
	first := -1
	for _, m := range replyStatusRe.FindAllStringSubmatchIndex(diag, 8) {
		if !replyAt(diag, m[2], m[3]) {
			continue
		}
		if first < 0 {
			first = m[2]
			reply, status = diag[m[2]:m[3]], diag[m[4]:m[5]]
			continue
		}
		if positive(reply) {
			if !positive(diag[m[2]:m[3]]) {
				reply, status = diag[m[2]:m[3]], diag[m[4]:m[5]]
				break
			}
			continue
		}
		if nested(diag, first, m[2]) {
			reply, status = diag[m[2]:m[3]], diag[m[4]:m[5]]
		}
		break
	}
	if reply != "" {
		return reply, status
	}
	if m := statusRe.FindStringSubmatch(diag); m != nil {
		status = m[1]
	}
	for _, m := range replyRe.FindAllStringSubmatchIndex(diag, 8) {
		if !replyAt(diag, m[2], m[3]) {
			continue
		}
		if first < 0 {
			first = m[2]
			reply = diag[m[2]:m[3]]
			continue
		}
		if positive(reply) {
			if !positive(diag[m[2]:m[3]]) {
				reply = diag[m[2]:m[3]]
				break
			}
			continue
		}
		if nested(diag, first, m[2]) {
			reply = diag[m[2]:m[3]]
		}
		break
	}
	return reply, status
}

// checkScanners compares the scanners with the patterns on s, match by match.
func checkScanners(t *testing.T, s string) {
	t.Helper()
	want := ""
	if m := statusRe.FindStringSubmatch(s); m != nil {
		want = m[1]
	}
	if got := firstStatus(s); got != want {
		t.Fatalf("firstStatus(%q) = %q, want %q", s, got, want)
	}
	from := 0
	for _, m := range replyStatusRe.FindAllStringSubmatchIndex(s, -1) {
		g, end := nextReplyStatus(s, from)
		if end != m[1] || g != [4]int{m[2], m[3], m[4], m[5]} {
			t.Fatalf("nextReplyStatus(%q, %d) = %v %d, want %v", s, from, g, end, m)
		}
		from = end
	}
	if _, end := nextReplyStatus(s, from); end >= 0 {
		t.Fatalf("nextReplyStatus(%q, %d) found a match too many", s, from)
	}
	from = 0
	for _, m := range replyRe.FindAllStringSubmatchIndex(s, -1) {
		i, end := nextReply(s, from)
		if end != m[1] || i != m[2] {
			t.Fatalf("nextReply(%q, %d) = %d %d, want %v", s, from, i, end, m)
		}
		from = end
	}
	if _, end := nextReply(s, from); end >= 0 {
		t.Fatalf("nextReply(%q, %d) found a match too many", s, from)
	}
	r1, s1 := textCodes(s)
	r2, s2 := textCodesRe(s)
	if r1 != r2 || s1 != s2 {
		t.Fatalf("textCodes(%q) = %q %q, want %q %q", s, r1, s1, r2, s2)
	}
}

func TestCodeScannersMatchPatterns(t *testing.T) {
	cases := []string{
		"", "5.1.1", "550 5.1.1", "550-5.1.1 x", "550-'5.7.1 <a@b>", "550 #5.1.1", "550 (5.1.1)",
		"554 4.4.7 Message expired <421 4.4.2 Connection timed out>", "554 <a@b>... 550 Host unknown",
		"550 5.1.1 550 5.1.1", "550 5.1.1.", "550 5.1.1.2", "5.1.1234", "1.5.1.1", "x5.1.1.x",
		"host 10.5.1.1 said", "version 2.0.0.1", "2606:2800:220:6d", "550", "(550)", "<550>", "=550.",
		"550.5", "a 550 b 421 c 250 d", "550\u00e9 5.1.1\u00e9", "\xff550 5.1.1\xff", "é5.1.1é", "550 5.1.1\xe2",
		"550  \"'-#5.0.0", "250 2.0.0 ok 250 2.0.0 ok 250 2.0.0", "#550 x", "250 2.1.5 ok 354 go 451 4.3.0 error 221 bye", "550 5.1.1\xe2\x82",
	}
	for _, c := range cases {
		checkScanners(t, c)
	}
	// random texts over the characters that matter
	alpha := []string{"2", "4", "5", "0", "1", "9", ".", " ", "-", "'", "\"", "#", "(", "<", ":", ";", "=",
		"\n", "\t", "x", ",", ")", "]", ">", "é", "\xff", "\xe2\x82"}
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 50000; n++ {
		var b strings.Builder
		for k := rng.Intn(24); k > 0; k-- {
			b.WriteString(alpha[rng.Intn(len(alpha))])
		}
		checkScanners(t, b.String())
	}
	// the corpus, line by line and whole
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "*", "*"))
	files = append(files, must(filepath.Glob("testdata/*.eml"))...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		checkScanners(t, string(data))
		for _, l := range strings.Split(string(data), "\n") {
			checkScanners(t, l)
		}
	}
}

func must(s []string, _ error) []string { return s }

func FuzzCodeScanners(f *testing.F) {
	f.Add("554 4.4.7 Message expired <421 4.4.2 Connection timed out>")
	f.Add("550-'5.7.1 <a@b>... Access denied")
	f.Fuzz(func(t *testing.T, s string) {
		checkScanners(t, s)
	})
}

func checkRemoteHost(t *testing.T, s string) {
	t.Helper()
	want := ""
	if m := remoteHostRe.FindStringSubmatch(s); m != nil {
		want = m[1]
	}
	if got := remoteHost(s); got != want {
		t.Fatalf("remoteHost(%q) = %q, want %q", s, got, want)
	}
}

func TestRemoteHostMatchesPattern(t *testing.T) {
	cases := []string{"", "host mx.example.com said", "Host [1.2.3.4]: 550", "ghost x.y", "_host a.b", "remote server  a-b.c",
		"MAIL SERVER x.", "mx a..b mx c.d", "host -a.b", "host a.-", "hostx a.b host\tq.r", "mx\n[z.z]", "the mx a.b.c.",
		"mail server: x.y host a", "host a host b.c", "\u017fhost a.b", "ho\u017ft a.b"}
	for _, c := range cases {
		checkRemoteHost(t, c)
	}
	alpha := []string{"h", "o", "s", "t", "H", "m", "x", "M", "X", "a", "i", "l", " ", "\t", ".", "-", "[", "]", "_", "1",
		"host", "mx", "mail server", "remote server", "z", "é", "\u017f", "\u212a", "k", "K", "ı", "İ", "\xff", "\u00a0", "\u0085"}
	rng := rand.New(rand.NewSource(2))
	for n := 0; n < 50000; n++ {
		var b strings.Builder
		for k := rng.Intn(16); k > 0; k-- {
			b.WriteString(alpha[rng.Intn(len(alpha))])
		}
		checkRemoteHost(t, b.String())
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "*", "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			checkRemoteHost(t, l)
		}
	}
}

func checkAddrIndex(t *testing.T, s string) {
	t.Helper()
	ws, we := -1, -1
	if loc := addrRe.FindStringIndex(s); loc != nil {
		ws, we = loc[0], loc[1]
	}
	if gs, ge := addrIndex(s); gs != ws || ge != we {
		t.Fatalf("addrIndex(%q) = %d %d, want %d %d", s, gs, ge, ws, we)
	}
}

func TestAddrIndexMatchesPattern(t *testing.T) {
	cases := []string{"", "@", "a@b", "a@b.c", "<a@b.c>", "x a@@b.c d@e.f", "a.@b..c e@f.g.", "@b.c a@-.-", "a@b.c-d.e@f.g",
		"user+tag@mx.example.com:", "é@b.c a@b.c", "a@b.c\xff"}
	for _, c := range cases {
		checkAddrIndex(t, c)
	}
	alpha := []string{"a", "Z", "0", "@", ".", "-", "+", " ", "<", ">", ":", "_", "!", "é", "(", "ab@cd.ef", "\"", "\\", "\"@"}
	rng := rand.New(rand.NewSource(3))
	for n := 0; n < 50000; n++ {
		var b strings.Builder
		for k := rng.Intn(16); k > 0; k-- {
			b.WriteString(alpha[rng.Intn(len(alpha))])
		}
		checkAddrIndex(t, b.String())
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "*", "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			checkAddrIndex(t, l)
		}
	}
}

func TestUnglueBounds(t *testing.T) {
	for in, want := range map[string]string{
		"宛先jiro@example.jpへのメールは配送できませんでした": "jiro@example.jp",
		"fay@example.com으로 보낸 메일이":          "fay@example.com",
		"收件人david@example.com的邮件":           "david@example.com",
		"받는사람 fay.kim@mail.example.co.kr":   "fay.kim@mail.example.co.kr",
		"jürgen@example.de":                 "jürgen@example.de",
		"émile@example.fr":                  "émile@example.fr",
		"用户@例子.中国":                          "用户@例子.中国",
		"田中@example.jp":                     "田中@example.jp",
	} {
		i, j := addrIndex(in)
		if i < 0 || in[i:j] != want {
			t.Errorf("addrIndex(%q) finds %d, %d, want %q", in, i, j, want)
		}
		if got := normAddr(addrRe.FindString(in)); got != want {
			t.Errorf("normAddr of %q = %q, want %q", in, got, want)
		}
	}
}
