package parser

import (
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parseDateSlow is parseDate without the fast path.
func parseDateSlow(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t
	}
	if i := strings.LastIndexByte(v, '('); i > 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(v[:i])); err == nil {
			return t
		}
	}
	return time.Time{}
}

func TestParseDateFastPath(t *testing.T) {
	dates := []string{"Mon, 2 Jan 2006 15:04:05 -0700", "Tue, 02 Jan 2006 15:04:05 +0000", "Mon, 2 Jan 2006 15:04 -0700",
		"2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 -0700 (PDT)", "Mon, 2 Jan 06 15:04:05 GMT", "Thu, 20 Nov 1997 09:55:06 MDT",
		"Xyz, 2 Jan 2006 15:04:05 -0700", "Mon, 31 Feb 2006 15:04:05 -0700", "Mon,  2 Jan 2006 15:04:05 -0700", "garbage",
		"Thu, 29 Apr 2019 23:34:45 +0900 (JST)", "Thu, 29 Apr 2019 23:34:45 +0900(JST)", "Thu, 29 Apr 2019 23:34:45 +0900  ( JST )  ",
		"Thu, 29 Apr 2019 23:34:45 +0900 (JST", "Thu, 29 Apr 2019 23:34:45 +0900 (J(S)T)", "Thu, 29 Apr 2019 23:34:45 +0900 (J\\ST)",
		"Thu, 29 Apr 2019 23:34:45 +0900 (JST) x", "Thu, 29 Apr 2019 23:34:45 +0900 ()", "Thu, 29 Apr 2019 23:34 -0800 (PST)",
		"Thu, 29 Apr 2019 23:34:45 -08000 (PST)", "Thu, 29-Apr-2019 23:34:45 +0900 (JST)", "Thu, 29 Apr 2019 23:34:45 +09 (JST)",
		"Thu, 29 Apr 2019 23:34:45 +0900 (JST)\r", "Mon, 2 Jan 2006 15:04:05 +9900 (X)", "Mon, 2 Jan 2006 15:04:05 (-0700)",
		"Mon, 2 Jan 2006 (15:04:05) -0700", "(Mon), 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05.5 -0700 (X)", "Mon, 2 Jan 2006 15:04:05.5 -0700",
		// no zone offset, no comment
		"Tue, 23 Nov 21 07:04:16 UTC", "Thu, 9 Apr 2006 23:34:45 JST", "Thu, 29 Apr 2013 23:45:50 PST", "Wed, 3 May 2007 23:34:45",
		"Thursday, April 09, 2003 9:00 AM", "Thu,29 Apr 2012 23:34:45 GMT", "Tue, 029 Apr 2019 23:34:45 UT", "Thu, 01 Oct 15 13:48 UTC",
		"Thu, 01 Oct 2015 13:48:54 UTCX", "Thu, 01 Oct 2015 13:48:54 T", "Thu, 01 Oct 2015 13:48:54 UT", "Thu, 01 Oct 2015 13:48:54 TUV",
		"Sat, 01 Oct 2015 13:48:54 EDT", "Sat, 01 Oct 2015 13:48:54 ABCDEFGT", "Sat, 01 Oct 2015 13:48:54 ZT xyz", "Thu, 01 Oct 2015 13:48:54 GMT\t",
		"Tue, 23 Nov 21 07:04:16 UTC\r\n", "Tue, 23 Nov 21 07:04:16\tUTC", "T", "Tx", "TTTTTT", "Sun, 2 Jan 06 15:04 MST", "Sun, 02 Jan 06 15:04 UT",
		"Thu, 01 Oct 2015 13:48:54 UT xyz", "Thu, 01 Oct 2015 13:48:54 EST xyz", "Sat, 01 Oct 2015 13:48:54 EST more", "Sat, 01 Oct 2015 13:48:54 EST abc"}
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "*", "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			for _, name := range []string{"Date:", "Arrival-Date:", "Last-Attempt-Date:"} {
				if v, ok := strings.CutPrefix(l, name); ok {
					dates = append(dates, strings.TrimRight(v, "\r"))
				}
			}
		}
	}
	for _, d := range dates {
		got, want := parseDate(d), parseDateSlow(d)
		if !got.Equal(want) || got.Location().String() != want.Location().String() || got.String() != want.String() {
			t.Fatalf("parseDate(%q) = %v, want %v", d, got, want)
		}
	}
}

// The layout parseDate tries first takes no "(": a value with one fails it.
func TestDateLayoutTakesNoParen(t *testing.T) {
	for _, v := range []string{"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05.25 -0700", "Mon,  2 Jan 2006 15:04:05 +0000"} {
		if _, err := time.Parse(rfc5322Date, v); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		for i := 0; i <= len(v); i++ {
			for _, p := range []string{"(", "( ", " (", "(X)"} {
				w := v[:i] + p + v[i:]
				if _, err := time.Parse(rfc5322Date, w); err == nil {
					t.Fatalf("time.Parse took %q", w)
				}
			}
		}
	}
}
