// Package mailbox reads mail messages from the places a postmaster keeps them:
// single message files, folders of them, mbox files, Maildir folders and
// standard input. Every message comes with a stable source id so that a report
// can name it.
package mailbox

// Message is one message read from a source.
type Message struct {
	// ID names the message: the path as given for a single file, "PATH#N" for
	// the N-th message (from 1) of an mbox holding more than one (the path
	// alone for an mbox of one message), "-" (or "-#N") for standard input.
	ID string
	// Data holds the raw bytes of the message, line ends as found (the mbox
	// "From " separator line removed).
	Data []byte
}

// Error names the input (or the message within it) that could not be read.
type Error struct {
	ID  string
	Err error
}

func (e *Error) Error() string { return "mailbox: " + e.ID + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
