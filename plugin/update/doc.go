// Package update applies RFC 2136 UPDATE messages to a zone transaction,
// exactly as RFC 2136 §3 describes: prerequisites (§3.2), permission (§3.3),
// prescan (§3.4.1), then the changes in message order (§3.4.2) and the serial
// (§3.6). Apply either succeeds, leaving every change in the transaction, or
// returns an *Error with the rcode to answer, and the caller discards the
// transaction: a message is applied all or nothing.
//
// Where the RFC leaves room, BIND 9 is the reference:
//   - prerequisites see the data as served (derived service records included)
//     and names literally: wildcards do not match and CNAMEs are not followed;
//   - a record added with a new TTL sets the TTL of its whole RRset;
//   - a CNAME added beside other data, other data added beside a CNAME, an
//     SOA that is not newer, deletions of the apex SOA or of the last apex NS
//     are ignored, not errors;
//   - records only a signer makes (RRSIG, NSEC, NSEC3, NSEC3PARAM, SIG, NXT)
//     are REFUSED: dyndns does not sign zones, so it cannot keep them true.
//     DS, DNSKEY, CDS and CDNSKEY are ordinary data and may be updated.
package update
