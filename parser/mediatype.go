package parser

import "strings"

// contentParam returns what contentType(ct) gives for the media type and
// for the parameter name (lower-case): its value, and whether ct has it.
//
// A part's Content-Type is read for one parameter (its boundary, its
// charset), and is nearly always written plainly: "type/subtype" then
// "; name=value" pairs, a value a token or a quoted string without quoted
// pairs. Such a value is read here in one pass with nothing allocated,
// rather than by mime.ParseMediaType, which builds a map of the
// parameters. Any other value is left to contentType, so that what
// mime.ParseMediaType takes and refuses stays its own.
func contentParam(ct, name string) (mt, value string, has bool) {
	if mt, value, has, ok := plainContentParam(ct, name); ok {
		if has {
			value = decodeHeader(value) // as contentType does
		}
		return mt, value, has
	}
	mt, params := contentType(ct)
	value, has = params[name]
	return mt, value, has
}

// maxPlainParams is the most parameters plainContentParam reads: it
// checks that no name comes twice by comparing each with those before.
const maxPlainParams = 8

// plainContentParam reads ct when it has the plain shape contentParam
// describes: ASCII, white space only spaces and tabs, the media type a
// token with maybe "/" and another token, each parameter a token name
// (without the "*" of RFC 2231) and a token or quoted string value, names
// not repeated, maybe a last ";". It reports false for anything else,
// which mime.ParseMediaType may or may not take. For such a value,
// mime.ParseMediaType gives the media type lower-cased and trimmed, and
// the parameters under their lower-cased names, a quoted value without
// its quotes.
func plainContentParam(ct, name string) (mt, value string, has, ok bool) {
	if ct == "" {
		return "", "", false, false // contentType has its own answer
	}
	for i := 0; i < len(ct); i++ {
		if c := ct[i]; c >= 0x7f || c < ' ' && c != '\t' {
			return "", "", false, false
		}
	}
	base, rest, _ := strings.Cut(ct, ";")
	base = strings.Trim(base, " \t")
	typ := tokenPrefix(base)
	if typ == "" {
		return "", "", false, false
	}
	if sub := base[len(typ):]; sub != "" {
		if sub[0] != '/' || len(sub) == 1 || len(tokenPrefix(sub[1:])) != len(sub)-1 {
			return "", "", false, false
		}
	}
	var names [maxPlainParams]string
	n := 0
	for rest = skipBlanks(rest); rest != ""; {
		// rest is just after a ";"
		key := tokenPrefix(rest)
		if key == "" {
			return "", "", false, false
		}
		if strings.IndexByte(key, '*') >= 0 || n == len(names) {
			return "", "", false, false
		}
		for _, k := range names[:n] {
			if strings.EqualFold(k, key) {
				return "", "", false, false
			}
		}
		names[n] = key
		n++
		rest = skipBlanks(rest[len(key):])
		if rest == "" || rest[0] != '=' {
			return "", "", false, false
		}
		rest = skipBlanks(rest[1:])
		var val string
		if rest != "" && rest[0] == '"' {
			end := strings.IndexAny(rest[1:], "\"\\")
			if end < 0 || rest[1+end] != '"' {
				return "", "", false, false
			}
			val, rest = rest[1:1+end], rest[2+end:]
		} else {
			val = tokenPrefix(rest)
			if val == "" {
				return "", "", false, false
			}
			rest = rest[len(val):]
		}
		if strings.EqualFold(key, name) {
			value, has = val, true
		}
		// then white space, and a ";" before the next parameter or at
		// the end
		rest = skipBlanks(rest)
		if rest == "" {
			break
		}
		if rest[0] != ';' {
			return "", "", false, false
		}
		rest = skipBlanks(rest[1:])
	}
	return toLower(base), value, has, true
}

// tokenPrefix returns the longest prefix of s made of the characters of a
// MIME token (RFC 2045): ASCII letters, digits and marks but for white
// space, controls and the tspecials.
func tokenPrefix(s string) string {
	for i := 0; i < len(s); i++ {
		if !isTokenByte[s[i]] {
			return s[:i]
		}
	}
	return s
}

// isTokenByte tells the bytes of a MIME token.
var isTokenByte = func() (t [256]bool) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`()<>@,;:\"/[]?=`, c)
	}
	return t
}()

// skipBlanks returns s without its leading spaces and tabs.
func skipBlanks(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return s[i:]
}
