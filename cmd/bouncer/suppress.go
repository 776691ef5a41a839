package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/bouncer-mail/bouncer/store"
)

func runSuppress(args []string, stdout, stderr io.Writer) int {
	const cmd = "bouncer suppress"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	format := fs.String("format", "text", "output format: text (one address a line), csv or json")
	minDays := fs.Int("min-days", 3, "list an address whose soft bounces fall on at least this many distinct days...")
	days := fs.Int("days", 14, "...within this many days")
	noComplaints := fs.Bool("no-complaints", false, "leave out the addresses listed only because their owner complained (ARF abuse reports)")
	var forget listFlag
	fs.Var(&forget, "forget", "take this address off the list (its history is kept; a later failure lists it again); repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bouncer suppress [flags]   lists the addresses to stop sending to")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || *minDays < 1 || *days < 1 {
		fs.Usage()
		return exitUsage
	}
	if *format != "text" && *format != "csv" && *format != "json" {
		fmt.Fprintf(stderr, "%s: --format %q: use text, csv or json\n", cmd, *format)
		return exitUsage
	}
	st, now, err := sf.open()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitUsage
	}
	defer st.Close()
	if len(forget) > 0 {
		for _, a := range forget {
			known, err := st.Forget(a)
			if err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
				return exitPartial
			}
			if !known {
				fmt.Fprintf(stderr, "%s: %s is not in the history (forgotten all the same)\n", cmd, a)
			}
		}
		return exitOK
	}
	list, err := st.Suppressions(store.SuppressOptions{Now: now, MinDays: *minDays, Days: *days, NoComplaints: *noComplaints})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitPartial
	}
	switch *format {
	case "text":
		for _, s := range list {
			fmt.Fprintln(stdout, s.Address)
		}
	case "json":
		if list == nil {
			list = []store.Suppression{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(list)
	case "csv":
		w := csv.NewWriter(stdout)
		w.Write([]string{"address", "rule", "reason", "hard_bounces", "soft_bounces", "soft_days", "last"})
		for _, s := range list {
			w.Write([]string{s.Address, s.Rule, s.Reason, strconv.Itoa(s.Hard), strconv.Itoa(s.Soft), strconv.Itoa(s.Days), s.Last.Format(time.RFC3339)})
		}
		w.Flush()
		err = w.Error()
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitPartial
	}
	return exitOK
}
