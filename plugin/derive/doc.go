// Package derive implements the host naming convention that derives service
// names from host names.
//
// Hosts are named IDENTIFIER-SERVICE-ENVIRONMENT, e.g. cyberdyne-web-sfo-prod.
// A host directly under a zone apex whose first label matches a rule's
// pattern contributes its A/AAAA records to the names the rule's templates
// expand to, relative to the apex. The Corefile syntax is
//
//	derive PATTERN TEMPLATE...
//	derive off
//
// PATTERN is a dash-separated list of fields, each a placeholder {name}
// (name is [a-z0-9_]+, unique within the pattern) or literal text that the
// label must contain verbatim (case-insensitively). A label matches when it
// has at least as many dash-separated parts as the pattern has fields and
// none of its parts is empty; the last field absorbs any surplus parts, so
// {id}-{service}-{env} matches cyberdyne-web-sfo-prod with env=sfo-prod. A
// one-field pattern therefore matches every label without empty parts.
//
// TEMPLATE is a relative domain name whose labels mix literal text
// ([a-z0-9_-], case-folded) with placeholders of the pattern, e.g. {service},
// {service}.{env}, {service}-{env} or _http._tcp.{service}. An expansion is
// skipped, not an error, when it would not be a valid name: a label over 63
// octets, a value with characters other than letters, digits, '-' and '_',
// or a name equal to the host's own label.
//
// Without any derive line the convention is [Default]:
// derive {id}-{service}-{env} {service}. "derive off" disables derivation and
// cannot be combined with other derive lines.
//
// Setup code uses the package like this:
//
//	var rules *derive.Rules // nil: no derive line seen yet
//	for each "derive" line {
//		rules, err = rules.Parse(c.RemainingArgs())
//		if err != nil { return c.Err(err.Error()) }
//	}
//	if rules == nil {
//		rules = derive.Default()
//	}
//	// rules.Off() reports "derive off"; Services then returns nil.
package derive
