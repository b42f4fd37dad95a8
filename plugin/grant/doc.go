// Package grant implements least-privilege update permissions after the
// manner of BIND 9's update-policy, for the Corefile lines
//
//	grant IDENTITY RULE [NAME] [TYPE...]
//	deny  IDENTITY RULE [NAME] [TYPE...]
//
// allow-update (package acl) decides whether a client may send an UPDATE at
// all; a [Policy] then decides, record by record, what it may change. Each
// grant or deny line is passed to [Policy.Parse]; lines keep their order.
//
// IDENTITY is one of
//
//	key NAME    updates signed with TSIG key NAME (as verified by the tsig
//	            plugin); names compare case-insensitively, as FQDNs
//	net CIDR    updates from a source address in the prefix (a bare
//	            address is a /32 or /128)
//	*           everyone
//
// RULE says which owner names a line covers; it follows BIND's rule types:
//
//	name NAME       the owner is NAME
//	subdomain NAME  the owner is NAME or below it
//	zonesub         the owner is the zone apex or below it (no NAME)
//	wildcard NAME   NAME is a wildcard (*.example.org); the owner is any
//	                name the wildcard covers: strictly below example.org,
//	                at any depth (and the literal *.example.org itself)
//	self            the owner is the TSIG key's name
//	selfsub         the owner is the key's name or below it
//	selfwild        the owner is strictly below the key's name (*.KEY)
//	tcp-self        the owner is the reverse name (in-addr.arpa/ip6.arpa)
//	                of the client's address and the UPDATE came over TCP
//	own-address     the record is one of the client's own: an A or AAAA
//	                whose address is the client's source address, owned by
//	                a host name of the naming convention directly below the
//	                apex, or a PTR at the client's own reverse name
//
// self, selfsub and selfwild need a signed update: an unsigned one never
// matches them, whatever IDENTITY says; tcp-self needs no key. These four
// accept BIND's placeholder NAME "." (and ignore it); no other NAME.
// zonesub and own-address take no NAME. NAMEs are absolute: "example.org"
// means "example.org.".
//
// TYPE... restricts a line to record types. Without a list a line covers
// every type except SOA, NS, RRSIG, NSEC and NSEC3 (BIND's default); ANY
// covers every type except NSEC and NSEC3. A type may carry a cap, as in
// BIND: A(1) lets an update leave at most one A record at the owner. A cap
// given on ANY applies to each type the line covers through ANY; a type
// listed by name uses its own cap (or none) instead. own-address lines may
// list only A, AAAA, PTR and ANY.
//
// # Evaluation
//
// Every record of the update section is checked on its own: class IN adds,
// class NONE deletes of one record, class ANY deletes of an RRset. A class
// ANY delete of type ANY (delete a whole name) is checked as a delete of
// each RRset the name holds before the update, as BIND does; like BIND it
// skips RRSIG and NSEC, and it skips the apex SOA and NS, which RFC 2136
// §3.4.2.3 never deletes this way.
//
// For each record the lines are tried in order and the first whose
// identity, rule and types all match decides: grant permits the record, deny
// refuses it. A record no line matches is refused, and one refused record
// refuses the whole update. A policy without lines permits everything, so
// allow-update alone decides, as before grant and deny existed.
//
// Caps are checked against the zone as the update leaves it: an add granted
// by a line with a cap for its type is refused when, after the whole update
// section, its owner holds more records of the type than the cap. BIND
// instead silently skips the adds past the cap and answers NOERROR; dyndns
// applies a message all or nothing, so it refuses the update instead.
//
// # own-address
//
// own-address is not in BIND: it lets a host register itself without a key.
// It matches
//   - an add or a single-record delete of an A (from an IPv4 client) or an
//     AAAA (from an IPv6 client) whose address equals the client's source
//     address, at an owner directly below the zone apex whose first label
//     derives at least one service under the naming convention;
//   - a delete of the whole A or AAAA RRset at such an owner, but only when
//     the same update adds an A or AAAA with the client's own address at
//     that owner. A class ANY delete carries no address, so nothing else
//     ties it to the client: without this condition any client could wipe
//     any host's addresses. With it, the re-registration
//     "update delete host A" + "update add host A <own address>" passes,
//     and a bare delete of another host's RRset is refused;
//   - any add or delete of a PTR at the client's own reverse name (the name
//     dns.ReverseAddr gives for its source address).
//
// IPv4-mapped IPv6 source addresses count as IPv4, and the interface zone of
// a link-local source is ignored.
package grant
