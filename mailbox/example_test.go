package mailbox_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/bouncer-mail/bouncer/mailbox"
)

func ExampleNewReader() {
	// Usually the inputs are paths from the command line; here "-" reads
	// an mbox of two messages given as standard input.
	stdin := strings.NewReader("From MAILER-DAEMON Thu Sep 18 17:54:04 2008\n" +
		"Subject: first\n\none\n\n" +
		"From MAILER-DAEMON Thu Sep 18 17:55:10 2008\n" +
		"Subject: second\n\n>From the quoted line\n")
	r := mailbox.NewReader([]string{"-", "/no/such/file"}, mailbox.Options{Stdin: stdin})
	defer r.Close()
	for {
		msg, err := r.Next()
		if err == io.EOF {
			break
		}
		var merr *mailbox.Error
		if errors.As(err, &merr) {
			fmt.Println("skipped:", merr) // the rest is still read
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %q\n", msg.ID, msg.Data)
	}
	// Output:
	// -#1: "Subject: first\n\none\n"
	// -#2: "Subject: second\n\nFrom the quoted line\n"
	// skipped: mailbox: /no/such/file: no such file or directory
}
