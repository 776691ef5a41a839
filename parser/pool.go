package parser

import "sync"

// lineBufs keeps the buffers a CRLF message is copied into with LF line
// ends (see Parse), from one message to the next.
var lineBufs = sync.Pool{New: func() any { return new([]byte) }}

func getLineBuf() *[]byte { return lineBufs.Get().(*[]byte) }

// putLineBuf gives a buffer back, but not a very large one, which would stay
// allocated for the next, most often small, messages.
func putLineBuf(b *[]byte) {
	if cap(*b) > 1<<20 {
		return
	}
	*b = (*b)[:0]
	lineBufs.Put(b)
}
