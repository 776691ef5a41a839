package rules_test

import (
	"fmt"

	"github.com/bouncer-mail/bouncer/rules"
)

func ExampleParse() {
	f, err := rules.Parse("hourly.yaml", []byte(`
rules:
  - name: provider-hourly-limit
    match:
      phrases: ["too many messages this hour"]
    set:
      reason: speeding
      action: spread-hourly
actions:
  spread-hourly:
    en: "Spread sending under 200 messages an hour per account."
    fr: "Étalez l'envoi sous 200 messages par heure et par compte."
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := rules.NewSet(f) // the file's rules, then the built-in ones
	if err != nil {
		fmt.Println(err)
		return
	}
	rule, hit := set.Match(&rules.Subject{
		Status: "5.1.1",
		Text:   "550 5.1.1 Too many messages  this hour from your account",
	})
	fmt.Println(rule.Name, rule.Origin, rule.Set.Reason)
	fmt.Printf("%s matched %q\n", hit.Field, hit.Matched)
	fmt.Println(set.ActionText(rule.Set.Action, "fr"))
	// Output:
	// provider-hourly-limit hourly.yaml:3 speeding
	// phrases matched "too many messages this hour"
	// Étalez l'envoi sous 200 messages par heure et par compte.
}
