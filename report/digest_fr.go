package report

// digestFR holds the French of the digest's headings, labels and notes,
// keyed by their English.
var digestFR = map[string]string{
	"Totals":                 "Totaux",
	"count":                  "nombre",
	"Messages read":          "Messages lus",
	"New messages":           "Nouveaux messages",
	"Read by this run":       "Lus par cette exécution",
	"Already in the history": "Déjà dans l'historique",
	"Bounces":                "Rebonds",
	"Hard (recipients)":      "Définitifs (destinataires)",
	"Soft (recipients)":      "Temporaires (destinataires)",
	"Auto-replies":           "Réponses automatiques",
	"Complaints":             "Plaintes",
	"Delivery reports":       "Avis de remise",
	"Other feedback reports": "Autres rapports ARF",
	"Not bounces":            "Autres messages",
	"Unreadable":             "Illisibles",

	"Blocked by remote hosts (your side)": "Bloqué par des serveurs distants (de votre côté)",
	"reason":                              "raison",
	"remote host":                         "serveur distant",
	"your IPs named":                      "vos IP citées",
	"example":                             "exemple",
	"Check %s on a blocklist such as Spamhaus (https://check.spamhaus.org/).": "Vérifiez si %s figure sur une liste de blocage comme Spamhaus (https://check.spamhaus.org/).",

	"SPF / DKIM / DMARC failures (your side)": "Échecs SPF / DKIM / DMARC (de votre côté)",
	"sending domain":   "domaine d'envoi",
	"named":            "cités",
	"records to check": "enregistrements à vérifier",

	"Rate limits (your side)": "Limites de débit (de votre côté)",
	"hour":                    "heure",
	"account or IP":           "compte ou IP",
	"rate-limit bounces":      "rebonds pour débit",
	"all bounces":             "tous les rebonds",
	"over limit":              "au-delà de la limite",
	"OVER %d/h":               "DÉPASSÉ %d/h",
	"Spread your sending over time: a provider may allow about 200 messages an hour per account and 300 an hour per IP; check your outbox for a loop.": "Étalez vos envois dans le temps : un fournisseur peut n'accepter qu'environ 200 messages par heure et par compte, et 300 par heure et par IP ; vérifiez aussi qu'aucun envoi ne tourne en boucle.",
	"Hours marked OVER passed the provider's hourly limit.": "Les heures marquées DÉPASSÉ ont franchi la limite horaire du fournisseur.",

	"SMTP authentication failures (535)": "Échecs d'authentification SMTP (535)",
	"account":                            "compte",
	"The server refused the account's credentials: check the password your sending software uses and whether the account is locked.": "Le serveur a refusé les identifiants du compte : vérifiez le mot de passe qu'utilise votre logiciel d'envoi et si le compte est bloqué.",

	"Recipients by reason": "Destinataires par raison",
	"previous period":      "période précédente",
	"change":               "évolution",
	"7-day average":        "moyenne sur 7 jours",
	"new":                  "nouveau",

	"Top recipient domains": "Principaux domaines destinataires",
	"domain":                "domaine",
	"failures":              "échecs",
	"Top remote providers":  "Principaux fournisseurs distants",
	"provider":              "fournisseur",

	"New hard bounces: addresses to remove": "Nouveaux rebonds définitifs : adresses à retirer",
	"address":                               "adresse",
	"date":                                  "date",
	"source":                                "source",
	"Repeated soft bounces":                 "Rebonds temporaires répétés",
	"soft bounces":                          "rebonds temporaires",
	"days":                                  "jours",
	"last reason":                           "dernière raison",
	"last":                                  "dernier",

	"Messages that could not be read":      "Messages illisibles",
	"error":                                "erreur",
	"Bounces that could not be classified": "Rebonds non classés",
	"diagnostic":                           "diagnostic",
	"Read these bounces; write a rule for the wording if it recurs.": "Lisez ces rebonds ; écrivez une règle pour cette formulation si elle revient.",

	"bouncer digest %s: %d bounces (%d hard, %d soft), %d unreadable": "bouncer, synthèse du %s : %d rebonds (%d définitifs, %d temporaires), %d illisibles",
	"%s to %s": "du %s au %s",
	"New messages since the last digest (comparisons: period %s)": "Nouveaux messages depuis la dernière synthèse (comparaisons : période %s)",
	"Period: %s": "Période : %s",

	// placeholders the history gives for what a bounce does not say
	"(unknown account)": "(compte inconnu)",
	"(unknown)":         "(inconnu)",
}
