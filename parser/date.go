package parser

import "time"

// parseRFC5322 reads v with the layout rfc5322Date, as time.Parse does. Most
// dates in mail are written in that layout's plainest shape ("Mon, 2 Jan 2006
// 15:04:05 -0700": single spaces, an English day and month name with its
// usual capitals, a two-digit hour, no fraction of a second): such a date is
// read here directly, which costs a small part of what time.Parse spends on
// interpreting the layout. Any other shape, and any value out of range, is
// left to time.Parse, so that what it takes and refuses, and its errors,
// stay its own.
func parseRFC5322(v string) (time.Time, error) {
	if t, ok := plainRFC5322(v); ok {
		return t, nil
	}
	return time.Parse(rfc5322Date, v)
}

// plainRFC5322 reads a date of the shape "Www, D Mmm YYYY hh:mm:ss +hhmm"
// (the day one or two digits), and reports false for anything else: another
// shape, or a field out of its range.
//
// The result is the one time.Parse gives: the day of the week is checked to
// be a name but not checked against the date, and the time is in the local
// time zone when that zone has the date's offset at that instant, in an
// unnamed fixed zone otherwise.
func plainRFC5322(v string) (time.Time, bool) {
	// "Mon, " then the day: the shortest value is "Mon, 2 Jan 2006 15:04:05
	// -0700", 30 bytes, the longest one more.
	if len(v) != 30 && len(v) != 31 || v[3] != ',' || v[4] != ' ' || !isWeekday(v[:3]) {
		return time.Time{}, false
	}
	d := v[5:]
	day, ok := digits(d[:1])
	if !ok {
		return time.Time{}, false
	}
	if d[1] != ' ' {
		d2, ok := digits(d[1:2])
		if !ok {
			return time.Time{}, false
		}
		day = day*10 + d2
		d = d[1:]
	}
	// d is now the day's last digit, then " Jan 2006 15:04:05 -0700"
	if len(d) != 25 || d[1] != ' ' || d[5] != ' ' || d[10] != ' ' || d[13] != ':' || d[16] != ':' || d[19] != ' ' {
		return time.Time{}, false
	}
	month := monthOf(d[2:5])
	year, ok1 := digits(d[6:10])
	hour, ok2 := digits(d[11:13])
	minute, ok3 := digits(d[14:16])
	sec, ok4 := digits(d[17:19])
	zh, ok5 := digits(d[21:23])
	zm, ok6 := digits(d[23:25])
	sign := d[20]
	if month == 0 || !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || sign != '+' && sign != '-' {
		return time.Time{}, false
	}
	if day < 1 || day > daysInMonth(month, year) || hour > 23 || minute > 59 || sec > 59 || zh > 23 || zm > 59 {
		return time.Time{}, false
	}
	offset := (zh*60 + zm) * 60
	if sign == '-' {
		offset = -offset
	}
	t := time.Date(year, month, day, hour, minute, sec, 0, time.UTC).Add(-time.Duration(offset) * time.Second)
	if _, off := t.In(time.Local).Zone(); off == offset {
		return t.In(time.Local), true
	}
	return t.In(time.FixedZone("", offset)), true
}

// digits returns the number the ASCII digits of s write, and false when s
// holds anything else.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// isWeekday reports whether s is the English abbreviation of a day of the
// week, capitalized as dates write it.
func isWeekday(s string) bool {
	switch s {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

// monthOf returns the month s names in English, abbreviated and capitalized
// as dates write it, or 0.
func monthOf(s string) time.Month {
	switch s {
	case "Jan":
		return time.January
	case "Feb":
		return time.February
	case "Mar":
		return time.March
	case "Apr":
		return time.April
	case "May":
		return time.May
	case "Jun":
		return time.June
	case "Jul":
		return time.July
	case "Aug":
		return time.August
	case "Sep":
		return time.September
	case "Oct":
		return time.October
	case "Nov":
		return time.November
	case "Dec":
		return time.December
	}
	return 0
}

// daysInMonth returns the number of days of month m of year y, in the
// proleptic Gregorian calendar.
func daysInMonth(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
