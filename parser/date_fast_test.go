package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checkRFC5322 checks parseRFC5322 against time.Parse on v: the same time,
// in the same zone (name and offset), or both an error.
func checkRFC5322(t *testing.T, v string) {
	t.Helper()
	got, gotErr := parseRFC5322(v)
	want, wantErr := time.Parse(rfc5322Date, v)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("parseRFC5322(%q): error %v, time.Parse: %v", v, gotErr, wantErr)
	}
	gotName, gotOff := got.Zone()
	wantName, wantOff := want.Zone()
	if !got.Equal(want) || got.Location().String() != want.Location().String() ||
		gotName != wantName || gotOff != wantOff || got.String() != want.String() ||
		(got.Location() == time.Local) != (want.Location() == time.Local) {
		t.Fatalf("parseRFC5322(%q) = %v (%v), time.Parse: %v (%v)", v, got, got.Location(), want, want.Location())
	}
}

var rfc5322Samples = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700", "Tue, 02 Jan 2006 15:04:05 +0000", "Sun, 31 Dec 2023 23:59:59 +1400",
	"Wed, 29 Feb 2024 00:00:00 -1200", "Wed, 29 Feb 2023 00:00:00 -1200", "Wed, 29 Feb 1900 00:00:00 +0000",
	"Wed, 29 Feb 2000 00:00:00 +0000", "Thu, 31 Apr 2019 12:00:00 +0530", "Thu, 30 Apr 2019 12:00:00 +0530",
	"Thu, 0 Apr 2019 12:00:00 +0530", "Thu, 00 Apr 2019 12:00:00 +0530", "Thu, 32 Jan 2019 12:00:00 +0530",
	"Fri, 1 Jan 0000 00:00:00 +0000", "Fri, 1 Jan 9999 23:59:59 -2359", "Sat, 1 Jan 2001 24:00:00 +0000",
	"Sat, 1 Jan 2001 23:60:00 +0000", "Sat, 1 Jan 2001 23:00:60 +0000", "Sat, 1 Jan 2001 23:00:00 +2400",
	"Sat, 1 Jan 2001 23:00:00 +0060", "Sat, 1 Jan 2001 23:00:00 +9900", "Sat, 1 Jan 2001 23:00:00 *0100",
	"mon, 2 Jan 2006 15:04:05 -0700", "MON, 2 JAN 2006 15:04:05 -0700", "Mon, 2 jan 2006 15:04:05 -0700",
	"Xyz, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 06 15:04:05 -0700", "Mon, 2 Jan 2006 5:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700", "Mon,  2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05  -0700",
	"Mon, 2 Jan 2006 15:04:05.5 -0700", "Mon, 2 Jan 2006 15:04:05 -07000", "Mon, 2 Jan 2006 15:04:05 -070",
	"Mon, 2 Jan 2006 15:04:05 GMT", "Mon,2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 -0700 ",
	"Mon, 123 Jan 2006 15:04:05 -0700", "Mon, 1a Jan 2006 15:04:05 -0700", "Mon, a1 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 +0100", "Mon, 2 Jul 2006 15:04:05 +0200", "Mon, 2 Jan 2006 15:04:05 -0000",
	"Mon, 2 Jan 2006 15:04:05 +0001", "Mon, 2 Jan 2006 15:04:05 +0545", "Mon, 2 Jan 2006 15:04:05 -0330",
	"Mon, 2 Jan 2006 1:04:05 -07000", "Mon, 2 Jan 2006 15:4:05 -0700", "Mon, 2 Jan 2006 15:04:5 -0700",
	"Mon, 2 Jan 2006 15 04 05 -0700", "Mon, 2 Jan 2006 15:04:05 - 700", "Mon, 2 Jan 2006 15:04:05 +-700",
	"Mon, 2 Jan 2006 15:04:05 +07-0", "Mon, 2 Jan -006 15:04:05 +0700", "Mon, 2 Jan 2006 -5:04:05 +0700",
	"Mon, 2 Jan 2006 15:04:05 +0700\r", "\u00e9on, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 -0700x",
}

// The date fields of the sample messages and of the corpus, and dates made
// around them, are read as time.Parse reads them, in the machine's time zone
// and in others (one with summer time, one with a half-hour offset, UTC).
func TestParseRFC5322MatchesTimeParse(t *testing.T) {
	dates := append([]string(nil), rfc5322Samples...)
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "*", "*"))
	more, _ := filepath.Glob("testdata/*.eml")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if _, v, ok := strings.Cut(l, "Date:"); ok {
				v = strings.TrimSpace(v)
				dates = append(dates, v)
				if i := strings.IndexAny(v, "+-"); i >= 0 && len(v) >= i+5 {
					dates = append(dates, v[:i+5])
				}
			}
		}
	}
	// every instant of the years around a change of summer time, an hour
	// apart, in every offset dates commonly have
	for _, off := range []string{"+0000", "+0100", "+0200", "-0400", "-0500", "+0530", "+0900", "-0930"} {
		for h := 0; h < 24*366; h++ {
			tm := time.Date(2023, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
			dates = append(dates, tm.Format("Mon, 2 Jan 2006 15:04:05 ")+off)
		}
	}
	defer func(l *time.Location) { time.Local = l }(time.Local)
	zones := []*time.Location{time.Local, time.UTC}
	for _, name := range []string{"Europe/Paris", "America/New_York", "Asia/Kolkata"} {
		if z, err := time.LoadLocation(name); err == nil {
			zones = append(zones, z)
		}
	}
	zones = append(zones, time.FixedZone("X", 3600))
	for _, z := range zones {
		time.Local = z
		for _, d := range dates {
			checkRFC5322(t, d)
		}
	}
}

func FuzzRFC5322Date(f *testing.F) {
	for _, s := range rfc5322Samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		checkRFC5322(t, v)
	})
}

// The plain shape is read without time.Parse.
func TestPlainRFC5322Taken(t *testing.T) {
	for _, v := range []string{"Mon, 2 Jan 2006 15:04:05 -0700", "Tue, 02 Jan 2006 15:04:05 +0000", "Sun, 31 Dec 2023 23:59:59 +1400"} {
		if _, ok := plainRFC5322(v); !ok {
			t.Errorf("plainRFC5322(%q) not taken", v)
		}
	}
}
