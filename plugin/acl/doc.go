// Package acl implements BIND 9's address-match-list semantics for the
// Corefile option
//
//	allow-update ELEMENT...
//
// Each allow-update line is passed to [List.Parse]; several lines append to
// one list, in order. An ELEMENT is one of
//
//	ADDRESS      an IPv4 or IPv6 address, matching exactly that address
//	PREFIX       a CIDR prefix such as 10.0.0.0/8 or 2001:db8::/32
//	key NAME     two tokens: clients that signed the UPDATE with TSIG key NAME
//	any          every client
//	none         no client
//
// and may be negated with a leading "!", either attached ("!10.0.0.1",
// "!any", "!key foo") or as a token of its own ("! key foo").
//
// The first element that matches a client decides: a positive element allows,
// a negated one denies. A client that matches no element is denied, so the
// zero List denies everything. Thus "!10.0.0.5 10.0.0.0/8" admits the /8
// except 10.0.0.5, while "10.0.0.0/8 !10.0.0.5" admits all of the /8.
//
// Differences from BIND: nested lists, named ACLs, localhost and localnets
// are not supported, and addresses with a zone (fe80::1%eth0) are rejected
// because matching ignores zones.
package acl
