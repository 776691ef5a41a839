// Package mailbox reads mail messages from the places a postmaster keeps them:
// single message files, folders of them, mbox files, Maildir folders and
// standard input. Every message comes with a stable source id so that a report
// can name it.
package mailbox

// Message is one message read from a source.
type Message struct {
	// ID names the message: the path as given for a single file, "PATH#N" for
	// the N-th message (from 1) of an mbox, "-" (or "-#N") for standard input.
	ID string
	// Path is the file (or "-") the message was read from: ID without "#N".
	Path string
	// Data holds the raw bytes of the message, line ends as found (the mbox
	// "From " separator line removed).
	Data []byte
}
