// Command bouncer reads bounce messages (DSNs, NDRs) and tells a postmaster
// what failed, why, and what to do about it.
//
//	bouncer analyze [flags] PATH|URL...  files, folders, mbox, Maildir, - for stdin, imaps:// mailboxes
//	bouncer watch [flags] URL...         report new bounces in IMAP mailboxes as they arrive
//	bouncer rules list|check|test        show, validate and try rule files
//	bouncer digest [flags] [SOURCE...]   store new bounces in the history and report them
//	bouncer suppress [flags]             list the addresses to stop sending to
//	bouncer version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Exit codes a scheduler can act on.
const (
	exitOK      = 0 // everything was read
	exitPartial = 1 // some input could not be read, or the run failed
	exitUsage   = 2 // the command line was wrong
)

var version = "dev"

// memoryLimit is the soft limit of the Go heap unless GOMEMLIMIT says
// otherwise. bouncer's live heap is some 15 MB whatever the input (one
// message per worker, the rule tables, a report that spools past 2 MB), but
// the collector lets the heap grow to twice that and returns freed pages
// lazily, which brought a 1.1 GB mbox near 60 MB of RSS; with this limit it
// stays under 50 MB at no measurable cost. A larger message only makes the
// collector work harder: the limit is soft.
const memoryLimit = 40 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: bouncer COMMAND [flags] [args]

commands:
  analyze PATH...   read bounces from files, folders, mbox, Maildir, - (stdin)
                    or IMAP mailboxes (imaps://USER@HOST/MAILBOX) and report
                    what failed, why, and what to do
  watch URL...      report the bounces arriving in IMAP mailboxes (IDLE),
                    until interrupted
  rules list        show the rules in force, in order, and where each comes from
  rules check FILE...
                    validate rule files
  rules test RULES.yaml... [--] PATH...
                    list the recipients whose verdict the rule files change
  digest [PATH...]  store what is new in the history and report it, problems first;
                    with no PATH, report a period from the history
  suppress          list the addresses to stop sending to
  version           print the version

Run 'bouncer COMMAND -h' for a command's flags.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "analyze":
		return runAnalyze(args[1:], stdin, stdout, stderr)
	case "rules":
		return runRules(args[1:], stdin, stdout, stderr)
	case "digest":
		return runDigest(args[1:], stdin, stdout, stderr)
	case "suppress":
		return runSuppress(args[1:], stdout, stderr)
	case "watch":
		return runWatch(args[1:], stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "bouncer", version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "bouncer: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// parseFlags parses a command's flags. When it returns false, the command
// ends with the code: 0 after -h (the usage was printed), 2 for a bad flag
// (the flag package named it).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return exitOK, true
}
